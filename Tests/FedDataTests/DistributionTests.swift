import FedCore
import FedData
import Testing

private func meanAndVariance(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1))
}

@Test(arguments: [(0.1, 1.0), (0.5, 2.0), (1.0, 1.0), (3.0, 0.5), (20.0, 1.0)])
func gammaMeanAndVarianceMatchShapeAndScale(shape: Double, scale: Double) {
    var generator = SplitMix64(seed: 11)
    let draws = (0..<100_000).map { _ in RandomDistributions.gamma(shape: shape, scale: scale, using: &generator) }
    let (mean, variance) = meanAndVariance(draws)
    #expect(draws.allSatisfy { $0 >= 0 && $0.isFinite })
    #expect(abs(mean - shape * scale) < 0.03 * shape * scale + 0.005)
    #expect(abs(variance - shape * scale * scale) < 0.08 * shape * scale * scale)
}

@Test func normalHasRequestedMeanAndStd() {
    var generator = SplitMix64(seed: 12)
    let (mean, variance) = meanAndVariance((0..<100_000).map { _ in RandomDistributions.normal(mean: 2, std: 3, using: &generator) })
    #expect(abs(mean - 2) < 0.05)
    #expect(abs(variance.squareRoot() - 3) < 0.05)
}

@Test func dirichletSumsToOneWithExpectedMeansEvenForTinyAlpha() {
    var generator = SplitMix64(seed: 13)
    var sums = [Double](repeating: 0, count: 4)
    for _ in 0..<20_000 {
        let p = RandomDistributions.dirichlet([0.5, 1, 1.5, 2], using: &generator)
        #expect(abs(p.reduce(0, +) - 1) < 1e-9)
        for i in 0..<4 { sums[i] += p[i] }
    }
    for (i, expected) in [0.1, 0.2, 0.3, 0.4].enumerated() { #expect(abs(sums[i] / 20_000 - expected) < 0.01) }
    let tiny = RandomDistributions.dirichlet([Double](repeating: 0.01, count: 100), using: &generator)
    #expect(tiny.allSatisfy { $0.isFinite } && abs(tiny.reduce(0, +) - 1) < 1e-9)
}

@Test func indexBelowIsUniform() {
    var generator = SplitMix64(seed: 14)
    var counts = [Int](repeating: 0, count: 7)
    for _ in 0..<70_000 { counts[RandomDistributions.index(below: 7, using: &generator)] += 1 }
    #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })
}
