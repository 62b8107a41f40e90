extension ModelState {
    /// The same tensors rearranged into `layout`, matched by name (files written by other tools, such as
    /// PyTorch's, may store a model's tensors in another order than FedSwift's layout).
    ///
    /// - Throws: `.modelMismatch` when a tensor of `layout` is missing or has another shape, or when
    ///   this state holds a tensor that `layout` does not have.
    public func arranged(as target: ModelLayout) throws(FedError) -> ModelState {
        if layout == target { return self }
        var result = ModelState(layout: target)
        for (i, spec) in target.tensors.enumerated() {
            guard let j = layout.index(of: spec.name) else {
                throw FedError(.modelMismatch, "the state has no tensor '\(spec.name)'; it has \(layout.tensors.map(\.name))")
            }
            guard layout.tensors[j].shape == spec.shape else {
                throw FedError(.modelMismatch, "tensor '\(spec.name)' has shape \(layout.tensors[j].shape), the model expects \(spec.shape)")
            }
            result.values.replaceSubrange(target.range(of: i), with: values[layout.range(of: j)])
        }
        if let extra = layout.tensors.first(where: { target.index(of: $0.name) == nil }) {
            throw FedError(.modelMismatch, "the state has tensor '\(extra.name)', which the model does not have")
        }
        return result
    }
}
