import Dispatch
import Foundation
import FedAlgorithms
import FedCore
import FedData
import FedTrain
import Synchronization

/// Hosts many virtual clients in one process and trains the selected ones on a pool of workers
/// (FedLab's SerialTrainer idea). Each worker owns its model, trainer and batch buffers and reuses
/// them for every client it trains; the shared dataset is read, never copied.
///
/// A client's randomness (shuffling, noise) comes from a generator seeded by (seed, round, client id),
/// so its update is the same whichever worker or process trains it. Results reach the caller in the
/// order of the client list, so aggregation is reproducible bit for bit; at most `workers` finished
/// results wait for their turn, which keeps memory at O(workers × model).
public final class SerialTrainer: Sendable {
    /// What the trainer needs to know about the experiment.
    public struct Setup: Sendable {
        /// Built-in model name (`mlp`, ...).
        public var model: String
        /// Training data shared by every client.
        public var train: Dataset
        /// Per-client sample indices (and feature-noise levels).
        public var partition: Partition
        /// Run seed.
        public var seed: UInt64

        /// A setup.
        public init(model: String, train: Dataset, partition: Partition, seed: UInt64) {
            self.model = model
            self.train = train
            self.partition = partition
            self.seed = seed
        }
    }

    private let setup: Setup
    private let slots: [WorkerSlot]

    /// A trainer with `workers` workers (default: the number of cores), each with one BLAS thread.
    public init(setup: Setup, workers: Int? = nil) throws(FedError) {
        let count = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.setup = setup
        var slots: [WorkerSlot] = []
        for _ in 0..<count {
            let model = try ModelZoo.make(name: setup.model, inputShape: setup.train.featureShape,
                                          classes: setup.train.classes, seed: setup.seed)
            slots.append(WorkerSlot(model: model, trainer: Trainer(blasThreads: 1)))
        }
        self.slots = slots
    }

    /// Number of workers.
    public var workers: Int { slots.count }

    /// Trains `clients` from `global` with `config` and hands each result (a delta) to `deliver`, in
    /// the order of `clients`. A client that fails is reported through `deliver` as a failure.
    public func train(round: Int, clients: [Int], global: ModelState, config: FitConfig,
                      deliver: @escaping @Sendable (Result<ClientResult, ClientFailure>) -> Void) {
        let order = OrderedDelivery<Result<ClientResult, ClientFailure>>(capacity: slots.count, deliver: deliver)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: slots.count) { w in
            let slot = slots[w]
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < clients.count else { break }
                let outcome = slot.run(client: clients[i], round: round, global: global, config: config, setup: setup)
                order.put(i, outcome)
            }
        }
    }
}

/// One worker's model, trainer and optimizer; used by one thread at a time.
private final class WorkerSlot: @unchecked Sendable {
    // Safe: `SerialTrainer.train` hands slot `w` to iteration `w` of one concurrentPerform only,
    // and calls to `train` are not concurrent with each other (the caller waits for it to return).
    let model: Sequential
    let trainer: Trainer

    init(model: Sequential, trainer: Trainer) {
        self.model = model
        self.trainer = trainer
    }

    func run(client: Int, round: Int, global: ModelState, config: FitConfig, setup: SerialTrainer.Setup) -> Result<ClientResult, ClientFailure> {
        do throws(FedError) {
            guard client >= 0, client < setup.partition.count else {
                throw FedError(.invalidArgument, "client \(client) is not in the partition of \(setup.partition.count) clients")
            }
            try model.load(global)
            var rng = SplitMix64(seeds: setup.seed, UInt64(round), UInt64(client))
            var optimizer = SGD(learningRate: Float(config.learningRate), momentum: Float(config.momentum),
                                weightDecay: Float(config.weightDecay))
            var dataset = setup.train
            var indices = setup.partition.clients[client]
            if setup.partition.featureNoise.indices.contains(client), setup.partition.featureNoise[client] > 0 {
                (dataset, indices) = try noisyCopy(client: client, round: round, setup: setup)
            }
            let result = try trainer.train(model: model, optimizer: &optimizer, dataset: dataset, indices: indices,
                                           epochs: config.epochs, batchSize: config.batchSize, rng: &rng)
            var update = model.state
            for i in update.values.indices { update.values[i] -= global.values[i] }
            return .success(ClientResult(clientID: client, numExamples: indices.count, update: update, isDelta: true, loss: result.loss))
        } catch {
            return .failure(ClientFailure(clientID: client, reason: error))
        }
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

/// Hands results to the consumer strictly in index order, holding at most `capacity` early ones;
/// a producer that would exceed that waits until the consumer catches up.
///
/// Waiting uses a condition variable with broadcast: every delivery wakes every waiting producer,
/// and each re-checks its own condition under the lock. (A counting semaphore signalled once per
/// delivery lost wake-ups: a producer whose result was not next could take the permit meant for
/// the one holding the next result, and both then slept forever.)
final class OrderedDelivery<Item>: @unchecked Sendable {
    // Safe: `next` and `pending` are only touched with `condition` locked.
    private var next = 0
    private var pending: [Int: Item] = [:]
    private let condition = NSCondition()
    private let capacity: Int
    private let deliver: (Item) -> Void

    init(capacity: Int, deliver: @escaping (Item) -> Void) {
        self.capacity = max(1, capacity)
        self.deliver = deliver
    }

    func put(_ index: Int, _ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        while index != next && pending.count >= capacity {
            condition.wait()
        }
        pending[index] = item
        // Deliver every result that is now in order; the lock is held while delivering so the
        // consumer sees one result at a time, in order.
        var delivered = false
        while let ready = pending.removeValue(forKey: next) {
            deliver(ready)
            next += 1
            delivered = true
        }
        if delivered { condition.broadcast() }
    }
}
