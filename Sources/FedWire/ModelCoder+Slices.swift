import FedCore

extension ModelCoder {
    /// Hands the float32 values of a validated message's tensors to `body`, frame by frame, without
    /// building a ``ModelState``: raw frames are read in place, other codecs are decoded one frame at a
    /// time into a frame-sized buffer. Each frame is released (replaced by an empty one in `message`)
    /// as soon as `body` has consumed it, so a caller that owns the only reference frees the upload
    /// while folding it.
    ///
    /// Everything ``decode(_:layout:)`` checks is checked *before* the first call to `body` — names,
    /// shapes, dtype, exact coverage, checksums, codec payloads and NaN/inf — so a rejected message
    /// never reaches `body` at all. Compressed frames are therefore decoded twice (check, then use).
    ///
    /// - Throws: the errors of ``decode(_:layout:)``.
    public func forEachSlice(of message: inout WireMessage, layout: ModelLayout,
                             body: (_ elementOffset: Int, _ values: UnsafeBufferPointer<Float>) -> Void) throws(FedError) {
        let headers = message.envelope.tensors
        guard headers.count == message.frames.count else {
            throw FedError(.frameCountMismatch, "\(headers.count) tensor headers but \(message.frames.count) frames")
        }
        var offsets: [Int] = []
        var covered = [[Range<Int>]](repeating: [], count: layout.tensors.count)
        var index: [String: Int] = [:]
        for (i, spec) in layout.tensors.enumerated() { index[spec.name] = i }
        for header in headers {
            guard let t = index[header.name] else {
                throw FedError(.modelMismatch, "tensor '\(header.name)' is not part of the model")
            }
            guard header.shape == layout.tensors[t].shape, header.dtype == .float32 else {
                throw FedError(.modelMismatch, "tensor '\(header.name)' is \(header.dtype)\(header.shape), the model has float32\(layout.tensors[t].shape)")
            }
            offsets.append(layout.offsets[t] + header.sliceStart)
            covered[t].append(header.sliceStart..<(header.sliceStart + header.elements))
        }
        for (t, ranges) in covered.enumerated() {
            let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
            var next = 0
            for r in sorted {
                guard r.lowerBound == next else { break }
                next = r.upperBound
            }
            guard next == layout.tensors[t].elements, sorted.reduce(0, { $0 + $1.count }) == layout.tensors[t].elements else {
                throw FedError(.modelMismatch, "tensor '\(layout.tensors[t].name)' is missing or not covered exactly once")
            }
        }
        // One frame-sized buffer for decoding non-raw (or misaligned raw) frames.
        let needsBuffer = zip(headers, message.frames).contains { header, frame in
            header.codec != .raw || frame.withUnsafeBytes { Int(bitPattern: $0.baseAddress) % MemoryLayout<Float>.alignment != 0 }
        }
        let largest = needsBuffer ? (headers.map(\.rawBytes).max() ?? 0) : 0
        let decoded = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 4), alignment: 64)
        defer { decoded.deallocate() }

        /// Runs `use` on the frame's values (decoded if need be).
        func withValues(_ i: Int, verify: Bool, _ use: (UnsafeBufferPointer<Float>) throws(FedError) -> Void) throws(FedError) {
            var header = headers[i]
            if !verify { header.crc32 = nil }
            try message.frames[i].withUnsafeBytes { (bytes) throws(FedError) in
                if header.codec == .raw, Int(bitPattern: bytes.baseAddress) % MemoryLayout<Float>.alignment == 0 {
                    if let expected = header.crc32, TensorCodec.crc32Of(bytes) != expected {
                        throw FedError(.checksumMismatch, "tensor '\(header.name)': CRC-32 differs from the header's \(expected)")
                    }
                    guard bytes.count == header.rawBytes else {
                        throw FedError(.encodedSizeMismatch, "raw frame of '\(header.name)' has \(bytes.count) bytes, expected \(header.rawBytes)")
                    }
                    try use(bytes.bindMemory(to: Float.self))
                } else {
                    let out = UnsafeMutableRawBufferPointer(rebasing: decoded[0..<header.rawBytes])
                    try TensorCodec.decode(header, frame: bytes, into: out, scratch: scratch)
                    try use(UnsafeBufferPointer(out.bindMemory(to: Float.self)))
                }
            }
        }
        for i in headers.indices {
            try withValues(i, verify: true) { (values) throws(FedError) in
                guard Kernels.allFiniteInParts(values) else { throw FedError(.nonFiniteValue, "the update holds NaN or infinite values") }
            }
        }
        let empty = Frame(buffer: SharedBuffer(copying: UnsafeRawBufferPointer(start: nil, count: 0)))
        for i in headers.indices {
            try withValues(i, verify: false) { values in body(offsets[i], values) }
            message.frames[i] = empty
        }
    }
}
