// libFuzzer harness over FedWire's receive path: envelope unpacking, message validation, per-tensor
// decoding and ModelCoder's decode into a layout — everything a peer's bytes reach before a node acts.
//
// Input format (the golden fixtures' own framing, so Proto/fixtures/*.bin are seeds as they are):
// repeated [UInt32 little-endian length][bytes]; a truncated last frame keeps the bytes that are there.
// Built by Fuzz/build.sh with -sanitize=fuzzer,address; not part of the SwiftPM package.
import FedCore
import FedWire

/// Decoded tensors larger than this are skipped: the harness, not FedWire, allocates their output
/// (a node decodes into its own model layout, validated against the header first).
let maxDecodeBytes = 1 << 24

/// Splits the input into frames.
func frames(_ data: UnsafeRawBufferPointer) -> [Frame] {
    var parts: [Frame] = []
    var i = 0
    while i + 4 <= data.count && parts.count < 64 {
        let n = Int(data.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)
        let end = min(data.count, i + 4 + n)
        parts.append(Frame(copying: Array(data[(i + 4)..<end])))
        i = end
    }
    return parts
}

/// One input through every decoding stage; errors are expected, crashes and sanitizer reports are bugs.
func exercise(_ data: UnsafeRawBufferPointer) {
    let parts = frames(data)
    guard let first = parts.first else { return }
    _ = try? first.withUnsafeBytes { (raw) throws(FedError) in try Envelope(decoding: raw) }
    guard let message = try? WireMessage(parts: parts) else { return }
    // Round trip: what we accepted must re-encode to bytes that decode and re-encode identically
    // (bytes, not ==: an unused header field may legally hold a NaN, which never equals itself).
    let encoded = message.envelope.encoded()
    let again = try? Envelope(decoding: encoded)
    precondition(again?.encoded() == encoded, "accepted envelope does not survive a re-encode")
    let scratch = CodecScratch()
    var specs: [TensorSpec] = []
    var names = Set<String>()
    for (header, frame) in zip(message.envelope.tensors, message.frames) where header.rawBytes <= maxDecodeBytes {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: header.rawBytes, alignment: 16)
        defer { output.deallocate() }
        _ = try? frame.withUnsafeBytes { (bytes) throws(FedError) in
            try TensorCodec.decode(header, frame: bytes, into: output, scratch: scratch)
        }
        if header.dtype == .float32, names.insert(header.name).inserted { specs.append(TensorSpec(name: header.name, shape: header.shape)) }
    }
    let elements = specs.reduce(0) { $0 + $1.shape.reduce(1, *) }
    guard elements * 4 <= maxDecodeBytes, let layout = try? ModelLayout(specs) else { return }
    _ = try? ModelCoder().decode(message, layout: layout)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    exercise(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
