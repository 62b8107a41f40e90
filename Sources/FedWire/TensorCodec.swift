import CZlib
import FedCore

/// Reusable working memory for codecs (shuffle planes, top-k magnitudes). Not thread-safe: give each
/// thread its own, and reuse it so steady-state encoding allocates nothing but the output frame.
public final class CodecScratch {
    private var storage: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    /// Magnitudes buffer for top-k selection.
    public var magnitudes: [Float] = []

    /// Empty scratch; it grows on first use.
    public init() {}

    deinit { storage.deallocate() }

    /// A buffer of at least `count` bytes, valid until the next call.
    public func bytes(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count < count {
            storage.deallocate()
            storage = .allocate(byteCount: count, alignment: 64)
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[0..<count])
    }
}

/// How to encode a float32 tensor for the wire.
public struct TensorEncoding: Sendable, Hashable {
    /// The codec to use.
    public var codec: Codec
    /// Seed for q8/q4 rounding (change it every upload).
    public var seed: UInt64 = 0
    /// Fraction kept by top-k.
    public var fraction: Float = 0.01
    /// Attach a CRC-32 of the frame.
    public var checksum: Bool = false
    /// Mark the values as a delta against the received model.
    public var isDelta: Bool = false

    /// An encoding with the given codec and defaults for the rest.
    public init(codec: Codec, seed: UInt64 = 0, fraction: Float = 0.01, checksum: Bool = false, isDelta: Bool = false) {
        self.codec = codec
        self.seed = seed
        self.fraction = fraction
        self.checksum = checksum
        self.isDelta = isDelta
    }

    /// Parses `raw`, `lz4`, `shuffle-lz4`, `q8`, `q4` or `topk:<fraction>`.
    public init(parsing text: String) throws(FedError) {
        if text.hasPrefix("topk:") {
            guard let f = Float(text.dropFirst(5)), f > 0, f <= 1 else {
                throw FedError(.invalidArgument, "'\(text)': topk needs a fraction in (0, 1], e.g. topk:0.01")
            }
            self.init(codec: .topK, fraction: f)
            return
        }
        guard let codec = Codec.allCases.first(where: { $0.description == text && $0 != .topK }) else {
            throw FedError(.invalidArgument, "unknown codec '\(text)'; use raw, lz4, shuffle-lz4, q8, q4 or topk:<fraction>")
        }
        self.init(codec: codec)
    }
}

/// Encodes and decodes single tensor frames. Each codec writes into the frame buffer it returns or
/// into the caller's output buffer; nothing else is allocated once `scratch` has grown.
public enum TensorCodec {
    /// What an encoding into a caller's buffer produced.
    public struct Encoded: Sendable {
        /// Bytes written.
        public var bytes: Int
        /// The codec actually used (lossless codecs fall back to `raw` when they do not pay).
        public var codec: Codec
        /// q8/q4 scale.
        public var scale: Float = 0
        /// top-k entries kept.
        public var nonzero: Int = 0
    }

    /// Bytes an output buffer needs to encode `count` float32 values with `encoding`.
    public static func maxEncodedBytes(count: Int, encoding: TensorEncoding) -> Int {
        switch encoding.codec {
        case .raw: count * 4
        case .lz4, .shuffleLZ4: LZ4Chunks.maxEncodedSize(rawBytes: count * 4)
        case .q8, .q4: StochasticQuantizer.encodedBytes(count: count, codec: encoding.codec)
        case .topK: TopK.encodedBytes(kept: TopK.keptCount(count, fraction: encoding.fraction))
        }
    }

    /// Encodes float32 `values` into `output` (at least ``maxEncodedBytes(count:encoding:)`` bytes),
    /// allocating nothing once `scratch` has grown. Always uses `encoding.codec`.
    ///
    /// - Throws: `.nonFiniteValue` for NaN/inf with lossy codecs.
    public static func encode(_ values: UnsafeBufferPointer<Float>, encoding: TensorEncoding, into output: UnsafeMutableRawBufferPointer,
                              scratch: CodecScratch) throws(FedError) -> Encoded {
        let raw = UnsafeRawBufferPointer(values)
        func copyRaw() -> Encoded {
            if raw.count > 0 { output.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            return Encoded(bytes: raw.count, codec: .raw)
        }
        switch encoding.codec {
        case .raw:
            return copyRaw()
        case .lz4, .shuffleLZ4:
            let used: Int
            if encoding.codec == .lz4 {
                used = LZ4Chunks.encode(raw, into: output)
            } else {
                let planes = scratch.bytes(raw.count)
                ByteShuffle.shuffle(raw, into: planes, elementSize: 4)
                used = LZ4Chunks.encode(UnsafeRawBufferPointer(planes), into: output)
            }
            return Encoded(bytes: used, codec: encoding.codec)
        case .q8, .q4:
            let scale = try StochasticQuantizer.encode(values, codec: encoding.codec, seed: encoding.seed, into: output)
            return Encoded(bytes: StochasticQuantizer.encodedBytes(count: values.count, codec: encoding.codec), codec: encoding.codec, scale: scale)
        case .topK:
            let k = TopK.keptCount(values.count, fraction: encoding.fraction)
            try TopK.encode(values, kept: k, scratch: &scratch.magnitudes, into: output)
            return Encoded(bytes: TopK.encodedBytes(kept: k), codec: .topK, nonzero: k)
        }
    }

    /// Encodes float32 `values` (a whole tensor or the slice starting at `sliceStart`) into a new frame.
    ///
    /// Lossless codecs fall back to `raw` when they would not shrink the data: a 64 KiB sample is
    /// tried first on large tensors, so incompressible ones cost one copy, not a wasted compression.
    /// - Throws: `.nonFiniteValue` for NaN/inf with lossy codecs.
    public static func encode(name: String, shape: [Int], values: UnsafeBufferPointer<Float>, sliceStart: Int = 0,
                              encoding: TensorEncoding, scratch: CodecScratch) throws(FedError) -> (TensorHeader, Frame) {
        var chosen = encoding
        if !encoding.codec.isLossless || encoding.codec == .raw || !pays(values, encoding: encoding, scratch: scratch) {
            chosen.codec = encoding.codec.isLossless ? .raw : encoding.codec
        }
        var result = Encoded(bytes: 0, codec: chosen.codec)
        var buffer: SharedBuffer
        do {
            buffer = try SharedBuffer(count: maxEncodedBytes(count: values.count, encoding: chosen)) { (out) throws(FedError) in
                result = try encode(values, encoding: chosen, into: out, scratch: scratch)
            }
        } catch where error.code == .invalidArgument {
            // Values too small to quantize (scale below ~4e-37) travel raw.
            chosen.codec = .raw
            result = Encoded(bytes: values.count * 4, codec: .raw)
            buffer = SharedBuffer(copying: UnsafeRawBufferPointer(values))
        }
        if result.codec.isLossless, result.codec != .raw, result.bytes >= values.count * 4 {
            result = Encoded(bytes: values.count * 4, codec: .raw)
            buffer = SharedBuffer(copying: UnsafeRawBufferPointer(values))
        }
        var header = TensorHeader(name: name, shape: shape, dtype: .float32, codec: result.codec,
                                  rawBytes: values.count * 4, encodedBytes: result.bytes)
        header.isDelta = encoding.isDelta
        if sliceStart != 0 || values.count != shape.reduce(1, *) {
            header.sliceStart = sliceStart
            header.sliceElements = values.count
        }
        if result.codec == .q8 || result.codec == .q4 {
            header.scale = result.scale
            header.seed = encoding.seed
        } else if result.codec == .topK {
            header.fraction = encoding.fraction
            header.nonzero = result.nonzero
        }
        let frame = Frame(buffer: buffer, count: result.bytes)
        if encoding.checksum { header.crc32 = frame.withUnsafeBytes(crc32Of) }
        return (header, frame)
    }

    /// True when a lossless codec is likely to shrink `values`: large inputs are judged on a sample.
    private static func pays(_ values: UnsafeBufferPointer<Float>, encoding: TensorEncoding, scratch: CodecScratch) -> Bool {
        let sample = 16_384
        guard values.count > 4 * sample else { return true }
        let start = (values.count - sample) / 2
        let slice = UnsafeBufferPointer(rebasing: values[start..<(start + sample)])
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: maxEncodedBytes(count: sample, encoding: encoding), alignment: 64)
        defer { out.deallocate() }
        guard let trial = try? encode(slice, encoding: encoding, into: out, scratch: scratch) else { return false }
        return Double(trial.bytes) < 0.97 * Double(sample * 4)
    }

    /// A raw frame over float32 values already held in a shared buffer: no copy at all.
    ///
    /// `elementOffset` locates the values in `buffer`; `sliceStart` is their position inside the tensor.
    public static func rawFrame(name: String, shape: [Int], buffer: SharedBuffer, elementOffset: Int, sliceStart: Int = 0,
                                count: Int, isDelta: Bool = false) -> (TensorHeader, Frame) {
        var header = TensorHeader(name: name, shape: shape, dtype: .float32, codec: .raw, rawBytes: count * 4, encodedBytes: count * 4)
        header.isDelta = isDelta
        if sliceStart != 0 || count != shape.reduce(1, *) {
            header.sliceStart = sliceStart
            header.sliceElements = count
        }
        return (header, Frame(buffer: buffer, offset: elementOffset * 4, count: count * 4))
    }

    /// Decodes a validated frame into `output` (exactly `header.rawBytes` bytes).
    ///
    /// - Throws: `.checksumMismatch`, `.corruptPayload`, `.invalidCodecParams`.
    public static func decode(_ header: TensorHeader, frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              scratch: CodecScratch) throws(FedError) {
        precondition(output.count == header.rawBytes, "decode output must be rawBytes long")
        if let expected = header.crc32 {
            let actual = crc32Of(frame)
            guard actual == expected else {
                throw FedError(.checksumMismatch, "tensor '\(header.name)': CRC-32 \(actual) differs from the header's \(expected)")
            }
        }
        switch header.codec {
        case .raw:
            guard frame.count == output.count else { throw FedError(.encodedSizeMismatch, "raw frame of '\(header.name)' has \(frame.count) bytes, expected \(output.count)") }
            if frame.count > 0 { output.baseAddress!.copyMemory(from: frame.baseAddress!, byteCount: frame.count) }
        case .lz4:
            try LZ4Chunks.decode(frame, into: output)
        case .shuffleLZ4:
            let planes = scratch.bytes(output.count)
            try LZ4Chunks.decode(frame, into: planes)
            ByteShuffle.unshuffle(UnsafeRawBufferPointer(planes), into: output, elementSize: header.dtype.size)
        case .q8, .q4:
            try StochasticQuantizer.decode(frame, codec: header.codec, scale: header.scale, into: output.bindMemory(to: Float.self))
        case .topK:
            try TopK.decode(frame, kept: header.nonzero, into: output.bindMemory(to: Float.self))
        }
    }

    /// CRC-32 (zlib's polynomial) of `bytes`.
    public static func crc32Of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return UInt32(crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }
}
