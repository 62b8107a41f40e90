import FedCore

/// q-FFL via q-FedAvg (Li, Sanjabi, Beirami and Smith, "Fair Resource Allocation in Federated
/// Learning", ICLR 2020, Algorithm 2): with `Δw_k = L (w^t − w̄_k^{t+1})`,
/// `Δ_k = F_k^q(w^t) Δw_k`, `h_k = q F_k^{q−1}(w^t) ‖Δw_k‖² + L F_k^q(w^t)`,
/// `w^{t+1} = w^t − Σ_k Δ_k / Σ_k h_k`, where L = 1/η (η the local learning rate, as in the paper's code)
/// and `F_k(w^t)` is the received model's loss on the client's data (metric `initial_loss`).
/// With deltas `d_k = w̄_k − w^t` this is `w^t + Σ_k L F_k^q d_k / Σ_k h_k`.
///
/// q = 0 reduces to `w^t + (1/|S|) Σ_k d_k`: the unweighted mean of the selected clients' models
/// (FedAvg with uniform rather than example weights).
public struct QFFL: Strategy {
    /// `qffl`.
    public let name = "qffl"
    /// Fairness parameter q ≥ 0.
    public let q: Double
    /// Lipschitz estimate L = 1/η.
    public let lipschitz: Double

    /// q-FedAvg with fairness `q` for clients training with learning rate `learningRate`.
    public init(q: Double, learningRate: Double) {
        self.q = q
        self.lipschitz = 1 / learningRate
    }

    /// Deltas weighted by `L F_k^q`, denominators `h_k`.
    public func makeAccumulator(global: ModelState) -> FitAccumulator {
        let (q, l) = (q, lipschitz)
        return FitAccumulator(global: global) { result, delta in
            let f = max(result.metrics["initial_loss"] ?? result.loss, 1e-10)
            let fq = q == 0 ? 1 : pow(f, q)
            var h = l * fq
            if q != 0 {
                let norm2 = delta.reduce(0.0) { $0 + Double($1) * Double($1) } * l * l  // ‖Δw_k‖²
                h += q * pow(f, q - 1) * norm2
            }
            return (l * fq, h)
        }
    }

    /// `w^t + Σ L F^q d_k / Σ h_k`.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        results.weightedMean()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
