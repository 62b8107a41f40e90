import FedAlgorithms
import FedCore
import FedNet
import FedWire
import Foundation

/// A scheduler (FedLab's hierarchical Scheduler, zguide ch.3's broker): a client upstream and a server
/// downstream, so one server reaches client groups in other LANs and one model copy crosses each way.
///
/// Upstream it connects a DEALER and a SUB like a client process and announces the union of its
/// children's virtual clients (again whenever that union changes). Downstream it binds a ROUTER and an
/// XPUB for its children, client processes or schedulers. Each round it forwards FIT (and EVALUATE) to the
/// children hosting the selected clients, receives the model once and re-publishes it to them, and sends
/// one result upstream: the group's weighted partial sum for linear strategies (``GroupResult``; for
/// EVALUATE the example-weighted metrics, ``MetricSum``), or each result relayed plus a group message
/// naming the failed clients.
///
/// When the upstream's WELCOME says `mode=async`, the scheduler relays the async exchange instead (its
/// ROUTER then also serves REQ children): a child's PULL is answered from the cached model when that is
/// the newest version the upstream reported, else one PULL goes upstream for all waiting children; each
/// PUSH goes upstream on its own (async updates are per client) and the reply goes back to its child.
///
/// Children keep their joins while the upstream is away; the scheduler rejoins it by itself. It stops
/// when the upstream says BYE (and passes BYE on; in async mode after its children were told) or when
/// ``shutdown()`` is called.
public actor SchedulerNode {
    nonisolated let executor = QueueExecutor(label: "fedswift.scheduler")
    /// The scheduler's private serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let settings: SchedulerSettings
    let transport: any Transport
    let log: NodeLog
    let coder = ModelCoder()
    /// The session this scheduler gives its children; a restarted scheduler has a new one.
    public nonisolated let session: String
    var upDealer: (any MessageSocket)?
    var upSub: (any MessageSocket)?
    var router: (any MessageSocket)?
    var xpub: (any MessageSocket)?
    /// The upstream's session while joined.
    var upstreamSession: String?
    /// The upstream's WELCOME configuration, relayed to children in theirs.
    var upstreamConfig: [String: ConfigValue]?
    var upstreamCodec = Codec.shuffleLZ4
    var upstreamHeartbeat = 1.0
    var upstreamTimeout = 60.0
    /// Clients last announced upstream (nil: nothing announced since the last join).
    var announced: [Int]?
    var lastHello = ContinuousClock.now - .seconds(60)
    var lastHeartbeat = ContinuousClock.now
    var lastHeard = ContinuousClock.now
    var children: [String: ChildRecord] = [:]
    var subscribed: Set<String> = []
    /// The child that last hosted each client, so a round can name the lost child behind an unhosted client.
    var lastOwner: [Int: String] = [:]
    /// Upstream tasks in flight, by kind (FIT, EVALUATE).
    var tasks: [MessageKind: GroupTask] = [:]
    /// The async exchange's state (unused in sync mode).
    var relay = AsyncRelay()
    /// The latest model from upstream, its decoded state and its re-enveloped parts for the children.
    var model: (message: WireMessage, global: ModelState, parts: [Frame])?
    var fitReceived = ContinuousClock.now
    var pulledAt: ContinuousClock.Instant?
    var stopping = false
    var upstreamFinished = false
    /// Times this scheduler got WELCOME from upstream.
    public internal(set) var joins = 0
    /// Group results sent upstream.
    public internal(set) var groupResults = 0
    /// Children results that came after their group had reported.
    public internal(set) var late = 0
    /// Async mode: children's PULLs answered from the cached model, without a round trip upstream.
    public internal(set) var cachedPulls = 0
    /// Async mode: PULLs sent upstream (one serves every child waiting for it).
    public internal(set) var upstreamPulls = 0
    /// Async mode: children's PUSHes forwarded upstream (resends answered from memory excluded).
    public internal(set) var forwardedPushes = 0

    /// A scheduler for `settings`; sockets are made by `transport` in ``run()``.
    public init(settings: SchedulerSettings, transport: any Transport) throws(FedError) {
        try settings.validate()
        self.settings = settings
        self.transport = transport
        log = NodeLog(origin: "scheduler \(settings.id)")
        session = "g" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    /// Virtual clients hosted by the joined children.
    public var groupClients: [Int] { Set(children.values.flatMap(\.clients)).sorted() }

    /// Whether the scheduler is joined upstream.
    public var isJoined: Bool { upstreamSession != nil }

    /// Asks ``run()`` to stop: BYE upstream and to the children, sockets closed.
    public func shutdown() { stopping = true }

    /// Binds for the children, connects upstream and brokers rounds until BYE or ``shutdown()``;
    /// returns true when the upstream finished the run.
    @discardableResult
    public func run() async throws(FedError) -> Bool {
        do {
            // The model's size is learnt at the upstream WELCOME, after these sockets connect and bind:
            // unknown-size deadlines (see HeartbeatDeadlines).
            let down = SocketOptions.federation(heartbeat: settings.heartbeat, linkFloor: settings.linkFloor)
            router = try await transport.bound(.router, to: settings.control, options: down).socket
            xpub = try await transport.bound(.xpub, to: settings.broadcast, options: down).socket
            var up = SocketOptions.federation(heartbeat: settings.heartbeat, linkFloor: settings.linkFloor, routingID: settings.id)
            up.immediate = true  // while the upstream is away, sends fail instead of piling up stale messages
            up.sendTimeout = .seconds(5)
            upDealer = try await transport.connected(.dealer, to: settings.upstreamControl, options: up)
            if let broadcast = settings.upstreamBroadcast {
                let sub = try await transport.connected(.sub, to: broadcast, options: up)
                try await sub.subscribe(Array(settings.id.utf8))
                upSub = sub
            }
        } catch {
            await closeSockets()
            throw FedError(.transport, "cannot bind \(settings.control) / \(settings.broadcast) or reach \(settings.upstreamControl): \(error)")
        }
        let readers = startReaders()
        log.info("listening", ["control": settings.control, "broadcast": settings.broadcast, "upstream": settings.upstreamControl,
                               "session": session, "partial_sum": settings.partialSum.rawValue])
        while !stopping {
            await tick()
            try? await Task.sleep(for: .milliseconds(20))
        }
        if cachedPulls + upstreamPulls + forwardedPushes > 0 {
            log.info("async relay totals", ["pulls_cached": "\(cachedPulls)", "pulls_upstream": "\(upstreamPulls)",
                                            "pushes_forwarded": "\(forwardedPushes)"])
        }
        await sayGoodbye()
        for reader in readers { reader.cancel() }
        await closeSockets()
        return upstreamFinished
    }

    private func startReaders() -> [Task<Void, Never>] {
        guard let router, let xpub, let upDealer else { return [] }
        var readers = [
            Task { [weak self] in
                for await parts in router.messages { await self?.onChild(parts) }
                await self?.shutdown()
            },
            Task { [weak self] in
                for await parts in xpub.messages { await self?.onSubscription(parts) }
            },
            Task { [weak self] in
                for await parts in upDealer.messages { await self?.onUpstream(parts) }
                await self?.shutdown()
            },
        ]
        if let upSub {
            readers.append(Task { [weak self] in
                for await parts in upSub.messages {
                    guard parts.count >= 2, let message = try? WireMessage(parts: Array(parts.dropFirst())) else { continue }
                    await self?.acceptModel(message)
                }
            })
        }
        return readers
    }

    /// One step: (re)join upstream, heartbeats both ways, drop silent children, report at the group deadline.
    func tick() async {
        let now = ContinuousClock.now
        dropSilentChildren()
        for (kind, var current) in tasks where now >= current.deadline {
            for client in current.pending.keys.sorted() { current.failed.append(client) }
            current.lacking.formUnion(current.pending.values)
            current.pending.removeAll()
            tasks[kind] = current
            log.info("group deadline passed", ["task": "\(kind)", "round": "\(current.round)", "failed": "\(current.failed.count)"])
        }
        await reportIfComplete()
        await tickUpstream(now: now)
        await tickRelay(now: now)
    }

    /// Forgets children silent for longer than the heartbeat allows; a child a task in flight still
    /// awaits is judged by the group deadline instead (its heartbeats may queue behind a large upload),
    /// and an async client (REQ), silent while it trains, only leaves with BYE, as at an async server.
    func dropSilentChildren() {
        let busy = busyChildren
        for (id, child) in children where !child.requests && ContinuousClock.now - child.lastSeen > .seconds(settings.deadAfter) && !busy.contains(id) {
            log.info("child lost", ["id": id])
            dropChild(id)
        }
    }

    /// Children holding an awaited client of a task in flight.
    var busyChildren: Set<String> { tasks.values.reduce(into: []) { $0.formUnion($1.busyChildren) } }

    /// Forgets a child; its awaited clients of the tasks in flight fail.
    func dropChild(_ id: String) {
        children[id] = nil
        subscribed.remove(id)
        for kind in tasks.keys { tasks[kind]?.fail(child: id) }
    }

    private func sayGoodbye() async {
        await answerHeldRequests()
        if let router {
            for id in children.keys.sorted() where children[id]?.requests == false {
                let bye = FederationMessages.plain(.bye, sender: settings.id, session: session)
                do { try await router.send([Frame(copying: Array(id.utf8))] + bye.parts()) } catch { log.info("bye not delivered", ["id": id, "error": "\(error)"]) }
            }
        }
        if !upstreamFinished, let upstreamSession, let upDealer {
            try? await upDealer.send(FederationMessages.plain(.bye, sender: settings.id, session: upstreamSession).parts())
        }
        children.removeAll()
    }

    private func closeSockets() async {
        for socket in [router, xpub, upDealer, upSub] { await socket?.close() }
        router = nil
        xpub = nil
        upDealer = nil
        upSub = nil
    }
}
