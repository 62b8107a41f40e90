import FedCore

/// Inverted dropout (Srivastava et al., JMLR 2014): in training each value is zeroed with probability
/// `p` and the rest scaled by `1/(1−p)`; in evaluation it is the identity. The mask is drawn from a
/// SplitMix64 stream seeded at model initialization, so training is repeatable.
public struct Dropout: Layer {
    /// Always empty: Dropout has no tensors.
    public var name: String { "" }
    /// Probability of zeroing a value.
    public let probability: Float
    private var size = 0
    private var rng = SplitMix64(seed: 0)

    /// Dropout with drop probability `p` in `[0, 1)`.
    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p < 1, "dropout probability must lie in [0, 1)")
        probability = p
    }

    /// Keeps the shape; in place, with one mask value per element.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        size = inputShape.reduce(1, *)
        return LayerPlan(outputShape: inputShape, scratchPerSample: size, inPlace: true)
    }

    /// Seeds the mask stream from the model's initialization stream.
    public mutating func initialize(parameters: UnsafeMutableBufferPointer<Float>, rng: inout SplitMix64) {
        self.rng = SplitMix64(seed: rng.next())
    }

    /// Draws a mask of `0` or `1/(1−p)` and multiplies; identity in evaluation.
    public mutating func forward(_ b: LayerBuffers) {
        let mask = b.scratch.assumingMemoryBound(to: Float.self)
        let count = b.batch * size
        guard b.training else {
            mask.update(repeating: 1, count: count)
            return
        }
        let scale = 1 / (1 - probability)
        for i in 0..<count {
            let keep = SplitMix64.unitFloat(rng.next()) >= probability
            mask[i] = keep ? scale : 0
            b.output[i] = b.input[i] * mask[i]
        }
    }

    /// `dx = dy · mask`.
    public func backward(_ b: LayerBuffers) {
        guard let dx = b.inputGradient else { return }
        let mask = b.scratch.assumingMemoryBound(to: Float.self)
        for i in 0..<(b.batch * size) { dx[i] = b.outputGradient[i] * mask[i] }
    }
}
