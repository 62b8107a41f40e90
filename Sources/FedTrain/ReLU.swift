import FedCore

/// Rectified linear unit `max(0, x)`, applied in place (Nair & Hinton, ICML 2010).
public struct ReLU: Layer {
    /// Always empty: ReLU has no tensors.
    public var name: String { "" }
    private var size = 0

    /// A ReLU.
    public init() {}

    /// Keeps the shape; works in place.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        size = inputShape.reduce(1, *)
        return LayerPlan(outputShape: inputShape, inPlace: true)
    }

    /// `y = max(0, x)`.
    public func forward(_ b: LayerBuffers) {
        if b.output != b.input { b.output.update(from: b.input, count: b.batch * size) }
        Kernels.relu(b.output, count: b.batch * size)
    }

    /// `dx = dy · [y > 0]` (y > 0 exactly when x > 0, so the in-place output suffices).
    public func backward(_ b: LayerBuffers) {
        guard let dx = b.inputGradient else { return }
        Kernels.reluBackward(b.output, b.outputGradient, dx, count: b.batch * size)
    }
}
