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
        let count = b.batch * size
        for i in 0..<count { b.output[i] = max(b.input[i], 0) }
    }

    /// `dx = dy · [y > 0]` (y > 0 exactly when x > 0, so the in-place output suffices).
    public func backward(_ b: LayerBuffers) {
        guard let dx = b.inputGradient else { return }
        let count = b.batch * size
        for i in 0..<count { dx[i] = b.output[i] > 0 ? b.outputGradient[i] : 0 }
    }
}
