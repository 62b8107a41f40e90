import FedCore

/// FedAvgM, FedAvg with server momentum (Hsu, Qi and Brown, "Measuring the Effects of Non-Identical
/// Data Distribution for Federated Visual Classification", 2019, Section 3):
/// `v ← β v + Δw`, `w ← w − η v`, with `Δw = w_t − Σ_k (n_k/n) w^k` the averaged pseudo-gradient.
/// Deltas here are `w^k − w_t`, so the code reads `v ← β v + Δ̄`, `w ← w + η v`. β = 0, η = 1 is FedAvg.
public struct FedAvgM: Strategy {
    /// `fedavgm`.
    public let name = "fedavgm"
    /// Server momentum β.
    public let momentum: Double
    /// Server learning rate η.
    public let serverLearningRate: Double
    /// How the round's deltas are combined.
    public let rule: AggregationRule
    private var velocity: [Double] = []

    /// FedAvgM with momentum β (`--server-momentum`, the paper's best is 0.9) and rate η (`--server-lr`).
    public init(momentum: Double = 0.9, serverLearningRate: Double = 1, rule: AggregationRule = .mean) {
        self.momentum = momentum
        self.serverLearningRate = serverLearningRate
        self.rule = rule
    }

    /// A fresh accumulator.
    public func makeAccumulator(global: ModelState) -> FitAccumulator { FitAccumulator(global: global, rule: rule) }

    /// The momentum step; the current model when no client succeeded.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        guard let delta = results.combinedDelta() else { return nil }
        if velocity.count != delta.count { velocity = [Double](repeating: 0, count: delta.count) }
        for i in delta.indices { velocity[i] = momentum * velocity[i] + delta[i] }
        return global.adding(velocity, scale: serverLearningRate)
    }

    /// `fedavgm.v`.
    public func exportState() -> [String: [Float]] { velocity.isEmpty ? [:] : ["fedavgm.v": velocity.map(Float.init)] }

    /// Restores `fedavgm.v`.
    public mutating func importState(_ state: [String: [Float]]) throws(FedError) {
        velocity = try StrategyState.vectors(state, keys: ["fedavgm.v"], algorithm: name)["fedavgm.v"].map { $0.map(Double.init) } ?? []
    }
}

/// Checks of a checkpointed strategy state.
enum StrategyState {
    /// `state` restricted to `keys`; throws if it holds other keys or vectors of different lengths.
    static func vectors(_ state: [String: [Float]], keys: Set<String>, algorithm: String) throws(FedError) -> [String: [Float]] {
        guard Set(state.keys).isSubset(of: keys) else {
            throw FedError(.invalidArgument, "the checkpoint's strategy state \(state.keys.sorted()) is not \(algorithm)'s \(keys.sorted())")
        }
        guard Set(state.values.map(\.count)).count <= 1 else { throw FedError(.invalidArgument, "\(algorithm) state vectors differ in length") }
        return state
    }
}
