import FedCore
import Testing
@testable import FedWire

/// A valid message with one raw float32 tensor, to break one field at a time.
private func validParts(mutate: (inout Envelope, inout [Frame]) -> Void = { _, _ in }) -> [Frame] {
    var envelope = Envelope(kind: .fitResult)
    envelope.sender = "c1"
    envelope.tensors = [TensorHeader(name: "w", shape: [2, 2], dtype: .float32, codec: .raw, rawBytes: 16, encodedBytes: 16)]
    var frames = [Frame(buffer: SharedBuffer(copying: [Float](repeating: 1, count: 4)))]
    mutate(&envelope, &frames)
    return [Frame(copying: envelope.encoded())] + frames
}

private func code(of parts: [Frame], limits: WireLimits = WireLimits()) -> FedError.Code? {
    do {
        let message = try WireMessage(parts: parts, limits: limits)
        let layout = try ModelLayout([TensorSpec(name: "w", shape: [2, 2])])
        _ = try ModelCoder().decode(message, layout: layout)
        return nil
    } catch {
        return error.code
    }
}

@Test func theValidMessageIsAccepted() {
    #expect(code(of: validParts()) == nil)
}

/// Each broken message is rejected with its own code (20 distinct cases).
@Test func eachMalformedInputHasItsOwnErrorCode() {
    var cases: [(FedError.Code, [Frame], WireLimits)] = []
    let none = WireLimits()
    cases.append((.missingEnvelope, [], none))
    cases.append((.malformedEnvelope, [Frame(copying: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])], none))
    cases.append((.unsupportedVersion, validParts { e, _ in e.version = 2 }, none))
    var tiny = WireLimits()
    tiny.maxEnvelopeBytes = 8
    cases.append((.messageTooLarge, validParts(), tiny))
    cases.append((.frameCountMismatch, validParts { _, f in f.append(f[0]) }, none))
    cases.append((.shapeSizeMismatch, validParts { e, _ in e.tensors[0].rawBytes = 12 }, none))
    cases.append((.encodedSizeMismatch, validParts { _, f in f[0] = Frame(copying: [UInt8](repeating: 0, count: 12)) }, none))
    cases.append((.invalidCodecParams, validParts { e, f in
        e.tensors[0].codec = .q8; e.tensors[0].scale = -1; e.tensors[0].encodedBytes = 4
        f[0] = Frame(copying: [1, 2, 3, 4])
    }, none))
    cases.append((.duplicateTensor, validParts { e, f in e.tensors.append(e.tensors[0]); f.append(f[0]) }, none))
    cases.append((.invalidName, validParts { e, _ in e.tensors[0].name = "" }, none))
    var fewTensors = WireLimits()
    fewTensors.maxTensors = 0
    cases.append((.tooManyTensors, validParts(), fewTensors))
    cases.append((.invalidShape, validParts { e, _ in e.tensors[0].shape = [1, 1, 1, 1, 1, 1, 1, 1, 1] }, none))
    cases.append((.invalidSlice, validParts { e, _ in e.tensors[0].sliceStart = 2; e.tensors[0].sliceElements = 4 }, none))
    cases.append((.checksumMismatch, validParts { e, _ in e.tensors[0].crc32 = 12345 }, none))
    cases.append((.nonFiniteValue, validParts { _, f in f[0] = Frame(buffer: SharedBuffer(copying: [Float.nan, 1, 1, 1])) }, none))
    cases.append((.modelMismatch, validParts { e, _ in e.tensors[0].shape = [4] }, none))
    cases.append((.corruptPayload, validParts { e, f in
        e.tensors[0].codec = .lz4; e.tensors[0].encodedBytes = 8
        f[0] = Frame(copying: [4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
    }, none))
    // Unknown enum values arrive as numbers protobuf accepts; the decoder refuses them.
    cases.append((.unknownKind, [Frame(copying: [0x10, 0x63])], none))  // field 2 (kind) = 99
    cases.append((.unknownDType, validParts { e, _ in e.tensors[0].dtype = .float32 }.replacingHeaderByte(dtype: 99), none))
    cases.append((.unknownCodec, validParts().replacingHeaderByte(codec: 99), none))
    for (expected, parts, limits) in cases {
        #expect(code(of: parts, limits: limits) == expected, "expected \(expected.name)")
    }
    #expect(Set(cases.map(\.0)).count == cases.count)
}

extension Array where Element == Frame {
    /// Rewrites the first tensor header's dtype or codec field to a value the schema does not define.
    fileprivate func replacingHeaderByte(dtype: UInt8? = nil, codec: UInt8? = nil) -> [Frame] {
        var bytes = self[0].bytes
        // TensorHeader fields 3 (dtype, tag 0x18) and 4 (codec, tag 0x20) are one-byte varints here.
        let tag: UInt8 = dtype != nil ? 0x18 : 0x20
        let value = dtype ?? codec!
        // Find the tensor header (field 12, tag 0x62) and then the tag inside it.
        guard let start = bytes.firstIndex(of: 0x62), let at = bytes[start...].firstIndex(of: tag) else { return self }
        bytes[at + 1] = value
        return [Frame(copying: bytes)] + self.dropFirst()
    }
}

@Test func randomAndMutatedBytesNeverCrashTheDecoder() {
    var rng = SplitMix64(seed: 2024)
    let seeds = FixtureCatalog.entries.compactMap { try? FixtureCatalog.message($0).parts() }
    var rejected = 0
    for i in 0..<10_000 {
        var parts: [Frame]
        if i % 2 == 0 {
            let n = Int(rng.next() % 200)
            parts = [Frame(copying: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })]
        } else {
            let seed = seeds[Int(rng.next() % UInt64(seeds.count))]
            var envelope = seed[0].bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) where !envelope.isEmpty {
                envelope[Int(rng.next() % UInt64(envelope.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 5 == 0, !envelope.isEmpty { envelope.removeLast(Int(rng.next() % UInt64(envelope.count))) }
            parts = [Frame(copying: envelope)] + seed.dropFirst()
        }
        do {
            let message = try WireMessage(parts: parts)
            let scratch = CodecScratch()
            for (h, f) in zip(message.envelope.tensors, message.frames) {
                var out = [UInt8](repeating: 0, count: h.rawBytes)
                try out.withUnsafeMutableBytes { o in try f.withUnsafeBytes { b in try TensorCodec.decode(h, frame: b, into: o, scratch: scratch) } }
            }
        } catch {
            rejected += 1
        }
    }
    #expect(rejected > 5000)  // nearly all random strings fail; none may crash
}
