import FedAlgorithms
import FedCore
import FedData
import FedTrain
import Foundation
import Testing
@testable import FedRuntime

private func smallConfig() -> ExperimentConfig {
    var c = ExperimentConfig()
    c.dataset = "synthetic:0.5,0.5"
    c.partition = "natural"
    c.model = "lr"
    c.clients = 12
    c.sample = 4
    c.rounds = 3
    c.fit = FitConfig(epochs: 1, batchSize: 10, learningRate: 0.05)
    c.seed = 7
    return c
}

@Test func simulationIsBitReproducibleAcrossWorkerCounts() throws {
    var models: [ModelState] = []
    var records: [[RoundRecord]] = []
    for workers in [1, 2, 3] {
        let sim = try Simulation(config: smallConfig(), workers: workers)
        var rows: [RoundRecord] = []
        try sim.run { (r) throws(FedError) in rows.append(r) }
        models.append(sim.global)
        records.append(rows)
    }
    #expect(models[0] == models[1])
    #expect(models[0] == models[2])
    #expect(records[0].map(\.accuracy) == records[1].map(\.accuracy))
    #expect(records[0].count == 3)
    #expect(records[0].allSatisfy { $0.selected == 4 && $0.completed == 4 && $0.failed == 0 })
    #expect(models[0] != Simulation.initial(smallConfig()))
}

/// The serial trainer plus FedAvg equals a plain loop: train each selected client alone from the
/// global model, then take the example-weighted mean of the models.
@Test func serialTrainerMatchesANaiveFedAvgLoop() throws {
    let config = smallConfig()
    let sim = try Simulation(config: config, workers: 2)
    let start = sim.global
    try sim.run { (_) throws(FedError) in }

    var global = start
    let model = try ModelZoo.make(name: config.model, inputShape: sim.data.train.featureShape, classes: sim.data.train.classes, seed: config.seed)
    let trainer = Trainer()
    for round in 1...config.rounds {
        let selected = config.sampleClients(round: round, available: Array(0..<config.clients), sizes: sim.partition.sizes)
        var models: [[Float]] = []
        var weights: [Double] = []
        for client in selected {
            try model.load(global)
            var rng = SplitMix64(seeds: config.seed, UInt64(round), UInt64(client))
            var sgd = SGD(learningRate: Float(config.fit.learningRate))
            _ = try trainer.train(model: model, optimizer: &sgd, dataset: sim.data.train, indices: sim.partition.clients[client],
                                  epochs: config.fit.epochs, batchSize: config.fit.batchSize, rng: &rng)
            models.append(model.state.values)
            weights.append(Double(sim.partition.clients[client].count))
        }
        global = try ModelState(layout: global.layout, values: Kernels.naiveWeightedMean(models, weights: weights))
    }
    let maxDiff = zip(global.values, sim.global.values).map { abs($0 - $1) }.max() ?? 0
    #expect(maxDiff <= 1e-5)
}

@Test func failingClientsAreCountedNotFatal() throws {
    let config = smallConfig()
    let sim = try Simulation(config: config, workers: 2)
    let trainer = try SerialTrainer(setup: .init(model: config.model, train: sim.data.train, partition: sim.partition, seed: config.seed), workers: 2)
    let outcomes = OutcomeLog()
    trainer.train(round: 1, clients: [0, 999, 3], global: sim.global, config: config.fit) { outcomes.append($0) }
    let ids = outcomes.entries.map { (try? $0.get().clientID) ?? -1 }
    #expect(ids == [0, -1, 3])  // delivered in order; client 999 failed
}

@Test func experimentConfigRoundTripsThroughEntries() throws {
    var c = smallConfig()
    c.fit.momentum = 0.9
    c.dataDirectory = "/data/fmnist"
    #expect(try ExperimentConfig(entries: c.entries) == c)
    #expect { try ExperimentConfig(entries: ["clients": "many"]) } throws: { ($0 as? FedError)?.code == .invalidArgument }
    #expect { try ExperimentConfig(entries: ["algorithm": "fedmagic"]) } throws: { ($0 as? FedError)?.code == .invalidArgument }
}

private final class OutcomeLog: Sendable {
    private let lock = NSLock()
    private nonisolated(unsafe) var items: [Result<ClientResult, ClientFailure>] = []
    func append(_ r: Result<ClientResult, ClientFailure>) { lock.lock(); items.append(r); lock.unlock() }
    var entries: [Result<ClientResult, ClientFailure>] { lock.lock(); defer { lock.unlock() }; return items }
}

extension Simulation {
    static func initial(_ config: ExperimentConfig) -> ModelState? { try? Simulation(config: config, workers: 1).global }
}
