import FedAlgorithms
import FedCore
import FedData
import FedTrain
import FedWire
import Foundation
import Synchronization

/// The standalone mode (FedLab's "standalone", Flower's simulation): the server's logic and a
/// ``SerialTrainer`` hosting every virtual client in one process, no sockets, the same Strategy code
/// a federation runs.
public final class Simulation {
    /// What to run.
    public let config: ExperimentConfig
    /// Training and test data.
    public let data: FederatedData
    /// The clients' sample indices.
    public let partition: Partition
    let trainer: SerialTrainer
    let evaluator: Evaluator
    /// The current global model.
    public private(set) var global: ModelState
    /// Simulated client speeds: when set, each round also advances a virtual clock by its slowest client.
    public var speeds: ClientSpeeds?

    /// Loads the data, partitions it and builds the initial model; `workers` defaults to the cores.
    public init(config: ExperimentConfig, workers: Int? = nil) throws(FedError) {
        try config.validate()
        self.config = config
        data = try FederatedData.load(try DatasetSpec(parsing: config.dataset), clients: config.clients, seed: config.seed,
                                      dataDirectory: config.dataDirectory)
        partition = try data.partition(try PartitionSpec(parsing: config.partition), clients: config.clients, seed: config.seed)
        trainer = try SerialTrainer(setup: .init(model: config.model, train: data.train, partition: partition, seed: config.seed,
                                                 test: data.test),
                                    workers: workers)
        evaluator = try Evaluator(model: config.model, test: data.test, seed: config.seed)
        global = evaluator.initialState
    }

    /// Runs every round, reporting each one's record to `onRound` (results file, progress bar).
    public func run(onRound: (RoundRecord) throws(FedError) -> Void) throws(FedError) {
        var strategy = try config.makeStrategy()
        let everyone = Array(0..<config.clients)
        let sizes = partition.sizes
        var clock = 0.0
        for round in 1...config.rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            let current = global
            let selected = config.sampleClients(round: round, available: everyone, sizes: sizes) { [trainer] candidates in
                trainer.losses(clients: candidates, global: current)
            }
            var fit = strategy.configureFit(round: round, selected: selected, base: config.fit)
            fit.algorithm = config.algorithm
            let accumulator = strategy.makeAccumulator(global: global)
            let collected = Collected(accumulator)
            trainer.train(round: round, clients: selected, global: global, config: fit,
                          downloaded: strategy.downloadExtras(global: global)) { outcome in collected.take(outcome) }
            let failures = collected.failures
            global = strategy.aggregateFit(round: round, global: global, results: accumulator, failures: failures) ?? global
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var record = RoundRecord(round: round, seconds: seconds, selected: selected.count, completed: accumulator.count,
                                     failed: failures.count, trainLoss: accumulator.count > 0 ? accumulator.meanLoss : nil)
            record.personalAccuracy = accumulator.meanMetric("personal_accuracy")
            if let speeds {
                clock += selected.map { speeds.seconds(client: $0, samples: sizes[$0] * fit.epochs) }.max() ?? 0
                record.simTime = clock
            }
            if round % config.evalEvery == 0 || round == config.rounds {
                let evalStart = DispatchTime.now().uptimeNanoseconds
                let result = try evaluator.evaluate(global)
                record.accuracy = result.accuracy
                record.loss = result.loss
                record.evalSeconds = Double(DispatchTime.now().uptimeNanoseconds - evalStart) / 1e9
            }
            try onRound(record)
        }
    }
}

extension Simulation {
    /// Trains one client from `global` as task `task` (its randomness is seeded by the task number).
    func trainOne(client: Int, task: Int, global: ModelState) throws(FedError) -> ClientResult {
        let box = Mutex<Result<ClientResult, ClientFailure>?>(nil)
        trainer.train(round: task, clients: [client], global: global, config: config.fit) { outcome in box.withLock { $0 = outcome } }
        switch box.withLock({ $0 }) {
        case .success(let result): return result
        case .failure(let failure): throw failure.reason
        case nil: throw FedError(.internal, "client \(client) produced no result")
        }
    }

    /// Loss and accuracy of `state` on the test set.
    func evaluate(_ state: ModelState) throws(FedError) -> (loss: Double, accuracy: Double) { try evaluator.evaluate(state) }

    /// Makes `state` the global model (after an asynchronous run).
    func replaceGlobal(_ state: ModelState) { global = state }
}

/// Server-side evaluation of a global model on the test set.
public final class Evaluator {
    private let model: Sequential
    private let trainer = Trainer(blasThreads: 1)
    private let test: Dataset
    /// The model's initial parameters (fixed by the seed).
    public let initialState: ModelState

    /// An evaluator for built-in `model` on `test`.
    public init(model: String, test: Dataset, seed: UInt64) throws(FedError) {
        self.model = try ModelZoo.make(name: model, inputShape: test.featureShape, classes: test.classes, seed: seed)
        self.test = test
        initialState = self.model.state
    }

    /// Loss and accuracy of `state` on the whole test set.
    public func evaluate(_ state: ModelState) throws(FedError) -> (loss: Double, accuracy: Double) {
        try model.load(state)
        let r = try trainer.evaluate(model: model, dataset: test, batchSize: 1000)
        return (r.loss, r.accuracy)
    }
}

/// Receives a round's results from the trainer's workers, one at a time and in order.
private final class Collected: Sendable {
    // The accumulator is touched only inside `take`, which OrderedDelivery calls under its lock, one
    // call at a time; the simulation reads it after `train` returned.
    private nonisolated(unsafe) let accumulator: FitAccumulator
    private let failed = Mutex<[ClientFailure]>([])

    init(_ accumulator: FitAccumulator) { self.accumulator = accumulator }

    func take(_ outcome: Result<ClientResult, ClientFailure>) {
        switch outcome {
        case .success(let result):
            do throws(FedError) { try accumulator.add(result) } catch {
                failed.withLock { $0.append(ClientFailure(clientID: result.clientID, reason: error)) }
            }
        case .failure(let failure):
            failed.withLock { $0.append(failure) }
        }
    }

    var failures: [ClientFailure] { failed.withLock { $0 } }
}
