import FedAlgorithms
import FedCore
import FedData
import FedTrain
import Synchronization

/// One worker's model, trainer and optimizer; used by one thread at a time.
final class WorkerSlot: @unchecked Sendable {
    // Safe: `SerialTrainer.train` and `.losses` hand slot `w` to iteration `w` of one concurrentPerform
    // only, and calls to them are not concurrent with each other (the caller waits for each to return).
    let model: Sequential
    let trainer: Trainer

    init(model: Sequential, trainer: Trainer) {
        self.model = model
        self.trainer = trainer
    }

    /// Trains one client for one round (its ``ClientAlgorithm`` around local SGD) and returns its delta,
    /// metrics and extras; the client's algorithm state in `states` is read before and written after.
    func run(_ task: ClientTask, setup: SerialTrainer.Setup, states: borrowing Mutex<[Int: ClientState]>) -> Result<ClientResult, ClientFailure> {
        let client = task.client, config = task.config, global = task.global
        do throws(FedError) {
            let algorithm = try ClientAlgorithms.make(config)
            let (dataset, indices) = try data(client: client, round: task.round, setup: setup)
            var state = states.withLock { $0[client] } ?? [:]
            try model.load(global)
            var metrics: [String: Double] = [:]
            if algorithm.needsInitialLoss {
                metrics["initial_loss"] = try trainer.evaluate(model: model, dataset: dataset, indices: indices).loss
            }
            var rng = SplitMix64(seeds: setup.seed, UInt64(task.round), UInt64(client))
            var optimizer = sgd(config)
            let result: Trainer.TrainResult
            if var objective = try algorithm.objective(for: task, state: state) {
                result = try trainer.train(model: model, optimizer: &optimizer, dataset: dataset, indices: indices,
                                           epochs: config.epochs, batchSize: config.batchSize, rng: &rng) { p, g in
                    objective.adjust(parameters: p, gradients: g)
                }
            } else {
                result = try trainer.train(model: model, optimizer: &optimizer, dataset: dataset, indices: indices,
                                           epochs: config.epochs, batchSize: config.batchSize, rng: &rng)
            }
            var update = model.state
            let output = algorithm.finish(task, local: update.values, steps: result.steps, state: &state)
            for i in update.values.indices { update.values[i] -= global.values[i] }
            metrics.merge(output.metrics) { $1 }
            metrics["steps"] = Double(result.steps)
            if let lambda = algorithm.personalization {
                metrics.merge(try personalize(task, lambda: lambda, dataset: dataset, indices: indices, state: &state, setup: setup)) { $1 }
            }
            states.withLock { $0[client] = state }
            return .success(ClientResult(clientID: client, numExamples: indices.count, update: update, isDelta: true, loss: result.loss,
                                         metrics: metrics, extras: output.extras))
        } catch {
            return .failure(ClientFailure(clientID: client, reason: error))
        }
    }

    /// The loss of `global` on the client's training data.
    func loss(client: Int, global: ModelState, setup: SerialTrainer.Setup) throws(FedError) -> Double {
        let (dataset, indices) = try data(client: client, round: 0, setup: setup)
        try model.load(global)
        return try trainer.evaluate(model: model, dataset: dataset, indices: indices).loss
    }

    /// Ditto's personal step (Li et al., ICML 2021, Algorithm 1, lines 6–8): the same epochs of SGD on
    /// `F_k(v) + λ/2 ‖v − w^t‖²` from the stored v_k (the received model at first); v_k is kept and
    /// evaluated on the client's test samples.
    private func personalize(_ task: ClientTask, lambda: Double, dataset: Dataset, indices: [Int], state: inout ClientState,
                             setup: SerialTrainer.Setup) throws(FedError) -> [String: Double] {
        let global = task.global
        if let personal = state[DittoClient.personalKey], personal.count == global.values.count {
            try model.load(try ModelState(layout: global.layout, values: personal))
        } else {
            try model.load(global)
        }
        var rng = SplitMix64(seeds: setup.seed, UInt64(task.round), UInt64(task.client), 0xD1770)
        var optimizer = sgd(task.config)
        var pull = ProximalObjective(center: global.values, mu: lambda)
        let trained = try trainer.train(model: model, optimizer: &optimizer, dataset: dataset, indices: indices,
                                        epochs: task.config.epochs, batchSize: task.config.batchSize, rng: &rng) { p, g in
            pull.adjust(parameters: p, gradients: g)
        }
        state[DittoClient.personalKey] = model.state.values
        var metrics = ["personal_train_loss": trained.loss]
        if let test = setup.test {
            let picked = PersonalTestSet.indices(client: task.client, partition: setup.partition, train: setup.train, test: test, seed: setup.seed)
            if !picked.isEmpty {
                let result = try trainer.evaluate(model: model, dataset: test, indices: picked)
                metrics["personal_accuracy"] = result.accuracy
                metrics["personal_loss"] = result.loss
            }
        }
        return metrics
    }

    private func sgd(_ config: FitConfig) -> SGD {
        SGD(learningRate: Float(config.learningRate), momentum: Float(config.momentum), weightDecay: Float(config.weightDecay))
    }

    /// The client's dataset and sample indices: the shared set, or a noisy copy for feature-noise partitions.
    private func data(client: Int, round: Int, setup: SerialTrainer.Setup) throws(FedError) -> (Dataset, [Int]) {
        guard client >= 0, client < setup.partition.count else {
            throw FedError(.invalidArgument, "client \(client) is not in the partition of \(setup.partition.count) clients")
        }
        if setup.partition.featureNoise.indices.contains(client), setup.partition.featureNoise[client] > 0 {
            return try noisyCopy(client: client, round: round, setup: setup)
        }
        return (setup.train, setup.partition.clients[client])
    }

    /// The client's samples with its feature noise added (feature-noise partitions only).
    private func noisyCopy(client: Int, round: Int, setup: SerialTrainer.Setup) throws(FedError) -> (Dataset, [Int]) {
        let indices = setup.partition.clients[client]
        let size = setup.train.sampleSize
        var features = [Float](repeating: 0, count: indices.count * size)
        var labels = [Int32](repeating: 0, count: indices.count)
        for (j, i) in indices.enumerated() {
            features.replaceSubrange((j * size)..<((j + 1) * size), with: setup.train.features[(i * size)..<((i + 1) * size)])
            labels[j] = setup.train.labels[i]
        }
        setup.partition.addFeatureNoise(to: &features, client: client, round: round, seed: setup.seed)
        let subset = try Dataset(name: "\(setup.train.name)#\(client)", featureShape: setup.train.featureShape,
                                 classes: setup.train.classes, features: features, labels: labels)
        return (subset, Array(0..<indices.count))
    }
}
