import FedCore
import FedData
import Testing

/// Every sample index appears in exactly one client.
private func assignsEverySampleOnce(_ partition: Partition, count: Int) -> Bool {
    let all = partition.clients.flatMap { $0 }
    return all.count == count && Set(all).count == count && all.allSatisfy { (0..<count).contains($0) }
}

private let labels = makeLabels(classes: 10, perClass: 200)

private let everySpec: [PartitionSpec] = [
    .iid, .iidUnbalanced(sigma: 0.5), .dirichlet(alpha: 0.5), .shards(perClient: 2), .labelQuantity(k: 2), .featureNoise(sigma: 1),
]

@Test(arguments: everySpec)
func partitionAssignsEverySampleExactlyOnce(spec: PartitionSpec) throws {
    let partition = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: spec, seed: 7)
    #expect(partition.count == 20)
    #expect(assignsEverySampleOnce(partition, count: labels.count))
}

@Test(arguments: everySpec)
func partitionIsDeterministicPerSeedAndChangesWithSeed(spec: PartitionSpec) throws {
    let a = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: spec, seed: 1)
    let b = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: spec, seed: 1)
    let c = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: spec, seed: 2)
    #expect(a == b)
    #expect(a.clients != c.clients)
}

@Test func iidSizesDifferByAtMostOne() throws {
    let partition = try Partitioner.partition(labels: Array(labels[..<1999]), classes: 10, clients: 30, spec: .iid, seed: 3)
    let sizes = partition.sizes
    #expect(sizes.max()! - sizes.min()! <= 1)
    #expect(assignsEverySampleOnce(partition, count: 1999))
}

@Test func unbalancedSizesSpreadMoreAsSigmaGrows() throws {
    func spread(_ sigma: Double) throws -> Double {
        let sizes = try Partitioner.partition(labels: labels, classes: 10, clients: 50, spec: .iidUnbalanced(sigma: sigma), seed: 5).sizes
        let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
        let variance = sizes.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(sizes.count)
        return variance.squareRoot() / mean
    }
    let none = try spread(0), small = try spread(0.3), large = try spread(1.5)
    #expect(none < 0.02)
    #expect(small > none)
    #expect(large > 2 * small)
}

@Test func dirichletGivesEveryClientTenSamplesAndSkewFallsWithAlpha() throws {
    let skewed = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: .dirichlet(alpha: 0.1), seed: 0)
    let flat = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: .dirichlet(alpha: 10), seed: 0)
    #expect(skewed.sizes.min()! >= 10 && flat.sizes.min()! >= 10)
    let skewedReport = PartitionReport(labels: labels, classes: 10, partition: skewed)
    let flatReport = PartitionReport(labels: labels, classes: 10, partition: flat)
    #expect(skewedReport.summary.meanClassesAtLeast1 < 6, "\(skewedReport.summary)")
    #expect(flatReport.summary.meanClassesAtLeast1 > 9.5, "\(flatReport.summary)")
    #expect(skewedReport.meanKLToGlobal > 5 * flatReport.meanKLToGlobal, "\(skewedReport.meanKLToGlobal) \(flatReport.meanKLToGlobal)")
}

@Test func dirichletRejectsTooFewSamplesForTheMinimum() {
    let error = fedError { _ = try Partitioner.partition(labels: Array(labels[..<100]), classes: 10, clients: 20, spec: .dirichlet(alpha: 1), seed: 0) }
    #expect(error?.code == .invalidArgument)
}

@Test func shardsGiveEachClientExactlyItsShards() throws {
    // 2000 samples, 40 shards of 50: every shard lies inside one class, so each client spans ≤ 2 classes.
    let partition = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: .shards(perClient: 2), seed: 4)
    #expect(partition.sizes.allSatisfy { $0 == 100 })
    let report = PartitionReport(labels: labels, classes: 10, partition: partition)
    for counts in report.classCounts {
        #expect(counts.filter { $0 > 0 }.count <= 2)
        #expect(counts.allSatisfy { $0 % 50 == 0 })
    }
}

@Test func shardsKeepLeftoverSamples() throws {
    let partition = try Partitioner.partition(labels: Array(labels[..<1003]), classes: 10, clients: 10, spec: .shards(perClient: 3), seed: 4)
    #expect(assignsEverySampleOnce(partition, count: 1003))
}

@Test(arguments: [(20, 2), (20, 1), (4, 3), (7, 5)])
func labelQuantityGivesExactlyKClassesAndCoversAll(clients: Int, k: Int) throws {
    let partition = try Partitioner.partition(labels: labels, classes: 10, clients: clients, spec: .labelQuantity(k: k), seed: 9)
    let report = PartitionReport(labels: labels, classes: 10, partition: partition)
    for counts in report.classCounts { #expect(counts.filter { $0 > 0 }.count == k) }
    #expect(assignsEverySampleOnce(partition, count: labels.count))
    // Samples of each class are split evenly among its holders.
    for c in 0..<10 {
        let shares = report.classCounts.map { $0[c] }.filter { $0 > 0 }
        #expect(shares.max()! - shares.min()! <= 1)
    }
}

@Test func labelQuantityRejectsImpossibleSpecs() {
    #expect(fedError { _ = try Partitioner.partition(labels: labels, classes: 10, clients: 20, spec: .labelQuantity(k: 11), seed: 0) }?.code == .invalidArgument)
    #expect(fedError { _ = try Partitioner.partition(labels: labels, classes: 10, clients: 3, spec: .labelQuantity(k: 2), seed: 0) }?.code == .invalidArgument)
}

@Test func featureNoiseGrowsLinearlyWithClientIndex() throws {
    let partition = try Partitioner.partition(labels: labels, classes: 10, clients: 10, spec: .featureNoise(sigma: 0.5), seed: 0)
    #expect(partition.featureNoise == (0..<10).map { Float(0.5 * Double($0) / 10) })
    #expect(partition.sizes.allSatisfy { $0 == 200 })
    var clean = [Float](repeating: 1, count: 1000)
    partition.addFeatureNoise(to: &clean, client: 0, round: 3, seed: 1)
    #expect(clean.allSatisfy { $0 == 1 })
    var noisy = [Float](repeating: 0, count: 20_000), again = noisy
    partition.addFeatureNoise(to: &noisy, client: 9, round: 3, seed: 1)
    partition.addFeatureNoise(to: &again, client: 9, round: 3, seed: 1)
    #expect(noisy == again)
    let std = (noisy.reduce(0.0) { $0 + Double($1 * $1) } / Double(noisy.count)).squareRoot()
    #expect(abs(std - 0.45) < 0.02)
}

@Test func naturalSpecNeedsPerClientData() {
    #expect(fedError { _ = try Partitioner.partition(labels: labels, classes: 10, clients: 5, spec: .natural, seed: 0) }?.code == .invalidArgument)
}
