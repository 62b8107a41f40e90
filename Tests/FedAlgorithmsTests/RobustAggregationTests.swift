import FedCore
import Testing
@testable import FedAlgorithms

private let layout4 = try! ModelLayout([TensorSpec(name: "w", shape: [4])])

/// Deterministic pseudo-random deltas, one outlier client.
private func deltas() -> [[Float]] {
    var rng = SplitMix64(seed: 11)
    var out = (0..<7).map { _ in (0..<4).map { _ in Float(Double(rng.next() % 2000) / 1000 - 1) } }
    out[3] = [100, -100, 50, 1e4]
    return out
}

private func aggregate(_ rule: AggregationRule, _ ds: [[Float]], sizes: [Int]) throws -> [Float] {
    var s = FedAvg(rule: rule)
    let global = ModelState(layout: layout4)
    let acc = s.makeAccumulator(global: global)
    for (k, d) in ds.enumerated() {
        try acc.add(ClientResult(clientID: k, numExamples: sizes[k], update: try ModelState(layout: layout4, values: d), isDelta: true, loss: 0))
    }
    let next = s.aggregateFit(round: 1, global: global, results: acc, failures: [])
    return try #require(next).values
}

@Test func coordinateMedianMatchesSortingEachCoordinate() throws {
    for count in [6, 7] {
        let ds = Array(deltas().prefix(count))
        let got = try aggregate(.median, ds, sizes: Array(repeating: 5, count: count))
        for i in 0..<4 {
            let column = ds.map { Double($0[i]) }.sorted()
            let median = count % 2 == 1 ? column[count / 2] : (column[count / 2 - 1] + column[count / 2]) / 2
            #expect(abs(Double(got[i]) - median) < 1e-6)
        }
    }
}

@Test func trimmedMeanDropsBetaFromEachEnd() throws {
    let ds = deltas()
    let got = try aggregate(.trimmedMean(beta: 0.2), ds, sizes: [1, 2, 3, 4, 5, 6, 7])
    for i in 0..<4 {
        let column = ds.map { Double($0[i]) }.sorted()
        let kept = column[1..<6]  // ⌊0.2 · 7⌋ = 1 from each end
        #expect(abs(Double(got[i]) - kept.reduce(0, +) / 5) < 1e-6)
    }
    let untrimmed = try aggregate(.trimmedMean(beta: 0), ds, sizes: [1, 1, 1, 1, 1, 1, 1])
    let mean = try aggregate(.mean, ds, sizes: [1, 1, 1, 1, 1, 1, 1])
    #expect(zip(untrimmed, mean).allSatisfy { abs($0 - $1) < 1e-3 })
}

@Test func clippingScalesLongDeltasToTheNormBeforeTheWeightedMean() throws {
    let ds = deltas()
    let sizes = [3, 1, 4, 1, 5, 9, 2]
    let got = try aggregate(.clip(norm: 1.5), ds, sizes: sizes)
    var reference = [Double](repeating: 0, count: 4)
    for (k, d) in ds.enumerated() {
        let norm = d.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let s = Double(sizes[k]) * min(1, 1.5 / norm)
        for i in 0..<4 { reference[i] += s * Double(d[i]) }
    }
    let total = Double(sizes.reduce(0, +))
    for i in 0..<4 { #expect(abs(Double(got[i]) - reference[i] / total) < 1e-6) }
}

@Test func aggregationRulesParseAndPrintTheirSpelling() throws {
    for text in ["mean", "median", "trimmed-mean:0.1", "clip:2.5"] {
        #expect(try AggregationRule(parsing: text).description == text)
    }
    for bad in ["trimmed-mean:0.5", "clip:0", "mode", "median:3"] {
        #expect(throws: FedError.self) { try AggregationRule(parsing: bad) }
    }
    #expect(AggregationRule.median.retainsResults && !AggregationRule.clip(norm: 1).retainsResults)
}
