import FedCore

/// An artificial per-task delay for tests and demos of heterogeneous devices (`--delay SECONDS[:JITTER]`):
/// each task waits `seconds ± jitter` (uniform, never below zero) before training.
///
/// The jitter is seeded by (experiment seed, node id, task number), so a rerun waits the same amounts.
public struct TaskDelay: Sendable, Hashable, CustomStringConvertible {
    /// Mean wait in seconds.
    public var seconds: Double
    /// Half-width of the uniform jitter in seconds.
    public var jitter: Double

    /// A delay of `seconds ± jitter` (zero by default: no delay).
    public init(seconds: Double = 0, jitter: Double = 0) {
        self.seconds = seconds
        self.jitter = jitter
    }

    /// Parses `SECONDS` or `SECONDS:JITTER`, e.g. `0.2` or `1.0:0.3`.
    public init(parsing text: String) throws(FedError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard (1...2).contains(parts.count), let seconds = parts[0], seconds >= 0, seconds.isFinite,
              parts.count == 1 || (parts[1].map { $0 >= 0 && $0.isFinite } ?? false) else {
            throw FedError(.invalidArgument, "--delay '\(text)': use SECONDS or SECONDS:JITTER with non-negative numbers, e.g. 0.2 or 1.0:0.3")
        }
        self.init(seconds: seconds, jitter: parts.count == 2 ? parts[1]! : 0)
    }

    /// True when tasks never wait.
    public var isZero: Bool { seconds == 0 && jitter == 0 }

    /// The wait before task `task` of node `node` in an experiment seeded with `seed`.
    public func wait(node: String, task: UInt64, seed: UInt64) -> Double {
        guard jitter > 0 else { return seconds }
        var rng = SplitMix64(seeds: seed, Self.stableHash(node), task)
        let unit = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return max(0, seconds + (2 * unit - 1) * jitter)
    }

    /// `SECONDS[:JITTER]`.
    public var description: String { jitter > 0 ? "\(seconds):\(jitter)" : "\(seconds)" }

    /// FNV-1a of the UTF-8 bytes: a hash that, unlike `hashValue`, is the same in every process.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }
}
