import FedAlgorithms
import FedCore
import FedWire

extension SchedulerNode {
    /// Handles one message from a child on the ROUTER: `[identity, envelope, tensors...]` from a DEALER
    /// (client process or scheduler), `[identity, empty, envelope, tensors...]` from a REQ (async client).
    func onChild(_ parts: [Frame]) async {
        guard let request = RoutedRequest(parts) else { return }
        let message: WireMessage
        do {
            message = try WireMessage(parts: request.body)
        } catch {
            await reject(request, error)
            return
        }
        let envelope = message.envelope
        // A DEALER child is known by its routing id; a REQ child's identity changes with every fresh socket.
        let peer = request.delimited ? envelope.sender : String(decoding: request.identity.bytes, as: UTF8.self)
        guard !peer.isEmpty else {
            await reject(request, FedError(.invalidArgument, "a request on a REQ socket must name its sender"))
            return
        }
        if relay.finishedAt != nil {
            await sayFinished(request, to: peer)
            return
        }
        if envelope.kind == .hello {
            await childHello(request, peer: peer, envelope)
            return
        }
        guard children[peer] != nil, envelope.session == session else {
            if envelope.kind != .bye || request.delimited {
                let known = children[peer] != nil
                await reject(request, FedError(known ? .sessionMismatch : .unknownPeer,
                                               "node '\(peer)' has not joined scheduler '\(settings.id)' (session \(session)); send HELLO"))
            }
            return
        }
        children[peer]?.seen(at: .now)
        switch envelope.kind {
        case .fitResult, .evaluateResult: await childResult(request, peer: peer, message)
        case .pull where upstreamIsAsync: await childPull(request, peer: peer)
        case .push where upstreamIsAsync: await childPush(request, peer: peer, message)
        case .pull:
            guard let model, model.message.envelope.round == envelope.round else {
                await reject(request, FedError(.staleUpdate, "scheduler '\(settings.id)' has no model of round \(envelope.round)"))
                return
            }
            for kind in tasks.keys { tasks[kind]?.modelDelivered.insert(peer) }
            try? await router?.send(request.reply(model.parts))
        case .heartbeat:
            let version = upstreamIsAsync ? relay.version : 0
            try? await router?.send(request.reply(FederationMessages.plain(.heartbeat, sender: settings.id, session: session, round: version).parts()))
        case .bye:
            log.info("child left", ["id": peer])
            dropChild(peer)
            relay.waitingPulls[peer] = nil
            if request.delimited {
                var bye = FederationMessages.plain(.bye, sender: settings.id, session: session)
                bye.envelope.config = ["finished": .bool(false)]  // an acknowledgement, as an async server gives
                try? await router?.send(request.reply(bye.parts()))
            }
            await reportIfComplete()
        default:
            await reject(request, FedError(.unexpectedMessage, "a scheduler does not accept \(envelope.kind) from its children"))
        }
    }

    /// Tracks XPUB subscription notices; a busy child that subscribes late gets the model right away.
    func onSubscription(_ parts: [Frame]) async {
        guard let notice = FederationMessages.subscription(parts) else { return }
        if notice.subscribed { subscribed.insert(notice.id) } else { subscribed.remove(notice.id) }
        await publishModel()
    }

    /// Answers `request` with ERROR and logs it.
    func reject(_ request: RoutedRequest, _ error: FedError, taskID: UInt64 = 0) async {
        log.info("rejected", ["peer": String(decoding: request.identity.bytes.prefix(64), as: UTF8.self), "code": error.code.name, "detail": error.detail])
        var answer = FederationMessages.error(error, sender: settings.id, session: session, round: upstreamIsAsync ? relay.version : 0)
        answer.envelope.taskID = taskID
        try? await router?.send(request.reply(answer.parts()))
    }

    private func childHello(_ request: RoutedRequest, peer: String, _ envelope: Envelope) async {
        let ids = Set(envelope.clientIDs.map { Int($0) }).sorted()
        let total = upstreamConfig?["clients"]?.stringValue.flatMap { Int($0) } ?? Int.max
        guard !ids.isEmpty, ids.allSatisfy({ $0 < total }) else {
            await reject(request, FedError(.invalidArgument, "node '\(peer)' announces no clients or clients outside 0..<\(total)"))
            return
        }
        if children[peer] != nil, envelope.session != session { dropChild(peer) }
        let isNew = children[peer] == nil
        var record = ChildRecord(id: peer, clients: ids, instance: envelope.config["instance"]?.stringValue ?? "", lastSeen: .now)
        record.requests = request.delimited
        record.hello = request
        children[peer] = record
        for client in ids { lastOwner[client] = peer }
        if isNew { log.info("child joined", ["id": peer, "clients": "\(ids.count)", "group": "\(groupClients.count)",
                                             "socket": request.delimited ? "req" : "dealer"]) }
        await welcomeChild(peer)
        await reportIfComplete()
    }

    /// One result (a client's upload or evaluation, or a nested scheduler's group result) for a task in flight.
    private func childResult(_ request: RoutedRequest, peer: String, _ message: WireMessage) async {
        let envelope = message.envelope
        let kind: MessageKind = envelope.kind == .evaluateResult ? .evaluate : .fit
        guard let current = tasks[kind], envelope.round == current.round, envelope.taskID == current.taskID else {
            late += 1
            log.info("late result discarded", ["from": peer, "kind": "\(envelope.kind)", "round": "\(envelope.round)"])
            return
        }
        if GroupResult.isGroup(envelope) {
            await childGroup(request, peer: peer, message, kind: kind)
        } else if envelope.clientIDs.count == 1, let client = envelope.clientIDs.first.map({ Int($0) }), current.pending[client] == peer {
            tasks[kind]?.pending[client] = nil
            do throws(FedError) {
                if !aggregatesLinearly {
                    try await relayUpstream(message)
                    tasks[kind]?.forwarded.append(client)
                } else if kind == .evaluate {
                    try tasks[kind]?.evaluation.add(clients: [client], examples: Double(envelope.numExamples), metrics: envelope.metrics)
                } else if let sum = current.accumulator {
                    try sum.add(FederationMessages.clientResult(message, client: client, layout: sum.global.layout, coder: coder))
                } else {
                    throw FedError(.staleUpdate, "result of client \(client) before the round's model reached scheduler '\(settings.id)'")
                }
            } catch {
                tasks[kind]?.failed.append(client)
                await reject(request, error)
            }
        } else {
            await reject(request, FedError(.unexpectedMessage, "round \(current.round) awaits no result for clients \(envelope.clientIDs.prefix(5)) from node '\(peer)'"))
        }
        await reportIfComplete()
    }

    /// A nested scheduler's group result: its partial sum (or metrics) folds into ours, its failures become ours.
    private func childGroup(_ request: RoutedRequest, peer: String, _ message: WireMessage, kind: MessageKind) async {
        do throws(FedError) {
            let group = try GroupResult(message.envelope)
            let listed = group.completed + group.failed
            guard !listed.isEmpty, listed.allSatisfy({ tasks[kind]?.pending[$0] == peer }) else {
                throw FedError(.unexpectedMessage, "group result from '\(peer)' lists clients this round does not await from it")
            }
            for client in listed { tasks[kind]?.pending[client] = nil }
            tasks[kind]?.failed += group.failed
            tasks[kind]?.lacking.formUnion(group.lacking.map { "\(peer)/\($0)" })
            do throws(FedError) {
                if kind == .evaluate, !group.completed.isEmpty {
                    try tasks[kind]?.evaluation.add(clients: group.completed, examples: group.weight, metrics: message.envelope.metrics)
                } else if let sum = tasks[kind]?.accumulator {
                    try group.fold(message, into: sum, coder: coder)
                }
            } catch {
                tasks[kind]?.failed += group.completed
                throw error
            }
        } catch {
            await reject(request, error)
        }
    }

    /// Passes one client's result upstream unchanged but for the sender and session.
    private func relayUpstream(_ message: WireMessage) async throws(FedError) {
        guard let upstreamSession, let upDealer else { throw FedError(.shutdown, "not joined upstream") }
        var envelope = message.envelope
        envelope.sender = settings.id
        envelope.session = upstreamSession
        do {
            try await upDealer.send(WireMessage(envelope: envelope, frames: message.frames).parts())
        } catch {
            throw FedError(.transport, "cannot relay upstream: \(error)")
        }
    }
}
