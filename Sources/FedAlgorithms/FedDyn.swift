import FedCore

/// FedDyn's server (Acar et al., "Federated Learning Based on Dynamic Regularization", ICLR 2021,
/// Algorithm 1): `h^t = h^{t−1} − α (1/m) Σ_{k∈P_t} (θ_k^t − θ^{t−1})` and
/// `θ^t = (1/|P_t|) Σ_{k∈P_t} θ_k^t − (1/α) h^t`, with m the number of clients. Averages are
/// unweighted, as in the paper. h is the server state (checkpointed); clients keep their own
/// `∇L_k(θ_k^{t−1})` (``FedDynClient``).
public struct FedDyn: Strategy {
    /// `feddyn`.
    public let name = "feddyn"
    /// α.
    public let alpha: Double
    /// m, the number of clients.
    public let totalClients: Int
    private var h: [Double] = []

    /// FedDyn with coefficient `alpha` over `totalClients` clients.
    public init(alpha: Double, totalClients: Int) {
        self.alpha = alpha
        self.totalClients = max(1, totalClients)
    }

    /// Unweighted deltas.
    public func makeAccumulator(global: ModelState) -> FitAccumulator {
        FitAccumulator(global: global) { _, _ in (1, 1) }
    }

    /// Updates h and the model.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        guard results.count > 0, let mean = results.combinedDelta() else { return nil }
        if h.count != mean.count { h = [Double](repeating: 0, count: mean.count) }
        let sum = results.weightedSum  // Σ_k (θ_k − θ^{t−1}), weights 1
        let step = alpha / Double(totalClients)
        var delta = mean
        for i in h.indices {
            h[i] -= step * sum[i]
            delta[i] -= h[i] / alpha
        }
        return global.adding(delta)
    }

    /// `feddyn.h`.
    public func exportState() -> [String: [Float]] { h.isEmpty ? [:] : ["feddyn.h": h.map(Float.init)] }

    /// Restores `feddyn.h`.
    public mutating func importState(_ state: [String: [Float]]) throws(FedError) {
        h = try StrategyState.vectors(state, keys: ["feddyn.h"], algorithm: name)["feddyn.h"]?.map(Double.init) ?? []
    }
}
