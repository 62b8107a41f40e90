import FedCore
import Foundation

/// Writes a results file in JSON Lines: one ``RoundRecord`` per line, flushed after each round, and a
/// last object with `"final": true` plus the run's configuration.
///
/// Resuming keeps the rows of rounds up to the checkpoint and drops later ones, so every round
/// appears exactly once however often the run was interrupted.
public final class ResultsWriter {
    private let url: URL
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens `url` for writing; with `keepThrough` set, keeps existing rows whose `key` (the round, or
    /// `updates` in async runs) is ≤ that value.
    public init(url: URL, keepThrough round: Int? = nil, key: String = "round") throws(FedError) {
        self.url = url
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var kept = Data()
        if let round, let existing = try? String(contentsOf: url, encoding: .utf8) {
            for line in existing.split(separator: "\n") {
                guard let data = line.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      object["final"] == nil, let r = object[key] as? Int, r <= round else { continue }
                kept.append(data)
                kept.append(0x0A)
            }
        }
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try kept.write(to: url, options: .atomic)
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw FedError(.io, "cannot write results to \(url.path): \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    /// Appends one round's row.
    public func write(_ record: RoundRecord) throws(FedError) {
        do {
            var data = try encoder.encode(record)
            data.append(0x0A)
            try handle.write(contentsOf: data)
        } catch {
            throw FedError(.io, "cannot append to \(url.path): \(error.localizedDescription)")
        }
    }

    /// Appends any JSON object as one line (async evaluation rows, the final summary).
    public func write(object: [String: Any]) throws(FedError) {
        do {
            var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            data.append(0x0A)
            try handle.write(contentsOf: data)
        } catch {
            throw FedError(.io, "cannot append to \(url.path): \(error.localizedDescription)")
        }
    }

    /// Appends the final object: `{"final": true, ...summary, "config": {...}}`.
    public func writeFinal(summary: [String: Any], config: [String: String]) throws(FedError) {
        var object = summary
        object["final"] = true
        object["config"] = config
        try write(object: object)
    }
}
