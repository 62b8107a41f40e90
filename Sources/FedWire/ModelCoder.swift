import FedCore

/// Turns a ``ModelState`` into tensor headers and frames and back, slicing tensors that exceed one
/// frame. One instance per thread: it owns the codec scratch memory it reuses.
public final class ModelCoder {
    /// Codec working memory, reused across calls.
    public let scratch = CodecScratch()
    /// Most float32 elements in one frame (default 2^28, i.e. 1 GiB); larger tensors become slices.
    public var maxFrameElements: Int

    /// A coder that slices tensors above `maxFrameElements` elements.
    public init(maxFrameElements: Int = 1 << 28) {
        precondition(maxFrameElements > 0, "maxFrameElements must be positive")
        self.maxFrameElements = maxFrameElements
    }

    /// Encodes every tensor of `state`. Raw frames are views of `state.values` itself (no copy at all);
    /// q8/q4 tensors each get their own rounding stream derived from `encoding.seed`.
    public func encode(_ state: ModelState, encoding: TensorEncoding) throws(FedError) -> (headers: [TensorHeader], frames: [Frame]) {
        var headers: [TensorHeader] = []
        var frames: [Frame] = []
        let shared = encoding.codec == .raw ? SharedBuffer(viewing: state.values) : nil
        try state.values.withUnsafeBufferPointer { (all) throws(FedError) in
            for (t, spec) in state.layout.tensors.enumerated() {
                let base = state.layout.offsets[t]
                let elements = spec.elements
                var start = 0
                repeat {
                    let count = min(maxFrameElements, elements - start)
                    if let shared {
                        var (header, frame) = TensorCodec.rawFrame(name: spec.name, shape: spec.shape, buffer: shared, elementOffset: base + start,
                                                                   sliceStart: start, count: count, isDelta: encoding.isDelta)
                        if encoding.checksum { header.crc32 = frame.withUnsafeBytes(TensorCodec.crc32Of) }
                        headers.append(header)
                        frames.append(frame)
                    } else {
                        var perTensor = encoding
                        perTensor.seed = SplitMix64.mix(encoding.seed &+ UInt64(headers.count))
                        let slice = UnsafeBufferPointer(rebasing: all[(base + start)..<(base + start + count)])
                        let (header, frame) = try TensorCodec.encode(name: spec.name, shape: spec.shape, values: slice, sliceStart: start,
                                                                     encoding: perTensor, scratch: scratch)
                        headers.append(header)
                        frames.append(frame)
                    }
                    start += count
                } while start < elements
            }
        }
        return (headers, frames)
    }

    /// Decodes the tensors of a validated message into a state of `layout`.
    ///
    /// - Throws: `.modelMismatch` if names or shapes differ from the layout or a tensor is missing or
    ///   covered twice; `.nonFiniteValue` if a value is NaN or infinite; codec errors from decoding.
    public func decode(_ message: WireMessage, layout: ModelLayout) throws(FedError) -> ModelState {
        var state = ModelState(layout: layout)
        var covered = [[Range<Int>]](repeating: [], count: layout.tensors.count)
        var index: [String: Int] = [:]
        for (i, spec) in layout.tensors.enumerated() { index[spec.name] = i }
        try state.values.withUnsafeMutableBufferPointer { (all) throws(FedError) in
            for (header, frame) in zip(message.envelope.tensors, message.frames) {
                guard let t = index[header.name] else {
                    throw FedError(.modelMismatch, "tensor '\(header.name)' is not part of the model")
                }
                guard header.shape == layout.tensors[t].shape, header.dtype == .float32 else {
                    throw FedError(.modelMismatch, "tensor '\(header.name)' is \(header.dtype)\(header.shape), the model has float32\(layout.tensors[t].shape)")
                }
                let start = layout.offsets[t] + header.sliceStart
                let out = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(all)[(start * 4)..<((start + header.elements) * 4)])
                try frame.withUnsafeBytes { (bytes) throws(FedError) in
                    try TensorCodec.decode(header, frame: bytes, into: out, scratch: scratch)
                }
                covered[t].append(header.sliceStart..<(header.sliceStart + header.elements))
            }
        }
        for (t, ranges) in covered.enumerated() {
            let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
            var next = 0
            for r in sorted {
                guard r.lowerBound == next else { break }
                next = r.upperBound
            }
            guard next == layout.tensors[t].elements, sorted.count == ranges.count,
                  sorted.reduce(0, { $0 + $1.count }) == layout.tensors[t].elements else {
                throw FedError(.modelMismatch, "tensor '\(layout.tensors[t].name)' is missing or not covered exactly once")
            }
        }
        guard state.isFinite else { throw FedError(.nonFiniteValue, "the update holds NaN or infinite values") }
        return state
    }
}
