import FedAlgorithms
import FedCore
import Foundation
import Testing
@testable import FedRuntime

private func config(_ algorithm: String, sample: Double = 4) -> ExperimentConfig {
    var c = ExperimentConfig()
    c.dataset = "synthetic:0.5,0.5"
    c.partition = "natural"
    c.model = "lr"
    c.clients = 8
    c.sample = sample
    c.rounds = 3
    c.fit = FitConfig(epochs: 1, batchSize: 10, learningRate: 0.05)
    c.algorithm = algorithm
    c.seed = 5
    return c
}

private func run(_ c: ExperimentConfig) throws -> (model: ModelState, records: [RoundRecord]) {
    let sim = try Simulation(config: c, workers: 2)
    var rows: [RoundRecord] = []
    try sim.run { (r) throws(FedError) in rows.append(r) }
    return (sim.global, rows)
}

@Test(arguments: StrategyRegistry.names)
func everyAlgorithmFinishesThreeSimulatedRounds(algorithm: String) throws {
    let (model, records) = try run(config(algorithm))
    #expect(records.count == 3)
    #expect(records.allSatisfy { $0.completed == 4 && $0.failed == 0 && $0.accuracy != nil })
    #expect(model.isFinite)
    #expect(model != Simulation.initial(config(algorithm)))
    #expect((records.last?.personalAccuracy != nil) == (algorithm == "ditto"))
}

@Test func fedProxWithMuZeroEqualsFedAvgExactly() throws {
    var prox = config("fedprox")
    prox.fit.proximalMu = 0
    #expect(try run(prox).model == run(config("fedavg")).model)
    prox.fit.proximalMu = 0.5
    #expect(try run(prox).model != run(config("fedavg")).model)
}

@Test func scaffoldsFirstRoundIsFedAvgsFirstRound() throws {
    var scaffold = config("scaffold")
    var avg = config("fedavg")
    scaffold.rounds = 1
    avg.rounds = 1
    // c = c_i = 0 in round 1: the corrected step is plain SGD and x moves by the weighted mean.
    #expect(try run(scaffold).model == run(avg).model)
}

@Test func fedNovaWithEqualLocalStepsMatchesFedAvg() throws {
    var nova = config("fednova")
    var avg = config("fedavg")
    // iid: every client holds the same number of samples, so every τ_i is equal.
    nova.partition = "iid"
    avg.partition = "iid"
    let a = try run(nova).model.values, b = try run(avg).model.values
    #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 })
}

@Test func powerOfChoiceKeepsTheCandidatesWithTheHighestLoss() throws {
    var c = config("fedavg")
    c.sampler = "power-of-choice:6"
    let sizes = [10, 20, 30, 40, 50, 60, 70, 80]
    let losses = (0..<8).map { Double(($0 * 5) % 8) }
    var asked: [Int] = []
    let chosen = c.sampleClients(round: 1, available: Array(0..<8), sizes: sizes) { candidates in
        asked = candidates
        return candidates.map { losses[$0] }
    }
    #expect(asked.count == 6)
    #expect(chosen == asked.sorted { losses[$0] > losses[$1] }.prefix(4).sorted())
    #expect(throws: FedError.self) {
        var bad = c
        bad.sampler = "power-of-choice:x"
        try bad.validate()
    }
    let (_, records) = try run(c)
    #expect(records.count == 3)
}

@Test func algorithmSettingsRoundTripThroughEntries() throws {
    var c = config("fedyogi")
    c.parameters.serverLearningRate = 0.03
    c.parameters.tau = 1e-4
    c.parameters.beta1 = 0.8
    c.parameters.beta2 = 0.95
    c.parameters.q = 2
    c.parameters.serverMomentum = 0.7
    c.parameters.aggregation = "trimmed-mean:0.1"
    c.fit.proximalMu = 0.01
    c.fit.dynAlpha = 0.2
    c.fit.dittoLambda = 0.4
    c.sampler = "power-of-choice:5"
    #expect(try ExperimentConfig(entries: c.entries) == c)
    var wrong = c
    wrong.parameters.aggregation = "median"
    wrong.algorithm = "scaffold"
    #expect(throws: FedError.self) { try wrong.validate() }
}

@Test func clientStateStaysWithTheTrainerAcrossRounds() throws {
    let sim = try Simulation(config: config("scaffold"), workers: 1)
    try sim.run { (_) throws(FedError) in }
    let states = sim.trainer.clientStates
    #expect(!states.isEmpty)
    #expect(states.values.allSatisfy { $0[ScaffoldClient.clientKey]?.count == sim.global.values.count })
}

@Test func checkpointsKeepTheStrategyState() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedswift-ckpt-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let model = ModelState(layout: try ModelLayout([TensorSpec(name: "w", shape: [3])]), repeating: 0.5)
    let state: [String: [Float]] = ["fedopt.m": [1, 2, 3], "fedopt.v": [4, 5, 6]]
    for round in 1...2 {
        try Checkpoint(round: round, attempts: 0, algorithm: "fedadam", seed: 1, config: [:], model: model,
                       strategyState: state.mapValues { $0.map { $0 * Float(round) } }).write(to: directory)
    }
    let read = try #require(try Checkpoint.read(from: directory))
    #expect(read.round == 2 && read.model == model)
    #expect(read.strategyState == state.mapValues { $0.map { $0 * 2 } })
    var adam = FedOpt(.adam)
    try adam.importState(read.strategyState)
    #expect(adam.exportState() == read.strategyState)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("strategy-") }
    #expect(files == ["strategy-2.safetensors"])
}
