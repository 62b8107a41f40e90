import FedAlgorithms
import FedCore
import FedWire

extension SchedulerNode {
    /// Whether the upstream's strategy lets the group send one partial sum instead of every result.
    var aggregatesLinearly: Bool { GroupResult.aggregatesLinearly(upstreamConfig?["algorithm"]?.stringValue ?? "fedavg") }

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
        if task == nil, announced != clients {
            if clients.isEmpty {
                log.info("no children left, leaving upstream")
                try? await upDealer.send(FederationMessages.plain(.bye, sender: settings.id, session: upstreamSession).parts())
                leaveUpstream()
            } else {
                await sendHello(clients, session: upstreamSession)
            }
            return
        }
        if let current = task, model?.message.envelope.round != current.round, now - (pulledAt ?? fitReceived) > .seconds(settings.pullAfter) {
            pulledAt = now
            log.info("model not received by broadcast, pulling", ["round": "\(current.round)"])
            try? await upDealer.send(FederationMessages.plain(.pull, sender: settings.id, session: upstreamSession, round: current.round).parts())
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

    /// Forgets the upstream join (the children stay joined here) and abandons the task in flight.
    func leaveUpstream() {
        upstreamSession = nil
        announced = nil
        if let task { log.info("task abandoned", ["round": "\(task.round)"]) }
        task = nil
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
        switch envelope.kind {
        case .welcome: await welcome(envelope)
        case .fit where envelope.session == upstreamSession && upstreamSession != nil: await startTask(envelope)
        case .model: await acceptModel(message)
        case .bye:
            log.info("upstream finished the run")
            upstreamFinished = true
            stopping = true
        case .error:
            let error = envelope.error ?? WireError(code: .unspecified, detail: "no reason given")
            log.info("upstream sent ERROR", ["code": error.code.name, "detail": error.detail])
            if error.code == .unknownPeer || error.code == .sessionMismatch || upstreamSession == nil { leaveUpstream() }
        default: break
        }
    }

    private func welcome(_ envelope: Envelope) async {
        upstreamSession = envelope.session
        upstreamCodec = envelope.codecs.first ?? upstreamCodec
        upstreamHeartbeat = envelope.config["heartbeat"]?.doubleValue ?? upstreamHeartbeat
        upstreamTimeout = settings.upstreamTimeout ?? max(10 * upstreamHeartbeat, 10)
        lastHeard = .now
        lastHeartbeat = .now
        joins += 1
        log.info("joined upstream", ["session": envelope.session, "clients": "\(announced?.count ?? 0)"])
        guard upstreamConfig != envelope.config else { return }
        upstreamConfig = envelope.config
        for id in children.keys.sorted() { await welcomeChild(id) }
    }

    /// The upstream's round timeout in seconds.
    var upstreamRoundTimeout: Double { upstreamConfig?["round_timeout"]?.doubleValue ?? 60 }

    /// WELCOME to a child: the upstream's experiment with this scheduler's session, heartbeat and deadline.
    func welcomeChild(_ id: String) async {
        guard var config = upstreamConfig else { return }
        config["heartbeat"] = .double(settings.heartbeat)
        config["round_timeout"] = .double(settings.groupDeadline * upstreamRoundTimeout)
        var welcome = Envelope(kind: .welcome)
        welcome.sender = settings.id
        welcome.session = session
        welcome.codecs = [upstreamCodec]
        welcome.config = config
        do {
            try await router?.send([Frame(copying: Array(id.utf8))] + WireMessage(envelope: welcome).parts())
        } catch {
            log.info("welcome not delivered", ["id": id, "error": "\(error)"])
            dropChild(id)
        }
    }

    /// A FIT from upstream: split it among the children hosting the selected clients.
    private func startTask(_ fit: Envelope) async {
        if task?.fit.taskID == fit.taskID { return }
        if let old = task { log.info("task superseded", ["round": "\(old.round)", "by": "\(fit.round)"]) }
        var owner: [Int: String] = [:]
        for id in children.keys.sorted().reversed() { for client in children[id]!.clients { owner[client] = id } }
        let selected = fit.clientIDs.map { Int($0) }
        let deadline = ContinuousClock.now + .seconds(settings.groupDeadline * upstreamRoundTimeout)
        var current = GroupTask(fit: fit, deadline: deadline, pending: owner.filter { selected.contains($0.key) })
        current.failed = selected.filter { owner[$0] == nil }
        current.lacking = Set(current.failed.compactMap { lastOwner[$0] })
        task = current
        fitReceived = .now
        pulledAt = nil
        attachAccumulator()
        let groups = Dictionary(grouping: selected.filter { owner[$0] != nil }, by: { owner[$0]! })
        for (child, clients) in groups.sorted(by: { $0.key < $1.key }) {
            var envelope = fit
            envelope.sender = settings.id
            envelope.session = session
            envelope.clientIDs = clients.sorted().map { UInt32($0) }
            do {
                try await router?.send([Frame(copying: Array(child.utf8))] + WireMessage(envelope: envelope).parts())
            } catch {
                log.info("child unreachable", ["id": child, "error": "\(error)"])
                dropChild(child)
            }
        }
        await publishModel()
        await reportIfComplete()
    }

    /// The round's model from upstream (broadcast or PULL reply): decoded once, re-published to the children.
    func acceptModel(_ message: WireMessage) async {
        guard message.envelope.kind == .model, let upstreamSession else { return }
        guard message.envelope.session == upstreamSession else {
            log.info("model from a new upstream session, joining again", ["session": message.envelope.session])
            leaveUpstream()
            return
        }
        if let model, model.message.envelope.round == message.envelope.round, model.message.envelope.session == upstreamSession { return }
        do throws(FedError) {
            let global = try coder.decode(message, layout: FederationMessages.layout(of: message))
            var envelope = message.envelope
            envelope.sender = settings.id
            envelope.session = session
            model = (message, global, WireMessage(envelope: envelope, frames: message.frames).parts())
        } catch {
            log.info("cannot decode the upstream model", ["round": "\(message.envelope.round)", "error": error.description])
            return
        }
        attachAccumulator()
        await publishModel()
    }

    /// Gives the task in flight its accumulator once the model of its round is here.
    private func attachAccumulator() {
        guard aggregatesLinearly, task?.accumulator == nil, let model, let round = task?.round,
              model.message.envelope.round == round else { return }
        task?.accumulator = FitAccumulator(global: model.global)
    }

    /// Sends the round's model to every busy, subscribed child that does not have it yet.
    func publishModel() async {
        guard let current = task, let model, model.message.envelope.round == current.round, let xpub else { return }
        for child in current.busyChildren.sorted() where subscribed.contains(child) && !current.modelDelivered.contains(child) {
            task?.modelDelivered.insert(child)
            try? await xpub.send([Frame(copying: Array(child.utf8))] + model.parts)
        }
    }

    /// Sends the group's one result upstream once every awaited client reported or failed.
    func reportIfComplete() async {
        guard let current = task, current.isComplete else { return }
        task = nil
        guard let upstreamSession, let upDealer else { return }
        // A changed group is announced before its result, so the upstream samples the next round from it.
        let clients = groupClients
        if !clients.isEmpty, clients != announced { await sendHello(clients, session: upstreamSession) }
        var result = GroupResult()
        result.failed = current.failed
        result.lacking = current.lacking.sorted()
        var headers: [TensorHeader] = []
        var frames: [Frame] = []
        if let sum = current.accumulator, sum.count > 0 {
            do throws(FedError) {
                var encoding = try TensorEncoding(parsing: current.fit.config["codec"]?.stringValue ?? upstreamCodec.description)
                encoding.seed = SplitMix64.mix(current.fit.taskID)
                (headers, frames) = try GroupResult.encode(sum, format: settings.partialSum, encoding: encoding, coder: coder)
                result.completed = sum.clientIDs
                result.weight = sum.totalWeight
                result.weightedLoss = sum.weightedLoss
            } catch {
                log.info("cannot encode the partial sum", ["error": error.description])
                result.failed += sum.clientIDs
            }
        }
        var envelope = result.envelope()
        envelope.sender = settings.id
        envelope.session = upstreamSession
        envelope.round = current.round
        envelope.taskID = current.fit.taskID
        envelope.tensors = headers
        do {
            try await upDealer.send(WireMessage(envelope: envelope, frames: frames).parts())
            groupResults += 1
            log.info("group result sent", ["round": "\(current.round)", "completed": "\(result.completed.count)",
                                            "forwarded": "\(current.forwarded.count)", "failed": "\(result.failed.count)"])
        } catch {
            log.info("group result not sent", ["round": "\(current.round)", "error": "\(error)"])
        }
    }
}
