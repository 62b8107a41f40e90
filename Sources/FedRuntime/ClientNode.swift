import FedAlgorithms
import FedCore
import FedNet
import FedWire
import Dispatch
import Foundation

/// A client process of a sync federation: one DEALER to the server's ROUTER and one SUB on its XPUB
/// (topic = this node's id), hosting a set of virtual clients trained by a ``SerialTrainer``.
///
/// It learns the experiment from WELCOME, computes the same partition as the server and trains only its
/// own clients. It joins again by itself (HELLO) when the server restarts (new session, `unknown_peer`
/// or `session_mismatch`) or falls silent, PULLs a model it did not receive by broadcast, and stops when
/// the server says BYE or ``shutdown()`` is called. Uploads are one FIT_RESULT per virtual client, sent
/// as soon as that client is trained.
public actor ClientNode {
    nonisolated let executor = QueueExecutor(label: "fedswift.client")
    /// The client's private serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Why ``run()`` returned.
    public enum Outcome: Sendable, Equatable {
        /// The server finished the run and said BYE.
        case serverFinished
        /// ``shutdown()`` was called (SIGINT/SIGTERM).
        case shutdown
        /// The server's WELCOME said it runs `--mode async`: run an ``AsyncClientNode`` instead.
        case asyncServer
    }

    /// A FIT task waiting for its model or a trainer.
    struct PendingFit {
        let envelope: Envelope
        let received: ContinuousClock.Instant
        var pulledAt: ContinuousClock.Instant?
    }

    let settings: ClientSettings
    let transport: any Transport
    let log: NodeLog
    /// Random token of this run, so the server tells a repeated HELLO from a restarted process.
    let instance = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    var dealer: (any MessageSocket)?
    var sub: (any MessageSocket)?
    var session: String?
    var experiment: ExperimentConfig?
    var encoding = TensorEncoding(codec: .shuffleLZ4)
    var heartbeat = 1.0
    var trainer: (any LocalTrainer)?
    var preparing: Task<Void, Never>?
    var training: Task<Void, Never>?
    var pendingFit: PendingFit?
    var model: WireMessage?
    /// Size of the model's parameters when known (WELCOME of an echo run, or the last model received).
    var modelBytes = 0
    var lastHello = ContinuousClock.now - .seconds(60)
    var lastHeartbeat = ContinuousClock.now
    var lastHeard = ContinuousClock.now
    var joinedAt = ContinuousClock.now
    var stopping = false
    var outcome = Outcome.shutdown
    var fatal: FedError?
    var uploads: AsyncStream<Upload>.Continuation?
    /// Encoded uploads allowed to wait for the socket at once: a trainer that gets ahead blocks (on its
    /// own thread) instead of piling model-sized messages up in memory.
    let uploadCredits = DispatchSemaphore(value: 2)
    /// Virtual-client results uploaded so far.
    public internal(set) var uploaded = 0
    /// Times this node sent HELLO and got WELCOME.
    public internal(set) var joins = 0

    /// A client for `settings`; sockets are made by `transport` in ``run()``.
    public init(settings: ClientSettings, transport: any Transport) {
        self.settings = settings
        self.transport = transport
        log = NodeLog(origin: "client \(settings.id)")
    }

    /// Asks ``run()`` to stop: BYE to the server, sockets closed.
    public func shutdown() { stopping = true }

    /// Connects, joins and serves FIT tasks until the server's BYE or ``shutdown()``.
    ///
    /// - Throws: the server's ERROR when it refuses this node for good (wrong version, codec, client ids).
    public func run() async throws(FedError) -> Outcome {
        do {
            var options = SocketOptions.federation(heartbeat: settings.socketHeartbeat, linkFloor: settings.linkFloor, routingID: settings.id)
            options.immediate = true  // while the server is away, sends fail instead of piling up stale HELLOs
            options.sendTimeout = .seconds(5)
            dealer = try await transport.connected(.dealer, to: settings.control, options: options)
            let subSocket = try await transport.connected(.sub, to: settings.broadcast, options: options)
            try await subSocket.subscribe(Array(settings.id.utf8))
            sub = subSocket
        } catch {
            await closeSockets()
            throw FedError(.transport, "cannot connect to \(settings.control) / \(settings.broadcast): \(error)")
        }
        let (stream, continuation) = AsyncStream<Upload>.makeStream()
        uploads = continuation
        let tasks = startReaders(uploads: stream)
        log.info("connecting", ["control": settings.control, "clients": "\(settings.clients.count)", "trainer": settings.trainer.rawValue])
        while !stopping {
            await tick()
            try? await Task.sleep(for: .milliseconds(20))
        }
        if outcome != .serverFinished, session != nil, let dealer {
            try? await dealer.send(FederationMessages.plain(.bye, sender: settings.id, session: session ?? "").parts())
        }
        continuation.finish()
        for _ in 0..<64 { uploadCredits.signal() }  // release a trainer still waiting to hand over a result
        for task in tasks { task.cancel() }
        preparing?.cancel()
        await closeSockets()
        if let fatal { throw fatal }
        return outcome
    }

    private func startReaders(uploads: AsyncStream<Upload>) -> [Task<Void, Never>] {
        guard let dealer, let sub else { return [] }
        return [
            Task { [weak self] in
                for await parts in dealer.messages { await self?.onControl(parts) }
                await self?.shutdown()  // the socket closed under us (transport shut down)
            },
            Task { [weak self] in
                for await parts in sub.messages { await self?.onBroadcast(parts) }
            },
            Task { [weak self] in
                for await upload in uploads {
                    do { try await dealer.send(upload.parts) } catch { await self?.uploadFailed(error) }
                    if upload.holdsCredit { upload.credits.signal() }
                }
            },
        ]
    }

    private func uploadFailed(_ error: any Error) { log.info("upload not sent", ["error": "\(error)"]) }

    private func closeSockets() async {
        await dealer?.close()
        await sub?.close()
        dealer = nil
        sub = nil
    }

    /// One step: HELLO while not joined; heartbeats, silence detection and PULL while joined.
    func tick() async {
        guard let dealer else { return }
        let now = ContinuousClock.now
        guard let session else {
            if now - lastHello > .seconds(settings.helloInterval) {
                lastHello = now
                var hello = Envelope(kind: .hello)
                hello.sender = settings.id
                hello.clientIDs = settings.clients.map { UInt32($0) }
                hello.codecs = Codec.allCases
                hello.config = ["trainer": .string(settings.trainer.rawValue), "instance": .string(instance)]
                try? await dealer.send(WireMessage(envelope: hello).parts())
            }
            return
        }
        if now - lastHeartbeat > .seconds(heartbeat) {
            lastHeartbeat = now
            try? await dealer.send(FederationMessages.plain(.heartbeat, sender: settings.id, session: session).parts())
        }
        // Generous: a server busy decoding large uploads answers late; a restarted server is noticed
        // sooner anyway (ERROR unknown_peer to our heartbeat, or a new session on the broadcast).
        if now - lastHeard > .seconds(max(10 * heartbeat, 10)) {
            log.info("server silent, joining again", ["session": session])
            self.session = nil
            return
        }
        if var fit = pendingFit, model?.envelope.round != fit.envelope.round || model?.envelope.session != session,
           now - (fit.pulledAt ?? fit.received) > .seconds(ModelMemory.pullDelay(base: settings.pullAfter, modelBytes: modelBytes, linkFloor: settings.linkFloor)) {
            fit.pulledAt = now
            pendingFit = fit
            log.info("model not received by broadcast, pulling", ["round": "\(fit.envelope.round)"])
            try? await dealer.send(FederationMessages.plain(.pull, sender: settings.id, session: session, round: fit.envelope.round).parts())
        }
        startTrainingIfReady()
    }
}

/// One encoded FIT_RESULT on its way to the DEALER; `holdsCredit` when its sender took an upload credit.
struct Upload: Sendable {
    let parts: [Frame]
    let holdsCredit: Bool
    let credits: DispatchSemaphore
}
