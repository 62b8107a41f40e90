import FedCore

/// Example-weighted sums of evaluation metrics: a group's EVALUATE results folded into one.
///
/// A group's EVALUATE_RESULT carries the example-weighted mean of every metric and `num_examples` = Σ n_k,
/// so its parent folds it exactly like one client's result with that many examples (the weighted average
/// Flower applies to evaluation losses), whether the parent is a server or another scheduler.
struct MetricSum: Sendable {
    /// Clients folded in, in arrival order.
    private(set) var clients: [Int] = []
    /// Σ n_k over the folded results.
    private(set) var examples: Double = 0
    private var sums: [String: Double] = [:]
    private var weights: [String: Double] = [:]

    /// Folds in one result: `metrics` measured on `examples` examples of `clients`.
    ///
    /// - Throws: `.invalidArgument` without examples, `.nonFiniteValue` for a NaN or infinite metric.
    mutating func add(clients: [Int], examples: Double, metrics: [String: Double]) throws(FedError) {
        guard examples > 0 else { throw FedError(.invalidArgument, "an evaluation of clients \(clients.prefix(5)) reports no examples") }
        if let bad = metrics.first(where: { !$0.value.isFinite }) {
            throw FedError(.nonFiniteValue, "evaluation metric '\(bad.key)' of clients \(clients.prefix(5)) is \(bad.value)")
        }
        self.clients += clients
        self.examples += examples
        for (key, value) in metrics {
            sums[key, default: 0] += examples * value
            weights[key, default: 0] += examples
        }
    }

    /// The example-weighted mean of each metric (over the results that reported it).
    var means: [String: Double] { sums.reduce(into: [:]) { $0[$1.key] = $1.value / weights[$1.key]! } }
}
