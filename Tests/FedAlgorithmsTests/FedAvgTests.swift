import FedCore
import Testing
@testable import FedAlgorithms

private func layout() throws -> ModelLayout { try ModelLayout([TensorSpec(name: "w", shape: [3]), TensorSpec(name: "b", shape: [2])]) }

@Test func fedAvgMatchesTheNaiveWeightedMean() throws {
    let l = try layout()
    let global = try ModelState(layout: l, values: [0.1, 0.2, 0.3, 0.4, 0.5])
    let models: [[Float]] = [[1, 2, 3, 4, 5], [0, -1, 0.5, 2, 2], [0.25, 0.25, 0.25, 0.25, 0.25]]
    let examples = [100, 50, 850]
    var strategy = FedAvg()
    let acc = strategy.makeAccumulator(global: global)
    for (i, (m, n)) in zip(models, examples).enumerated() {
        // Mix full-model and delta uploads: both must give the same average.
        if i == 1 {
            let delta = try ModelState(layout: l, values: zip(m, global.values).map { $0 - $1 })
            try acc.add(ClientResult(clientID: i, numExamples: n, update: delta, isDelta: true, loss: 1))
        } else {
            try acc.add(ClientResult(clientID: i, numExamples: n, update: try ModelState(layout: l, values: m), isDelta: false, loss: 1))
        }
    }
    let aggregated = strategy.aggregateFit(round: 1, global: global, results: acc, failures: [])
    let next = try #require(aggregated)
    let reference = Kernels.naiveWeightedMean(models, weights: examples.map(Double.init))
    for (a, b) in zip(next.values, reference) { #expect(abs(a - b) <= 1e-6) }
    #expect(acc.count == 3)
    #expect(acc.meanLoss == 1)
}

@Test func partialSumsEqualFlatAggregation() throws {
    let l = try layout()
    let global = ModelState(layout: l)
    let updates: [[Float]] = (0..<6).map { k in (0..<5).map { Float(k * 5 + $0) / 7 } }
    let flat = FitAccumulator(global: global)
    let groupA = FitAccumulator(global: global)
    let groupB = FitAccumulator(global: global)
    for (k, u) in updates.enumerated() {
        let r = ClientResult(clientID: k, numExamples: k + 1, update: try ModelState(layout: l, values: u), isDelta: true, loss: Double(k))
        try flat.add(r)
        try (k < 3 ? groupA : groupB).add(r)
    }
    let top = FitAccumulator(global: global)
    for g in [groupA, groupB] {
        try top.addPartial(weightedSum: g.weightedSum, totalWeight: g.totalWeight, weightedLoss: g.weightedLoss, clientIDs: g.clientIDs)
    }
    #expect(top.weightedMean() == flat.weightedMean())
    #expect(top.count == 6)
    #expect(abs(top.meanLoss - flat.meanLoss) < 1e-12)
}

@Test func badUpdatesAreRejectedAndLeaveTheSumUntouched() throws {
    let l = try layout()
    let acc = FitAccumulator(global: ModelState(layout: l))
    var nan = ModelState(layout: l)
    nan.values[2] = .nan
    #expect(throws: FedError.self) { try acc.add(ClientResult(clientID: 0, numExamples: 5, update: nan, isDelta: true, loss: 0)) }
    let other = try ModelState(layout: ModelLayout([TensorSpec(name: "w", shape: [5])]), values: [1, 1, 1, 1, 1])
    #expect { try acc.add(ClientResult(clientID: 1, numExamples: 5, update: other, isDelta: true, loss: 0)) }
        throws: { ($0 as? FedError)?.code == .modelMismatch }
    #expect(acc.count == 0)
    #expect(acc.weightedSum.allSatisfy { $0 == 0 })
    #expect(acc.weightedMean() == nil)
}
