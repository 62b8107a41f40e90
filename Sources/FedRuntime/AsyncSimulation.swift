import FedAlgorithms
import FedCore
import FedData
import Foundation
import Synchronization

/// Settings of asynchronous runs (simulated or served).
public struct AsyncConfig: Sendable, Hashable {
    /// `fedasync` or `fedbuff`.
    public var algorithm = "fedasync"
    /// FedAsync's mixing weight α.
    public var alpha = 0.6
    /// Staleness discount (`constant`, `poly:<a>`, `hinge:<a>,<b>`).
    public var staleness = "poly:0.5"
    /// FedBuff's K.
    public var bufferSize = 10
    /// FedBuff's server learning rate.
    public var serverLearningRate = 1.0
    /// Clients training at the same time.
    public var concurrency = 10
    /// Stop after this many received updates.
    public var updates = 200
    /// Stop after this much (virtual, in simulation) time, if set.
    public var timeBudget: Double?
    /// Reject updates older than this many versions, if set.
    public var maxStaleness: Int?
    /// Evaluate every this many updates.
    public var evalEvery = 20
    /// Client speeds (`uniform`, `lognormal:<sigma>`).
    public var speeds = "lognormal:1.0"

    /// Defaults: FedAsync α 0.6 with poly:0.5, 10 concurrent clients, 200 updates.
    public init() {}

    /// The strategy these settings name.
    public func makeStrategy() throws(FedError) -> any AsyncStrategy {
        let discount = try StalenessFunction(parsing: staleness)
        switch algorithm {
        case "fedasync": return FedAsync(alpha: alpha, staleness: discount)
        case "fedbuff": return FedBuff(bufferSize: bufferSize, serverLearningRate: serverLearningRate, staleness: discount)
        default: throw FedError(.invalidArgument, "unknown async algorithm '\(algorithm)'; use fedasync or fedbuff")
        }
    }
}

/// One evaluation of an asynchronous run.
public struct AsyncRecord: Sendable {
    /// Updates received so far (accepted and rejected).
    public var updates: Int
    /// Model version (server steps taken).
    public var version: Int
    /// Test accuracy.
    public var accuracy: Double
    /// Test loss.
    public var loss: Double
    /// Virtual seconds since the start.
    public var simulatedSeconds: Double
    /// Mean and largest staleness of the updates since the previous record.
    public var stalenessMean: Double
    /// Largest staleness since the previous record.
    public var stalenessMax: Int
    /// Updates rejected as too stale so far.
    public var rejected: Int

    /// The record as a results-file row.
    public var row: [String: Any] {
        ["updates": updates, "version": version, "accuracy": accuracy, "loss": loss, "sim_time": simulatedSeconds,
         "staleness_mean": stalenessMean, "staleness_max": stalenessMax, "rejected": rejected]
    }
}

/// Asynchronous FL on a virtual clock: `concurrency` clients train at once, each finishing after a
/// time set by its data size and speed; the server folds each update in when it arrives. Runs as
/// fast as the training itself and is deterministic for a seed.
public final class AsyncSimulation {
    private let sim: Simulation
    private let settings: AsyncConfig
    private let speeds: ClientSpeeds

    /// Loads data and model as ``Simulation`` does.
    public init(config: ExperimentConfig, async settings: AsyncConfig, workers: Int? = nil) throws(FedError) {
        sim = try Simulation(config: config, workers: workers)
        self.settings = settings
        speeds = try ClientSpeeds(parsing: settings.speeds, clients: config.clients, seed: config.seed)
        _ = try settings.makeStrategy()
    }

    /// The current global model.
    public var global: ModelState { sim.global }

    /// Runs until the update count or time budget is reached, reporting every evaluation.
    public func run(onEvaluation: (AsyncRecord) throws(FedError) -> Void) throws(FedError) {
        var strategy = try settings.makeStrategy()
        let config = sim.config
        var model = sim.global
        var version = 0
        var now = 0.0
        var received = 0, rejected = 0, dispatches = 0
        var stalenessSum = 0, stalenessCount = 0, stalenessMax = 0
        var rng = SplitMix64(seeds: config.seed, 0xA5_1C)
        var idle = Set(0..<config.clients)
        var running: [(finish: Double, order: Int, version: Int, base: ModelState, result: ClientResult)] = []

        func dispatch() throws(FedError) {
            guard !idle.isEmpty else { return }
            let pool = idle.sorted()
            let client = pool[RandomDistributions.index(below: pool.count, using: &rng)]
            idle.remove(client)
            dispatches += 1
            let result = try sim.trainOne(client: client, task: dispatches, global: model)
            let samples = result.numExamples * config.fit.epochs
            running.append((now + speeds.seconds(client: client, samples: samples), dispatches, version, model, result))
        }

        for _ in 0..<min(settings.concurrency, config.clients) { try dispatch() }
        while received < settings.updates, !running.isEmpty {
            let next = running.indices.min { (running[$0].finish, running[$0].order) < (running[$1].finish, running[$1].order) }!
            let done = running.remove(at: next)
            if let budget = settings.timeBudget, done.finish > budget { break }
            now = done.finish
            received += 1
            idle.insert(done.result.clientID)
            let staleness = version - done.version
            if let limit = settings.maxStaleness, staleness > limit {
                rejected += 1
            } else {
                var update = done.result
                if !strategy.wantsDeltas {
                    // The client's own model: the base it trained from plus its delta.
                    for i in update.update.values.indices { update.update.values[i] += done.base.values[i] }
                    update.isDelta = false
                }
                if try strategy.apply(update, staleness: staleness, to: &model) { version += 1 }
                stalenessSum += staleness
                stalenessCount += 1
                stalenessMax = max(stalenessMax, staleness)
            }
            if received % settings.evalEvery == 0 || received == settings.updates {
                let (loss, accuracy) = try sim.evaluate(model)
                try onEvaluation(AsyncRecord(updates: received, version: version, accuracy: accuracy, loss: loss, simulatedSeconds: now,
                                             stalenessMean: stalenessCount > 0 ? Double(stalenessSum) / Double(stalenessCount) : 0,
                                             stalenessMax: stalenessMax, rejected: rejected))
                stalenessSum = 0
                stalenessCount = 0
                stalenessMax = 0
            }
            try dispatch()
        }
        sim.replaceGlobal(model)
    }
}
