import FedCore
import Testing
@testable import FedWire

private func sampleState() throws -> ModelState {
    let layout = try ModelLayout([TensorSpec(name: "a", shape: [10, 7]), TensorSpec(name: "b", shape: [7]), TensorSpec(name: "c", shape: [1000])])
    return try ModelState(layout: layout, values: (0..<layout.totalElements).map { Float(($0 * 37) % 101) / 50 - 1 })
}

@Test(arguments: ["raw", "lz4", "shuffle-lz4"])
func modelRoundTripsLosslessly(codec: String) throws {
    let state = try sampleState()
    let coder = ModelCoder()
    var encoding = try TensorEncoding(parsing: codec)
    encoding.checksum = true
    let (headers, frames) = try coder.encode(state, encoding: encoding)
    var envelope = Envelope(kind: .model)
    envelope.tensors = headers
    let received = try WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts())
    #expect(try coder.decode(received, layout: state.layout) == state)
}

@Test func bigTensorsTravelAsSlicesThatTileExactly() throws {
    let state = try sampleState()
    let coder = ModelCoder(maxFrameElements: 64)
    for codec in ["raw", "q8", "shuffle-lz4"] {
        let (headers, frames) = try coder.encode(state, encoding: TensorEncoding(parsing: codec))
        #expect(headers.count == 2 + 1 + 16)  // a: 70 = 64+6, b: 7, c: 1000 = 15·64+40
        #expect(headers.allSatisfy { $0.elements <= 64 })
        var envelope = Envelope(kind: .model)
        envelope.tensors = headers
        let decoded = try coder.decode(WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts()), layout: state.layout)
        let tolerance: Float = codec == "q8" ? 1.0 / 127 + 1e-6 : 0
        #expect(zip(decoded.values, state.values).allSatisfy { abs($0 - $1) <= tolerance })
        // A missing slice is a model mismatch, not a silently zero tensor.
        envelope.tensors.removeLast()
        let short = try WireMessage(parts: WireMessage(envelope: envelope, frames: Array(frames.dropLast())).parts())
        #expect { try coder.decode(short, layout: state.layout) } throws: { ($0 as? FedError)?.code == .modelMismatch }
    }
}

@Test func rawEncodingSharesOneBufferAcrossTensors() throws {
    let state = try sampleState()
    let (_, frames) = try ModelCoder().encode(state, encoding: TensorEncoding(codec: .raw))
    #expect(frames.count == 3)
    #expect(frames.allSatisfy { $0.buffer === frames[0].buffer })
    #expect(frames.map(\.offset) == [0, 280, 308])
}

@Test func everyKindRoundTripsThroughTheEnvelope() throws {
    for kind in MessageKind.allCases {
        var e = Envelope(kind: kind)
        e.sender = "node-\(kind)"
        e.round = UInt64(kind.rawValue) << 40
        e.clientIDs = [UInt32.max, 0, 5]
        e.config = ["x": .double(-0.5), "n": .int(.min), "s": .string("ünïcode"), "b": .bool(false)]
        e.metrics = ["loss": .infinity, "acc": 0.25]
        e.numExamples = .max
        e.codecs = Codec.allCases
        if kind == .error { e.error = WireError(code: .staleUpdate, detail: "too old") }
        #expect(try Envelope(decoding: e.encoded()) == e)
    }
}
