/// Name and shape of one tensor of a model.
public struct TensorSpec: Sendable, Hashable, CustomStringConvertible {
    /// Stable name, e.g. `fc1.weight`.
    public let name: String
    /// Dimensions, outermost first.
    public let shape: [Int]

    /// A tensor called `name` with dimensions `shape`.
    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elements: Int { shape.reduce(1, *) }

    /// `name[d0x d1...]`.
    public var description: String { "\(name)\(shape)" }
}

/// The ordered tensors of a model and where each one lives in the flat parameter buffer.
public struct ModelLayout: Sendable, Hashable {
    /// Tensors in their stable order.
    public let tensors: [TensorSpec]
    /// Element offset of each tensor inside the flat buffer.
    public let offsets: [Int]
    /// Total number of parameters.
    public let totalElements: Int

    /// Lays `tensors` out back to back, in the order given. Names must be unique.
    public init(_ tensors: [TensorSpec]) throws(FedError) {
        var seen = Set<String>()
        var offsets: [Int] = []
        var total = 0
        for spec in tensors {
            guard !spec.name.isEmpty else { throw FedError(.invalidName, "a tensor has an empty name") }
            guard seen.insert(spec.name).inserted else { throw FedError(.duplicateTensor, "tensor '\(spec.name)' appears twice") }
            guard spec.shape.allSatisfy({ $0 >= 0 }) else { throw FedError(.invalidShape, "tensor \(spec) has a negative dimension") }
            offsets.append(total)
            total += spec.elements
        }
        self.tensors = tensors
        self.offsets = offsets
        self.totalElements = total
    }

    /// Index of the tensor called `name`, if any.
    public func index(of name: String) -> Int? { tensors.firstIndex { $0.name == name } }

    /// Element range of tensor `i` inside the flat buffer.
    public func range(of i: Int) -> Range<Int> { offsets[i]..<(offsets[i] + tensors[i].elements) }
}

/// A model's parameters: named float32 tensors stored back to back in one flat buffer, so the
/// wire sends them without conversion and aggregation is one loop over one buffer.
public struct ModelState: Sendable, Equatable {
    /// Names, shapes and offsets.
    public let layout: ModelLayout
    /// All parameters, in layout order.
    public var values: [Float]

    /// A state of `layout` filled with `value`.
    public init(layout: ModelLayout, repeating value: Float = 0) {
        self.layout = layout
        self.values = [Float](repeating: value, count: layout.totalElements)
    }

    /// A state of `layout` holding `values`; the count must match.
    public init(layout: ModelLayout, values: [Float]) throws(FedError) {
        guard values.count == layout.totalElements else {
            throw FedError(.shapeSizeMismatch, "layout holds \(layout.totalElements) parameters, got \(values.count)")
        }
        self.layout = layout
        self.values = values
    }

    /// The values of tensor `name`, or nil if the model has no such tensor.
    public func tensor(_ name: String) -> ArraySlice<Float>? {
        layout.index(of: name).map { values[layout.range(of: $0)] }
    }

    /// True when no parameter is NaN or infinite.
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}
