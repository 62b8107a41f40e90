import FedCore
import Foundation

/// Reads and writes model states in the safetensors format (an 8-byte little-endian header length,
/// a JSON header mapping names to dtype, shape and byte offsets, then the raw little-endian tensors),
/// so saved models load in PyTorch, NumPy and other tools without code execution.
public enum Safetensors {
    /// Writes `state` to `url` atomically, tensors in layout order, with optional string metadata.
    public static func write(_ state: ModelState, to url: URL, metadata: [String: String] = [:]) throws(FedError) {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        for (i, spec) in state.layout.tensors.enumerated() {
            let range = state.layout.range(of: i)
            header[spec.name] = ["dtype": "F32", "shape": spec.shape, "data_offsets": [range.lowerBound * 4, range.upperBound * 4]]
        }
        do {
            var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so tensors stay aligned
            var head = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { head.append(contentsOf: $0) }
            head.append(json)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Straight from the model's memory (no model-sized Data copy), in bounded writes: Foundation's
            // Data.write misplaces bytes past 2 GiB on Linux (write(2) stops at 0x7ffff000 bytes per call).
            let temporary = url.path + ".partial"
            try head.withUnsafeBytes { h in
                try state.values.withUnsafeBytes { body in try writeFile(temporary, parts: [h, body]) }
            }
            guard rename(temporary, url.path) == 0 else {
                unlink(temporary)
                throw FedError(.io, "cannot move \(temporary) to \(url.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as FedError {
            throw FedError(.io, "cannot write model to \(url.path): \(error.detail)")
        } catch {
            throw FedError(.io, "cannot write model to \(url.path): \(error.localizedDescription)")
        }
    }

    /// Writes `parts` back to back into a new file at `path`, 64 MiB per `write(2)`, then fsyncs it.
    private static func writeFile(_ path: String, parts: [UnsafeRawBufferPointer]) throws(FedError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FedError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        var failure: FedError?
        outer: for part in parts {
            var offset = 0
            while offset < part.count {
                let n = Foundation.write(fd, part.baseAddress! + offset, min(part.count - offset, 64 << 20))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    failure = FedError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
                    break outer
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = FedError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Reads a float32 safetensors file into a state whose tensors follow the file's offsets.
    ///
    /// - Throws: `.io` for unreadable files, `.invalidArgument` for malformed headers or offsets.
    public static func read(from url: URL) throws(FedError) -> ModelState {
        guard let data = try? Data(contentsOf: url) else {
            throw FedError(.io, "cannot read model file \(url.path): check the path")
        }
        guard data.count >= 8 else { throw FedError(.invalidArgument, "\(url.path) is not a safetensors file (too short)") }
        let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard length > 0, 8 + length <= data.count,
              let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw FedError(.invalidArgument, "\(url.path) has no valid safetensors header")
        }
        var entries: [(name: String, shape: [Int], start: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw FedError(.invalidArgument, "\(url.path): tensor '\(name)' is not a float32 tensor with shape and offsets")
            }
            entries.append((name, shape, offsets[0], offsets[1]))
        }
        entries.sort { $0.start < $1.start }
        let body = data.subdata(in: (8 + length)..<data.count)
        var values: [Float] = []
        for e in entries {
            guard e.start == values.count * 4, e.end <= body.count, e.end - e.start == e.shape.reduce(1, *) * 4 else {
                throw FedError(.invalidArgument, "\(url.path): tensor '\(e.name)' offsets are inconsistent")
            }
            body.subdata(in: e.start..<e.end).withUnsafeBytes { values.append(contentsOf: $0.bindMemory(to: Float.self)) }
        }
        let layout = try ModelLayout(entries.map { TensorSpec(name: $0.name, shape: $0.shape) })
        return try ModelState(layout: layout, values: values)
    }
}
