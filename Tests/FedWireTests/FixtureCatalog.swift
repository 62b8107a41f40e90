import FedCore
import Foundation
@testable import FedWire

/// The golden messages: one per kind, exercising every codec, both checksummed and plain frames.
enum FixtureCatalog {
    struct Tensor {
        let name: String
        let shape: [Int]
        let values: [Float]
        let encoding: TensorEncoding
    }

    struct Entry {
        let envelope: Envelope
        let tensors: [Tensor]
    }

    static var fixturesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Proto/fixtures")
    }

    /// A compressible pattern (LZ4 shrinks it) of `n` floats.
    static func pattern(_ n: Int) -> [Float] { (0..<n).map { Float($0 % 4) * 0.5 - 0.25 } }
    /// Irregular values in [-1, 1].
    static func wiggle(_ n: Int, phase: Float = 0) -> [Float] { (0..<n).map { sin(Float($0) * 1.7 + phase) } }

    static var entries: [Entry] {
        var out: [Entry] = []
        var e = Envelope(kind: .hello)
        e.sender = "client-a"
        e.clientIDs = [0, 1, 2, 3, 4]
        e.config = ["role": .string("client"), "threads": .int(2)]
        e.codecs = [.raw, .lz4, .shuffleLZ4, .q8, .q4, .topK]
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .welcome)
        e.sender = "server"
        e.session = "s-0001"
        e.config = ["dataset": .string("fmnist"), "partition": .string("dirichlet:0.5"), "clients": .int(100),
                    "seed": .int(0), "lr": .double(0.05), "checksum": .bool(true)]
        e.codecs = [.shuffleLZ4]
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .fit)
        e.sender = "server"
        e.session = "s-0001"
        e.round = 3
        e.taskID = 17
        e.clientIDs = [2, 4]
        e.config = ["epochs": .int(2), "batch": .int(32), "lr": .double(0.05)]
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .fitResult)
        e.sender = "client-a"
        e.session = "s-0001"
        e.round = 3
        e.taskID = 17
        e.clientIDs = [2]
        e.numExamples = 617
        e.metrics = ["loss": 0.421875, "seconds": 1.5]
        out.append(Entry(envelope: e, tensors: [
            Tensor(name: "fc.weight", shape: [4, 16], values: pattern(64), encoding: TensorEncoding(codec: .lz4, checksum: true, isDelta: true)),
            Tensor(name: "fc.bias", shape: [4], values: [0.5, -0.25, 0.125, 1], encoding: TensorEncoding(codec: .raw, isDelta: true)),
            Tensor(name: "out.weight", shape: [2, 8], values: wiggle(16), encoding: TensorEncoding(codec: .q8, seed: 7, isDelta: true)),
        ]))

        e = Envelope(kind: .evaluate)
        e.sender = "server"
        e.session = "s-0001"
        e.round = 3
        e.taskID = 18
        e.clientIDs = [0, 1, 2]
        out.append(Entry(envelope: e, tensors: [
            Tensor(name: "w", shape: [2, 2], values: [1, -2, 3.5, 0], encoding: TensorEncoding(codec: .raw)),
        ]))

        e = Envelope(kind: .evaluateResult)
        e.sender = "client-a"
        e.session = "s-0001"
        e.round = 3
        e.taskID = 18
        e.clientIDs = [0, 1, 2]
        e.numExamples = 1000
        e.metrics = ["loss": 0.5, "accuracy": 0.8125]
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .pull)
        e.sender = "client-b"
        e.session = "s-0001"
        e.round = 4
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .model)
        e.sender = "server"
        e.session = "s-0001"
        e.round = 5
        out.append(Entry(envelope: e, tensors: [
            Tensor(name: "conv.weight", shape: [3, 3], values: wiggle(9, phase: 0.3), encoding: TensorEncoding(codec: .q4, seed: 11)),
            Tensor(name: "conv.bias", shape: [10], values: wiggle(10, phase: 1.1), encoding: TensorEncoding(codec: .topK, fraction: 0.3)),
            Tensor(name: "fc.weight", shape: [8, 8], values: pattern(64), encoding: TensorEncoding(codec: .shuffleLZ4, checksum: true)),
        ]))

        e = Envelope(kind: .push)
        e.sender = "client-b"
        e.session = "s-0001"
        e.round = 5
        e.taskID = 21
        e.clientIDs = [7]
        e.numExamples = 300
        e.metrics = ["staleness": 2]
        out.append(Entry(envelope: e, tensors: [
            Tensor(name: "fc.weight", shape: [4, 5], values: wiggle(20, phase: 2), encoding: TensorEncoding(codec: .topK, fraction: 0.25, isDelta: true)),
        ]))

        e = Envelope(kind: .ack)
        e.sender = "server"
        e.session = "s-0001"
        e.round = 6
        e.taskID = 21
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .heartbeat)
        e.sender = "client-a"
        e.session = "s-0001"
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .bye)
        e.sender = "client-a"
        e.session = "s-0001"
        out.append(Entry(envelope: e, tensors: []))

        e = Envelope(kind: .error)
        e.sender = "server"
        e.session = "s-0001"
        e.round = 3
        e.taskID = 17
        e.error = WireError(code: .modelMismatch, detail: "tensor 'fc.weight' is float32[4, 16], the model has float32[4, 15]")
        out.append(Entry(envelope: e, tensors: []))
        return out
    }

    /// Encodes an entry's tensors into the message that the fixture file holds.
    static func message(_ entry: Entry) throws -> WireMessage {
        let scratch = CodecScratch()
        var envelope = entry.envelope
        var frames: [Frame] = []
        for t in entry.tensors {
            let (header, frame) = try t.values.withUnsafeBufferPointer { (values) throws(FedError) in
                try TensorCodec.encode(name: t.name, shape: t.shape, values: values, encoding: t.encoding, scratch: scratch)
            }
            envelope.tensors.append(header)
            frames.append(frame)
        }
        return WireMessage(envelope: envelope, frames: frames)
    }

    /// Fixture file layout: for each frame, a little-endian UInt32 length then the bytes.
    static func fileBytes(_ parts: [Frame]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            withUnsafeBytes(of: UInt32(part.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: part.bytes)
        }
        return out
    }

    /// Splits a fixture file back into frames.
    static func parts(fromFile bytes: [UInt8]) -> [Frame] {
        var parts: [Frame] = []
        var i = 0
        while i + 4 <= bytes.count {
            let n = Int(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            parts.append(Frame(copying: Array(bytes[(i + 4)..<(i + 4 + n)])))
            i += 4 + n
        }
        return parts
    }
}
