import FedCore
import FedData
import Testing

@Test func syntheticDataIsDeterministicAndNaturallyPartitioned() throws {
    let a = try SyntheticFedProx.generate(alpha: 1, beta: 1, clients: 8, seed: 3)
    let b = try SyntheticFedProx.generate(alpha: 1, beta: 1, clients: 8, seed: 3)
    let c = try SyntheticFedProx.generate(alpha: 1, beta: 1, clients: 8, seed: 4)
    #expect(a.train.features == b.train.features && a.train.labels == b.train.labels && a.test.labels == b.test.labels)
    #expect(a.train.features != c.train.features)
    #expect(a.train.featureShape == [60] && a.train.classes == 10)
    let natural = try #require(a.naturalPartition)
    #expect(natural.count == 8)
    #expect(natural.sizes.allSatisfy { $0 >= 40 })
    #expect(Set(natural.clients.flatMap { $0 }) == Set(0..<a.train.count))
    // About 20% of each client's samples are held out for testing.
    let total = a.train.count + a.test.count
    #expect(abs(Double(a.test.count) / Double(total) - 0.2) < 0.01)
}

@Test func syntheticBetaShiftsClientInputMeans() throws {
    func spreadOfClientMeans(beta: Double) throws -> Double {
        let data = try SyntheticFedProx.generate(alpha: 0, beta: beta, clients: 20, seed: 1)
        let means = try #require(data.naturalPartition).clients.map { indices in
            indices.reduce(0.0) { $0 + Double(data.train.features[$1 * 60]) } / Double(indices.count)
        }
        let mean = means.reduce(0, +) / Double(means.count)
        return (means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(means.count)).squareRoot()
    }
    #expect(try spreadOfClientMeans(beta: 5) > 2 * spreadOfClientMeans(beta: 0))
}

@Test func reportCountsClassesAndWritesCSV() throws {
    let labels: [Int32] = [0, 1, 1, 2, 2, 2]
    let report = PartitionReport(labels: labels, classes: 3, partition: Partition(clients: [[0, 1], [2, 3, 4, 5]]))
    #expect(report.classCounts == [[1, 1, 0], [0, 1, 3]])
    #expect(report.csv == "client,samples,c0,c1,c2\n0,2,1,1,0\n1,4,0,1,3\n")
    let summary = report.summary
    #expect(summary.minimum == 2 && summary.median == 2 && summary.maximum == 4)
    #expect(summary.meanClassesAtLeast1 == 2 && summary.meanClassesAtLeast10 == 0)
}

@Test func reportSVGIsSelfContainedWithAxesAndLegend() throws {
    let labels = makeLabels(classes: 10, perClass: 50)
    let partition = try Partitioner.partition(labels: labels, classes: 10, clients: 12, spec: .dirichlet(alpha: 1), seed: 0)
    let svg = PartitionReport(labels: labels, classes: 10, partition: partition).svg(title: "dirichlet <1>")
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.hasSuffix("</svg>\n"))
    #expect(svg.contains(">client</text>") && svg.contains(">samples</text>"))
    #expect((0..<10).allSatisfy { svg.contains(">c\($0)</text>") })
    #expect(svg.contains("dirichlet &lt;1&gt;"))
    #expect(!svg.contains("href"))
}

@Test func textFileReportsUnwritablePath() {
    let error = fedError { try TextFile.write("x", to: "/nonexistent-dir/report.csv") }
    #expect(error?.code == .io && error?.detail.contains("/nonexistent-dir/report.csv") == true)
}

@Test func partitionIndicesJSONListsEveryClientInOrder() {
    let partition = Partition(clients: [[4, 0], [], [1, 2, 3]])
    #expect(partition.indicesJSON() == "{\"clients\":[[4,0],\n[],\n[1,2,3]]}\n")
    #expect(partition.indicesJSON(extra: [(key: "test", lists: [[7], [8, 9], []])])
        == "{\"clients\":[[4,0],\n[],\n[1,2,3]],\n\"test\":[[7],\n[8,9],\n[]]}\n")
}
