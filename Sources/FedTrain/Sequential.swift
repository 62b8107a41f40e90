import FedCore

/// A model made of layers applied one after the other, owning ONE flat parameter buffer and ONE flat
/// gradient buffer in ``ModelLayout`` order, plus every activation and scratch buffer it needs.
///
/// Buffers grow to the largest batch seen and are then reused, so a training step allocates nothing.
/// An instance is not thread-safe and shares no mutable memory with any other instance: give each
/// worker thread its own model (build it there, or transfer it with `sending`).
public final class Sequential {
    /// Shape of one input sample, e.g. `[1, 28, 28]` or `[60]`.
    public let inputShape: [Int]
    /// Shape of one output sample (the logits), e.g. `[10]`.
    public let outputShape: [Int]
    /// Names, shapes and offsets of the parameters (`fc1.weight`, `fc1.bias`, ...).
    public let layout: ModelLayout
    var layers: [any Layer]
    let plans: [LayerPlan]
    let parameterOffsets: [Int]
    let parameterCounts: [Int]
    let sampleSizes: [Int]
    let needsInputGradient: [Bool]
    let parameters: UnsafeMutableBufferPointer<Float>
    let gradients: UnsafeMutableBufferPointer<Float>
    var arena: Arena

    /// Binds `layers` to `inputShape` and initializes every parameter from `SplitMix64(seed: seed)`,
    /// layer by layer in order (PyTorch's default scheme for built-in layers).
    public init(inputShape: [Int], layers: [any Layer], seed: UInt64) throws(FedError) {
        guard !layers.isEmpty else { throw FedError(.invalidArgument, "a Sequential model needs at least one layer") }
        var bound = layers
        var plans: [LayerPlan] = []
        var specs: [TensorSpec] = []
        var offsets: [Int] = [], counts: [Int] = []
        var shape = inputShape
        var sizes = [inputShape.reduce(1, *)]
        var total = 0
        for i in bound.indices {
            let plan = try bound[i].plan(inputShape: shape)
            let count = plan.parameters.reduce(0) { $0 + $1.elements }
            if count > 0 && bound[i].name.isEmpty {
                throw FedError(.invalidName, "layer \(i) (\(type(of: bound[i]))) has parameters but no name")
            }
            specs += plan.parameters.map { TensorSpec(name: "\(bound[i].name).\($0.name)", shape: $0.shape) }
            offsets.append(total)
            counts.append(count)
            total += count
            shape = plan.outputShape
            sizes.append(shape.reduce(1, *))
            plans.append(plan)
        }
        self.layout = try ModelLayout(specs)
        self.inputShape = inputShape
        self.outputShape = shape
        self.plans = plans
        self.parameterOffsets = offsets
        self.parameterCounts = counts
        self.sampleSizes = sizes
        var seenParameters = false
        var needs: [Bool] = []
        for count in counts {
            needs.append(seenParameters)
            seenParameters = seenParameters || count > 0
        }
        self.needsInputGradient = needs
        self.parameters = .allocate(capacity: max(total, 1))
        self.gradients = .allocate(capacity: max(total, 1))
        parameters.initialize(repeating: 0)
        gradients.initialize(repeating: 0)
        self.arena = Arena(plans: plans, sampleSizes: sizes)
        var rng = SplitMix64(seed: seed)
        for i in bound.indices {
            let range = offsets[i]..<(offsets[i] + counts[i])
            bound[i].initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[range]), rng: &rng)
        }
        self.layers = bound
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
        arena.deallocate()
    }

    /// Number of parameters.
    public var parameterCount: Int { layout.totalElements }
    /// Number of classes (values per output sample).
    public var classes: Int { sampleSizes[sampleSizes.count - 1] }
    /// Values per input sample.
    public var inputSize: Int { sampleSizes[0] }

    /// A copy of the parameters as named tensors (one memcpy).
    public var state: ModelState { copy(parameters) }

    /// A copy of the gradients of the last backward pass, in the same layout.
    public var gradientState: ModelState { copy(gradients) }

    private func copy(_ buffer: UnsafeMutableBufferPointer<Float>) -> ModelState {
        var state = ModelState(layout: layout)
        state.values.withUnsafeMutableBufferPointer { dst in
            _ = dst.update(fromContentsOf: UnsafeMutableBufferPointer(rebasing: buffer[0..<dst.count]))
        }
        return state
    }

    /// Overwrites the parameters with `state` (one memcpy); its layout must equal ``layout``.
    public func load(_ state: ModelState) throws(FedError) {
        guard state.layout == layout else {
            throw FedError(.modelMismatch, "state has tensors \(state.layout.tensors), model has \(layout.tensors)")
        }
        state.values.withUnsafeBufferPointer { src in
            _ = UnsafeMutableBufferPointer(rebasing: parameters[0..<src.count]).update(fromContentsOf: src)
        }
    }

    /// Gives `body` the flat parameter buffer to read or write in place; the pointer must not escape.
    public func withParameters<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableBufferPointer(rebasing: parameters[0..<layout.totalElements]))
    }

    /// Gives `body` the flat gradient buffer (same layout); the pointer must not escape.
    public func withGradients<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableBufferPointer(rebasing: gradients[0..<layout.totalElements]))
    }

    /// Gives `body` the parameters and the gradients together, as optimizers need them.
    public func withParametersAndGradients<R>(
        _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(rebasing: parameters[0..<layout.totalElements]),
                 UnsafeMutableBufferPointer(rebasing: gradients[0..<layout.totalElements]))
    }
}
