import FedAlgorithms
import FedCore
import FedNet
import FedWire
import Foundation

/// The asynchronous federation server (FedLab's asynchronous mode, rebuilt on ZeroMQ): clients start
/// every exchange and the server folds each update in on arrival, without waiting for anyone else.
///
/// Its control socket is a ROUTER serving REQ clients (the lazy-pirate ``AsyncClientNode``), strictly one
/// reply per request: HELLO → WELCOME (experiment, codec, `mode=async`, `wants_deltas`), PULL → MODEL
/// (the global model, its version in `round`), PUSH (one client's update, the version it was trained
/// from in `round`) → ACK (the new version in `round`) or ERROR (`stale_update` past `--max-staleness`,
/// malformed input — the model is then untouched), BYE → BYE. It stops after `--updates` PUSHes or
/// `--time-budget` seconds, evaluates and checkpoints every `--eval-updates`, then answers every request
/// with BYE for a short drain so its clients exit too. Runs on its own dispatch queue, like ``ServerNode``.
///
/// Like a sync server it waits for `--min-clients` announced virtual clients (default: all) before the
/// first model goes out: early PULLs are held and answered when the federation is complete (a ROUTER,
/// unlike a REP, can defer a reply). Once open, the gate stays open: clients that leave stall nothing.
public actor AsyncServerNode {
    nonisolated let executor = QueueExecutor(label: "fedswift.async-server")
    /// The server's private serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let settings: ServerSettings
    let config: AsyncConfig
    let transport: any Transport
    let experiment: ServerExperiment
    let log = NodeLog(origin: "server")
    /// This run's session id; clients quote it, and a restarted server has a new one.
    public nonisolated let session: String
    let coder: ModelCoder
    var strategy: any AsyncStrategy
    var global: ModelState
    /// Model versions so far (server steps taken); MODEL and ACK carry it in `round`.
    public internal(set) var version = 0
    /// Counters of received, applied and rejected updates.
    public internal(set) var stats = AsyncServerStats()
    /// Messages rejected with ERROR so far (malformed, unknown peer, wrong session; stale updates excluded).
    public internal(set) var rejectedMessages = 0
    /// Results rows written by this process (evaluation rows; the final row is not included).
    public internal(set) var rows = 0
    var peers: [String: AsyncPeer] = [:]
    var encodedModel: (version: Int, parts: [Frame])?
    var router: (any MessageSocket)?
    var writer: ResultsWriter?
    var progress: ProgressDisplay?
    var started: ContinuousClock.Instant?
    var waitingPulls: [String: RoutedRequest] = [:]
    var lastWaitingLog = ContinuousClock.now - .seconds(60)
    var priorMilliseconds = 0
    var lastEvaluated = -1
    var lastAccuracy: (accuracy: Double, loss: Double)?
    var stopping = false
    var finishedAt: ContinuousClock.Instant?

    /// Loads the experiment's data and model; the socket is made by `transport` in ``run()``.
    public init(settings: ServerSettings, async config: AsyncConfig, transport: any Transport) throws(FedError) {
        try settings.validate()
        guard config.updates > 0, config.evalEvery > 0 else { throw FedError(.invalidArgument, "--updates and --eval-updates must be at least 1") }
        if let budget = config.timeBudget, !(budget > 0) { throw FedError(.invalidArgument, "--time-budget must be positive") }
        if let limit = config.maxStaleness, limit < 0 { throw FedError(.invalidArgument, "--max-staleness must be at least 0") }
        self.settings = settings
        self.config = config
        self.transport = transport
        experiment = try ServerExperiment(settings: settings)
        strategy = try config.makeStrategy()
        global = experiment.initialModel
        coder = ModelCoder(maxFrameElements: settings.maxFrameElements)
        session = "s" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    /// The current global model.
    public var globalModel: ModelState { global }

    /// Whether the run reached `--updates` or `--time-budget`.
    public var isFinished: Bool { finishedAt != nil }

    /// Asks ``run()`` to stop now (SIGINT/SIGTERM): no final row, the last checkpoint stays.
    public func shutdown() {
        if !stopping { log.info("shutting down", ["version": "\(version)", "updates": "\(stats.received)"]) }
        stopping = true
    }

    /// Serves requests until the run finishes (and its clients were told BYE) or ``shutdown()``.
    public func run() async throws(FedError) {
        try openResults()
        do {
            router = try await transport.bound(.router, to: settings.control, options: .federation(heartbeat: settings.heartbeat, largestMessageBytes: global.values.count * 4, linkFloor: settings.linkFloor)).socket
        } catch {
            throw FedError(.transport, "cannot bind \(settings.control): \(error)")
        }
        let reader = startReader()
        log.info("listening", ["control": settings.control, "mode": "async", "session": session, "algorithm": strategy.name,
                               "codec": settings.codec, "updates": "\(config.updates)", "version": "\(version)"])
        if settings.showProgress { progress = ProgressDisplay(total: config.updates, label: "update") }
        var failure: FedError?
        if stats.received >= config.updates {
            do throws(FedError) { try finish() } catch { failure = error }
        }
        while !stopping {
            if finishedAt == nil, let budget = config.timeBudget, elapsedSeconds >= budget {
                log.info("time budget spent", ["seconds": String(format: "%.1f", elapsedSeconds)])
                do throws(FedError) { try finish() } catch { failure = error }
            }
            if let finishedAt, drained(since: finishedAt) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        progress?.finish()
        reader.cancel()
        await router?.close()
        router = nil
        if let failure { throw failure }
    }

    /// Wall seconds of the run since the first model was served, including the time before a restart
    /// (up to its last checkpoint).
    var elapsedSeconds: Double {
        let current = started.map { Double((ContinuousClock.now - $0) / .milliseconds(1)) / 1000 } ?? 0
        return Double(priorMilliseconds) / 1000 + current
    }

    /// The configuration a checkpoint must match to be resumed: the experiment plus the async strategy.
    var checkpointConfig: [String: String] {
        var entries = settings.experiment.entries
        entries["mode"] = "async"
        entries["async_algorithm"] = config.algorithm
        entries["alpha"] = "\(config.alpha)"
        entries["staleness"] = config.staleness
        entries["buffer"] = "\(config.bufferSize)"
        entries["server_lr"] = "\(config.serverLearningRate)"
        entries["max_staleness"] = config.maxStaleness.map { "\($0)" } ?? "none"
        if let echo = settings.echoParams { entries["echo_params"] = "\(echo)" }
        return entries
    }

    private func startReader() -> Task<Void, Never> {
        guard let router else { return Task {} }
        return Task { [weak self] in
            for await parts in router.messages { await self?.onRequest(parts) }
            await self?.shutdown()  // the socket closed under us (transport shut down)
        }
    }

    /// After finishing, requests are answered with BYE until every client that was active has been told,
    /// or has been silent for longer than it ever paused (at least the heartbeat's dead-after time), at
    /// most 30 s: long enough for its training and `--delay` to end, short enough for a crashed client.
    private func drained(since finish: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        guard now - finish < .seconds(30) else { return true }
        return peers.values.allSatisfy { peer in
            peer.toldBye || now - peer.lastSeen > max(.seconds(settings.deadAfter), peer.longestGap * 2)
        }
    }

    private func openResults() throws(FedError) {
        var keepThrough: Int?
        if settings.resume, let directory = settings.checkpointDirectory {
            if let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: directory)) {
                guard checkpoint.config == checkpointConfig else {
                    throw FedError(.invalidArgument, "the checkpoint in \(directory) is from a different experiment; use another --checkpoint directory")
                }
                guard checkpoint.model.layout == global.layout else {
                    throw FedError(.modelMismatch, "the checkpoint's model in \(directory) does not match --model")
                }
                global = checkpoint.model
                version = checkpoint.round
                stats = AsyncServerStats(counters: checkpoint.counters)
                priorMilliseconds = checkpoint.counters["elapsed_ms"] ?? 0
                lastEvaluated = stats.received
                keepThrough = stats.received
                log.info("resumed from checkpoint", ["version": "\(version)", "updates": "\(stats.received)", "directory": directory,
                                                     "note": "updates buffered but not yet applied before the restart are lost"])
            } else {
                log.info("no checkpoint yet, starting fresh", ["directory": directory])
            }
        }
        if let out = settings.out {
            writer = try ResultsWriter(url: URL(fileURLWithPath: out), keepThrough: keepThrough ?? (settings.resume ? 0 : nil), key: "updates")
        }
    }
}
