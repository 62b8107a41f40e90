import FedAlgorithms
import FedCore
import Testing
@testable import FedRuntime

private func config() -> ExperimentConfig {
    var c = ExperimentConfig()
    c.dataset = "synthetic:0.5,0.5"
    c.partition = "natural"
    c.model = "lr"
    c.clients = 12
    c.fit = FitConfig(epochs: 1, batchSize: 10, learningRate: 0.05)
    c.seed = 3
    return c
}

private func run(_ a: AsyncConfig) throws -> ([AsyncRecord], ModelState) {
    let sim = try AsyncSimulation(config: config(), async: a, workers: 1)
    var records: [AsyncRecord] = []
    try sim.run { (r) throws(FedError) in records.append(r) }
    return (records, sim.global)
}

@Test(arguments: ["fedasync", "fedbuff"])
func asyncSimulationIsDeterministicAndRecordsStaleness(algorithm: String) throws {
    var a = AsyncConfig()
    a.algorithm = algorithm
    a.bufferSize = 3
    a.concurrency = 4
    a.updates = 24
    a.evalEvery = 6
    let (first, model) = try run(a)
    let (second, again) = try run(a)
    #expect(model == again)
    #expect(first.map(\.updates) == [6, 12, 18, 24])
    #expect(first.map(\.accuracy) == second.map(\.accuracy))
    // With 4 clients in flight, most updates arrive after others advanced the model.
    #expect(first.contains { $0.stalenessMax > 0 })
    #expect(zip(first, first.dropFirst()).allSatisfy { $0.simulatedSeconds <= $1.simulatedSeconds })
    if algorithm == "fedbuff" { #expect(first.last?.version == 8) } else { #expect(first.last?.version == 24) }
}

@Test func tooStaleUpdatesAreRejectedAndCounted() throws {
    var a = AsyncConfig()
    a.concurrency = 6
    a.updates = 18
    a.evalEvery = 18
    a.maxStaleness = 0
    let (records, _) = try run(a)
    let last = try #require(records.last)
    #expect(last.rejected > 0)
    #expect(last.version == 18 - last.rejected)
}

@Test func clientSpeedsAreSeededLogNormalFactors() throws {
    let speeds = try ClientSpeeds(parsing: "lognormal:1.0", clients: 50, seed: 1)
    #expect(Set(speeds.factors).count == 50)
    #expect(speeds.seconds(client: 0, samples: 10_000) == speeds.factors[0])
    #expect { try ClientSpeeds(parsing: "lognormal", clients: 2, seed: 0) } throws: { ($0 as? FedError)?.code == .invalidArgument }
}
