import FedAlgorithms
import FedCore
import FedWire

extension SchedulerNode {
    /// Whether the upstream's strategy lets the group send one partial sum instead of every result.
    var aggregatesLinearly: Bool { GroupResult.aggregatesLinearly(upstreamConfig?["algorithm"]?.stringValue ?? "fedavg") }

    /// Whether the upstream runs an asynchronous federation (its WELCOME said `mode=async`).
    var upstreamIsAsync: Bool { upstreamConfig?["mode"]?.stringValue == "async" }

    /// Upstream housekeeping: HELLO while not joined (once there are children), heartbeats, silence
    /// detection, a new HELLO when the children's clients changed, PULL of a model the broadcast missed.
    func tickUpstream(now: ContinuousClock.Instant) async {
        guard let upDealer else { return }
        let clients = groupClients
        guard let upstreamSession else {
            guard !clients.isEmpty, now - lastHello > .seconds(settings.helloInterval) else { return }
            lastHello = now
            await sendHello(clients, session: "")
            return
        }
        if now - lastHeartbeat > .seconds(upstreamHeartbeat) {
            lastHeartbeat = now
            try? await upDealer.send(FederationMessages.plain(.heartbeat, sender: settings.id, session: upstreamSession).parts())
        }
        if now - lastHeard > .seconds(upstreamTimeout) {
            log.info("upstream silent, joining again", ["session": upstreamSession])
            leaveUpstream()
            return
        }
        if tasks.isEmpty, announced != clients {
            if clients.isEmpty {
                log.info("no children left, leaving upstream")
                try? await upDealer.send(FederationMessages.plain(.bye, sender: settings.id, session: upstreamSession).parts())
                leaveUpstream()
            } else {
                await sendHello(clients, session: upstreamSession)
            }
            return
        }
        let waiting = tasks.values.filter { $0.needsModel && $0.round != model?.message.envelope.round }.map(\.round)
        if let round = waiting.max(), now - (pulledAt ?? fitReceived) > .seconds(pullDelay) {
            pulledAt = now
            log.info("model not received by broadcast, pulling", ["round": "\(round)"])
            try? await upDealer.send(FederationMessages.plain(.pull, sender: settings.id, session: upstreamSession, round: round).parts())
        }
    }

    /// HELLO announcing `clients`; quoting the current session makes it an update of a live join.
    func sendHello(_ clients: [Int], session: String) async {
        var hello = Envelope(kind: .hello)
        hello.sender = settings.id
        hello.session = session
        hello.clientIDs = clients.map { UInt32($0) }
        hello.codecs = Codec.allCases
        hello.config = ["role": .string("scheduler")]
        announced = clients
        if !session.isEmpty { log.info("announcing a changed group", ["clients": "\(clients.count)"]) }
        try? await upDealer?.send(WireMessage(envelope: hello).parts())
    }

    /// Forgets the upstream join (the children stay joined here) and abandons the tasks in flight.
    func leaveUpstream() {
        upstreamSession = nil
        announced = nil
        for task in tasks.values { log.info("task abandoned", ["task": "\(task.kind)", "round": "\(task.round)"]) }
        tasks.removeAll()
        relay.forgetUpstream()
    }

    /// Handles one message from the upstream's ROUTER.
    func onUpstream(_ parts: [Frame]) async {
        let message: WireMessage
        do {
            message = try WireMessage(parts: parts)
        } catch {
            log.info("undecodable message from upstream", ["error": error.description])
            return
        }
        lastHeard = .now
        let envelope = message.envelope
        if envelope.kind == .welcome {
            await welcome(envelope)
            return
        }
        if upstreamIsAsync {
            await onAsyncReply(message)
            return
        }
        switch envelope.kind {
        case .fit where envelope.session == upstreamSession && upstreamSession != nil: await startTask(message)
        case .evaluate where envelope.session == upstreamSession && upstreamSession != nil: await startTask(message)
        case .model: await acceptModel(message)
        case .bye:
            log.info("upstream finished the run")
            upstreamFinished = true
            stopping = true
        case .error: upstreamError(envelope)
        default: break
        }
    }

    /// Logs an ERROR from upstream; one saying the upstream does not know this join means HELLO again.
    func upstreamError(_ envelope: Envelope) {
        let error = envelope.error ?? WireError(code: .unspecified, detail: "no reason given")
        log.info("upstream sent ERROR", ["code": error.code.name, "detail": error.detail])
        if error.code == .unknownPeer || error.code == .sessionMismatch || upstreamSession == nil { leaveUpstream() }
    }

    private func welcome(_ envelope: Envelope) async {
        upstreamSession = envelope.session
        upstreamCodec = envelope.codecs.first ?? upstreamCodec
        upstreamHeartbeat = envelope.config["heartbeat"]?.doubleValue ?? upstreamHeartbeat
        upstreamTimeout = settings.upstreamTimeout ?? max(10 * upstreamHeartbeat, 10)
        lastHeard = .now
        lastHeartbeat = .now
        joins += 1
        log.info("joined upstream", ["session": envelope.session, "clients": "\(announced?.count ?? 0)",
                                     "mode": envelope.config["mode"]?.stringValue ?? "sync"])
        let changed = upstreamConfig != envelope.config
        upstreamConfig = envelope.config
        if upstreamIsAsync { relay.learn(version: envelope.round, session: envelope.session) }
        // A changed experiment goes to every child; otherwise only children whose HELLO waited for this join.
        for id in children.keys.sorted() where changed || children[id]?.hello != nil { await welcomeChild(id) }
    }

    /// Seconds without the round's model after a FIT before pulling it upstream: ``SchedulerSettings/pullAfter``
    /// plus the model's transfer time at the link floor (the size comes with the upstream's WELCOME).
    var pullDelay: Double {
        let bytes = upstreamConfig?["model_bytes"]?.intValue ?? upstreamConfig?["echo_params"]?.intValue.map { $0 * 4 } ?? 0
        return ModelMemory.pullDelay(base: settings.pullAfter, modelBytes: Int(bytes), linkFloor: settings.linkFloor)
    }

    /// The upstream's round timeout in seconds.
    var upstreamRoundTimeout: Double { upstreamConfig?["round_timeout"]?.doubleValue ?? 60 }

    /// WELCOME to a child: the upstream's experiment with this scheduler's session, heartbeat and deadline.
    /// It answers the child's held HELLO; a child without one gets it unsolicited, unless it is a REQ
    /// socket (an async client), which takes replies only.
    func welcomeChild(_ id: String) async {
        guard var config = upstreamConfig, let child = children[id] else { return }
        config["heartbeat"] = .double(settings.heartbeat)
        config["round_timeout"] = .double(settings.groupDeadline * upstreamRoundTimeout)
        var welcome = Envelope(kind: .welcome)
        welcome.sender = settings.id
        welcome.session = session
        welcome.round = upstreamIsAsync ? relay.version : 0
        welcome.codecs = [upstreamCodec]
        welcome.config = config
        let parts = WireMessage(envelope: welcome).parts()
        children[id]?.hello = nil
        let routed: [Frame]
        if let hello = child.hello {
            routed = hello.reply(parts)
        } else if !child.requests {
            routed = [Frame(copying: Array(id.utf8))] + parts
        } else {
            return
        }
        do {
            try await router?.send(routed)
        } catch {
            log.info("welcome not delivered", ["id": id, "error": "\(error)"])
            if !child.requests { dropChild(id) }
        }
    }
}
