import FedCore
import FedWire

/// The async relay (docs/PROTOCOL.md §10.3 through a scheduler): children's PULLs answered from the cached
/// model or by one PULL upstream, children's PUSHes forwarded one by one and their replies routed back.
extension SchedulerNode {
    /// A child's PULL: answered from the cache when it holds the newest version the upstream reported,
    /// else held until the upstream's MODEL arrives (one PULL upstream serves every waiting child).
    func childPull(_ request: RoutedRequest, peer: String) async {
        if relay.cacheIsCurrent, let model = relay.model {
            cachedPulls += 1
            try? await router?.send(request.reply(model.parts))
            return
        }
        relay.waitingPulls[peer] = request
        await pullUpstream(now: .now)
    }

    /// A child's PUSH, forwarded upstream under a task id of this scheduler's; a resend is answered from
    /// memory (already answered) or waits for the reply to the first (still upstream).
    func childPush(_ request: RoutedRequest, peer: String, _ message: WireMessage) async {
        let envelope = message.envelope
        if envelope.taskID != 0, let last = relay.answered[peer], last.taskID == envelope.taskID {
            try? await router?.send(request.reply(last.reply))
            return
        }
        if let inFlight = relay.pushes.first(where: { $0.value.child == peer && $0.value.taskID == envelope.taskID })?.key {
            relay.pushes[inFlight]?.request = request  // answer the resend: the first request's socket is gone
            return
        }
        guard envelope.clientIDs.count == 1, let client = envelope.clientIDs.first.map({ Int($0) }),
              children[peer]?.clients.contains(client) == true else {
            await reject(request, FedError(.unexpectedMessage, "a PUSH carries one update of one client announced by '\(peer)'; got clients \(envelope.clientIDs.prefix(5))"),
                         taskID: envelope.taskID)
            return
        }
        // Not joined upstream: no reply, and the child resends (lazy pirate) until the scheduler is back.
        guard let upstreamSession, let upDealer else { return }
        var forward = envelope
        forward.sender = settings.id
        forward.session = upstreamSession
        forward.taskID = relay.upstreamTask(child: peer, taskID: envelope.taskID)
        // Recorded before the send: the reply may be handled while this call waits for the socket.
        relay.pushes[forward.taskID] = ForwardedPush(child: peer, taskID: envelope.taskID, request: request, sent: .now)
        forwardedPushes += 1
        do {
            try await upDealer.send(WireMessage(envelope: forward, frames: message.frames).parts())
        } catch {
            log.info("push not forwarded", ["from": peer, "error": "\(error)"])
            relay.pushes[forward.taskID] = nil
            forwardedPushes -= 1
        }
    }

    /// A reply from an async upstream: MODEL fills the cache and answers the waiting PULLs, ACK and ERROR
    /// go back to the child whose PUSH they answer, every reply updates the version the upstream reported.
    func onAsyncReply(_ message: WireMessage) async {
        let envelope = message.envelope
        if envelope.kind == .bye {
            if envelope.config["finished"]?.boolValue == false { return }  // the answer to this scheduler's own BYE
            await finishRelay()
            return
        }
        guard let upstreamSession else { return }  // an answer to a request of a join already given up
        guard envelope.session == upstreamSession else {
            log.info("reply from a new upstream session, joining again", ["session": envelope.session])
            leaveUpstream()
            return
        }
        let code = envelope.error?.code
        if code == .unknownPeer || code == .sessionMismatch {
            upstreamError(envelope)
            return
        }
        relay.learn(version: envelope.round, session: upstreamSession)
        switch envelope.kind {
        case .model:
            let parts = reenveloped(message)
            relay.model = (envelope.round, parts)
            await answerWaitingPulls(parts)
        case .ack:
            await answerPush(message)
        case .error where relay.pushes[envelope.taskID] != nil:
            await answerPush(message)
        case .error where relay.pullSent != nil:
            upstreamError(envelope)
            await answerWaitingPulls(reenveloped(message))
        case .error:
            upstreamError(envelope)
        default:
            break  // HEARTBEAT: only its version mattered
        }
    }

    /// Async housekeeping: PULL again for children still waiting, forget PUSHes the upstream never
    /// answered (their children resend them), and stop once the children heard that the run finished.
    func tickRelay(now: ContinuousClock.Instant) async {
        if let finishedAt = relay.finishedAt {
            if drained(since: finishedAt, now: now) { stopping = true }
            return
        }
        guard upstreamIsAsync, upstreamSession != nil else { return }
        await pullUpstream(now: now)
        relay.pushes = relay.pushes.filter { now - $0.value.sent < .seconds(upstreamTimeout) }
    }

    /// Answers every child request this scheduler holds (PULL, PUSH, a REQ child's HELLO) with BYE.
    func answerHeldRequests() async {
        var held = relay.waitingPulls.map { ($0.key, $0.value) } + relay.pushes.values.map { ($0.child, $0.request) }
        held += children.compactMap { id, child in child.requests ? child.hello.map { (id, $0) } : nil }
        relay.waitingPulls.removeAll()
        relay.pushes.removeAll()
        for (peer, request) in held { await sayFinished(request, to: peer) }
    }

    /// Answers `request` with BYE; `finished` (the child exits) once the upstream finished the run.
    func sayFinished(_ request: RoutedRequest, to peer: String) async {
        var bye = FederationMessages.plain(.bye, sender: settings.id, session: session, round: relay.version)
        bye.envelope.config = ["finished": .bool(upstreamFinished)]
        if upstreamFinished { children[peer]?.toldBye = true }
        try? await router?.send(request.reply(bye.parts()))
    }

    /// Sends one PULL upstream while children wait for a model, unless one went less than `pullAfter` ago.
    private func pullUpstream(now: ContinuousClock.Instant) async {
        guard let upstreamSession, let upDealer, !relay.waitingPulls.isEmpty else { return }
        if let sent = relay.pullSent, now - sent < .seconds(settings.pullAfter) { return }
        relay.pullSent = now
        upstreamPulls += 1
        do {
            try await upDealer.send(FederationMessages.plain(.pull, sender: settings.id, session: upstreamSession, round: relay.version).parts())
        } catch {
            log.info("pull not sent upstream", ["error": "\(error)"])
            upstreamPulls -= 1
        }
    }

    private func answerWaitingPulls(_ parts: [Frame]) async {
        relay.pullSent = nil
        let waiting = relay.waitingPulls
        relay.waitingPulls.removeAll()
        for (_, request) in waiting.sorted(by: { $0.key < $1.key }) { try? await router?.send(request.reply(parts)) }
    }

    /// Routes the upstream's ACK or ERROR to the child whose PUSH it answers, and remembers it for resends.
    private func answerPush(_ message: WireMessage) async {
        guard let push = relay.pushes.removeValue(forKey: message.envelope.taskID) else { return }
        var envelope = message.envelope
        envelope.sender = settings.id
        envelope.session = session
        envelope.taskID = push.taskID
        let parts = WireMessage(envelope: envelope, frames: message.frames).parts()
        relay.answered[push.child] = (push.taskID, parts)
        try? await router?.send(push.request.reply(parts))
    }

    /// The upstream finished the run: held requests get BYE, later ones too until the children were told.
    private func finishRelay() async {
        guard relay.finishedAt == nil else { return }
        log.info("upstream finished the run, telling the children")
        upstreamFinished = true
        relay.finishedAt = .now
        await answerHeldRequests()
    }

    /// Whether every async (REQ) child heard BYE, or has been silent for longer than it ever paused (at
    /// least the dead-after time), at most 30 s after the finish: the async server's own drain rule.
    private func drained(since finish: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool {
        guard now - finish < .seconds(30) else { return true }
        return children.values.allSatisfy { child in
            !child.requests || child.toldBye || now - child.lastSeen > max(.seconds(settings.deadAfter), child.longestGap * 2)
        }
    }
}
