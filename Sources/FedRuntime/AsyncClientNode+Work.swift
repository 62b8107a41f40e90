import FedAlgorithms
import FedCore
import FedWire
import Synchronization

extension AsyncClientNode {
    /// HELLO → WELCOME: learns the experiment and codec, builds the trainer if the experiment changed.
    func join() async throws(FedError) {
        var hello = Envelope(kind: .hello)
        hello.sender = settings.id
        hello.clientIDs = settings.clients.map { UInt32($0) }
        hello.codecs = Codec.allCases
        hello.config = ["trainer": .string(settings.trainer.rawValue), "mode": .string("async")]
        guard let reply = try await exchange(WireMessage(envelope: hello), what: "hello") else { return }
        let envelope = reply.envelope
        if envelope.kind == .error {
            let error = envelope.error ?? WireError(code: .unspecified, detail: "no reason given")
            throw FedError(error.code, "the server refused this node: \(error.detail)")
        }
        guard envelope.kind == .welcome else {
            log.info("unexpected reply to HELLO", ["kind": "\(envelope.kind)"])
            return
        }
        do throws(FedError) {
            var config = try ExperimentConfig(entries: envelope.config.compactMapValues { $0.stringValue })
            if let directory = settings.dataDirectory { config.dataDirectory = directory }
            encoding = try TensorEncoding(parsing: envelope.config["codec"]?.stringValue ?? "shuffle-lz4")
            wantsDeltas = envelope.config["wants_deltas"]?.boolValue ?? true
            if envelope.config["mode"]?.stringValue != "async" {
                log.info("the server did not say mode=async; continuing with request/reply")
            }
            if trainer == nil || trainerConfig != config {
                trainer = try await makeTrainer(config)
                trainerConfig = config
            }
            experiment = config
        } catch {
            throw FedError(error.code, "cannot use the server's configuration: \(error.detail)")
        }
        session = envelope.session
        joins += 1
        log.info("joined", ["session": envelope.session, "version": "\(envelope.round)", "codec": encoding.codec.description,
                            "uploads": wantsDeltas ? "deltas" : "models"])
    }

    /// One exchange of one virtual client: PULL → MODEL, wait, train, PUSH → ACK.
    func cycle() async throws(FedError) {
        guard let session, let trainer, let experiment else { return }
        let pull = FederationMessages.plain(.pull, sender: settings.id, session: session)
        guard let model = try await exchange(pull, what: "pull") else { return }
        guard model.envelope.kind == .model else {
            log.info("unexpected reply to PULL", ["kind": "\(model.envelope.kind)", "error": model.envelope.error?.detail ?? ""])
            try await pause(seconds: 0.5)
            return
        }
        let client = settings.clients[nextClient % settings.clients.count]
        nextClient += 1
        let taskID = nextTask
        nextTask += 1
        try await pause(seconds: settings.delay.wait(node: settings.id, task: taskID, seed: experiment.seed))
        var task = Envelope(kind: .push)
        task.round = model.envelope.round
        task.taskID = taskID
        let upload = UploadEncoder(sender: settings.id, session: session, task: task, encoding: encoding, kind: .push)
        let wantsDeltas = self.wantsDeltas
        let fit = experiment.fit
        let log = self.log
        let parts = await offPool { () -> [Frame]? in
            let global: ModelState
            do throws(FedError) {
                global = try ModelCoder().decode(model, layout: FederationMessages.layout(of: model))
            } catch {
                log.info("cannot decode the model", ["version": "\(model.envelope.round)", "error": error.description])
                return nil
            }
            let box = OutcomeBox()
            trainer.train(round: Int(model.envelope.round), clients: [client], global: global, config: fit, downloaded: [:]) { box.put($0) }
            guard let outcome = box.take() else { return nil }
            return upload.encode(outcome.map { Self.shaped($0, base: global, asDelta: wantsDeltas) })
        }
        guard !stopping else { return }
        guard let parts else {
            try await pause(seconds: 0.5)  // logged already; do not spin on a client that keeps failing
            return
        }
        guard let reply = try await exchange(parts: parts, what: "push") else { return }
        switch reply.envelope.kind {
        case .ack:
            pushed += 1
        case .error where reply.envelope.error?.code == .staleUpdate:
            staleRejections += 1
            log.info("update refused as too stale", ["client": "\(client)", "detail": reply.envelope.error?.detail ?? ""])
        default:
            log.info("push not accepted", ["client": "\(client)", "kind": "\(reply.envelope.kind)",
                                           "error": reply.envelope.error.map { "\($0.code.name): \($0.detail)" } ?? ""])
        }
    }

    /// The trainer's result as the server wants it: `local − base` when `asDelta`, the whole local model otherwise.
    nonisolated static func shaped(_ result: ClientResult, base: ModelState, asDelta: Bool) -> ClientResult {
        guard result.isDelta != asDelta else { return result }
        var shaped = result
        shaped.update.values.withUnsafeMutableBufferPointer { u in
            base.values.withUnsafeBufferPointer { b in
                for i in 0..<u.count { u[i] += asDelta ? -b[i] : b[i] }
            }
        }
        shaped.isDelta = asDelta
        return shaped
    }

    /// Waits `seconds`, waking every 100 ms to honour ``shutdown()``.
    private func pause(seconds: Double) async throws(FedError) {
        let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < until {
            guard !stopping else { throw FedError(.shutdown, "the client is stopping") }
            try? await Task.sleep(for: min(until - .now, .milliseconds(100)))
        }
    }

    /// Loads the data and builds the trainer off the pool (SGD), or the echo trainer.
    private func makeTrainer(_ config: ExperimentConfig) async throws(FedError) -> any LocalTrainer {
        if settings.trainer == .echo { return EchoTrainer() }
        let workers = settings.workers
        let built = await offPool { () -> Result<SerialTrainer, FedError> in
            do throws(FedError) { return .success(try SerialTrainer.forExperiment(config, workers: workers)) } catch { return .failure(error) }
        }
        let serial = try built.get()
        log.info("data loaded", ["workers": "\(serial.workers)"])
        return serial
    }
}

/// Carries one training outcome out of the trainer's delivery callback (called once, before `train` returns).
private final class OutcomeBox: Sendable {
    private let value = Mutex<Result<ClientResult, ClientFailure>?>(nil)

    func put(_ outcome: Result<ClientResult, ClientFailure>) { value.withLock { $0 = outcome } }

    func take() -> Result<ClientResult, ClientFailure>? { value.withLock { $0.take() } }
}
