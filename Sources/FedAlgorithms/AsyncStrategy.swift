import FedCore

/// A server-side algorithm for asynchronous federated learning: each client update is folded into the
/// global model on arrival, without waiting for other clients.
public protocol AsyncStrategy: Sendable {
    /// Command-line name.
    var name: String { get }
    /// True when clients should upload `local − base` deltas rather than their whole model.
    var wantsDeltas: Bool { get }
    /// Folds one update, trained from a model `staleness` versions old, into `global`; returns true
    /// when `global` changed (the model version advances).
    ///
    /// - Throws: `.modelMismatch` / `.nonFiniteValue` for unusable updates; `global` is untouched then.
    mutating func apply(_ update: ClientResult, staleness: Int, to global: inout ModelState) throws(FedError) -> Bool
}

/// FedAsync (Xie, Koyejo and Gupta, "Asynchronous Federated Optimization", 2019, Algorithm 1):
/// `x_t = (1 − α_t) x_{t−1} + α_t x_new` with `α_t = α · s(t − τ)` for a staleness function `s`.
/// Clients upload their whole trained model.
public struct FedAsync: AsyncStrategy {
    /// `fedasync`.
    public let name = "fedasync"
    /// Whole models, as the paper mixes them.
    public let wantsDeltas = false
    /// Base mixing weight α.
    public var alpha: Double
    /// Staleness discount.
    public var staleness: StalenessFunction

    /// FedAsync with mixing weight `alpha` (the paper uses 0.6–0.9) and discount `staleness`.
    public init(alpha: Double = 0.6, staleness: StalenessFunction = .polynomial(a: 0.5)) {
        self.alpha = alpha
        self.staleness = staleness
    }

    /// The mixing step.
    public mutating func apply(_ update: ClientResult, staleness s: Int, to global: inout ModelState) throws(FedError) -> Bool {
        try check(update, against: global)
        let a = Float(alpha * staleness.weight(s))
        update.update.values.withUnsafeBufferPointer { x in
            global.values.withUnsafeMutableBufferPointer { g in
                if update.isDelta {
                    for i in 0..<g.count { g[i] += a * x[i] }
                } else {
                    for i in 0..<g.count { g[i] = (1 - a) * g[i] + a * x[i] }
                }
            }
        }
        return true
    }
}

/// FedBuff (Nguyen et al., "Federated Learning with Buffered Asynchronous Aggregation", AISTATS 2022,
/// Algorithm 1): deltas accumulate in a buffer; after `bufferSize` of them the server applies
/// `x ← x + η_g · (1/K) Σ_k s(τ_k) Δ_k` (with `s` the staleness discount, 1 by default).
public struct FedBuff: AsyncStrategy {
    /// `fedbuff`.
    public let name = "fedbuff"
    /// Deltas, as the paper's clients send.
    public let wantsDeltas = true
    /// K, updates per server step.
    public var bufferSize: Int
    /// Server learning rate η_g.
    public var serverLearningRate: Double
    /// Staleness discount applied to each buffered delta.
    public var staleness: StalenessFunction
    private var buffer: [Double] = []
    private var buffered = 0

    /// FedBuff with buffer `bufferSize` (the paper uses 10), server rate `serverLearningRate`.
    public init(bufferSize: Int = 10, serverLearningRate: Double = 1, staleness: StalenessFunction = .constant) {
        self.bufferSize = max(1, bufferSize)
        self.serverLearningRate = serverLearningRate
        self.staleness = staleness
    }

    /// Buffers the delta; applies the buffer's mean when it holds K updates.
    public mutating func apply(_ update: ClientResult, staleness s: Int, to global: inout ModelState) throws(FedError) -> Bool {
        try check(update, against: global)
        if buffer.count != global.values.count { buffer = [Double](repeating: 0, count: global.values.count) }
        let w = staleness.weight(s)
        update.update.values.withUnsafeBufferPointer { x in
            buffer.withUnsafeMutableBufferPointer { b in
                if update.isDelta {
                    Kernels.accumulate(into: b, values: x, weight: w)
                } else {
                    global.values.withUnsafeBufferPointer { g in
                        for i in 0..<b.count { b[i] += w * (Double(x[i]) - Double(g[i])) }
                    }
                }
            }
        }
        buffered += 1
        guard buffered >= bufferSize else { return false }
        let scale = serverLearningRate / Double(buffered)
        global.values.withUnsafeMutableBufferPointer { g in
            buffer.withUnsafeBufferPointer { b in
                for i in 0..<g.count { g[i] = Float(Double(g[i]) + scale * b[i]) }
            }
        }
        buffer = [Double](repeating: 0, count: global.values.count)
        buffered = 0
        return true
    }

    /// Updates waiting in the buffer.
    public var pending: Int { buffered }
}

private func check(_ update: ClientResult, against global: ModelState) throws(FedError) {
    guard update.update.layout == global.layout else {
        throw FedError(.modelMismatch, "client \(update.clientID) sent a model with a different layout")
    }
    guard update.update.isFinite else { throw FedError(.nonFiniteValue, "client \(update.clientID) sent NaN or infinite values") }
}
