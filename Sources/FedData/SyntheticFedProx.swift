import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The FedProx synthetic benchmark `synthetic:<alpha>,<beta>` (Li et al., "Federated optimization in
/// heterogeneous networks", MLSys 2020, §5.1, after Shamir et al., "Communication-efficient distributed
/// optimization using an approximate Newton-type method", ICML 2014).
///
/// Client k has a softmax-regression model y = argmax(W_k x + b_k) with W_k, b_k ~ N(u_k, 1) and
/// u_k ~ N(0, alpha), and inputs x ~ N(v_k, Σ) with Σ = diag(j^−1.2) and v_k's elements ~ N(B_k, 1),
/// B_k ~ N(0, beta): alpha controls how much the local models differ, beta how much the inputs do.
/// As in the paper's `generate_niid.py`, alpha and beta are used as standard deviations, and client k
/// holds ⌊LogNormal(4, 2)⌋ + 50 samples (a heavy-tailed, power-law-like size distribution).
public enum SyntheticFedProx {
    /// Input dimension.
    public static let features = 60
    /// Number of classes.
    public static let classes = 10

    /// Generates every client's data. Client k's samples depend only on (alpha, beta, seed, k), so the
    /// data is deterministic for (alpha, beta, clients, seed). The last `testFraction` of each client's
    /// samples are pooled into the test set; the rest form the training set, whose natural per-client
    /// split is returned as the partition.
    /// - Throws: `.invalidArgument` for negative alpha/beta, no clients or a fraction outside [0, 1).
    public static func generate(alpha: Double, beta: Double, clients: Int, seed: UInt64,
                                testFraction: Double = 0.2) throws(FedError) -> FederatedData {
        guard alpha >= 0, beta >= 0, alpha.isFinite, beta.isFinite else {
            throw FedError(.invalidArgument, "synthetic alpha and beta must be finite and ≥ 0, got \(alpha), \(beta)")
        }
        guard clients > 0 else { throw FedError(.invalidArgument, "synthetic data needs at least one client") }
        guard testFraction >= 0, testFraction < 1 else {
            throw FedError(.invalidArgument, "test fraction must lie in [0, 1), got \(testFraction)")
        }
        let inputStd = (1...features).map { Float(pow(Double($0), -1.2).squareRoot()) }
        var trainX: [Float] = [], trainY: [Int32] = [], testX: [Float] = [], testY: [Int32] = []
        var partition: [[Int]] = []
        for client in 0..<clients {
            var generator = SplitMix64(seeds: seed, 0x53_594E, UInt64(client))
            let size = Int(RandomDistributions.logNormal(mean: 4, sigma: 2, using: &generator)) + 50
            let modelMean = RandomDistributions.normal(std: alpha, using: &generator)
            let inputMeanCenter = RandomDistributions.normal(std: beta, using: &generator)
            let inputMean = (0..<features).map { _ in Float(RandomDistributions.normal(mean: inputMeanCenter, using: &generator)) }
            let weights = (0..<(features * classes)).map { _ in Float(RandomDistributions.normal(mean: modelMean, using: &generator)) }
            let bias = (0..<classes).map { _ in Float(RandomDistributions.normal(mean: modelMean, using: &generator)) }
            let testCount = Int(Double(size) * testFraction)
            var indices: [Int] = []
            indices.reserveCapacity(size - testCount)
            for sample in 0..<size {
                let x = (0..<features).map { inputMean[$0] + inputStd[$0] * Float(RandomDistributions.normal(using: &generator)) }
                var best = 0
                var bestScore = -Float.infinity
                for c in 0..<classes {
                    var score = bias[c]
                    for j in 0..<features { score += x[j] * weights[j * classes + c] }
                    if score > bestScore { bestScore = score; best = c }
                }
                if sample < size - testCount {
                    indices.append(trainY.count)
                    trainX += x
                    trainY.append(Int32(best))
                } else {
                    testX += x
                    testY.append(Int32(best))
                }
            }
            partition.append(indices)
        }
        let name = "synthetic:\(alpha),\(beta)"
        return FederatedData(
            train: try Dataset(name: name + "-train", featureShape: [features], classes: classes, features: trainX, labels: trainY),
            test: try Dataset(name: name + "-test", featureShape: [features], classes: classes, features: testX, labels: testY),
            naturalPartition: Partition(clients: partition))
    }
}
