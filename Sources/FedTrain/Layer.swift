import FedCore

/// What a layer needs once its input shape is known: its output shape, its tensors and its scratch.
public struct LayerPlan: Sendable, Equatable {
    /// Shape of one output sample (batch dimension excluded).
    public var outputShape: [Int]
    /// The layer's tensors with local names (`weight`, `bias`), in the order they sit in the flat buffer.
    public var parameters: [TensorSpec]
    /// Scratch values (4 bytes each) the layer needs per sample of a batch (masks, pooling indices).
    public var scratchPerSample: Int
    /// Scratch values (4 bytes each) the layer needs regardless of the batch size (im2col columns).
    public var scratchFixed: Int
    /// True when the output overwrites the input (and the input gradient the output gradient).
    public var inPlace: Bool

    /// A plan; scratch defaults to none and the layer writes a separate output.
    public init(outputShape: [Int], parameters: [TensorSpec] = [], scratchPerSample: Int = 0,
                scratchFixed: Int = 0, inPlace: Bool = false) {
        self.outputShape = outputShape
        self.parameters = parameters
        self.scratchPerSample = scratchPerSample
        self.scratchFixed = scratchFixed
        self.inPlace = inPlace
    }
}

/// The buffers one layer works on during one forward or backward pass over a batch.
///
/// All pointers are owned by the ``Sequential`` model and valid only during the call. Activations are
/// laid out sample after sample (`[batch, ...shape]`, row-major, NCHW for images).
public struct LayerBuffers {
    /// Number of samples in the batch.
    public let batch: Int
    /// Input activations `[batch, ...inputShape]`.
    public let input: UnsafeMutablePointer<Float>
    /// Output activations `[batch, ...outputShape]` (equals `input` for in-place layers).
    public let output: UnsafeMutablePointer<Float>
    /// Gradient of the loss with respect to the output (backward only).
    public let outputGradient: UnsafeMutablePointer<Float>
    /// Where to write the gradient with respect to the input; nil when nobody needs it.
    public let inputGradient: UnsafeMutablePointer<Float>?
    /// The layer's parameters, in the order of its plan.
    public let parameters: UnsafeMutablePointer<Float>
    /// The layer's parameter gradients, same layout; backward overwrites them.
    public let gradients: UnsafeMutablePointer<Float>
    /// Scratch of the size the plan asked for, kept between forward and backward of one step.
    public let scratch: UnsafeMutableRawPointer
    /// True while training (dropout active), false in evaluation.
    public let training: Bool
}

/// One stage of a ``Sequential`` model: a value describing the layer plus the math of its passes.
///
/// A layer is bound to an input shape once by ``plan(inputShape:)``; afterwards `forward` and
/// `backward` run over batches of that shape. `backward` overwrites (does not accumulate) the layer's
/// parameter gradients and, when asked, writes the input gradient.
public protocol Layer: Sendable {
    /// Prefix of the layer's tensor names (`fc1` gives `fc1.weight`); empty for parameter-free layers.
    var name: String { get }
    /// Checks the input shape and fixes the output shape, tensors and scratch needs.
    mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan
    /// Fills the layer's parameters (PyTorch defaults for built-in layers) from `rng`.
    mutating func initialize(parameters: UnsafeMutableBufferPointer<Float>, rng: inout SplitMix64)
    /// Computes `output` from `input`.
    mutating func forward(_ buffers: LayerBuffers)
    /// Computes parameter gradients and, if `inputGradient` is set, the input gradient.
    func backward(_ buffers: LayerBuffers)
}

extension Layer {
    /// Parameter-free layers have nothing to initialize.
    public mutating func initialize(parameters: UnsafeMutableBufferPointer<Float>, rng: inout SplitMix64) {}
}
