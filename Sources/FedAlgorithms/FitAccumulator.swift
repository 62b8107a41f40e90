import FedCore

/// Streaming, example-weighted sum of client updates (always kept as deltas against the round's
/// global model), in float64. Also folds in partial sums that a scheduler computed for its group,
/// which is what makes hierarchical FedAvg equal flat FedAvg.
public final class FitAccumulator {
    /// The global model the round started from.
    public let global: ModelState
    /// `Σ n_k · Δ_k`, one entry per parameter.
    public private(set) var weightedSum: [Double]
    /// `Σ n_k`.
    public private(set) var totalWeight: Double = 0
    /// Number of client results folded in (partial sums count their clients).
    public private(set) var count = 0
    /// `Σ n_k · loss_k`, for the round's mean training loss.
    public private(set) var weightedLoss: Double = 0
    /// Client ids folded in, in order.
    public private(set) var clientIDs: [Int] = []

    /// An empty accumulator against `global`.
    public init(global: ModelState) {
        self.global = global
        self.weightedSum = [Double](repeating: 0, count: global.values.count)
    }

    /// Folds one client's result in, weighted by its example count.
    ///
    /// - Throws: `.modelMismatch` if the update's layout differs; `.nonFiniteValue` for NaN/inf.
    public func add(_ result: ClientResult) throws(FedError) {
        guard result.update.layout == global.layout else {
            throw FedError(.modelMismatch, "client \(result.clientID) sent a model with a different layout")
        }
        guard result.update.isFinite else { throw FedError(.nonFiniteValue, "client \(result.clientID) sent NaN or infinite values") }
        guard result.numExamples > 0 else { throw FedError(.invalidArgument, "client \(result.clientID) reports no training examples") }
        let w = Double(result.numExamples)
        weightedSum.withUnsafeMutableBufferPointer { sum in
            result.update.values.withUnsafeBufferPointer { v in
                if result.isDelta {
                    Kernels.accumulate(into: sum, values: v, weight: w)
                } else {
                    global.values.withUnsafeBufferPointer { g in
                        for i in 0..<v.count { sum[i] += w * (Double(v[i]) - Double(g[i])) }
                    }
                }
            }
        }
        totalWeight += w
        weightedLoss += w * result.loss
        count += 1
        clientIDs.append(result.clientID)
    }

    /// Folds in a partial sum of deltas computed elsewhere (a scheduler's group).
    public func addPartial(weightedSum other: [Double], totalWeight w: Double, weightedLoss loss: Double, clientIDs ids: [Int]) throws(FedError) {
        guard other.count == weightedSum.count else { throw FedError(.modelMismatch, "partial sum has \(other.count) parameters, the model \(weightedSum.count)") }
        guard w > 0, other.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "partial sum is empty or not finite") }
        weightedSum.withUnsafeMutableBufferPointer { sum in other.withUnsafeBufferPointer { Kernels.add(into: sum, $0) } }
        totalWeight += w
        weightedLoss += loss
        count += ids.count
        clientIDs.append(contentsOf: ids)
    }

    /// `global + Σ n_k Δ_k / Σ n_k`, or nil if nothing was folded in.
    public func weightedMean(serverLearningRate: Double = 1) -> ModelState? {
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
    public var meanLoss: Double { totalWeight > 0 ? weightedLoss / totalWeight : .nan }
}
