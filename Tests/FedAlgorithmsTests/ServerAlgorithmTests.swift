import FedCore
import Foundation
import Testing
@testable import FedAlgorithms

private let layout2 = try! ModelLayout([TensorSpec(name: "w", shape: [2]), TensorSpec(name: "b", shape: [1])])

private func state(_ v: [Float]) -> ModelState { try! ModelState(layout: layout2, values: v) }

/// One client's delta upload with optional metrics and extras.
private func result(_ id: Int, _ n: Int, _ delta: [Float], loss: Double = 1, metrics: [String: Double] = [:],
                    extras: [String: [Float]] = [:]) -> ClientResult {
    ClientResult(clientID: id, numExamples: n, update: state(delta), isDelta: true, loss: loss, metrics: metrics, extras: extras)
}

private let deltas: [[Float]] = [[0.5, -1, 0.25], [-0.1, 0.3, 2], [1, 1, -1]]
private let sizes = [10, 30, 60]
private let start = state([0.2, -0.4, 1])

/// Runs one round of `strategy` on `results`.
private func round<S: Strategy>(_ strategy: inout S, _ global: ModelState, _ results: [ClientResult], round r: Int = 1) throws -> ModelState {
    let acc = strategy.makeAccumulator(global: global)
    for x in results { try acc.add(x) }
    let next = strategy.aggregateFit(round: r, global: global, results: acc, failures: [])
    return try #require(next)
}

private func plain() -> [ClientResult] { deltas.indices.map { result($0, sizes[$0], deltas[$0]) } }

/// `Σ n_k Δ_k / Σ n_k` in float64.
private func weightedMeanDelta() -> [Double] {
    let n = Double(sizes.reduce(0, +))
    return (0..<3).map { i in deltas.indices.reduce(0.0) { $0 + Double(sizes[$1]) * Double(deltas[$1][i]) } / n }
}

private func close(_ a: [Float], _ b: [Double], _ tolerance: Double = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance * max(1, abs($1)) }
}

@Test func fedAvgMWithZeroMomentumIsFedAvgExactly() throws {
    var avg = FedAvg()
    var m = FedAvgM(momentum: 0, serverLearningRate: 1)
    var g1 = start, g2 = start
    for r in 1...3 {
        g1 = try round(&avg, g1, plain(), round: r)
        g2 = try round(&m, g2, plain(), round: r)
        #expect(g1 == g2)
    }
}

@Test func fedAvgMAccumulatesServerMomentum() throws {
    var m = FedAvgM(momentum: 0.9, serverLearningRate: 0.5)
    let d = weightedMeanDelta()
    let first = try round(&m, start, plain())
    #expect(close(first.values, (0..<3).map { Double(start.values[$0]) + 0.5 * d[$0] }))
    let second = try round(&m, first, plain(), round: 2)
    // v_2 = 0.9 v_1 + Δ = 1.9 Δ.
    #expect(close(second.values, (0..<3).map { Double(first.values[$0]) + 0.5 * 1.9 * d[$0] }))
}

@Test(arguments: FedOpt.Variant.allCases)
func fedOptServerUpdateMatchesReddiAlgorithm2(variant: FedOpt.Variant) throws {
    let (eta, tau, b1, b2) = (0.1, 1e-3, 0.9, 0.99)
    var strategy = FedOpt(variant, serverLearningRate: eta, tau: tau, beta1: b1, beta2: b2)
    var m = [Double](repeating: 0, count: 3), v = [Double](repeating: tau * tau, count: 3)
    var x = start.values.map(Double.init)
    var global = start
    for r in 1...3 {
        global = try round(&strategy, global, plain(), round: r)
        let d = weightedMeanDelta()
        for i in 0..<3 {
            m[i] = b1 * m[i] + (1 - b1) * d[i]
            switch variant {
            case .adagrad: v[i] = v[i] + d[i] * d[i]
            case .adam: v[i] = b2 * v[i] + (1 - b2) * d[i] * d[i]
            case .yogi: v[i] = v[i] - (1 - b2) * d[i] * d[i] * (v[i] > d[i] * d[i] ? 1 : -1)
            }
            x[i] = Double(Float(x[i] + eta * m[i] / (v[i].squareRoot() + tau)))
        }
        #expect(close(global.values, x), "round \(r): \(global.values) vs \(x)")
    }
}

@Test func fedNovaWithEqualStepsEqualsFedAvg() throws {
    var avg = FedAvg()
    var nova = FedNova()
    let results = deltas.indices.map { result($0, sizes[$0], deltas[$0], metrics: ["steps": 7, "nova_norm": 7]) }
    let a = try round(&avg, start, results)
    let b = try round(&nova, start, results)
    #expect(close(b.values, a.values.map(Double.init)))
}

@Test func fedNovaNormalizesByLocalSteps() throws {
    var nova = FedNova()
    let steps: [Double] = [1, 4, 10]
    let results = deltas.indices.map { result($0, sizes[$0], deltas[$0], metrics: ["nova_norm": steps[$0]]) }
    let next = try round(&nova, start, results)
    let n = Double(sizes.reduce(0, +))
    let p = sizes.map { Double($0) / n }
    let tauEff = zip(p, steps).reduce(0) { $0 + $1.0 * $1.1 }
    let reference = (0..<3).map { i in Double(start.values[i]) + tauEff * (0..<3).reduce(0.0) { $0 + p[$1] * Double(deltas[$1][i]) / steps[$1] } }
    #expect(close(next.values, reference))
    #expect(FedNova.normalizer(steps: 5, momentum: 0) == 5)
    // Momentum ρ: Σ_{k<τ} (1 − ρ^{τ−k})/(1 − ρ), the closed form of the paper's appendix.
    let rho = 0.5, tau = 4
    let direct = (0..<tau).reduce(0.0) { $0 + (1 - pow(rho, Double(tau - $1))) / (1 - rho) }
    #expect(abs(FedNova.normalizer(steps: tau, momentum: rho) - direct) < 1e-12)
}

@Test func scaffoldServerMovesXByWeightedMeanAndCByOneOverN() throws {
    var s = Scaffold(totalClients: 10, serverLearningRate: 1)
    let dc: [[Float]] = [[1, 2, 3], [0, -1, 1], [0.5, 0.5, 0.5]]
    let results = deltas.indices.map { result($0, sizes[$0], deltas[$0], extras: [ScaffoldClient.deltaKey: dc[$0]]) }
    #expect(s.downloadExtras(global: start).isEmpty)  // c = 0 at first: nothing to send
    let next = try round(&s, start, results)
    var avg = FedAvg()
    #expect(next == (try round(&avg, start, plain())))
    let c = try #require(s.downloadExtras(global: next)[ScaffoldClient.serverKey])
    #expect(close(c, (0..<3).map { i in dc.reduce(0.0) { $0 + Double($1[i]) } / 10 }))
    var restored = Scaffold(totalClients: 10)
    try restored.importState(s.exportState())
    #expect(restored.control == c)
}

@Test func fedDynServerFollowsAcarAlgorithm1() throws {
    let alpha = 0.1, m = 5
    var s = FedDyn(alpha: alpha, totalClients: m)
    var h = [Double](repeating: 0, count: 3)
    var x = start.values.map(Double.init)
    var global = start
    for r in 1...2 {
        global = try round(&s, global, plain(), round: r)
        for i in 0..<3 {
            let sum = deltas.reduce(0.0) { $0 + Double($1[i]) }
            h[i] -= alpha / Double(m) * sum
            x[i] = Double(Float(x[i] + sum / 3 - h[i] / alpha))
        }
        #expect(close(global.values, x, 1e-5))
    }
}

@Test func qfflWithQZeroIsTheUnweightedMeanOfTheModels() throws {
    var q = QFFL(q: 0, learningRate: 0.05)
    let next = try round(&q, start, plain())
    #expect(close(next.values, (0..<3).map { i in Double(start.values[i]) + deltas.reduce(0.0) { $0 + Double($1[i]) } / 3 }))
}

@Test func qfflMatchesQFedAvgAlgorithm2() throws {
    let (qv, lr) = (2.0, 0.1)
    let l = 1 / lr
    let losses = [0.5, 2.0, 1.0]
    var q = QFFL(q: qv, learningRate: lr)
    let results = deltas.indices.map { result($0, sizes[$0], deltas[$0], metrics: ["initial_loss": losses[$0]]) }
    let next = try round(&q, start, results)
    var num = [Double](repeating: 0, count: 3), den = 0.0
    for k in 0..<3 {
        let dw = deltas[k].map { -l * Double($0) }  // Δw_k = L (w − w̄_k)
        let f = losses[k]
        for i in 0..<3 { num[i] += pow(f, qv) * dw[i] }
        den += qv * pow(f, qv - 1) * dw.reduce(0) { $0 + $1 * $1 } + l * pow(f, qv)
    }
    #expect(close(next.values, (0..<3).map { Double(start.values[$0]) - num[$0] / den }))
}

@Test func strategyStatesSurviveExportAndImport() throws {
    var a = FedOpt(.adam)
    _ = try round(&a, start, plain())
    var b = FedOpt(.adam)
    try b.importState(a.exportState())
    let x = try round(&a, start, plain(), round: 2)
    let y = try round(&b, start, plain(), round: 2)
    #expect(close(x.values, y.values.map(Double.init)))
    var avg = FedAvg()
    #expect(throws: FedError.self) { try avg.importState(["fedopt.m": [1]]) }
}

@Test func registryKnowsEveryAlgorithmAndRefusesRobustRulesWhereTheyDoNotApply() throws {
    for name in StrategyRegistry.names {
        #expect(try StrategyRegistry.make(name, clients: 10).name == name)
        var fit = FitConfig()
        fit.algorithm = name
        #expect(try ClientAlgorithms.make(fit).name == name)
    }
    var robust = AlgorithmParameters()
    robust.aggregation = "median"
    #expect(throws: FedError.self) { try StrategyRegistry.make("scaffold", parameters: robust) }
    #expect(try StrategyRegistry.make("fedadam", parameters: robust).name == "fedadam")
}
