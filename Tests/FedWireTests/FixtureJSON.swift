import FedCore
import Foundation
@testable import FedWire

/// The readable twin of a fixture: every envelope field and the decoded tensor values.
enum FixtureJSON {
    static func object(_ message: WireMessage, entry: FixtureCatalog.Entry) throws -> [String: Any] {
        let e = message.envelope
        var config: [String: Any] = [:]
        for (k, v) in e.config {
            switch v {
            case .double(let d): config[k] = ["f64": d]
            case .int(let i): config[k] = ["i64": i]
            case .string(let s): config[k] = ["str": s]
            case .bool(let b): config[k] = ["flag": b]
            }
        }
        var envelope: [String: Any] = [
            "version": e.version, "kind": e.kind.description, "kind_number": e.kind.rawValue, "sender": e.sender,
            "session": e.session, "round": e.round, "task_id": e.taskID, "client_ids": e.clientIDs.map { Int($0) },
            "config": config, "metrics": e.metrics, "num_examples": e.numExamples,
            "codecs": e.codecs.map(\.description),
        ]
        if let error = e.error {
            envelope["error"] = ["code": error.code.name, "code_number": error.code.rawValue, "detail": error.detail]
        }
        envelope["tensors"] = e.tensors.map { h -> [String: Any] in
            var t: [String: Any] = [
                "name": h.name, "shape": h.shape, "dtype": h.dtype.description, "codec": h.codec.description,
                "raw_bytes": h.rawBytes, "encoded_bytes": h.encodedBytes, "scale": Double(h.scale), "seed": h.seed,
                "fraction": Double(h.fraction), "nonzero": h.nonzero, "delta": h.isDelta,
                "slice_start": h.sliceStart, "slice_elements": h.sliceElements,
            ]
            if let crc = h.crc32 { t["crc32"] = crc }
            return t
        }
        let scratch = CodecScratch()
        var tensors: [[String: Any]] = []
        for (i, (h, frame)) in zip(e.tensors, message.frames).enumerated() {
            var decoded = [Float](repeating: 0, count: h.elements)
            try decoded.withUnsafeMutableBytes { out in
                try frame.withUnsafeBytes { bytes in
                    try TensorCodec.decode(h, frame: bytes, into: out, scratch: scratch)
                }
            }
            tensors.append([
                "name": h.name,
                "input": entry.tensors[i].values.map { Double($0) },
                "decoded": decoded.map { Double($0) },
                "frame_hex": frame.bytes.map { String(format: "%02x", $0) }.joined(),
            ])
        }
        return [
            "description": "Golden fedswift.v1 message; \(e.kind.description).bin holds the frames (UInt32 LE length + bytes each).",
            "frames": 1 + message.frames.count,
            "envelope_hex": e.encoded().map { String(format: "%02x", $0) }.joined(),
            "envelope": envelope,
            "tensors": tensors,
        ]
    }

    static func data(_ object: [String: Any]) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        data.append(0x0A)
        return data
    }
}
