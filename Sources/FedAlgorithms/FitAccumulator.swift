import FedCore

/// Streaming, example-weighted sum of client updates (always kept as deltas against the round's
/// global model). Also folds in partial sums that a scheduler computed for its group, which is what
/// makes hierarchical FedAvg equal flat FedAvg.
///
/// Precision: models up to ``float32Threshold`` parameters are summed in float64, exactly as before
/// (so federations match `simulate` bit for bit). Larger models are summed in float32 so that the sum
/// costs one model's worth of memory, not two: see ``Precision/float32`` for the numeric effect. In
/// float32 mode the sum is allocated on the first result and ``weightedMean(serverLearningRate:)``
/// computes the new model in the sum's own storage (no further copy).
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
    /// How the sum is held.
    public let precision: Precision
    /// `Σ n_k`.
    public private(set) var totalWeight: Double = 0
    /// Number of client results folded in (partial sums count their clients).
    public private(set) var count = 0
    /// `Σ n_k · loss_k`, for the round's mean training loss.
    public private(set) var weightedLoss: Double = 0
    /// Client ids folded in, in order.
    public private(set) var clientIDs: [Int] = []

    /// The float64 sum (float64 mode).
    private var sum64: [Double] = []
    /// The float32 sum (float32 mode); empty until the first result, whose fold initializes it.
    private var sum32: [Float] = []
    /// The model `weightedMean` built in the float32 sum's storage, and the rate it used.
    private var consumed: (rate: Double, model: ModelState)?

    /// An empty accumulator against `global`; `precision` defaults by size (see ``float32Threshold``).
    public init(global: ModelState, precision: Precision? = nil) {
        self.global = global
        self.precision = precision ?? (global.values.count > Self.float32Threshold ? .float32 : .float64)
        if self.precision == .float64 { sum64 = [Double](repeating: 0, count: global.values.count) }
    }

    /// `Σ n_k · Δ_k`, one entry per parameter (in float32 mode, converted to float64 on each read).
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

    /// Folds one client's result in, weighted by its example count.
    ///
    /// - Throws: `.modelMismatch` if the update's layout differs; `.nonFiniteValue` for NaN/inf.
    public func add(_ result: ClientResult) throws(FedError) {
        guard result.update.layout == global.layout else {
            throw FedError(.modelMismatch, "client \(result.clientID) sent a model with a different layout")
        }
        guard result.update.isFinite else { throw FedError(.nonFiniteValue, "client \(result.clientID) sent NaN or infinite values") }
        try add(clientID: result.clientID, numExamples: result.numExamples, isDelta: result.isDelta, loss: result.loss) { fold in
            result.update.values.withUnsafeBufferPointer { fold(0, $0) }
        }
    }

    /// Folds one client's result in slice by slice, without the whole update ever existing as a
    /// ``ModelState`` (e.g. straight from received frames).
    ///
    /// `slices` must check everything it can reject — layout, coverage, NaN/inf — *before* its first
    /// call to `fold`, so that a rejected upload leaves the sum untouched; then it calls `fold` with
    /// every parameter exactly once (`elementOffset` is the slice's position in the flat model).
    ///
    /// - Throws: `.invalidArgument` for no examples, or whatever `slices` throws.
    public func add(clientID: Int, numExamples: Int, isDelta: Bool, loss: Double,
                    slices: (_ fold: (_ elementOffset: Int, _ values: UnsafeBufferPointer<Float>) -> Void) throws(FedError) -> Void) throws(FedError) {
        guard numExamples > 0 else { throw FedError(.invalidArgument, "client \(clientID) reports no training examples") }
        guard consumed == nil else { throw FedError(.invalidArgument, "the round's sum was already turned into the new model") }
        let w = Double(numExamples)
        switch precision {
        case .float64:
            try sum64.withUnsafeMutableBufferPointer { (all) throws(FedError) in
                try global.values.withUnsafeBufferPointer { (g) throws(FedError) in
                    try slices { offset, v in
                        let sum = UnsafeMutableBufferPointer(rebasing: all[offset..<(offset + v.count)])
                        if isDelta {
                            Kernels.accumulate(into: sum, values: v, weight: w)
                        } else {
                            let base = UnsafeBufferPointer(rebasing: g[offset..<(offset + v.count)])
                            for i in 0..<v.count { sum[i] += w * (Double(v[i]) - Double(base[i])) }
                        }
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
                throw FedError(.modelMismatch, "client \(clientID)'s upload covered \(folded) of \(global.values.count) parameters")
            }
        }
        totalWeight += w
        weightedLoss += w * loss
        count += 1
        clientIDs.append(clientID)
    }

    /// Folds in a partial sum of deltas computed elsewhere (a scheduler's group).
    public func addPartial(weightedSum other: [Double], totalWeight w: Double, weightedLoss loss: Double, clientIDs ids: [Int]) throws(FedError) {
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
        weightedLoss += loss
        count += ids.count
        clientIDs.append(contentsOf: ids)
    }

    /// `global + Σ n_k Δ_k / Σ n_k`, or nil if nothing was folded in. In float32 mode the model is
    /// built in the sum's storage; a repeated call returns the same model.
    public func weightedMean(serverLearningRate: Double = 1) -> ModelState? {
        guard totalWeight > 0 else { return nil }
        let scale = serverLearningRate / totalWeight
        switch precision {
        case .float64:
            var out = global
            out.values.withUnsafeMutableBufferPointer { o in
                sum64.withUnsafeBufferPointer { s in
                    global.values.withUnsafeBufferPointer { g in
                        Kernels.finish(s, scale: scale, base: g, into: o)
                    }
                }
            }
            return out
        case .float32:
            if let consumed {
                if consumed.rate == serverLearningRate { return consumed.model }
                let sum = weightedSum
                var out = global
                out.values.withUnsafeMutableBufferPointer { o in
                    sum.withUnsafeBufferPointer { s in global.values.withUnsafeBufferPointer { Kernels.finish(s, scale: scale, base: $0, into: o) } }
                }
                return out
            }
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
    public var meanLoss: Double { totalWeight > 0 ? weightedLoss / totalWeight : .nan }
}
