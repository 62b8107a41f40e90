import FedCore
import FedWire
import Foundation

extension ConformanceHarness {
    /// The scenarios, in the order they run (each one needs the state the previous ones left).
    public static let scenarioNames = [
        "version-mismatch", "join", "heartbeat",
        "fit-raw", "fit-lz4", "fit-shuffle-lz4", "fit-q8", "fit-q4", "fit-topk",
        "missed-broadcast-pull", "malformed-task", "server-restart", "bye",
    ]

    /// Runs one scenario by name.
    func scenario(_ name: String) async -> ConformanceResult {
        func verdict(_ outcome: (Bool, String)) -> ConformanceResult {
            ConformanceResult(scenario: name, passed: outcome.0, detail: outcome.1)
        }
        if name != "version-mismatch", name != "join", peer == nil {
            return verdict((false, "skipped: the client never joined"))
        }
        switch name {
        case "version-mismatch": return verdict(await versionMismatch())
        case "join": return verdict(await join())
        case "heartbeat": return verdict(await heartbeat())
        case "missed-broadcast-pull": return verdict(await missedBroadcast())
        case "malformed-task": return verdict(await malformedTask())
        case "server-restart": return verdict(await serverRestart())
        case "bye": return verdict(await bye())
        default:
            let codec = String(name.dropFirst("fit-".count))
            return verdict(await fitRound(codec: codec == "topk" ? "topk:0.1" : codec))
        }
    }

    /// The first HELLO gets a WELCOME of protocol version 2: the client must reject it (not use its
    /// session) and keep joining with HELLO v1.
    private func versionMismatch() async -> (Bool, String) {
        guard let hello = await next([.hello], timeout: settings.joinTimeout) else {
            return (false, "no HELLO within \(settings.joinTimeout) s")
        }
        pendingHello = hello
        var welcome = envelope(.welcome)
        welcome.version = 2
        welcome.session = "s-from-the-future"
        welcome.config = welcomeConfig(for: hello.envelope)
        await send(WireMessage(envelope: welcome))
        guard let reply = await next(Set(MessageKind.allCases), timeout: settings.timeout) else {
            return (false, "no HELLO again after a v2 WELCOME")
        }
        pendingHello = reply
        guard reply.envelope.kind == .hello, reply.envelope.session != "s-from-the-future" else {
            return (false, "after a v2 WELCOME the client sent \(reply.envelope.kind) with session '\(reply.envelope.session)' instead of HELLO")
        }
        return (true, "v2 WELCOME ignored, HELLO sent again")
    }

    /// HELLO fields; the v1 WELCOME; the SUB subscription to the node id.
    private func join() async -> (Bool, String) {
        let hello: WireMessage
        if let pending = pendingHello, pending.envelope.kind == .hello {
            hello = pending
        } else if let fresh = await next([.hello], timeout: settings.joinTimeout) {
            hello = fresh
        } else {
            return (false, "no HELLO")
        }
        pendingHello = nil
        let e = hello.envelope
        let identity = peer.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
        guard !e.sender.isEmpty, identity == e.sender else {
            return (false, "HELLO sender '\(e.sender)' differs from the DEALER routing id '\(identity)'")
        }
        guard !e.clientIDs.isEmpty else { return (false, "HELLO announces no virtual clients") }
        guard e.codecs.contains(.raw) else { return (false, "HELLO codecs \(e.codecs) lack raw") }
        peerID = e.sender
        clients = Array(e.clientIDs.prefix(8))
        await welcome(hello)
        guard await waitFor(settings.timeout, { subscribed.contains(peerID) }) else {
            return (false, "joined, but no SUB subscription to '\(peerID)' on the broadcast socket")
        }
        return (true, "'\(peerID)' hosts \(e.clientIDs.count) client(s), decodes \(e.codecs.map(\.description).joined(separator: ",")); subscribed")
    }

    /// A HEARTBEAT quoting the session within three intervals.
    private func heartbeat() async -> (Bool, String) {
        let limit = max(3 * settings.heartbeat, 3)
        guard let beat = await next([.heartbeat], timeout: limit) else { return (false, "no HEARTBEAT within \(limit) s") }
        guard beat.envelope.session == session, beat.envelope.sender == peerID else {
            return (false, "HEARTBEAT quotes session '\(beat.envelope.session)' and sender '\(beat.envelope.sender)'")
        }
        await send(WireMessage(envelope: envelope(.heartbeat)))
        return (true, "HEARTBEAT with the session")
    }

    /// FIT without a broadcast: the client must PULL the round's model on control.
    private func missedBroadcast() async -> (Bool, String) {
        let model = beginRound(codec: "raw", publish: false)
        let fitSent = ContinuousClock.now
        await sendFit(codec: "raw", model: model, publish: false)
        guard let pull = await next([.pull], timeout: settings.timeout + 3) else { return (false, "no PULL after a FIT without broadcast") }
        let waited = Double((ContinuousClock.now - fitSent) / .milliseconds(1)) / 1000
        guard pull.envelope.round == round, pull.envelope.session == session else {
            return (false, "PULL for round \(pull.envelope.round), session '\(pull.envelope.session)'; expected round \(round)")
        }
        await send(model)
        let (ok, detail) = await collectResults(codec: "raw", model: model)
        return (ok, ok ? String(format: "PULL after %.1f s; ", waited) + detail : detail)
    }

    /// Garbage, a FIT whose frames do not match its header, a FIT of version 2 and a round whose model
    /// holds NaN: the client must ignore them (or answer ERROR) and then serve a good FIT.
    private func malformedTask() async -> (Bool, String) {
        let errorsBefore = clientErrors.count
        await sendRaw([Frame(copying: Array("GET / HTTP/1.1".utf8))])
        var broken = envelope(.fit)
        broken.clientIDs = clients
        broken.tensors = [TensorHeader(name: "echo.weight", shape: [4], dtype: .float32, codec: .raw, rawBytes: 16, encodedBytes: 16)]
        await send(WireMessage(envelope: broken))  // one header, no frame
        var future = envelope(.fit)
        future.version = 2
        future.round = round + 100
        future.clientIDs = clients
        await send(WireMessage(envelope: future))
        var poisoned = beginRound(codec: "raw", publish: true)
        let poisonedRound = round
        if let first = poisoned.frames.first {
            var bytes = first.bytes
            bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Array($0) })
            poisoned.frames[0] = Frame(copying: bytes)
        }
        await sendFit(codec: "raw", model: poisoned, publish: true)
        if let answer = await next([.fitResult], timeout: 2), answer.envelope.round == poisonedRound {
            return (false, "the client answered a FIT whose model held NaN")
        }
        let model = beginRound(codec: "raw", publish: true)
        await sendFit(codec: "raw", model: model, publish: true)
        let (ok, detail) = await collectResults(codec: "raw", model: model, ignoringRound: poisonedRound)
        let errors = clientErrors.count - errorsBefore
        return (ok, ok ? "survived garbage, a frame-count mismatch, a v2 FIT and a NaN model (\(errors) ERROR repl\(errors == 1 ? "y" : "ies")); then " + detail : detail)
    }

    /// The harness closes both sockets and binds again with a new session: the client must notice
    /// (ERROR unknown_peer to its messages, or silence) and join again, then serve a FIT.
    private func serverRestart() async -> (Bool, String) {
        await close()
        try? await Task.sleep(for: .milliseconds(500))
        session = "s-conformance-2"
        joined = false
        let started = ContinuousClock.now
        do { try await open() } catch { return (false, "cannot bind again: \(error.detail)") }
        guard let hello = await next([.hello], timeout: settings.timeout + 10) else {
            return (false, "no HELLO after the restart")
        }
        let rejoined = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        await welcome(hello)
        guard await waitFor(settings.timeout, { subscribed.contains(peerID) }) else {
            return (false, "joined again but did not subscribe again")
        }
        let model = beginRound(codec: "raw", publish: true)
        await sendFit(codec: "raw", model: model, publish: true)
        let (ok, detail) = await collectResults(codec: "raw", model: model)
        return (ok, ok ? String(format: "HELLO again after %.1f s, new session; ", rejoined) + detail : detail)
    }

    /// BYE: the client must stop (its SUB goes away) and send nothing more.
    private func bye() async -> (Bool, String) {
        await send(WireMessage(envelope: envelope(.bye)))
        let gone = await waitFor(settings.timeout) { !subscribed.contains(peerID) }
        let after = await next(Set(MessageKind.allCases).subtracting([.bye]), timeout: 1)
        if let after { return (false, "the client sent \(after.envelope.kind) after BYE") }
        return gone ? (true, "client left (unsubscribed) and sent nothing more") : (false, "still subscribed \(settings.timeout) s after BYE")
    }

    /// Answers `hello` with a v1 WELCOME of the current session.
    private func welcome(_ hello: WireMessage) async {
        var welcome = envelope(.welcome)
        welcome.codecs = [.raw]
        welcome.config = welcomeConfig(for: hello.envelope)
        await send(WireMessage(envelope: welcome))
        joined = true
    }

    /// The experiment a sync server announces, for an echo model.
    func welcomeConfig(for hello: Envelope) -> [String: ConfigValue] {
        var experiment = ExperimentConfig()
        experiment.clients = Int(hello.clientIDs.max() ?? 0) + 1
        experiment.sample = Double(experiment.clients)
        var config = experiment.entries.mapValues { ConfigValue.string($0) }
        config["codec"] = .string("raw")
        config["heartbeat"] = .double(settings.heartbeat)
        config["round_timeout"] = .double(settings.timeout)
        config["echo_params"] = .int(Int64(settings.parameters))
        return config
    }
}
