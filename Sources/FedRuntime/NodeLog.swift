import Foundation

/// Log lines on stderr: a fixed message, then facts as `key=value` (the shape swift-log metadata takes),
/// so logs can be grepped by message and results files and stdout stay clean.
public struct NodeLog: Sendable {
    /// Role and id shown at the start of each line, e.g. `server` or `client node-a`.
    public let origin: String

    /// A logger for `origin`.
    public init(origin: String) { self.origin = origin }

    /// Writes `message key=value ...` to stderr.
    public func info(_ message: String, _ facts: KeyValuePairs<String, String> = [:]) {
        var line = "[\(origin)] \(message)"
        for (key, value) in facts { line += " \(key)=\(value)" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
