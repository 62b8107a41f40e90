import FedCore

/// A modification of the local objective, applied at every local SGD step: after the backward pass
/// and before the optimizer, `adjust` may add terms to the gradient (a proximal pull, a control-variate
/// correction, a linear term). One instance serves one client's training in one round, on one thread.
public protocol LocalObjective {
    /// Adds the algorithm's gradient terms to `gradients` at the current `parameters` (same flat layout).
    mutating func adjust(parameters: UnsafeBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>)
}

/// Per-virtual-client state a client algorithm keeps between rounds where the client is trained
/// (SCAFFOLD's c_i, FedDyn's ∇L_k(θ_k^{t−1}), Ditto's v_k), by name, each a model-sized vector.
public typealias ClientState = [String: [Float]]

/// What one client's local training in one round starts from.
public struct ClientTask: Sendable {
    /// Virtual client id.
    public var client: Int
    /// Round (or async task) number.
    public var round: Int
    /// The model received from the server.
    public var global: ModelState
    /// Extra vectors the server sent with the model (``Strategy/downloadExtras(global:)``).
    public var downloaded: [String: [Float]]
    /// This round's training settings.
    public var config: FitConfig

    /// A task.
    public init(client: Int, round: Int, global: ModelState, downloaded: [String: [Float]] = [:], config: FitConfig) {
        self.client = client
        self.round = round
        self.global = global
        self.downloaded = downloaded
        self.config = config
    }
}

/// What a client algorithm adds to a client's upload after local training.
public struct ClientOutput: Sendable {
    /// Extra model-sized vectors to upload, by prefix.
    public var extras: [String: [Float]] = [:]
    /// Scalars to report.
    public var metrics: [String: Double] = [:]

    /// Nothing extra.
    public init(extras: [String: [Float]] = [:], metrics: [String: Double] = [:]) {
        self.extras = extras
        self.metrics = metrics
    }
}

/// The client half of a federated algorithm: what local training does besides plain SGD, and what
/// extra state it keeps, downloads and uploads. The trainer (``SerialTrainer`` in FedRuntime) calls it
/// the same way in `simulate` and in a federation's client process, so both run the same algorithm:
///
/// 1. `objective(for:state:)` before local training; its ``LocalObjective`` runs before every step;
/// 2. local SGD on the client's data from the received model, K steps;
/// 3. `finish(_:local:steps:state:)` with the trained parameters: updates the stored ``ClientState`` and
///    returns extras and metrics for the upload;
/// 4. when ``personalization`` is set (Ditto), the trainer also trains the client's personal model from
///    its stored state `personal` with a proximal pull of that strength toward the received model, keeps
///    it, and reports its accuracy on the client's test samples as `personal_accuracy`.
///
/// The trainer itself always reports `steps` (K) and, when ``needsInitialLoss``, `initial_loss`: the
/// loss of the received model on the client's training data, before training.
public protocol ClientAlgorithm: Sendable {
    /// The server algorithm this belongs to.
    var name: String { get }
    /// True when the trainer must evaluate the received model on the client's data first (q-FFL).
    var needsInitialLoss: Bool { get }
    /// Ditto's λ: train and keep a personal model with this proximal strength; nil for none.
    var personalization: Double? { get }
    /// The gradient modification for this client's training, or nil for plain SGD.
    func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)?
    /// After local training to `local` in `steps` SGD steps: updates `state`, returns what to upload.
    func finish(_ task: ClientTask, local: [Float], steps: Int, state: inout ClientState) -> ClientOutput
}

extension ClientAlgorithm {
    /// Default: no initial evaluation.
    public var needsInitialLoss: Bool { false }
    /// Default: no personal model.
    public var personalization: Double? { nil }
    /// Default: plain SGD.
    public func objective(for task: ClientTask, state: ClientState) throws(FedError) -> (any LocalObjective)? { nil }
    /// Default: nothing extra.
    public func finish(_ task: ClientTask, local: [Float], steps: Int, state: inout ClientState) -> ClientOutput { ClientOutput() }
}

/// The proximal term `μ/2 ‖w − w_c‖²` added to the local objective, i.e. `g ← g + μ (w − w_c)`
/// (FedProx: Li et al., "Federated Optimization in Heterogeneous Networks", MLSys 2020, Eq. (2),
/// `h_k(w; w^t) = F_k(w) + μ/2 ‖w − w^t‖²`; also Ditto's personal objective, Li et al., ICML 2021, Eq. (2)).
public struct ProximalObjective: LocalObjective {
    /// The center `w_c` (FedProx: the received global model).
    public let center: [Float]
    /// μ.
    public let mu: Float

    /// A proximal pull of strength `mu` toward `center`.
    public init(center: [Float], mu: Double) {
        self.center = center
        self.mu = Float(mu)
    }

    /// `g += μ (w − w_c)`.
    public mutating func adjust(parameters: UnsafeBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>) {
        let mu = self.mu
        center.withUnsafeBufferPointer { c in
            for i in gradients.indices { gradients[i] += mu * (parameters[i] - c[i]) }
        }
    }
}

/// A constant added to every gradient: `g ← g + b` (SCAFFOLD's `−c_i + c`, FedDyn's `−∇L_k(θ_k^{t−1})`),
/// optionally with a proximal pull (FedDyn's `α (θ − θ^{t−1})`).
public struct LinearCorrection: LocalObjective {
    /// The constant b.
    public let offset: [Float]
    /// Optional proximal pull.
    public var proximal: ProximalObjective?

    /// `g ← g + offset (+ μ (w − w_c))`.
    public init(offset: [Float], proximal: ProximalObjective? = nil) {
        self.offset = offset
        self.proximal = proximal
    }

    /// Adds the offset, then the proximal term.
    public mutating func adjust(parameters: UnsafeBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>) {
        offset.withUnsafeBufferPointer { b in
            for i in gradients.indices { gradients[i] += b[i] }
        }
        proximal?.adjust(parameters: parameters, gradients: gradients)
    }
}
