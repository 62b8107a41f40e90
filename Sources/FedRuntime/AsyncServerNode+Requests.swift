import FedAlgorithms
import FedCore
import FedWire

extension AsyncServerNode {
    /// Handles one ROUTER message: every request gets exactly one reply.
    func onRequest(_ parts: [Frame]) async {
        guard let request = RoutedRequest(parts) else { return }
        let message: WireMessage
        do {
            message = try WireMessage(parts: request.body)
        } catch {
            await reject(request, error, what: "undecodable message")
            return
        }
        let envelope = message.envelope
        let sender = envelope.sender
        if finishedAt != nil {
            peers[sender]?.toldBye = true
            var bye = FederationMessages.plain(.bye, sender: "server", session: session, round: UInt64(version))
            bye.envelope.config = ["finished": .bool(true)]  // the run is over: clients exit
            await reply(request, bye)
            return
        }
        if envelope.kind == .hello {
            await hello(request, message)
            return
        }
        guard peers[sender] != nil else {
            await reject(request, FedError(.unknownPeer, "node '\(sender)' has not joined this server (session \(session)); send HELLO first"),
                         what: "\(envelope.kind) from unknown peer")
            return
        }
        guard envelope.session == session else {
            await reject(request, FedError(.sessionMismatch, "message quotes session '\(envelope.session)', this server's is '\(session)'; send HELLO again"),
                         what: "\(envelope.kind) with old session")
            return
        }
        peers[sender]?.seen(at: .now)
        switch envelope.kind {
        case .pull: await pull(request, from: sender)
        case .push: await push(request, message)
        case .heartbeat: await reply(request, FederationMessages.plain(.heartbeat, sender: "server", session: session, round: UInt64(version)))
        case .bye:
            log.info("client left", ["id": sender])
            peers[sender] = nil
            waitingPulls[sender] = nil
            var bye = FederationMessages.plain(.bye, sender: "server", session: session, round: UInt64(version))
            bye.envelope.config = ["finished": .bool(false)]  // an acknowledgement, not the end of the run
            await reply(request, bye)
        default:
            await reject(request, FedError(.unexpectedMessage, "an async server answers HELLO, PULL, PUSH, HEARTBEAT and BYE, not \(envelope.kind)"),
                         what: "\(envelope.kind)")
        }
    }

    /// Sends `message` as the reply to `request`; a peer that vanished meanwhile is only logged.
    func reply(_ request: RoutedRequest, _ message: WireMessage) async {
        await reply(request, parts: message.parts())
    }

    /// Sends already-encoded frames as the reply to `request`.
    func reply(_ request: RoutedRequest, parts: [Frame]) async {
        do {
            try await router?.send(request.reply(parts))
        } catch {
            // A lazy-pirate client that timed out closed that socket; it resends on a new one.
            log.info("reply not delivered", ["error": "\(error)"])
        }
    }

    /// Answers `request` with ERROR (quoting the rejected PUSH's `taskID`), logs it and counts it.
    func reject(_ request: RoutedRequest, _ error: FedError, what: String, taskID: UInt64 = 0) async {
        rejectedMessages += 1
        log.info("rejected", ["what": what, "code": error.code.name, "detail": error.detail])
        var answer = FederationMessages.error(error, sender: "server", session: session, round: UInt64(version))
        answer.envelope.taskID = taskID
        await reply(request, answer)
    }

    private func hello(_ request: RoutedRequest, _ message: WireMessage) async {
        let envelope = message.envelope
        let wanted: TensorEncoding
        do throws(FedError) {
            guard !envelope.sender.isEmpty else { throw FedError(.invalidArgument, "HELLO needs a sender node id") }
            wanted = try settings.admit(envelope, peer: envelope.sender)
        } catch {
            await reject(request, error, what: "hello")
            return
        }
        let ids = Set(envelope.clientIDs.map { Int($0) })
        let rejoined = peers[envelope.sender] != nil
        peers[envelope.sender] = AsyncPeer(id: envelope.sender, clients: ids, lastSeen: .now,
                                           recentPushes: peers[envelope.sender]?.recentPushes ?? RecentReplies())
        var welcome = Envelope(kind: .welcome)
        welcome.sender = "server"
        welcome.session = session
        welcome.round = UInt64(version)
        welcome.codecs = [wanted.codec]
        var config = settings.welcomeConfig(modelBytes: global.values.count * 4)
        config["mode"] = .string("async")
        config["async_algorithm"] = .string(strategy.name)
        config["wants_deltas"] = .bool(strategy.wantsDeltas)
        welcome.config = config
        log.info(rejoined ? "client joined again" : "client joined", ["id": envelope.sender, "clients": "\(ids.count)",
                                                                     "socket": request.delimited ? "req" : "dealer"])
        await reply(request, WireMessage(envelope: welcome))
        if started == nil, announced >= needed {
            let waiting = waitingPulls
            waitingPulls.removeAll()
            for (sender, pull) in waiting.sorted(by: { $0.key < $1.key }) { await self.pull(pull, from: sender) }
        }
    }

    /// Virtual clients announced by the joined nodes.
    var announced: Int { Set(peers.values.flatMap(\.clients)).count }

    /// Announced virtual clients needed before the first model goes out.
    var needed: Int { min(settings.minClients ?? settings.experiment.clients, settings.experiment.clients) }

    private func pull(_ request: RoutedRequest, from sender: String) async {
        if started == nil {
            guard announced >= needed else {
                waitingPulls[sender] = request  // a resend on a fresh socket replaces the held one
                if ContinuousClock.now - lastWaitingLog > .seconds(5) {
                    lastWaitingLog = .now
                    log.info("waiting for clients", ["announced": "\(announced)", "needed": "\(needed)"])
                }
                return
            }
            started = .now
            log.info("federation complete, serving the model", ["announced": "\(announced)", "nodes": "\(peers.count)"])
        }
        if encodedModel?.version != version {
            do throws(FedError) {
                let (headers, frames) = try coder.encode(global, encoding: TensorEncoding(codec: .raw))
                var envelope = Envelope(kind: .model)
                envelope.sender = "server"
                envelope.session = session
                envelope.round = UInt64(version)
                envelope.tensors = headers
                envelope.config = ["wants_deltas": .bool(strategy.wantsDeltas)]
                // Encoded once per version; every PULL of that version sends the same buffers.
                encodedModel = (version, WireMessage(envelope: envelope, frames: frames).parts())
            } catch {
                await reject(request, FedError(.internal, "cannot encode the model: \(error.detail)"), what: "pull")
                return
            }
        }
        guard let model = encodedModel else { return }
        await reply(request, parts: model.parts)
    }

    private func push(_ request: RoutedRequest, _ message: WireMessage) async {
        let envelope = message.envelope
        let sender = envelope.sender
        // A lazy-pirate resend of a PUSH already counted (its reply was lost): answer it again, apply nothing.
        if envelope.taskID != 0, let earlier = peers[sender]?.recentPushes.reply(to: envelope.taskID) {
            log.info("duplicate push answered again", ["from": sender, "task": "\(envelope.taskID)"])
            await reply(request, parts: earlier)
            return
        }
        let result: ClientResult
        let staleness: Int
        do throws(FedError) {
            guard envelope.clientIDs.count == 1, let client = envelope.clientIDs.first.map({ Int($0) }),
                  peers[sender]?.clients.contains(client) == true else {
                throw FedError(.unexpectedMessage, "a PUSH carries one update of one client announced by '\(sender)'; got clients \(envelope.clientIDs.prefix(5))")
            }
            guard envelope.round <= UInt64(version) else {
                throw FedError(.invalidArgument, "update of client \(client) claims model version \(envelope.round); the server is at version \(version)")
            }
            staleness = version - Int(envelope.round)
            let update = try coder.decode(message, layout: global.layout)
            let deltas = Set(envelope.tensors.map(\.isDelta))
            guard deltas.count == 1, let isDelta = deltas.first else {
                throw FedError(.invalidArgument, "client \(client) mixes delta and full tensors in one upload")
            }
            guard envelope.numExamples > 0 else { throw FedError(.invalidArgument, "client \(client) reports no training examples") }
            result = ClientResult(clientID: client, numExamples: Int(envelope.numExamples), update: update, isDelta: isDelta,
                                  loss: envelope.metrics["loss"] ?? 0)
        } catch {
            await reject(request, error, what: "push from \(sender)", taskID: envelope.taskID)
            return
        }
        var answer: WireMessage
        if let limit = config.maxStaleness, staleness > limit {
            stats.countRejected(by: sender)
            log.info("stale update rejected", ["from": sender, "client": "\(result.clientID)", "staleness": "\(staleness)", "limit": "\(limit)"])
            answer = FederationMessages.error(
                FedError(.staleUpdate, "update of client \(result.clientID) was trained from version \(envelope.round), \(staleness) versions behind the server's \(version); the limit is \(limit) (--max-staleness)"),
                sender: "server", session: session, round: UInt64(version))
            answer.envelope.taskID = envelope.taskID
        } else {
            do throws(FedError) {
                if try strategy.apply(result, staleness: staleness, to: &global) { version += 1 }
            } catch {
                await reject(request, error, what: "push from \(sender)", taskID: envelope.taskID)
                return
            }
            stats.countApplied(by: sender, staleness: staleness)
            var ack = Envelope(kind: .ack)
            ack.sender = "server"
            ack.session = session
            ack.round = UInt64(version)
            ack.taskID = envelope.taskID
            ack.metrics = ["staleness": Double(staleness)]
            answer = WireMessage(envelope: ack)
        }
        let parts = answer.parts()
        if envelope.taskID != 0 { peers[sender]?.recentPushes.remember(parts, for: envelope.taskID) }
        await reply(request, parts: parts)
        afterUpdate()
    }
}
