import FedCore

/// SCAFFOLD's server (Karimireddy et al., "SCAFFOLD: Stochastic Controlled Averaging for Federated
/// Learning", ICML 2020, Algorithm 1, lines 16–17):
/// `x ← x + η_g Δx` and `c ← c + (|S|/N) Δc`, with `Δx`, `Δc` the means of the sampled clients'
/// `Δy_i`, `Δc_i`. `Δx` is example-weighted here (as FedAvg; the paper's clients are equal-sized),
/// `Δc` unweighted as in the paper, so `c ← c + (1/N) Σ_{i∈S} Δc_i`. The server control variate c
/// goes to the clients with every model (extra `scaffold.c`) and into checkpoints.
public struct Scaffold: Strategy {
    /// `scaffold`.
    public let name = "scaffold"
    /// Global step size η_g.
    public let serverLearningRate: Double
    /// N, the number of clients.
    public let totalClients: Int
    private var c: [Float] = []

    /// SCAFFOLD over `totalClients` clients with global step `serverLearningRate` (the paper uses 1).
    public init(totalClients: Int, serverLearningRate: Double = 1) {
        self.totalClients = max(1, totalClients)
        self.serverLearningRate = serverLearningRate
    }

    /// A fresh accumulator.
    public func makeAccumulator(global: ModelState) -> FitAccumulator { FitAccumulator(global: global) }

    /// Updates x and c.
    public mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState? {
        guard let next = results.weightedMean(serverLearningRate: serverLearningRate) else { return nil }
        if let dc = results.extraSums[ScaffoldClient.deltaKey] {
            if c.count != dc.sum.count { c = [Float](repeating: 0, count: dc.sum.count) }
            let scale = 1 / Double(totalClients)
            for i in c.indices { c[i] = Float(Double(c[i]) + scale * dc.sum[i]) }
        }
        return next
    }

    /// The server control variate c (nothing until the first update: clients read absent as zero).
    public func downloadExtras(global: ModelState) -> [String: [Float]] { c.isEmpty ? [:] : [ScaffoldClient.serverKey: c] }

    /// The server control variate c.
    public var control: [Float] { c }

    /// `scaffold.c`.
    public func exportState() -> [String: [Float]] { c.isEmpty ? [:] : [ScaffoldClient.serverKey: c] }

    /// Restores `scaffold.c`.
    public mutating func importState(_ state: [String: [Float]]) throws(FedError) {
        c = try StrategyState.vectors(state, keys: [ScaffoldClient.serverKey], algorithm: name)[ScaffoldClient.serverKey] ?? []
    }
}
