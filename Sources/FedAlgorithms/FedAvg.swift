import FedCore

/// Federated Averaging (McMahan et al., "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data", AISTATS 2017, Algorithm 1): the next global model is the example-weighted
/// mean of the clients' models, `w_{t+1} = Σ_k (n_k / n) w^k_{t+1}`, computed here as
/// `w_t + Σ_k n_k Δ_k / Σ_k n_k`, which is the same thing and allows delta uploads.
public struct FedAvg: Strategy {
    /// `fedavg`.
    public let name = "fedavg"

    /// FedAvg has no hyper-parameters beyond the clients' training settings.
    public init() {}

    /// A fresh accumulator.
    public func makeAccumulator(global: ModelState) -> FitAccumulator { FitAccumulator(global: global) }

    /// The example-weighted mean; the current model when no client succeeded.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        results.weightedMean()
    }
}
