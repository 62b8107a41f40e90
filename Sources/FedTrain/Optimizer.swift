import FedCore

/// An optimizer's internal state (step count and per-parameter buffers), exportable so federated
/// algorithms can keep, send or reset it between rounds. Buffer names follow PyTorch
/// (`momentum_buffer`, `exp_avg`, `exp_avg_sq`); an absent buffer means "not created yet".
public struct OptimizerState: Sendable, Equatable {
    /// Which optimizer wrote the state (`sgd`, `adam`).
    public var kind: String
    /// Number of steps taken.
    public var steps: Int
    /// Per-parameter buffers in the model's flat layout.
    public var buffers: [String: [Float]]

    /// A state of optimizer `kind`.
    public init(kind: String, steps: Int = 0, buffers: [String: [Float]] = [:]) {
        self.kind = kind
        self.steps = steps
        self.buffers = buffers
    }
}

/// Updates a flat parameter buffer from a flat gradient buffer of the same layout.
public protocol Optimizer {
    /// Step size; may be changed between steps (schedules, per-round settings).
    var learningRate: Float { get set }
    /// Applies one update in place.
    mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>)
    /// A copy of the internal state.
    func exportState() -> OptimizerState
    /// Replaces the internal state; throws if it belongs to another optimizer kind.
    mutating func importState(_ state: OptimizerState) throws(FedError)
    /// Forgets all state, as a freshly made optimizer.
    mutating func reset()
}

extension Optimizer {
    /// Applies one update to `model` from the gradients of its last backward pass.
    public mutating func step(_ model: Sequential) {
        model.withParametersAndGradients { p, g in step(parameters: p, gradients: UnsafeBufferPointer(g)) }
    }
}

extension OptimizerState {
    /// Checks `kind` and that every buffer is empty or `count` long.
    func validated(kind expected: String, names: [String]) throws(FedError) -> OptimizerState {
        guard kind == expected else {
            throw FedError(.invalidArgument, "optimizer state of kind '\(kind)' given to '\(expected)'")
        }
        let lengths = Set(names.compactMap { buffers[$0]?.count })
        guard lengths.count <= 1, steps >= 0 else {
            throw FedError(.shapeSizeMismatch, "\(expected) state buffers disagree in length: \(lengths.sorted())")
        }
        return self
    }
}
