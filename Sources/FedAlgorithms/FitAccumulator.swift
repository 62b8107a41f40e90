import FedCore

/// How one result enters the weighted sum: its delta is multiplied by `scale`, and `weight` is added to
/// the denominator. FedAvg uses `(n_k, n_k)`; FedNova, FedDyn and q-FFL use their papers' weights.
public typealias FitWeighting = @Sendable (_ result: ClientResult, _ delta: [Float]) -> (scale: Double, weight: Double)

/// Streaming, weighted sum of client updates (always kept as deltas against the round's global model).
/// Also folds in partial sums that a scheduler computed for its group, which is what makes
/// hierarchical FedAvg equal flat FedAvg. Alongside the model it sums what client algorithms report:
/// metrics (example-weighted) and extra vectors (unweighted, e.g. SCAFFOLD's Δc_i).
///
/// Precision: models up to ``float32Threshold`` parameters are summed in float64 (federations match
/// `simulate` bit for bit). Larger models are summed in float32 so that the sum costs one model's worth
/// of memory, not two (see ``Precision/float32``); then the sum is allocated on the first result and
/// ``weightedMean(serverLearningRate:)`` builds the new model in the sum's own storage.
public final class FitAccumulator {
    /// How the weighted sum is held.
    public enum Precision: Sendable, Hashable {
        /// A float64 sum: no rounding a float32 model could show, 2× the model's memory.
        case float64
        /// A float32 sum, 1× the model's memory. Each fold rounds once to float32 (relative error
        /// ≤ 2⁻²⁴ of the running sum), so after K clients the sum is within about K·2⁻²⁴ (relative, of
        /// Σ|n_k Δ_k|) of the exact one — the usual bound for recursive summation. Not compensated:
        /// Kahan's summation (Kahan, "Further remarks on reducing truncation errors", CACM 8(1), 1965)
        /// would remove the K factor but needs another model-sized buffer, which is what this mode saves.
        case float32
    }

    /// Models with more parameters than this are summed in float32 by default (2^26 = 67,108,864,
    /// 256 MiB of float32).
    public static let float32Threshold = 1 << 26

    /// The global model the round started from.
    public let global: ModelState
    /// How deltas are combined (``AggregationRule``); order statistics keep every delta.
    public let rule: AggregationRule
    /// How the sum is held.
    public let precision: Precision
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
    /// The float64 sum (float64 mode).
    private var sum64: [Double] = []
    /// The float32 sum (float32 mode); empty until the first result, whose fold initializes it.
    private var sum32: [Float] = []
    /// The model `weightedMean` built in the float32 sum's storage, and the rate it used.
    private var consumed: (rate: Double, model: ModelState)?

    /// An empty accumulator against `global`; `weighting` nil means `(n_k, n_k)`; `precision` defaults
    /// by size (see ``float32Threshold``).
    public init(global: ModelState, rule: AggregationRule = .mean, weighting: FitWeighting? = nil, precision: Precision? = nil) {
        self.global = global
        self.rule = rule
        self.weighting = weighting
        self.precision = precision ?? (global.values.count > Self.float32Threshold ? .float32 : .float64)
        if self.precision == .float64 { sum64 = [Double](repeating: 0, count: global.values.count) }
    }

    /// `Σ scale_k · Δ_k`, one entry per parameter (in float32 mode, converted to float64 on each read).
    public var weightedSum: [Double] {
        switch precision {
        case .float64: return sum64
        case .float32:
            if let consumed {
                // Recovered from the built model: (new − global) / scale.
                let scale = consumed.rate / totalWeight
                return zip(consumed.model.values, global.values).map { (Double($0) - Double($1)) / scale }
            }
            return sum32.isEmpty ? [Double](repeating: 0, count: global.values.count) : sum32.map { Double($0) }
        }
    }

    /// True when results can be folded slice by slice (``add(clientID:numExamples:isDelta:loss:slices:)``):
    /// plain example weights and the mean rule.
    public var foldsSlices: Bool { weighting == nil && rule == .mean }

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
        guard consumed == nil else { throw FedError(.invalidArgument, "the round's sum was already turned into the new model") }
        for (key, extra) in result.extras {
            guard extra.count == global.values.count else {
                throw FedError(.modelMismatch, "client \(result.clientID) sent '\(key)' with \(extra.count) values, the model has \(global.values.count)")
            }
            guard extra.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "client \(result.clientID) sent a non-finite '\(key)'") }
        }
        guard result.metrics.values.allSatisfy({ $0.isFinite }) else {
            throw FedError(.nonFiniteValue, "client \(result.clientID) reported a non-finite metric")
        }
        let n = Double(result.numExamples)
        var denominator = n
        if foldsSlices {
            // Plain FedAvg weights: fold the update as it is (no delta copy for delta uploads).
            try fold(isDelta: result.isDelta, weight: n) { fold in result.update.values.withUnsafeBufferPointer { fold(0, $0) } }
        } else {
            let delta = result.isDelta ? result.update.values : zip(result.update.values, global.values).map { $0 - $1 }
            var (scale, weight) = weighting?(result, delta) ?? (n, n)
            guard scale.isFinite, weight.isFinite else { throw FedError(.nonFiniteValue, "client \(result.clientID)'s aggregation weight is not finite") }
            if case .clip(let norm) = rule {
                let length = delta.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                if length > norm { scale *= norm / length }
            }
            if rule.retainsResults {
                retained.append(delta)
            } else {
                try fold(isDelta: true, weight: scale) { fold in delta.withUnsafeBufferPointer { fold(0, $0) } }
            }
            denominator = weight
        }
        for (key, extra) in result.extras {
            var entry = extraSums[key] ?? ([Double](repeating: 0, count: extra.count), 0)
            entry.sum.withUnsafeMutableBufferPointer { sum in
                extra.withUnsafeBufferPointer { Kernels.accumulate(into: sum, values: $0, weight: 1) }
            }
            entry.count += 1
            extraSums[key] = entry
        }
        addMetrics(result.metrics, examples: n)
        note(clientID: result.clientID, examples: n, weight: denominator, loss: result.loss)
    }

    /// Folds one client's result in slice by slice, without the whole update ever existing as a
    /// ``ModelState`` (e.g. straight from received frames). Only when ``foldsSlices``.
    ///
    /// `slices` must check everything it can reject — layout, coverage, NaN/inf — *before* its first
    /// call to `fold`, so that a rejected upload leaves the sum untouched; then it calls `fold` with
    /// every parameter exactly once (`elementOffset` is the slice's position in the flat model).
    ///
    /// - Throws: `.invalidArgument` for no examples or weighted/order-statistic rules, or whatever `slices` throws.
    public func add(clientID: Int, numExamples: Int, isDelta: Bool, loss: Double, metrics: [String: Double] = [:],
                    slices: (_ fold: (_ elementOffset: Int, _ values: UnsafeBufferPointer<Float>) -> Void) throws(FedError) -> Void) throws(FedError) {
        guard numExamples > 0 else { throw FedError(.invalidArgument, "client \(clientID) reports no training examples") }
        guard metrics.values.allSatisfy({ $0.isFinite }) else {
            throw FedError(.nonFiniteValue, "client \(clientID) reported a non-finite metric")
        }
        guard foldsSlices else { throw FedError(.invalidArgument, "this algorithm's aggregation needs whole updates, not slices") }
        guard consumed == nil else { throw FedError(.invalidArgument, "the round's sum was already turned into the new model") }
        let n = Double(numExamples)
        try fold(isDelta: isDelta, weight: n, slices: slices)
        addMetrics(metrics, examples: n)
        note(clientID: clientID, examples: n, weight: n, loss: loss)
    }

    /// Adds `weight · (values − (isDelta ? 0 : global))` slice by slice into the sum, in its precision.
    private func fold(isDelta: Bool, weight w: Double,
                      slices: (_ fold: (_ elementOffset: Int, _ values: UnsafeBufferPointer<Float>) -> Void) throws(FedError) -> Void) throws(FedError) {
        switch precision {
        case .float64:
            try sum64.withUnsafeMutableBufferPointer { (all) throws(FedError) in
                try global.values.withUnsafeBufferPointer { (g) throws(FedError) in
                    try slices { offset, v in
                        let sum = UnsafeMutableBufferPointer(rebasing: all[offset..<(offset + v.count)])
                        let base = isDelta ? nil : UnsafeBufferPointer(rebasing: g[offset..<(offset + v.count)])
                        // Split across threads for long slices; the same arithmetic per element either way.
                        Kernels.accumulate(into: sum, values: v, minus: base, weight: w)
                    }
                }
            }
        case .float32:
            // The first result assigns (so the sum's pages are touched only as slices arrive), later ones add.
            let first = sum32.isEmpty
            if first { sum32 = [Float](unsafeUninitializedCapacity: global.values.count) { _, initialized in initialized = global.values.count } }
            var folded = 0
            do {
                try sum32.withUnsafeMutableBufferPointer { (all) throws(FedError) in
                    try global.values.withUnsafeBufferPointer { (g) throws(FedError) in
                        try slices { offset, v in
                            let sum = UnsafeMutableBufferPointer(rebasing: all[offset..<(offset + v.count)])
                            let base = isDelta ? nil : UnsafeBufferPointer(rebasing: g[offset..<(offset + v.count)])
                            Kernels.accumulate32(into: sum, values: v, minus: base, weight: Float(w), assign: first)
                            folded += v.count
                        }
                    }
                }
            } catch {
                if first { sum32 = [] }  // rejected before any fold: drop the still uninitialized sum
                throw error
            }
            if first && folded != global.values.count {
                sum32 = []  // contract broken by `slices`: never keep an uninitialized sum
                throw FedError(.modelMismatch, "an upload covered \(folded) of \(global.values.count) parameters")
            }
        }
    }

    /// Adds a client's metrics to the example-weighted sums.
    private func addMetrics(_ metrics: [String: Double], examples n: Double) {
        for (key, value) in metrics {
            let entry = metricSums[key] ?? (0, 0)
            metricSums[key] = (entry.sum + n * value, entry.weight + n)
        }
    }

    /// Counts one folded-in client whose share of the denominator is `weight`.
    private func note(clientID: Int, examples n: Double, weight: Double, loss: Double) {
        totalWeight += weight
        totalExamples += n
        weightedLoss += n * loss
        count += 1
        clientIDs.append(clientID)
    }

    /// Folds in a partial sum of deltas computed elsewhere (a scheduler's group).
    ///
    /// - Throws: `.invalidArgument` for the order-statistic rules, which cannot use partial sums.
    public func addPartial(weightedSum other: [Double], totalWeight w: Double, weightedLoss loss: Double, clientIDs ids: [Int]) throws(FedError) {
        guard !rule.retainsResults else { throw FedError(.invalidArgument, "--aggregation \(rule) needs every client's delta, not group sums") }
        guard other.count == global.values.count else { throw FedError(.modelMismatch, "partial sum has \(other.count) parameters, the model \(global.values.count)") }
        guard w > 0, other.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "partial sum is empty or not finite") }
        guard consumed == nil else { throw FedError(.invalidArgument, "the round's sum was already turned into the new model") }
        switch precision {
        case .float64:
            sum64.withUnsafeMutableBufferPointer { sum in other.withUnsafeBufferPointer { Kernels.add(into: sum, $0) } }
        case .float32:
            if sum32.isEmpty {
                sum32 = other.map { Float($0) }
            } else {
                sum32.withUnsafeMutableBufferPointer { sum in for i in 0..<other.count { sum[i] += Float(other[i]) } }
            }
        }
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

    /// `global + η · combinedDelta`, or nil if nothing was folded in. In float32 mode the model is
    /// built in the sum's storage; a repeated call returns the same model.
    public func weightedMean(serverLearningRate: Double = 1) -> ModelState? {
        if rule.retainsResults {
            guard let delta = combinedDelta() else { return nil }
            return global.adding(delta, scale: serverLearningRate)
        }
        guard totalWeight > 0 else { return nil }
        let scale = serverLearningRate / totalWeight
        switch precision {
        case .float64:
            // Written once into fresh storage (a copy of `global` would be overwritten anyway).
            let values = [Float](unsafeUninitializedCapacity: global.values.count) { o, initialized in
                sum64.withUnsafeBufferPointer { s in
                    global.values.withUnsafeBufferPointer { g in
                        Kernels.finishInParts(s, scale: scale, base: g, into: o)
                    }
                }
                initialized = o.count
            }
            // The count matches the layout by construction, so this cannot throw.
            return try? ModelState(layout: global.layout, values: values)
        case .float32:
            if let consumed {
                if consumed.rate == serverLearningRate { return consumed.model }
                return global.adding(weightedSum, scale: scale)
            }
            guard !sum32.isEmpty else { return global }
            var values = sum32
            sum32 = []  // `values` is now the only reference: the loop below writes in place
            values.withUnsafeMutableBufferPointer { o in
                global.values.withUnsafeBufferPointer { g in
                    for i in 0..<o.count { o[i] = Float(Double(g[i]) + scale * Double(o[i])) }
                }
            }
            // The layout matches by construction, so this cannot throw.
            guard let model = try? ModelState(layout: global.layout, values: values) else { return nil }
            consumed = (serverLearningRate, model)
            return model
        }
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
