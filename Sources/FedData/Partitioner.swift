import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pure partitioning functions: (labels, classes, clients, spec, seed) → per-client index lists.
///
/// Every function draws from its own ``SplitMix64`` seeded from `seed`, never from a global generator
/// (the FedLab `np.random.seed` anti-pattern), so the same inputs give the same partition in every
/// process. Every sample is assigned to exactly one client.
public enum Partitioner {
    /// Partitions `labels` (values in `0..<classes`) over `clients` clients as `spec` says.
    /// - Throws: `.invalidArgument` when the spec cannot be met (too few samples, k > classes, ...).
    public static func partition(labels: [Int32], classes: Int, clients: Int, spec: PartitionSpec,
                                 seed: UInt64) throws(FedError) -> Partition {
        guard clients > 0 else { throw FedError(.invalidArgument, "the number of clients must be positive, got \(clients)") }
        guard labels.count >= clients else {
            throw FedError(.invalidArgument, "\(labels.count) samples cannot give each of \(clients) clients one")
        }
        var generator = SplitMix64(seeds: seed, 0x5041_5254, UInt64(clients))
        switch spec {
        case .iid:
            return Partition(clients: iid(count: labels.count, clients: clients, using: &generator))
        case .iidUnbalanced(let sigma):
            return Partition(clients: iidUnbalanced(count: labels.count, clients: clients, sigma: sigma, using: &generator))
        case .dirichlet(let alpha):
            return Partition(clients: try dirichlet(labels: labels, classes: classes, clients: clients, alpha: alpha, using: &generator))
        case .shards(let perClient):
            return Partition(clients: try shards(labels: labels, clients: clients, perClient: perClient, using: &generator))
        case .labelQuantity(let k):
            return Partition(clients: try labelQuantity(labels: labels, classes: classes, clients: clients, k: k, using: &generator))
        case .featureNoise(let sigma):
            let noise = (0..<clients).map { Float(sigma * Double($0) / Double(clients)) }
            return Partition(clients: iid(count: labels.count, clients: clients, using: &generator), featureNoise: noise)
        case .natural:
            throw FedError(.invalidArgument, "the natural partition exists only for datasets with per-client data (synthetic:<a>,<b>)")
        }
    }

    /// IID split (FedLab `balance_split` + `homo_partition`): a random permutation cut into equal
    /// shares. Unlike FedLab, which drops the `count mod clients` leftover samples, the first
    /// `count mod clients` clients get one extra sample, so sizes differ by at most one.
    public static func iid(count: Int, clients: Int, using generator: inout some RandomNumberGenerator) -> [[Int]] {
        let base = count / clients, extra = count % clients
        return split(RandomDistributions.permutation(count, using: &generator),
                     sizes: (0..<clients).map { base + ($0 < extra ? 1 : 0) })
    }

    /// IID labels with log-normal client sizes (FedLab `lognormal_unbalance_split`, after
    /// Wang et al., "Tackling the objective inconsistency problem", NeurIPS 2020): sizes ~
    /// LogNormal(log(count/clients), sigma²) scaled to the total. Rounding leftovers go to the clients
    /// with the largest fractional parts (FedLab gives them all to client 0), and every client keeps at
    /// least one sample. `sigma = 0` is the balanced IID split.
    public static func iidUnbalanced(count: Int, clients: Int, sigma: Double,
                                     using generator: inout some RandomNumberGenerator) -> [[Int]] {
        let mean = log(Double(count) / Double(clients))
        let raw = (0..<clients).map { _ in RandomDistributions.logNormal(mean: mean, sigma: sigma, using: &generator) }
        let total = raw.reduce(0, +)
        let exact = raw.map { $0 / total * Double(count) }
        var sizes = exact.map { max(1, Int($0)) }
        var leftover = count - sizes.reduce(0, +)
        let byFraction = (0..<clients).sorted { (exact[$0] - exact[$0].rounded(.down)) > (exact[$1] - exact[$1].rounded(.down)) }
        var cursor = 0
        while leftover > 0 { sizes[byFraction[cursor % clients]] += 1; leftover -= 1; cursor += 1 }
        while leftover < 0 {  // the `max(1, _)` floor overshot: take from the largest clients
            let largest = sizes.indices.max { sizes[$0] < sizes[$1] }!
            sizes[largest] -= 1
            leftover += 1
        }
        return split(RandomDistributions.permutation(count, using: &generator), sizes: sizes)
    }

    /// Cuts `order` into consecutive runs of the given sizes (which must sum to its count).
    static func split(_ order: [Int], sizes: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        out.reserveCapacity(sizes.count)
        var start = 0
        for size in sizes {
            out.append(Array(order[start..<(start + size)]))
            start += size
        }
        return out
    }

    /// Sample indices grouped by label, each group in ascending order.
    static func indicesByClass(_ labels: [Int32], classes: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: classes)
        for (i, label) in labels.enumerated() { groups[Int(label)].append(i) }
        return groups
    }
}
