/// What an async server has received so far: updates counted towards `--updates`, staleness, and the
/// per-node counts the results rows report. Survives a restart through the checkpoint's counters.
public struct AsyncServerStats: Sendable {
    /// Well-formed PUSHes counted towards `--updates` (applied or rejected as too stale).
    public private(set) var received = 0
    /// PUSHes rejected by `--max-staleness`.
    public private(set) var rejected = 0
    /// Applied updates per node id.
    public private(set) var appliedByNode: [String: Int] = [:]
    /// Stale-rejected updates per node id.
    public private(set) var rejectedByNode: [String: Int] = [:]
    /// Largest staleness of an applied update, over the whole run.
    public private(set) var stalenessMax = 0
    /// Sum of the staleness of applied updates, over the whole run.
    public private(set) var stalenessSum = 0
    private var window = (sum: 0, count: 0, max: 0)

    /// Empty statistics.
    public init() {}

    /// Applied updates over the whole run.
    public var applied: Int { received - rejected }

    /// Mean staleness of applied updates over the whole run.
    public var stalenessMean: Double { applied > 0 ? Double(stalenessSum) / Double(applied) : 0 }

    /// Counts an update of `node` applied with staleness `staleness`.
    mutating func countApplied(by node: String, staleness: Int) {
        received += 1
        appliedByNode[node, default: 0] += 1
        stalenessSum += staleness
        stalenessMax = max(stalenessMax, staleness)
        window = (window.sum + staleness, window.count + 1, max(window.max, staleness))
    }

    /// Counts an update of `node` rejected as too stale.
    mutating func countRejected(by node: String) {
        received += 1
        rejected += 1
        rejectedByNode[node, default: 0] += 1
    }

    /// Mean and largest staleness since the previous call (the window of one results row); starts a new window.
    mutating func closeWindow() -> (mean: Double, max: Int) {
        defer { window = (0, 0, 0) }
        return (window.count > 0 ? Double(window.sum) / Double(window.count) : 0, window.max)
    }

    /// The statistics as checkpoint counters (`received`, `rejected`, `staleness_sum`, `staleness_max`,
    /// `applied:<node>`, `rejected:<node>`).
    var counters: [String: Int] {
        var out = ["received": received, "rejected": rejected, "staleness_sum": stalenessSum, "staleness_max": stalenessMax]
        for (node, n) in appliedByNode { out["applied:" + node] = n }
        for (node, n) in rejectedByNode { out["rejected:" + node] = n }
        return out
    }

    /// Statistics restored from checkpoint counters (unknown keys ignored).
    init(counters: [String: Int]) {
        received = counters["received"] ?? 0
        rejected = counters["rejected"] ?? 0
        stalenessSum = counters["staleness_sum"] ?? 0
        stalenessMax = counters["staleness_max"] ?? 0
        for (key, n) in counters {
            if key.hasPrefix("applied:") { appliedByNode[String(key.dropFirst("applied:".count))] = n }
            if key.hasPrefix("rejected:") { rejectedByNode[String(key.dropFirst("rejected:".count))] = n }
        }
    }
}
