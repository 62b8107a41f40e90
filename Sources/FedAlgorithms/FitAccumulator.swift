import FedCore

/// How one result enters the weighted sum: its delta is multiplied by `scale`, and `weight` is added to
/// the denominator. FedAvg uses `(n_k, n_k)`; FedNova, FedDyn and q-FFL use their papers' weights.
public typealias FitWeighting = @Sendable (_ result: ClientResult, _ delta: [Float]) -> (scale: Double, weight: Double)

/// Streaming, weighted sum of client updates (always kept as deltas against the round's global model),
/// in float64. Also folds in partial sums that a scheduler computed for its group, which is what makes
/// hierarchical FedAvg equal flat FedAvg. Alongside the model it sums what client algorithms report:
/// metrics (example-weighted) and extra vectors (unweighted, e.g. SCAFFOLD's Δc_i).
public final class FitAccumulator {
    /// The global model the round started from.
    public let global: ModelState
    /// How deltas are combined (``AggregationRule``); order statistics keep every delta.
    public let rule: AggregationRule
    /// `Σ scale_k · Δ_k`, one entry per parameter (`scale_k = n_k` by default).
    public private(set) var weightedSum: [Double]
    /// `Σ weight_k` (`Σ n_k` by default).
    public private(set) var totalWeight: Double = 0
    /// `Σ n_k`, whatever the weighting.
    public private(set) var totalExamples: Double = 0
    /// Number of client results folded in (partial sums count their clients).
    public private(set) var count = 0
    /// `Σ n_k · loss_k`, for the round's mean training loss.
    public private(set) var weightedLoss: Double = 0
    /// Client ids folded in, in order.
    public private(set) var clientIDs: [Int] = []
    /// `Σ n_k · metric_k` and `Σ n_k` over the clients that reported each metric.
    public private(set) var metricSums: [String: (sum: Double, weight: Double)] = [:]
    /// `Σ_k extra_k` per prefix, unweighted, with the number of clients that sent it.
    public private(set) var extraSums: [String: (sum: [Double], count: Int)] = [:]
    /// Every delta of the round, for the order-statistic rules only.
    public private(set) var retained: [[Float]] = []
    private let weighting: FitWeighting?

    /// An empty accumulator against `global`; `weighting` nil means `(n_k, n_k)`.
    public init(global: ModelState, rule: AggregationRule = .mean, weighting: FitWeighting? = nil) {
        self.global = global
        self.rule = rule
        self.weighting = weighting
        self.weightedSum = [Double](repeating: 0, count: global.values.count)
    }

    /// Folds one client's result in.
    ///
    /// - Throws: `.modelMismatch` if the update's layout or an extra's length differs;
    ///   `.nonFiniteValue` for NaN/inf; `.invalidArgument` for a result without examples.
    public func add(_ result: ClientResult) throws(FedError) {
        guard result.update.layout == global.layout else {
            throw FedError(.modelMismatch, "client \(result.clientID) sent a model with a different layout")
        }
        guard result.update.isFinite else { throw FedError(.nonFiniteValue, "client \(result.clientID) sent NaN or infinite values") }
        guard result.numExamples > 0 else { throw FedError(.invalidArgument, "client \(result.clientID) reports no training examples") }
        for (key, extra) in result.extras {
            guard extra.count == global.values.count else {
                throw FedError(.modelMismatch, "client \(result.clientID) sent '\(key)' with \(extra.count) values, the model has \(global.values.count)")
            }
            guard extra.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "client \(result.clientID) sent a non-finite '\(key)'") }
        }
        guard result.metrics.values.allSatisfy({ $0.isFinite }) else {
            throw FedError(.nonFiniteValue, "client \(result.clientID) reported a non-finite metric")
        }
        let delta = result.isDelta ? result.update.values : zip(result.update.values, global.values).map { $0 - $1 }
        let n = Double(result.numExamples)
        var (scale, weight) = weighting?(result, delta) ?? (n, n)
        guard scale.isFinite, weight.isFinite else { throw FedError(.nonFiniteValue, "client \(result.clientID)'s aggregation weight is not finite") }
        if case .clip(let norm) = rule {
            let length = delta.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            if length > norm { scale *= norm / length }
        }
        if rule.retainsResults {
            retained.append(delta)
        } else {
            weightedSum.withUnsafeMutableBufferPointer { sum in
                delta.withUnsafeBufferPointer { Kernels.accumulate(into: sum, values: $0, weight: scale) }
            }
        }
        for (key, extra) in result.extras {
            var entry = extraSums[key] ?? ([Double](repeating: 0, count: extra.count), 0)
            entry.sum.withUnsafeMutableBufferPointer { sum in
                extra.withUnsafeBufferPointer { Kernels.accumulate(into: sum, values: $0, weight: 1) }
            }
            entry.count += 1
            extraSums[key] = entry
        }
        for (key, value) in result.metrics {
            let entry = metricSums[key] ?? (0, 0)
            metricSums[key] = (entry.sum + n * value, entry.weight + n)
        }
        totalWeight += weight
        totalExamples += n
        weightedLoss += n * result.loss
        count += 1
        clientIDs.append(result.clientID)
    }

    /// Folds in a partial sum of deltas computed elsewhere (a scheduler's group).
    ///
    /// - Throws: `.invalidArgument` for the order-statistic rules, which cannot use partial sums.
    public func addPartial(weightedSum other: [Double], totalWeight w: Double, weightedLoss loss: Double, clientIDs ids: [Int]) throws(FedError) {
        guard !rule.retainsResults else { throw FedError(.invalidArgument, "--aggregation \(rule) needs every client's delta, not group sums") }
        guard other.count == weightedSum.count else { throw FedError(.modelMismatch, "partial sum has \(other.count) parameters, the model \(weightedSum.count)") }
        guard w > 0, other.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "partial sum is empty or not finite") }
        weightedSum.withUnsafeMutableBufferPointer { sum in other.withUnsafeBufferPointer { Kernels.add(into: sum, $0) } }
        totalWeight += w
        totalExamples += w
        weightedLoss += loss
        count += ids.count
        clientIDs.append(contentsOf: ids)
    }

    /// The round's combined delta under ``rule`` (`Σ scale_k Δ_k / Σ weight_k` for the streaming rules),
    /// or nil if nothing was folded in.
    public func combinedDelta() -> [Double]? {
        guard count > 0, totalWeight > 0 || rule.retainsResults else { return nil }
        if let combined = rule.combine(retained) { return combined }
        let inverse = 1 / totalWeight
        return weightedSum.map { $0 * inverse }
    }

    /// `global + η · combinedDelta`, or nil if nothing was folded in.
    public func weightedMean(serverLearningRate: Double = 1) -> ModelState? {
        if rule.retainsResults {
            guard let delta = combinedDelta() else { return nil }
            return global.adding(delta, scale: serverLearningRate)
        }
        guard totalWeight > 0 else { return nil }
        var out = global
        out.values.withUnsafeMutableBufferPointer { o in
            weightedSum.withUnsafeBufferPointer { s in
                global.values.withUnsafeBufferPointer { g in
                    Kernels.finish(s, scale: serverLearningRate / totalWeight, base: g, into: o)
                }
            }
        }
        return out
    }

    /// Mean training loss over the folded-in clients, weighted by examples.
    public var meanLoss: Double { totalExamples > 0 ? weightedLoss / totalExamples : .nan }

    /// Example-weighted mean of metric `key` over the clients that reported it, or nil.
    public func meanMetric(_ key: String) -> Double? {
        guard let entry = metricSums[key], entry.weight > 0 else { return nil }
        return entry.sum / entry.weight
    }
}

extension ModelState {
    /// `self + scale · delta`, rounded to float32 once per parameter.
    public func adding(_ delta: [Double], scale: Double = 1) -> ModelState {
        var out = self
        for i in out.values.indices { out.values[i] = Float(Double(values[i]) + scale * delta[i]) }
        return out
    }
}
