import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr when it is a terminal; otherwise one plain line every few steps,
/// so logs stay readable in pipes and CI.
public struct ProgressDisplay: Sendable {
    private let total: Int
    private let label: String
    private let isTerminal: Bool
    private let start = Date()

    /// A display for `total` steps of `label` (e.g. "round").
    public init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
        self.isTerminal = isatty(STDERR_FILENO) == 1
    }

    /// Shows step `done` with a short status (accuracy, speed).
    public func update(_ done: Int, status: String) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        if isTerminal {
            let width = 24
            let filled = min(width, done * width / total)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(label) \(done)/\(total)  \(status)  eta \(Int(eta.rounded()))s\u{1B}[K".utf8))
        } else if done == total || done % max(1, total / 10) == 0 {
            FileHandle.standardError.write(Data("\(label) \(done)/\(total)  \(status)\n".utf8))
        }
    }

    /// Ends the bar's line.
    public func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
