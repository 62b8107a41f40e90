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
        /// Test data, for personalized evaluation (Ditto): each client is evaluated on test samples drawn
        /// with its own label distribution (``PersonalTestSet``).
        public var test: Dataset?

        /// A setup.
        public init(model: String, train: Dataset, partition: Partition, seed: UInt64, test: Dataset? = nil) {
            self.model = model
            self.train = train
            self.partition = partition
            self.seed = seed
            self.test = test
        }
    }

    private let setup: Setup
    private let slots: [WorkerSlot]
    /// Per-virtual-client algorithm state (SCAFFOLD's c_i, FedDyn's gradient, Ditto's v_k), kept across
    /// rounds in this process: a client's state lives where it is trained.
    let states = Mutex<[Int: ClientState]>([:])

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
    /// `downloaded` holds the extra vectors the server sent with the model (SCAFFOLD's c); local
    /// training follows `config.algorithm`'s ``ClientAlgorithm``.
    public func train(round: Int, clients: [Int], global: ModelState, config: FitConfig, downloaded: [String: [Float]] = [:],
                      deliver: @escaping @Sendable (Result<ClientResult, ClientFailure>) -> Void) {
        let order = OrderedDelivery<Result<ClientResult, ClientFailure>>(capacity: slots.count, deliver: deliver)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: slots.count) { w in
            let slot = slots[w]
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < clients.count else { break }
                let task = ClientTask(client: clients[i], round: round, global: global, downloaded: downloaded, config: config)
                let outcome = slot.run(task, setup: setup, states: states)
                order.put(i, outcome)
            }
        }
    }

    /// The loss of `global` on each client's training data, in the order of `clients` (NaN for a client
    /// that cannot be evaluated); power-of-choice sampling asks for it.
    public func losses(clients: [Int], global: ModelState) -> [Double] {
        let out = Mutex([Double](repeating: .nan, count: clients.count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: slots.count) { w in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < clients.count else { break }
                if let loss = try? slots[w].loss(client: clients[i], global: global, setup: setup) {
                    out.withLock { $0[i] = loss }
                }
            }
        }
        return out.withLock { $0 }
    }

    /// A copy of every hosted client's algorithm state.
    public var clientStates: [Int: ClientState] { states.withLock { $0 } }

    /// Replaces the hosted clients' algorithm state (e.g. from a saved copy).
    public func restoreClientStates(_ saved: [Int: ClientState]) { states.withLock { $0 = saved } }
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
