import FedAlgorithms
import FedCore
import FedNet
import FedWire
import Foundation

/// The sync federation server (FedLab's ServerManager + handler, rebuilt on ZeroMQ): a ROUTER for
/// HELLO/FIT/FIT_RESULT/PULL/HEARTBEAT and an XPUB that publishes each round's model once per child.
///
/// A long-running service: ``run()`` binds, waits for `minClients` announced virtual clients, runs every
/// round (sample → FIT + model → streaming aggregation → evaluate → results row → checkpoint), then sends
/// BYE and closes. ``shutdown()`` (e.g. from SIGTERM) ends it early and gracefully. The actor runs on its
/// own dispatch queue, so decoding uploads and evaluating never occupy Swift's cooperative pool.
public actor ServerNode {
    nonisolated let executor = QueueExecutor(label: "fedswift.server")
    /// The server's private serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let settings: ServerSettings
    let transport: any Transport
    let experiment: ServerExperiment
    let uploadCodec: String
    let log = NodeLog(origin: "server")
    /// This run's session id; clients quote it, and a restarted server has a new one.
    public nonisolated let session: String
    let coder: ModelCoder
    var strategy: any Strategy
    var global: ModelState
    var round = 1
    var retries = 0
    var totalRetries = 0
    var late = 0
    /// Each client's last reported training loss (power-of-choice's π_rpow-d).
    var lastLoss: [Int: Double] = [:]
    var nextTaskID: UInt64 = 1
    var children: [String: ChildRecord] = [:]
    /// Schedulers that ever joined: a round without one of them says so in its results row.
    var groups: Set<String> = []
    var subscribed: Set<String> = []
    var tracker: RoundTracker?
    var writer: ResultsWriter?
    var router: (any MessageSocket)?
    var xpub: (any MessageSocket)?
    var progress: ProgressDisplay?
    var lastWaitingLog = ContinuousClock.now - .seconds(60)
    var stopping = false
    var finished = false
    /// Rows written so far in this process (tests read them).
    public internal(set) var records: [RoundRecord] = []
    /// Messages rejected with ERROR so far.
    public internal(set) var rejected = 0

    /// Loads the experiment's data and model for `settings`; sockets are made by `transport` in ``run()``.
    public init(settings: ServerSettings, transport: any Transport) throws(FedError) {
        try settings.validate()
        self.settings = settings
        self.transport = transport
        experiment = try ServerExperiment(settings: settings)
        uploadCodec = settings.codec
        strategy = try settings.experiment.makeStrategy()
        global = experiment.takeInitialModel()
        coder = ModelCoder(maxFrameElements: settings.maxFrameElements)
        session = "s" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    /// The current global model.
    public var globalModel: ModelState { global }

    /// The next round to run (rounds before it are done).
    public var currentRound: Int { round }

    /// Virtual clients announced by joined children.
    public var announcedClients: [Int] { Set(children.values.flatMap(\.clients)).sorted() }

    /// Asks ``run()`` to stop after the step in progress: BYE to children, results flushed, sockets closed.
    public func shutdown() {
        if !stopping && !finished { log.info("shutting down", ["round": "\(round)"]) }
        stopping = true
    }

    /// Runs the federation until every round is done or ``shutdown()`` is called; returns the last row.
    @discardableResult
    public func run() async throws(FedError) -> RoundRecord? {
        try openResults()
        do {
            let options = SocketOptions.federation(heartbeat: settings.heartbeat, largestMessageBytes: global.values.count * 4,
                                                   linkFloor: settings.linkFloor)
            router = try await transport.bound(.router, to: settings.control, options: options).socket
            xpub = try await transport.bound(.xpub, to: settings.broadcast, options: options).socket
        } catch {
            await closeSockets()
            throw FedError(.transport, "cannot bind \(settings.control) / \(settings.broadcast): \(error)")
        }
        let readers = startReaders()
        log.info("listening", ["control": settings.control, "broadcast": settings.broadcast, "session": session,
                               "codec": uploadCodec, "rounds": "\(settings.experiment.rounds)"])
        if settings.showProgress { progress = ProgressDisplay(total: settings.experiment.rounds, label: "round") }
        if round > settings.experiment.rounds { finished = true }
        while !finished && !stopping {
            await tick()
            try? await Task.sleep(for: .milliseconds(20))
        }
        progress?.finish()
        var failure: FedError?
        if finished {
            do throws(FedError) { try finish() } catch { failure = error }
        }
        await sayGoodbye()
        for reader in readers { reader.cancel() }
        await closeSockets()
        if let failure { throw failure }
        return records.last
    }

    private func openResults() throws(FedError) {
        var keepThrough: Int?
        if settings.resume, let directory = settings.checkpointDirectory {
            if let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: directory)) {
                guard checkpoint.config == settings.experiment.entries else {
                    throw FedError(.invalidArgument, "the checkpoint in \(directory) is from a different experiment; use another --checkpoint directory")
                }
                guard checkpoint.model.layout == global.layout else {
                    throw FedError(.modelMismatch, "the checkpoint's model in \(directory) does not match --model")
                }
                global = checkpoint.model
                try strategy.importState(checkpoint.strategyState)
                round = checkpoint.round + 1
                totalRetries = checkpoint.attempts
                keepThrough = checkpoint.round
                log.info("resumed from checkpoint", ["round": "\(checkpoint.round)", "directory": directory])
            } else {
                log.info("no checkpoint yet, starting fresh", ["directory": directory])
            }
        }
        if let out = settings.out {
            writer = try ResultsWriter(url: URL(fileURLWithPath: out), keepThrough: keepThrough ?? (settings.resume ? 0 : nil))
        }
    }

    private func startReaders() -> [Task<Void, Never>] {
        guard let router, let xpub else { return [] }
        return [
            Task { [weak self] in
                for await parts in router.messages { await self?.onControl(consume parts) }  // consumed: uploads are freed as folded
                await self?.shutdown()  // the socket closed under us (transport shut down)
            },
            Task { [weak self] in
                for await parts in xpub.messages { await self?.onSubscription(parts) }
            },
        ]
    }

    private func finish() throws(FedError) {
        if let saveModel = settings.saveModel {
            try Safetensors.write(global, to: URL(fileURLWithPath: saveModel), metadata: settings.experiment.entries)
        }
        let seconds = records.map(\.seconds)
        var summary: [String: Any] = [
            "rounds": settings.experiment.rounds, "mode": "sync", "codec": uploadCodec, "retries": totalRetries,
            "mean_round_seconds": seconds.isEmpty ? 0 : seconds.reduce(0, +) / Double(seconds.count),
        ]
        if let accuracy = records.last?.accuracy, let loss = records.last?.loss, accuracy.isFinite, loss.isFinite {
            summary["accuracy"] = accuracy
            summary["loss"] = loss
        }
        try writer?.writeFinal(summary: summary, config: settings.experiment.entries)
        log.info("run finished", ["rounds": "\(settings.experiment.rounds)",
                                  "accuracy": records.last?.accuracy.map { String(format: "%.4f", $0) } ?? "n/a"])
    }

    /// BYE to every child, on control and on the broadcast (a child dropped for silence may still be
    /// listening). Clients exit after a finished run; after a shutdown they wait for the server to return.
    private func sayGoodbye() async {
        var bye = FederationMessages.plain(.bye, sender: "server", session: session)
        bye.envelope.config["finished"] = .bool(finished)
        let parts = bye.parts()
        for id in Set(children.keys).union(subscribed).sorted() {
            try? await router?.send([Frame(copying: Array(id.utf8))] + parts)
            try? await xpub?.send([Frame(copying: Array(id.utf8))] + parts)
        }
        // libzmq writes from its I/O thread and the context's term (which honours LINGER) runs detached,
        // so a process exiting right after close can drop the BYEs: give them a moment to leave.
        if !children.isEmpty { try? await Task.sleep(for: .milliseconds(200)) }
        children.removeAll()
    }

    private func closeSockets() async {
        await router?.close()
        await xpub?.close()
        router = nil
        xpub = nil
    }
}
