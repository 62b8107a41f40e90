import FedCore

/// Flattens each sample to a vector (row-major, as PyTorch's `nn.Flatten`); a no-op on the data.
public struct Flatten: Layer {
    /// Always empty: Flatten has no tensors.
    public var name: String { "" }

    /// A Flatten.
    public init() {}

    /// Output shape `[product of the input shape]`, in place.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        LayerPlan(outputShape: [inputShape.reduce(1, *)], inPlace: true)
    }

    /// Nothing to do: the in-place output already holds the values.
    public func forward(_ b: LayerBuffers) {}

    /// Nothing to do: the in-place input gradient already holds the values.
    public func backward(_ b: LayerBuffers) {}
}
