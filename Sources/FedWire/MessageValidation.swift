import FedCore

extension WireMessage {
    /// Decodes and validates a received multipart message (`[envelope, tensor_0, ...]`, no topic frame).
    ///
    /// Every check runs before any caller sees the message, and each failure has its own code:
    /// `.missingEnvelope`, `.messageTooLarge`, `.malformedEnvelope`, `.unknownKind`, `.unknownDType`,
    /// `.unknownCodec`, `.unsupportedVersion`, `.tooManyTensors`, `.frameCountMismatch`, `.invalidName`,
    /// `.invalidShape`, `.invalidSlice`, `.shapeSizeMismatch`, `.encodedSizeMismatch`,
    /// `.invalidCodecParams`, `.duplicateTensor`, `.nonFiniteValue` (a NaN or infinite metric or config
    /// number). Payload checks (`.checksumMismatch`, `.corruptPayload`,
    /// `.nonFiniteValue`) happen when a tensor is decoded.
    public init(parts: [Frame], limits: WireLimits = WireLimits()) throws(FedError) {
        guard let first = parts.first else { throw FedError(.missingEnvelope, "empty message: the envelope frame is missing") }
        guard first.count <= limits.maxEnvelopeBytes else {
            throw FedError(.messageTooLarge, "envelope of \(first.count) bytes exceeds the \(limits.maxEnvelopeBytes)-byte limit")
        }
        let envelope = try first.withUnsafeBytes { (raw) throws(FedError) in try Envelope(decoding: raw) }
        let frames = Array(parts.dropFirst())
        try Self.validate(envelope, frames: frames, limits: limits)
        self.init(envelope: envelope, frames: frames)
    }

    /// The multipart frames to send: the packed envelope, then the tensor frames.
    public func parts() -> [Frame] {
        [Frame(copying: envelope.encoded())] + frames
    }

    /// Checks an envelope against its frames and the limits; see ``init(parts:limits:)``.
    public static func validate(_ envelope: Envelope, frames: [Frame], limits: WireLimits) throws(FedError) {
        guard envelope.version == wireProtocolVersion else {
            throw FedError(.unsupportedVersion, "peer speaks protocol v\(envelope.version); this node speaks v\(wireProtocolVersion) only — upgrade the older side")
        }
        guard envelope.tensors.count <= limits.maxTensors else {
            throw FedError(.tooManyTensors, "\(envelope.tensors.count) tensors exceed the limit of \(limits.maxTensors)")
        }
        guard envelope.clientIDs.count <= limits.maxClientIDs else {
            throw FedError(.messageTooLarge, "\(envelope.clientIDs.count) client ids exceed the limit of \(limits.maxClientIDs)")
        }
        // Found by Fuzz/: a NaN number in config or metrics passed validation and reached results and losses.
        for (key, value) in envelope.metrics where !value.isFinite {
            throw FedError(.nonFiniteValue, "metric '\(key.prefix(40))' is \(value)")
        }
        for (key, value) in envelope.config {
            if case .double(let number) = value, !number.isFinite {
                throw FedError(.nonFiniteValue, "config '\(key.prefix(40))' is \(number)")
            }
        }
        guard frames.count == envelope.tensors.count else {
            throw FedError(.frameCountMismatch, "envelope describes \(envelope.tensors.count) tensors but \(frames.count) frames follow")
        }
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= limits.maxMessageBytes else {
            throw FedError(.messageTooLarge, "message of \(total) bytes exceeds the \(limits.maxMessageBytes)-byte limit")
        }
        var seen = Set<SliceKey>()
        var shapes: [String: [Int]] = [:]
        for (header, frame) in zip(envelope.tensors, frames) {
            try validate(header, frameBytes: frame.count, limits: limits)
            guard seen.insert(SliceKey(name: header.name, start: header.sliceStart)).inserted else {
                throw FedError(.duplicateTensor, "tensor '\(header.name)' (slice at \(header.sliceStart)) appears twice")
            }
            if let shape = shapes[header.name], shape != header.shape {
                throw FedError(.invalidSlice, "slices of '\(header.name)' disagree on its shape: \(shape) vs \(header.shape)")
            }
            shapes[header.name] = header.shape
        }
    }

    private struct SliceKey: Hashable {
        let name: String
        let start: Int
    }

    private static func validate(_ h: TensorHeader, frameBytes: Int, limits: WireLimits) throws(FedError) {
        guard !h.name.isEmpty, h.name.utf8.count <= limits.maxNameBytes,
              h.name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw FedError(.invalidName, "tensor name '\(h.name.prefix(40))' is empty, longer than \(limits.maxNameBytes) bytes or has control characters")
        }
        guard h.shape.count <= limits.maxDimensions else {
            throw FedError(.invalidShape, "tensor '\(h.name)' has \(h.shape.count) dimensions; at most \(limits.maxDimensions)")
        }
        var elements = 1
        for dim in h.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= limits.maxElements else {
                throw FedError(.invalidShape, "tensor '\(h.name)' shape \(h.shape) exceeds \(limits.maxElements) elements")
            }
            elements = product
        }
        let (sliceEnd, overflow) = h.sliceStart.addingReportingOverflow(h.elements)
        guard !overflow, sliceEnd <= elements, h.sliceElements > 0 || h.sliceStart == 0 else {
            throw FedError(.invalidSlice, "tensor '\(h.name)' slice [\(h.sliceStart), +\(h.sliceElements)) lies outside its \(elements) elements")
        }
        guard h.rawBytes == h.elements * h.dtype.size else {
            throw FedError(.shapeSizeMismatch, "tensor '\(h.name)': \(h.elements) \(h.dtype) values need \(h.elements * h.dtype.size) bytes, header says \(h.rawBytes)")
        }
        guard frameBytes <= limits.maxFrameBytes else {
            throw FedError(.messageTooLarge, "tensor '\(h.name)' frame of \(frameBytes) bytes exceeds the \(limits.maxFrameBytes)-byte limit; send it as slices")
        }
        guard frameBytes == h.encodedBytes else {
            throw FedError(.encodedSizeMismatch, "tensor '\(h.name)': header says \(h.encodedBytes) encoded bytes, the frame has \(frameBytes)")
        }
        try validateCodecParams(h)
    }

    private static func validateCodecParams(_ h: TensorHeader) throws(FedError) {
        func fail(_ why: String) -> FedError { FedError(.invalidCodecParams, "tensor '\(h.name)' (\(h.codec)): \(why)") }
        if !h.codec.isLossless, h.dtype != .float32 { throw fail("lossy codecs apply to float32 only, not \(h.dtype)") }
        switch h.codec {
        case .raw:
            guard h.encodedBytes == h.rawBytes else { throw fail("raw frames hold exactly \(h.rawBytes) bytes, not \(h.encodedBytes)") }
        case .lz4, .shuffleLZ4:
            guard h.encodedBytes <= LZ4Chunks.maxEncodedSize(rawBytes: h.rawBytes), h.rawBytes == 0 || h.encodedBytes >= 5 else {
                throw fail("\(h.encodedBytes) encoded bytes cannot hold \(h.rawBytes) raw bytes")
            }
            if h.codec == .shuffleLZ4, h.rawBytes % h.dtype.size != 0 { throw fail("shuffle needs whole elements") }
        case .q8, .q4:
            guard h.scale.isFinite, h.scale >= 0 else { throw fail("scale \(h.scale) is not a finite non-negative number") }
            let expected = StochasticQuantizer.encodedBytes(count: h.elements, codec: h.codec)
            guard h.encodedBytes == expected else { throw fail("\(h.elements) values take \(expected) bytes, header says \(h.encodedBytes)") }
        case .topK:
            guard h.fraction > 0, h.fraction <= 1 else { throw fail("fraction \(h.fraction) is outside (0, 1]") }
            guard h.nonzero <= h.elements, h.elements <= Int(UInt32.max) else { throw fail("\(h.nonzero) entries of \(h.elements) cannot be indexed") }
            guard h.encodedBytes == TopK.encodedBytes(kept: h.nonzero) else {
                throw fail("\(h.nonzero) entries take \(TopK.encodedBytes(kept: h.nonzero)) bytes, header says \(h.encodedBytes)")
            }
        }
    }
}
