import FedAlgorithms
import FedCore
import FedData
import FedWire

extension ClientNode {
    /// Handles one message from the server's ROUTER.
    func onControl(_ parts: [Frame]) async {
        let message: WireMessage
        do {
            message = try WireMessage(parts: parts)
        } catch {
            log.info("undecodable message from the server", ["error": error.description])
            return
        }
        lastHeard = .now
        let envelope = message.envelope
        switch envelope.kind {
        case .welcome: welcome(envelope)
        case .fit:
            guard envelope.session == session else { return }
            pendingFit = PendingFit(envelope: envelope, received: .now)
            startTrainingIfReady()
        case .model: acceptModel(message)
        case .heartbeat: break
        case .bye: serverSaidBye(envelope)
        case .error:
            let error = envelope.error ?? WireError(code: .unspecified, detail: "no reason given")
            log.info("server sent ERROR", ["code": error.code.name, "detail": error.detail])
            switch error.code {
            case .unknownPeer, .sessionMismatch:
                // An answer to a message sent before our latest WELCOME (a stale upload or heartbeat from
                // the previous session) is no reason to join again.
                let stale = envelope.session == session && (error.code == .sessionMismatch || ContinuousClock.now - joinedAt < .seconds(2))
                if !stale { session = nil }
            case .unsupportedVersion, .unknownCodec, .invalidArgument:
                guard session == nil else { break }
                fatal = FedError(error.code, "the server refused this node: \(error.detail)")
                stopping = true
            default: break
            }
        default:
            log.info("unexpected message from the server", ["kind": "\(envelope.kind)"])
        }
    }

    /// Handles one message from the SUB socket: `[topic, envelope, tensors...]`.
    func onBroadcast(_ parts: [Frame]) {
        // SUB matches topic prefixes: node "c1" also receives "c10"'s messages; keep only ours.
        guard parts.count >= 2, parts[0].bytes == Array(settings.id.utf8) else { return }
        do {
            let message = try WireMessage(parts: Array(parts.dropFirst()))
            if message.envelope.kind == .bye, message.envelope.session == session {
                serverSaidBye(message.envelope)
            } else {
                acceptModel(message)
            }
        } catch {
            log.info("undecodable broadcast", ["error": error.description])
        }
    }

    /// BYE (on control or broadcast): exit after a finished run, otherwise wait for the server to return.
    private func serverSaidBye(_ envelope: Envelope) {
        guard envelope.config["finished"]?.boolValue != false else {
            log.info("server stopped before the end of the run, waiting for it to return")
            session = nil
            return
        }
        log.info("server finished the run")
        outcome = .serverFinished
        stopping = true
    }

    private func acceptModel(_ message: WireMessage) {
        guard message.envelope.kind == .model else { return }
        if let session, message.envelope.session != session {
            log.info("model from a new server session, joining again", ["session": message.envelope.session])
            self.session = nil
            return
        }
        modelBytes = ModelMemory.rawBytes(of: message)
        ModelMemory.adapt(toModelBytes: modelBytes)
        model = message
        startTrainingIfReady()
    }

    private func welcome(_ envelope: Envelope) {
        if envelope.config["mode"]?.stringValue == "async" {
            log.info("the server runs an asynchronous federation; switching to request/reply")
            outcome = .asyncServer
            stopping = true
            return
        }
        let entries = envelope.config.compactMapValues { $0.stringValue }
        do throws(FedError) {
            var config = try ExperimentConfig(entries: entries)
            if let directory = settings.dataDirectory { config.dataDirectory = directory }
            encoding = try TensorEncoding(parsing: envelope.config["codec"]?.stringValue ?? "shuffle-lz4")
            encoding.isDelta = true
            heartbeat = envelope.config["heartbeat"]?.doubleValue ?? heartbeat
            if let bytes = envelope.config["model_bytes"]?.intValue ?? envelope.config["echo_params"]?.intValue.map({ $0 * 4 }) {
                modelBytes = Int(bytes)
                ModelMemory.adapt(toModelBytes: modelBytes)
            }
            if config != experiment || trainer == nil && preparing == nil {
                prepare(config, echo: settings.trainer == .echo)
            }
            experiment = config
        } catch {
            fatal = FedError(error.code, "cannot use the server's configuration: \(error.detail)")
            stopping = true
            return
        }
        session = envelope.session
        joinedAt = .now
        joins += 1
        lastHeard = .now
        lastHeartbeat = .now
        log.info("joined", ["session": envelope.session, "codec": encoding.codec.description, "dataset": experiment?.dataset ?? "?"])
    }

    /// Loads the data and builds the trainer off the pool (SGD), or the echo trainer.
    private func prepare(_ config: ExperimentConfig, echo: Bool) {
        trainer = nil
        preparing?.cancel()
        if echo {
            trainer = EchoTrainer()
            return
        }
        let workers = settings.workers
        preparing = Task {
            let built = await offPool { () -> Result<SerialTrainer, FedError> in
                do throws(FedError) {
                    return .success(try SerialTrainer.forExperiment(config, workers: workers))
                } catch {
                    return .failure(error)
                }
            }
            self.trainerReady(built)
        }
    }

    private func trainerReady(_ built: Result<SerialTrainer, FedError>) {
        preparing = nil
        switch built {
        case .success(let serial):
            trainer = serial
            log.info("data loaded", ["workers": "\(serial.workers)"])
            startTrainingIfReady()
        case .failure(let error):
            fatal = FedError(error.code, "cannot load the experiment's data: \(error.detail)")
            stopping = true
        }
    }

    /// Starts training when a FIT task, its round's model and the trainer are all here.
    func startTrainingIfReady() {
        guard training == nil, let fit = pendingFit, let model, let trainer, let session,
              model.envelope.round == fit.envelope.round, model.envelope.session == session else { return }
        pendingFit = nil
        let task = fit.envelope
        let config = FederationMessages.fitSettings(task.config, base: experiment?.fit ?? FitConfig())
        var encoding = self.encoding
        if let text = task.config["codec"]?.stringValue, let requested = try? TensorEncoding(parsing: text) {
            encoding = requested
            encoding.isDelta = true
        }
        let id = settings.id
        let uploads = self.uploads
        let credits = uploadCredits
        let upload = UploadEncoder(sender: id, session: session, task: task, encoding: encoding)
        let delay = settings.delay.wait(node: id, task: task.taskID, seed: experiment?.seed ?? 0)
        if let echo = trainer as? EchoTrainer, encoding.codec == .raw, EchoTrainer.canEchoRaw(model) {
            training = Task {
                if delay > 0 { try? await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
                let echoed = await offPool { echo.rawEcho(model) }
                if let (headers, frames) = echoed {
                    for client in task.clientIDs {
                        // The echoed frames are shared by every upload: no credit needed.
                        let parts = upload.message(client: Int(client), numExamples: 1, loss: 0, headers: headers, frames: frames)
                        uploads?.yield(Upload(parts: parts, holdsCredit: false, credits: credits))
                    }
                }
                self.trainingDone(count: echoed == nil ? 0 : task.clientIDs.count)
            }
            return
        }
        training = Task {
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
            let log = self.log
            await offPool {
                // Decoding a large model takes a while: do it here, off the node's executor, so
                // heartbeats keep flowing.
                let global: ModelState, downloaded: [String: [Float]]
                do throws(FedError) {
                    let decoded = try ModelCoder().decode(model, layout: FederationMessages.layout(of: model))
                    (global, downloaded) = try FederationMessages.split(decoded, layout: nil)
                } catch {
                    log.info("cannot decode the model", ["round": "\(model.envelope.round)", "error": error.description])
                    return
                }
                trainer.train(round: Int(task.round), clients: task.clientIDs.map { Int($0) }, global: global, config: config,
                              downloaded: downloaded) { outcome in
                    guard let parts = upload.encode(outcome) else { return }
                    credits.wait()  // on the training thread, never on the cooperative pool
                    uploads?.yield(Upload(parts: parts, holdsCredit: true, credits: credits))
                }
            }
            self.trainingDone(count: task.clientIDs.count)
        }
    }

    private func trainingDone(count: Int) {
        training = nil
        uploaded += count
        startTrainingIfReady()
    }
}
