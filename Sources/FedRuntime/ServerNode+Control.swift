import FedAlgorithms
import FedCore
import FedWire

extension ServerNode {
    /// Handles one message from the ROUTER: `[identity, envelope, tensors...]`.
    func onControl(_ parts: consuming [Frame]) async {
        guard parts.count >= 2 else { return }
        let identity = parts[0]
        let peer = String(decoding: identity.bytes, as: UTF8.self)
        let bytes = FederationMessages.byteCount(parts)
        let message: WireMessage
        do {
            message = try WireMessage(parts: Array(parts.dropFirst()))
            parts = []  // the message holds the frames now: an upload can be freed as it is folded
        } catch {
            await reject(identity, error, what: "undecodable message")
            return
        }
        let envelope = message.envelope
        if envelope.kind == .hello {
            await hello(identity, peer: peer, message)
            return
        }
        guard children[peer] != nil else {
            if envelope.kind != .bye {
                await reject(identity, FedError(.unknownPeer, "node '\(peer)' has not joined this server (session \(session)); send HELLO first"),
                             what: "\(envelope.kind) from unknown peer")
            }
            return
        }
        guard envelope.session == session else {
            await reject(identity, FedError(.sessionMismatch, "message quotes session '\(envelope.session)', this server's is '\(session)'; send HELLO again"),
                         what: "\(envelope.kind) with old session")
            return
        }
        children[peer]?.lastSeen = .now
        switch envelope.kind {
        case .fitResult: await fitResult(identity, peer: peer, consume message, bytes: bytes)
        case .pull: await pull(identity, peer: peer, envelope)
        case .heartbeat:
            try? await router?.send([identity] + FederationMessages.plain(.heartbeat, sender: "server", session: session).parts())
        case .bye:
            log.info("child left", ["id": peer])
            drop(peer, reason: FedError(.shutdown, "node '\(peer)' said BYE"))
            if tracker?.isComplete == true { await closeRound(atDeadline: false) }
        default:
            await reject(identity, FedError(.unexpectedMessage, "a sync server does not accept \(envelope.kind) messages"), what: "\(envelope.kind)")
        }
    }

    /// Tracks XPUB subscription notices (`[1|0] + topic`): who can receive the pushed model. A child of
    /// the round in flight that subscribes late gets the model pushed right away.
    func onSubscription(_ parts: [Frame]) async {
        guard let notice = FederationMessages.subscription(parts) else { return }
        let id = notice.id
        guard notice.subscribed else {
            subscribed.remove(id)
            return
        }
        subscribed.insert(id)
        guard let current = tracker, current.pending.values.contains(id), !current.modelDelivered.contains(id) else { return }
        tracker?.modelDelivered.insert(id)
        tracker?.bytesDown += FederationMessages.byteCount(current.model)
        try? await xpub?.send([Frame(copying: notice.topic)] + current.model)
    }

    /// Forgets a child; its awaited clients of the round in flight fail with `reason`.
    func drop(_ id: String, reason: FedError) {
        children[id] = nil
        tracker?.fail(child: id, reason: reason)
    }

    /// Sends ERROR to `identity`, logs it and counts it.
    func reject(_ identity: Frame, _ error: FedError, what: String) async {
        rejected += 1
        FederationMetrics.rejected(error.code)
        let peer = String(decoding: identity.bytes.prefix(64), as: UTF8.self)
        log.info("rejected", ["peer": peer, "what": what, "code": error.code.name, "detail": error.detail])
        let reply = FederationMessages.error(error, sender: "server", session: session, round: UInt64(round))
        try? await router?.send([identity] + reply.parts())
    }

    private func hello(_ identity: Frame, peer: String, _ message: WireMessage) async {
        let envelope = message.envelope
        let ids = envelope.clientIDs.map { Int($0) }
        let wanted: TensorEncoding
        do throws(FedError) {
            wanted = try settings.admit(envelope, peer: peer)
        } catch {
            await reject(identity, error, what: "hello")
            return
        }
        let instance = envelope.config["instance"]?.stringValue ?? ""
        let hosted = Array(Set(ids)).sorted()
        // A new instance is a restarted process; a changed client set is a rejoin, unless the HELLO
        // quotes this session (a scheduler whose group changed updates its live join).
        if let known = children[peer], known.instance != instance || (known.clients != hosted && envelope.session != session) {
            drop(peer, reason: FedError(.shutdown, "node '\(peer)' restarted and joined again"))
        }
        guard children[peer] != nil || children.count < settings.maxPeers else {
            await reject(identity, FedError(.unauthorized, "the server already has \(children.count) client processes (--max-peers)"), what: "hello")
            return
        }
        // A HELLO quoting this session updates a live join (a scheduler whose group changed).
        if envelope.config["role"]?.stringValue == "scheduler" { groups.insert(peer) }
        children[peer] = ChildRecord(id: peer, clients: hosted, instance: instance, lastSeen: .now)
        var welcome = Envelope(kind: .welcome)
        welcome.sender = "server"
        welcome.session = session
        welcome.round = UInt64(round)
        welcome.codecs = [wanted.codec]
        welcome.config = settings.welcomeConfig(modelBytes: global.values.count * 4)
        log.info("child joined", ["id": peer, "clients": "\(ids.count)", "announced": "\(announcedClients.count)"])
        do {
            try await router?.send([identity] + WireMessage(envelope: welcome).parts())
        } catch {
            log.info("welcome not delivered", ["id": peer, "error": "\(error)"])
            children[peer] = nil
        }
        if tracker?.isComplete == true { await closeRound(atDeadline: false) }
    }

    private func fitResult(_ identity: Frame, peer: String, _ message: consuming WireMessage, bytes: Int) async {
        let envelope = message.envelope
        guard let current = tracker, envelope.round == UInt64(current.round), envelope.taskID == current.taskID else {
            late += 1
            log.info("late result discarded", ["from": peer, "round": "\(envelope.round)", "task": "\(envelope.taskID)"])
            return
        }
        if GroupResult.isGroup(envelope) {
            await groupResult(identity, peer: peer, message, bytes: bytes)
            return
        }
        guard envelope.clientIDs.count == 1, let client = envelope.clientIDs.first.map({ Int($0) }),
              current.pending[client] == peer else {
            await reject(identity, FedError(.unexpectedMessage, "round \(current.round) awaits no result for clients \(envelope.clientIDs.prefix(5)) from node '\(peer)' (one client per FIT_RESULT)"),
                         what: "fit_result")
            return
        }
        tracker?.pending[client] = nil
        tracker?.bytesUp += bytes
        do throws(FedError) {
            if current.accumulator.foldsSlices, !message.envelope.tensors.contains(where: { $0.name.contains("/") }) {
                // Folded straight from the frames (validated first, released as folded): see UploadFolding.swift.
                let loss = message.envelope.metrics["loss"] ?? 0
                try current.accumulator.add(upload: &message, client: client, coder: coder)
                lastLoss[client] = loss
            } else {
                let result = try FederationMessages.clientResult(message, client: client, layout: global.layout, coder: coder)
                try current.accumulator.add(result)
                lastLoss[client] = result.loss
            }
        } catch {
            tracker?.failures.append(ClientFailure(clientID: client, reason: error))
            await reject(identity, error, what: "upload of client \(client)")
        }
        if tracker?.taskID == current.taskID, tracker?.isComplete == true { await closeRound(atDeadline: false) }
    }

    private func pull(_ identity: Frame, peer: String, _ envelope: Envelope) async {
        guard let current = tracker, envelope.round == UInt64(current.round) else {
            await reject(identity, FedError(.staleUpdate, "round \(envelope.round) is not open; the server is at round \(round)"), what: "pull")
            return
        }
        log.info("model pulled", ["id": peer, "round": "\(current.round)"])
        tracker?.bytesDown += FederationMessages.byteCount(current.model)
        tracker?.modelDelivered.insert(peer)
        try? await router?.send([identity] + current.model)
    }
}
