import FedCore
import Foundation
import Testing
@testable import FedWire

private func normals(_ n: Int, seed: UInt64, std: Float = 0.05) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in
        // Box–Muller from two uniforms.
        let u1 = max(Float(rng.next() >> 40) / 16_777_216, 1e-7)
        let u2 = Float(rng.next() >> 40) / 16_777_216
        return std * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

private func roundTrip(_ values: [Float], _ encoding: TensorEncoding, scratch: CodecScratch = CodecScratch()) throws -> (TensorHeader, [Float]) {
    let (header, frame) = try values.withUnsafeBufferPointer { v in
        try TensorCodec.encode(name: "t", shape: [values.count], values: v, encoding: encoding, scratch: scratch)
    }
    try WireMessage.validate(Envelope(kind: .model).with(tensors: [header]), frames: [frame], limits: WireLimits())
    var out = [Float](repeating: .nan, count: values.count)
    try out.withUnsafeMutableBytes { o in try frame.withUnsafeBytes { b in try TensorCodec.decode(header, frame: b, into: o, scratch: scratch) } }
    return (header, out)
}

extension Envelope {
    func with(tensors: [TensorHeader]) -> Envelope {
        var copy = self
        copy.tensors = tensors
        return copy
    }
}

@Test(arguments: [Codec.lz4, .shuffleLZ4])
func losslessCodecsAreExact(codec: Codec) throws {
    let sparse: [Float] = (0..<100_000).map { $0 % 10 == 0 ? Float($0) * 0.001 : 0 }
    for values in [normals(5000, seed: 1), sparse, [Float](repeating: 0, count: 777), [], [1.5]] {
        let (header, decoded) = try roundTrip(values, TensorEncoding(codec: codec, checksum: true))
        #expect(decoded == values)
        #expect(header.encodedBytes <= max(values.count * 4, 0))
    }
}

@Test func lz4SpansSeveralChunksAndDetectsTruncation() throws {
    // 5 M floats = 20 MB: five chunks; random mantissas make them incompressible.
    let values = normals(5_000_000, seed: 9)
    let raw = values.withUnsafeBytes { Array($0) }
    var encoded = [UInt8](repeating: 0, count: LZ4Chunks.maxEncodedSize(rawBytes: raw.count))
    let used = raw.withUnsafeBytes { r in encoded.withUnsafeMutableBytes { LZ4Chunks.encode(r, into: $0) } }
    #expect(used <= LZ4Chunks.maxEncodedSize(rawBytes: raw.count))
    #expect(Double(used) < 1.005 * Double(raw.count))
    var back = [UInt8](repeating: 0, count: raw.count)
    try encoded[0..<used].withUnsafeBytes { e in try back.withUnsafeMutableBytes { b in try LZ4Chunks.decode(e, into: b) } }
    #expect(back == raw)
    // Truncating the frame is detected, not read past.
    #expect { try encoded[0..<(used - 3)].withUnsafeBytes { e in try back.withUnsafeMutableBytes { b in try LZ4Chunks.decode(e, into: b) } } }
        throws: { ($0 as? FedError)?.code == .corruptPayload }
}

@Test func storedChunksDecode() throws {
    // Bit 31 of the chunk word marks a chunk stored as is; other encoders may write them.
    let payload: [UInt8] = [1, 2, 3, 4, 5, 6]
    let frame: [UInt8] = [6, 0, 0, 0x80] + payload
    var out = [UInt8](repeating: 0, count: 6)
    try frame.withUnsafeBytes { f in try out.withUnsafeMutableBytes { o in try LZ4Chunks.decode(f, into: o) } }
    #expect(out == payload)
}

@Test func shuffleLZ4CompressesDenseWeightsWherePlainLZ4Cannot() throws {
    let values = normals(200_000, seed: 3)
    let (plain, _) = try roundTrip(values, TensorEncoding(codec: .lz4))
    let (shuffled, _) = try roundTrip(values, TensorEncoding(codec: .shuffleLZ4))
    #expect(plain.codec == .raw)  // LZ4 could not shrink it: sent raw
    #expect(shuffled.codec == .shuffleLZ4)
    #expect(Double(shuffled.encodedBytes) < 0.95 * Double(values.count * 4))
}

@Test func byteShuffleInvertsForEveryElementSize() {
    for size in [1, 2, 4, 8] {
        let input = (0..<(size * 37)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var planes = [UInt8](repeating: 0, count: input.count)
        var back = [UInt8](repeating: 0, count: input.count)
        input.withUnsafeBytes { i in planes.withUnsafeMutableBytes { ByteShuffle.shuffle(i, into: $0, elementSize: size) } }
        planes.withUnsafeBytes { p in back.withUnsafeMutableBytes { ByteShuffle.unshuffle(p, into: $0, elementSize: size) } }
        #expect(back == input)
        if size == 4 { #expect(planes[1] == input[4]) }  // byte 0 of element 1 sits second in plane 0
    }
}

@Test(arguments: [Codec.q8, .q4])
func quantizationStaysWithinItsBoundAndIsUnbiased(codec: Codec) throws {
    let values: [Float] = [0.9, -0.33, 0.051, 0, -1, 0.5, 0.7777, -0.0001]
    let levels = Float(StochasticQuantizer.levels(codec))
    var sums = [Double](repeating: 0, count: values.count)
    let trials = 4000
    let scratch = CodecScratch()
    for seed in 0..<trials {
        let (header, decoded) = try roundTrip(values, TensorEncoding(codec: codec, seed: UInt64(seed)), scratch: scratch)
        #expect(header.scale == 1)
        #expect(header.encodedBytes == StochasticQuantizer.encodedBytes(count: values.count, codec: codec))
        for i in values.indices {
            #expect(abs(decoded[i] - values[i]) <= header.scale / levels * 1.0001)
            sums[i] += Double(decoded[i])
        }
    }
    // Unbiased: the mean over seeds converges to the value (std of the mean ≤ step / (2·√trials)).
    let step = 1 / Double(levels)
    for i in values.indices {
        #expect(abs(sums[i] / Double(trials) - Double(values[i])) < 4 * step / (2 * Double(trials).squareRoot()) + 1e-6)
    }
}

@Test func quantizationIsRepeatableForASeedAndRejectsNaN() throws {
    let values = normals(1001, seed: 5)
    let (_, a) = try roundTrip(values, TensorEncoding(codec: .q4, seed: 42))
    let (_, b) = try roundTrip(values, TensorEncoding(codec: .q4, seed: 42))
    let (_, c) = try roundTrip(values, TensorEncoding(codec: .q4, seed: 43))
    #expect(a == b)
    #expect(a != c)
    #expect { try roundTrip([1, .nan], TensorEncoding(codec: .q8)) } throws: { ($0 as? FedError)?.code == .nonFiniteValue }
}

@Test func tinyValuesThatCannotBeQuantizedTravelRaw() throws {
    let values: [Float] = [1e-38, -2e-38, 0]
    #expect { try values.withUnsafeBufferPointer { v in
        try StochasticQuantizer.encode(v, codec: .q8, seed: 1, into: .allocate(byteCount: 3, alignment: 1)) } }
        throws: { ($0 as? FedError)?.code == .invalidArgument }
    let (header, decoded) = try roundTrip(values, TensorEncoding(codec: .q8))
    #expect(header.codec == .raw)
    #expect(decoded == values)
}

@Test func topKRoundsTheKeptCountHalfUp() {
    #expect(TopK.keptCount(100, fraction: 0.1) == 10)
    #expect(TopK.keptCount(10, fraction: 0.25) == 3)
    #expect(TopK.keptCount(10, fraction: 0.01) == 1)
    #expect(TopK.keptCount(5, fraction: 1) == 5)
}

@Test func topKKeepsLargestMagnitudesAndBreaksTiesByIndex() throws {
    let values: [Float] = [0.1, -5, 3, 0.2, 3, -3, 0, 1]
    let (header, decoded) = try roundTrip(values, TensorEncoding(codec: .topK, fraction: 0.5))
    #expect(header.nonzero == 4)
    #expect(decoded == [0, -5, 3, 0, 3, -3, 0, 0])
    let (h2, d2) = try roundTrip(values, TensorEncoding(codec: .topK, fraction: 0.25))
    #expect(h2.nonzero == 2)
    #expect(d2 == [0, -5, 3, 0, 0, 0, 0, 0])  // three tie at |3|: the lowest index wins
}

@Test func hoareSelectMatchesSorting() {
    var rng = SplitMix64(seed: 8)
    for n in [1, 2, 3, 10, 101, 1000] {
        let values = (0..<n).map { _ in Float(rng.next() % 50) }
        let sorted = values.sorted()
        for rank in [0, n / 2, n - 1] {
            var copy = values
            let v = copy.withUnsafeMutableBufferPointer { TopK.select($0.baseAddress!, count: n, rank: rank) }
            #expect(v == sorted[rank])
        }
    }
}

@Test func topKResidualCarriesWhatWasNotSent() throws {
    var residual = TopKResidual()
    let updates: [[Float]] = [[1, 0.5, 0.25, 0.125], [0.1, 0.1, 0.1, 0.1], [0, 0, 0, 2]]
    var sent = [Float](repeating: 0, count: 4)
    for update in updates {
        var compensated = update
        residual.compensate("w", &compensated)
        let (_, decoded) = try roundTrip(compensated, TensorEncoding(codec: .topK, fraction: 0.25))
        residual.record("w", compensated: compensated, decoded: decoded)
        for i in 0..<4 { sent[i] += decoded[i] }
    }
    // Everything is either sent or still held in the residual.
    let total = (0..<4).map { i in updates.reduce(Float(0)) { $0 + $1[i] } }
    let held = try #require(residual.residual(for: "w"))
    for i in 0..<4 { #expect(abs(sent[i] + held[i] - total[i]) < 1e-6) }
    #expect(held.contains { $0 != 0 })
}

@Test func codecNamesParse() throws {
    #expect(try TensorEncoding(parsing: "shuffle-lz4").codec == .shuffleLZ4)
    #expect(try TensorEncoding(parsing: "topk:0.05").fraction == 0.05)
    #expect { try TensorEncoding(parsing: "zip") } throws: { ($0 as? FedError)?.code == .invalidArgument }
    #expect { try TensorEncoding(parsing: "topk:2") } throws: { ($0 as? FedError)?.code == .invalidArgument }
}
