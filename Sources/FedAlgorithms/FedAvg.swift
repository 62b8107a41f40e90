import FedCore

/// Federated Averaging (McMahan et al., "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data", AISTATS 2017, Algorithm 1): the next global model is the example-weighted
/// mean of the clients' models, `w_{t+1} = Σ_k (n_k / n) w^k_{t+1}`, computed here as
/// `w_t + Σ_k n_k Δ_k / Σ_k n_k`, which is the same thing and allows delta uploads.
///
/// The same server serves FedProx (Li et al., MLSys 2020: the novelty is the client's proximal term,
/// ``FedProxClient``) and Ditto (Li et al., ICML 2021: the global model is trained by FedAvg, the
/// personal models live on the clients, ``DittoClient``), under their own names. With a robust
/// ``AggregationRule`` the mean is replaced by that rule.
public struct FedAvg: Strategy {
    /// `fedavg`, `fedprox` or `ditto`.
    public let name: String
    /// How the round's deltas are combined.
    public let rule: AggregationRule

    /// FedAvg (or its client variants called `name`) with aggregation `rule`.
    public init(name: String = "fedavg", rule: AggregationRule = .mean) {
        self.name = name
        self.rule = rule
    }

    /// A fresh accumulator.
    public func makeAccumulator(global: ModelState) -> FitAccumulator { FitAccumulator(global: global, rule: rule) }

    /// The example-weighted mean; the current model when no client succeeded.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        results.weightedMean()
    }
}
