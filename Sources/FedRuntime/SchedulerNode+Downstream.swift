import FedAlgorithms
import FedCore
import FedWire

extension SchedulerNode {
    /// Handles one message from a child on the ROUTER: `[identity, envelope, tensors...]`.
    func onChild(_ parts: [Frame]) async {
        guard parts.count >= 2 else { return }
        let identity = parts[0]
        let peer = String(decoding: identity.bytes, as: UTF8.self)
        let message: WireMessage
        do {
            message = try WireMessage(parts: Array(parts.dropFirst()))
        } catch {
            await reject(identity, error)
            return
        }
        let envelope = message.envelope
        if envelope.kind == .hello {
            await childHello(identity, peer: peer, envelope)
            return
        }
        guard children[peer] != nil, envelope.session == session else {
            if envelope.kind != .bye {
                let known = children[peer] != nil
                await reject(identity, FedError(known ? .sessionMismatch : .unknownPeer,
                                                "node '\(peer)' has not joined scheduler '\(settings.id)' (session \(session)); send HELLO"))
            }
            return
        }
        children[peer]?.lastSeen = .now
        switch envelope.kind {
        case .fitResult: await childResult(identity, peer: peer, message)
        case .pull:
            guard let model, model.message.envelope.round == envelope.round else {
                await reject(identity, FedError(.staleUpdate, "scheduler '\(settings.id)' has no model of round \(envelope.round)"))
                return
            }
            task?.modelDelivered.insert(peer)
            try? await router?.send([identity] + model.parts)
        case .heartbeat:
            try? await router?.send([identity] + FederationMessages.plain(.heartbeat, sender: settings.id, session: session).parts())
        case .bye:
            log.info("child left", ["id": peer])
            dropChild(peer)
            await reportIfComplete()
        default:
            await reject(identity, FedError(.unexpectedMessage, "a scheduler does not accept \(envelope.kind) from its children"))
        }
    }

    /// Tracks XPUB subscription notices; a busy child that subscribes late gets the model right away.
    func onSubscription(_ parts: [Frame]) async {
        guard let notice = FederationMessages.subscription(parts) else { return }
        if notice.subscribed { subscribed.insert(notice.id) } else { subscribed.remove(notice.id) }
        await publishModel()
    }

    private func reject(_ identity: Frame, _ error: FedError) async {
        log.info("rejected", ["peer": String(decoding: identity.bytes.prefix(64), as: UTF8.self), "code": error.code.name, "detail": error.detail])
        try? await router?.send([identity] + FederationMessages.error(error, sender: settings.id, session: session).parts())
    }

    private func childHello(_ identity: Frame, peer: String, _ envelope: Envelope) async {
        let ids = Set(envelope.clientIDs.map { Int($0) }).sorted()
        let total = upstreamConfig?["clients"]?.stringValue.flatMap { Int($0) } ?? Int.max
        guard !ids.isEmpty, ids.allSatisfy({ $0 < total }) else {
            await reject(identity, FedError(.invalidArgument, "node '\(peer)' announces no clients or clients outside 0..<\(total)"))
            return
        }
        if children[peer] != nil, envelope.session != session { dropChild(peer) }
        let isNew = children[peer] == nil
        children[peer] = ChildRecord(id: peer, clients: ids, instance: envelope.config["instance"]?.stringValue ?? "", lastSeen: .now)
        for client in ids { lastOwner[client] = peer }
        if isNew { log.info("child joined", ["id": peer, "clients": "\(ids.count)", "group": "\(groupClients.count)"]) }
        await welcomeChild(peer)
        await reportIfComplete()
    }

    /// One result (a client's upload, or a nested scheduler's group result) for the task in flight.
    private func childResult(_ identity: Frame, peer: String, _ message: WireMessage) async {
        let envelope = message.envelope
        guard let current = task, envelope.round == current.round, envelope.taskID == current.fit.taskID else {
            late += 1
            log.info("late result discarded", ["from": peer, "round": "\(envelope.round)"])
            return
        }
        if GroupResult.isGroup(envelope) {
            await childGroup(identity, peer: peer, message)
        } else if envelope.clientIDs.count == 1, let client = envelope.clientIDs.first.map({ Int($0) }), current.pending[client] == peer {
            task?.pending[client] = nil
            do throws(FedError) {
                if let sum = current.accumulator {
                    try sum.add(FederationMessages.clientResult(message, client: client, layout: sum.global.layout, coder: coder))
                } else if aggregatesLinearly {
                    throw FedError(.staleUpdate, "result of client \(client) before the round's model reached scheduler '\(settings.id)'")
                } else {
                    try await relay(message)
                    task?.forwarded.append(client)
                }
            } catch {
                task?.failed.append(client)
                await reject(identity, error)
            }
        } else {
            await reject(identity, FedError(.unexpectedMessage, "round \(current.round) awaits no result for clients \(envelope.clientIDs.prefix(5)) from node '\(peer)'"))
        }
        await reportIfComplete()
    }

    /// A nested scheduler's group result: its partial sum folds into ours, its failures become ours.
    private func childGroup(_ identity: Frame, peer: String, _ message: WireMessage) async {
        do throws(FedError) {
            let group = try GroupResult(message.envelope)
            let listed = group.completed + group.failed
            guard !listed.isEmpty, listed.allSatisfy({ task?.pending[$0] == peer }) else {
                throw FedError(.unexpectedMessage, "group result from '\(peer)' lists clients this round does not await from it")
            }
            for client in listed { task?.pending[client] = nil }
            task?.failed += group.failed
            task?.lacking.formUnion(group.lacking.map { "\(peer)/\($0)" })
            do throws(FedError) {
                if let sum = task?.accumulator { try group.fold(message, into: sum, coder: coder) }
            } catch {
                task?.failed += group.completed
                throw error
            }
        } catch {
            await reject(identity, error)
        }
    }

    /// Passes one client's upload upstream unchanged but for the sender and session.
    private func relay(_ message: WireMessage) async throws(FedError) {
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
