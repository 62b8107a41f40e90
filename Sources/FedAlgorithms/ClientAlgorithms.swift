import FedCore

/// The client halves of the algorithms, by the names `--algorithm` takes.
public enum ClientAlgorithms {
    /// The client algorithm for `config.algorithm`.
    ///
    /// - Throws: `.invalidArgument` for an unknown name.
    public static func make(_ config: FitConfig) throws(FedError) -> any ClientAlgorithm {
        switch config.algorithm {
        case "fedprox": FedProxClient(mu: config.proximalMu)
        case "scaffold": ScaffoldClient()
        case "feddyn": FedDynClient(alpha: config.dynAlpha)
        case "qffl": QFFLClient()
        case "fednova": FedNovaClient()
        case "ditto": DittoClient(lambda: config.dittoLambda, mu: config.proximalMu)
        case let name where StrategyRegistry.names.contains(name): PlainClient(name: name)
        default: throw FedError(.invalidArgument, "unknown algorithm '\(config.algorithm)'; available: \(StrategyRegistry.names.joined(separator: ", "))")
        }
    }
}

/// Local SGD as FedAvg's ClientUpdate (McMahan et al., AISTATS 2017, Algorithm 1), for every algorithm
/// whose novelty is on the server (FedAvgM, FedOpt, FedNova, robust aggregation). A non-zero `--mu`
/// still adds FedProx's proximal term.
public struct PlainClient: ClientAlgorithm {
    /// The algorithm's name.
    public let name: String
    /// Plain SGD on the client's data.
    public init(name: String) { self.name = name }
}

/// FedProx's client (Li et al., MLSys 2020, Algorithm 2): minimize `h_k(w; w^t) = F_k(w) + μ/2 ‖w − w^t‖²`
/// (Eq. 2) by local SGD, i.e. `g += μ (w − w^t)` at every step. μ = 0 is FedAvg's client exactly.
public struct FedProxClient: ClientAlgorithm {
    /// `fedprox`.
    public let name = "fedprox"
    /// μ.
    public let mu: Double

    /// FedProx with proximal coefficient `mu`.
    public init(mu: Double) { self.mu = mu }

    /// The proximal pull toward the received model; none when μ = 0.
    public func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)? {
        mu == 0 ? nil : ProximalObjective(center: task.global.values, mu: mu)
    }
}

/// SCAFFOLD's client (Karimireddy et al., "SCAFFOLD: Stochastic Controlled Averaging for Federated
/// Learning", ICML 2020, Algorithm 1, lines 7–13, option II):
/// `y_i ← y_i − η_l (g_i(y_i) − c_i + c)` for K steps, then `c_i⁺ = c_i − c + (x − y_i) / (K η_l)`,
/// upload `Δy_i = y_i − x` (the delta) and `Δc_i = c_i⁺ − c_i` (extra `scaffold.dc`).
/// `c` arrives as the download extra `scaffold.c`; `c_i` is kept in the client's state (`scaffold.ci`),
/// both zero until set.
public struct ScaffoldClient: ClientAlgorithm {
    /// `scaffold`.
    public let name = "scaffold"
    /// Server control variate's prefix.
    public static let serverKey = "scaffold.c"
    /// Client control variate's state key.
    public static let clientKey = "scaffold.ci"
    /// Uploaded Δc_i's prefix.
    public static let deltaKey = "scaffold.dc"

    /// SCAFFOLD's client.
    public init() {}

    /// `g ← g − c_i + c`.
    public func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)? {
        let n = task.global.values.count
        let c = task.downloaded[Self.serverKey] ?? [Float](repeating: 0, count: n)
        let ci = state[Self.clientKey] ?? [Float](repeating: 0, count: n)
        guard c.count == n, ci.count == n else { throw FedError(.modelMismatch, "SCAFFOLD control variates do not match the model") }
        return LinearCorrection(offset: (0..<n).map { c[$0] - ci[$0] })
    }

    /// Option II: `c_i⁺ = c_i − c + (x − y_i)/(K η_l)`; uploads `Δc_i`.
    public func finish(_ task: ClientTask, local: [Float], steps: Int, state: inout ClientState) -> ClientOutput {
        let x = task.global.values
        let n = x.count
        let c = task.downloaded[Self.serverKey] ?? [Float](repeating: 0, count: n)
        let ci = state[Self.clientKey] ?? [Float](repeating: 0, count: n)
        let inverse = 1 / (Double(max(steps, 1)) * task.config.learningRate)
        var updated = [Float](repeating: 0, count: n)
        var delta = [Float](repeating: 0, count: n)
        for i in 0..<n {
            updated[i] = Float(Double(ci[i]) - Double(c[i]) + (Double(x[i]) - Double(local[i])) * inverse)
            delta[i] = updated[i] - ci[i]
        }
        state[Self.clientKey] = updated
        return ClientOutput(extras: [Self.deltaKey: delta])
    }
}

/// FedDyn's client (Acar et al., "Federated Learning Based on Dynamic Regularization", ICLR 2021,
/// Algorithm 1): `θ_k^t = argmin_θ L_k(θ) − ⟨∇L_k(θ_k^{t−1}), θ⟩ + α/2 ‖θ − θ^{t−1}‖²` (Eq. 1) by local
/// SGD, i.e. `g += −∇L_k(θ_k^{t−1}) + α (θ − θ^{t−1})`; then `∇L_k(θ_k^t) = ∇L_k(θ_k^{t−1}) − α (θ_k^t − θ^{t−1})`
/// (the first-order condition), kept in the client's state as `feddyn.grad` (zero at first).
public struct FedDynClient: ClientAlgorithm {
    /// `feddyn`.
    public let name = "feddyn"
    /// State key of `∇L_k(θ_k^{t−1})`.
    public static let stateKey = "feddyn.grad"
    /// α.
    public let alpha: Double

    /// FedDyn with coefficient `alpha`.
    public init(alpha: Double) { self.alpha = alpha }

    /// The linear term and the proximal pull toward θ^{t−1}.
    public func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)? {
        let n = task.global.values.count
        let previous = state[Self.stateKey] ?? [Float](repeating: 0, count: n)
        guard previous.count == n else { throw FedError(.modelMismatch, "FedDyn client state does not match the model") }
        return LinearCorrection(offset: previous.map { -$0 }, proximal: ProximalObjective(center: task.global.values, mu: alpha))
    }

    /// Updates the stored gradient; nothing extra to upload.
    public func finish(_ task: ClientTask, local: [Float], steps: Int, state: inout ClientState) -> ClientOutput {
        let x = task.global.values
        let previous = state[Self.stateKey] ?? [Float](repeating: 0, count: x.count)
        let a = Float(alpha)
        state[Self.stateKey] = (0..<x.count).map { previous[$0] - a * (local[$0] - x[$0]) }
        return ClientOutput()
    }
}

/// q-FFL's client (Li et al., "Fair Resource Allocation in Federated Learning", ICLR 2020, Algorithm 2,
/// q-FedAvg): plain local SGD, plus `F_k(w^t)`, the loss of the received model on the client's data,
/// reported as `initial_loss` for the server's reweighting.
public struct QFFLClient: ClientAlgorithm {
    /// `qffl`.
    public let name = "qffl"
    /// Needs F_k(w^t).
    public var needsInitialLoss: Bool { true }

    /// q-FFL's client.
    public init() {}
}

/// Ditto's client (Li et al., "Ditto: Fair and Robust Federated Learning Through Personalization",
/// ICML 2021, Algorithm 1): the global model's local update is FedAvg's (FedProx's when μ > 0); besides,
/// the client keeps a personal model v_k and takes the same number of epochs of
/// `v_k ← v_k − η (∇F_k(v_k) + λ (v_k − w^t))` (Eq. 2, the gradient of `F_k(v) + λ/2 ‖v − w^t‖²`).
/// v_k starts at the first global model it sees.
public struct DittoClient: ClientAlgorithm {
    /// `ditto`.
    public let name = "ditto"
    /// State key of v_k.
    public static let personalKey = "ditto.v"
    /// λ.
    public let lambda: Double
    /// Optional FedProx μ for the global part.
    public let mu: Double

    /// Ditto with personalization strength `lambda`.
    public init(lambda: Double, mu: Double = 0) {
        self.lambda = lambda
        self.mu = mu
    }

    /// λ.
    public var personalization: Double? { lambda }

    /// FedProx's pull for the global part when μ > 0.
    public func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)? {
        mu == 0 ? nil : ProximalObjective(center: task.global.values, mu: mu)
    }
}
