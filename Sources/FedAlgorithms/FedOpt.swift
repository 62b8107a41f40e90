import FedCore

/// The FedOpt family (Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2): the
/// averaged client delta `Δ_t` is a pseudo-gradient for an adaptive server optimizer,
/// `m_t = β1 m_{t−1} + (1 − β1) Δ_t`,
/// FedAdagrad `v_t = v_{t−1} + Δ_t²`,
/// FedAdam `v_t = β2 v_{t−1} + (1 − β2) Δ_t²`,
/// FedYogi `v_t = v_{t−1} − (1 − β2) Δ_t² sign(v_{t−1} − Δ_t²)`,
/// `x_{t+1} = x_t + η m_t / (√v_t + τ)`, with `m_{−1} = 0`, `v_{−1} = τ²` and no bias correction,
/// as in the paper's algorithm.
public struct FedOpt: Strategy {
    /// The server optimizer.
    public enum Variant: String, Sendable, CaseIterable {
        /// FedAdagrad.
        case adagrad = "fedadagrad"
        /// FedAdam.
        case adam = "fedadam"
        /// FedYogi.
        case yogi = "fedyogi"
    }

    /// Which optimizer.
    public let variant: Variant
    /// Server learning rate η.
    public let serverLearningRate: Double
    /// Adaptivity τ.
    public let tau: Double
    /// First-moment decay β1.
    public let beta1: Double
    /// Second-moment decay β2 (unused by FedAdagrad).
    public let beta2: Double
    /// How the round's deltas are combined.
    public let rule: AggregationRule
    private var m: [Double] = []
    private var v: [Double] = []

    /// `fedadagrad`, `fedadam` or `fedyogi`.
    public var name: String { variant.rawValue }

    /// A FedOpt server; the defaults are the paper's common choices (τ = 1e-3, β1 = 0.9, β2 = 0.99).
    public init(_ variant: Variant, serverLearningRate: Double = 0.01, tau: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.99,
                rule: AggregationRule = .mean) {
        self.variant = variant
        self.serverLearningRate = serverLearningRate
        self.tau = tau
        self.beta1 = beta1
        self.beta2 = beta2
        self.rule = rule
    }

    /// A fresh accumulator.
    public func makeAccumulator(global: ModelState) -> FitAccumulator { FitAccumulator(global: global, rule: rule) }

    /// One adaptive server step.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        guard let delta = results.combinedDelta() else { return nil }
        if m.count != delta.count {
            m = [Double](repeating: 0, count: delta.count)
            v = [Double](repeating: tau * tau, count: delta.count)
        }
        var step = [Double](repeating: 0, count: delta.count)
        for i in delta.indices {
            let d = delta[i], d2 = d * d
            m[i] = beta1 * m[i] + (1 - beta1) * d
            switch variant {
            case .adagrad: v[i] += d2
            case .adam: v[i] = beta2 * v[i] + (1 - beta2) * d2
            case .yogi: v[i] -= (1 - beta2) * d2 * (v[i] - d2 > 0 ? 1 : (v[i] - d2 < 0 ? -1 : 0))
            }
            step[i] = m[i] / (v[i].squareRoot() + tau)
        }
        return global.adding(step, scale: serverLearningRate)
    }

    /// `fedopt.m` and `fedopt.v`.
    public func exportState() -> [String: [Float]] {
        m.isEmpty ? [:] : ["fedopt.m": m.map(Float.init), "fedopt.v": v.map(Float.init)]
    }

    /// Restores `fedopt.m` and `fedopt.v`.
    public mutating func importState(_ state: [String: [Float]]) throws(FedError) {
        let s = try StrategyState.vectors(state, keys: ["fedopt.m", "fedopt.v"], algorithm: name)
        guard s.isEmpty || s.count == 2 else { throw FedError(.invalidArgument, "\(name) state needs both fedopt.m and fedopt.v") }
        m = s["fedopt.m"]?.map(Double.init) ?? []
        v = s["fedopt.v"]?.map(Double.init) ?? []
    }
}
