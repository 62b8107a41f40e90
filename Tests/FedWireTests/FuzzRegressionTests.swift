import FedCore
import Testing
@testable import FedWire

/// Inputs the libFuzzer harness (Fuzz/) found; each must now be refused with a typed error.
/// The same bytes are in Fuzz/regressions/ and seed every fuzzing run.
struct FuzzRegressionTests {
    /// The harness's framing (Fuzz/FuzzWire.swift): [UInt32 LE length][bytes]..., a short last frame kept.
    static func frames(_ input: [UInt8]) -> [Frame] {
        var parts: [Frame] = []
        var i = 0
        while i + 4 <= input.count {
            let n = Int(input[i]) | Int(input[i + 1]) << 8 | Int(input[i + 2]) << 16 | Int(input[i + 3]) << 24
            let end = min(input.count, i + 4 + n)
            parts.append(Frame(copying: Array(input[(i + 4)..<end])))
            i = end
        }
        return parts
    }

    /// nan-config-double.bin: a FIT envelope whose config "lr" is a NaN double. It used to pass
    /// validation (NaN then flowed into training settings or, as a metric, into losses and results).
    static let nanConfigDouble: [UInt8] = [
        0x48, 0x00, 0x00, 0x00, 0x08, 0x01, 0x10, 0x03, 0x1A, 0x06, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72,
        0x22, 0x06, 0x73, 0x2D, 0x30, 0x30, 0x30, 0x31, 0x28, 0x03, 0x30, 0x11, 0x3A, 0x02, 0x02, 0x04,
        0x42, 0x0B, 0x0A, 0x05, 0x62, 0x61, 0x74, 0x63, 0x68, 0x12, 0x02, 0x10, 0x20, 0x42, 0x0C, 0x0A,
        0x06, 0x65, 0x70, 0x6F, 0x63, 0x68, 0x73, 0x12, 0x02, 0x10, 0x02, 0x42, 0x0F, 0x0A, 0x02, 0x6C,
        0x72, 0x12, 0x09, 0x09, 0x9A, 0x99, 0x99, 0x5E, 0x99, 0x99, 0xFF, 0xFF
    ]

    @Test func nanConfigNumberIsRefused() {
        let parts = Self.frames(Self.nanConfigDouble)
        #expect(throws: FedError.self) { try WireMessage(parts: parts) }
        do { _ = try WireMessage(parts: parts) } catch { #expect(error.code == .nonFiniteValue) }
    }

    /// empty-quantized-tensor.bin: a valid message with a q4/q8 tensor of zero elements (an empty frame). Decoding
    /// it force-unwrapped the empty frame's nil base address and crashed the process.
    static let emptyQuantizedTensor: [UInt8] = [
        0x2E, 0x00, 0x00, 0x00, 0x08, 0x01, 0x10, 0x05, 0x1A, 0x06, 0x73, 0x65, 0x2C, 0x00, 0x65, 0x72,
        0x22, 0x06, 0x73, 0x2D, 0x30, 0x30, 0x30, 0x30, 0x28, 0x03, 0x30, 0x12, 0x3A, 0x03, 0x00, 0x01,
        0x02, 0x62, 0x0F, 0x0A, 0x01, 0x2C, 0x12, 0x02, 0x80, 0x00, 0x18, 0x01, 0x10, 0x28, 0x20, 0x05,
        0x10, 0x10, 0x00, 0x00, 0x01, 0x10
    ]

    @Test func zeroElementQuantizedTensorDecodesWithoutCrashing() throws {
        let message = try WireMessage(parts: Self.frames(Self.emptyQuantizedTensor))
        let header = try #require(message.envelope.tensors.first)
        #expect([Codec.q8, .q4].contains(header.codec) && header.elements == 0)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)
        defer { output.deallocate() }
        try message.frames[0].withUnsafeBytes { (bytes) throws(FedError) in
            try TensorCodec.decode(header, frame: bytes, into: output, scratch: CodecScratch())
        }
    }

    @Test func nanMetricIsRefused() {
        var envelope = Envelope(kind: .fitResult)
        envelope.metrics = ["loss": .nan]
        do { _ = try WireMessage(parts: [Frame(copying: envelope.encoded())]); Issue.record("accepted a NaN metric") } catch {
            #expect(error.code == .nonFiniteValue)
        }
    }
}
