import FedAlgorithms
import FedCore
import FedWire
import Foundation

extension ServerNode {
    /// One step of the service loop: drop silent children, close a round past its deadline, start the next.
    func tick() async {
        let now = ContinuousClock.now
        dropSilentChildren()
        FederationMetrics.connectedPeers(children.count)
        if let current = tracker {
            if current.isComplete || now >= current.deadline { await closeRound(atDeadline: !current.isComplete) }
        } else {
            await startRoundIfReady()
        }
    }

    /// Forgets children silent for longer than the heartbeat allows. A child whose results the round in
    /// flight still awaits is spared until the round closes: its heartbeats may be queued behind a large
    /// upload on the same connection, so the round's deadline decides for it.
    func dropSilentChildren() {
        let now = ContinuousClock.now
        let busy = Set(tracker?.pending.values.map { $0 } ?? [])
        for (id, child) in children where now - child.lastSeen > .seconds(settings.deadAfter) && !busy.contains(id) {
            log.info("child lost", ["id": id, "silent_seconds": String(format: "%.1f", Double((now - child.lastSeen).components.seconds))])
            drop(id, reason: FedError(.timeout, "node '\(id)' sent no heartbeat for \(settings.deadAfter) s"))
        }
    }

    /// Samples the round's clients and sends FIT plus the model to every child hosting one of them.
    func startRoundIfReady() async {
        guard tracker == nil, !finished, !stopping, let router, let xpub else { return }
        dropSilentChildren()
        let available = announcedClients
        let needed = settings.minClients ?? settings.experiment.clients
        guard available.count >= needed else {
            if ContinuousClock.now - lastWaitingLog > .seconds(5) {
                lastWaitingLog = .now
                log.info("waiting for clients", ["announced": "\(available.count)", "needed": "\(needed)"])
            }
            return
        }
        let started = ContinuousClock.now
        // Sampling is a pure function of (seed, round, attempt): a retry draws a new sample, a resumed
        // server draws what it would have drawn.
        let samplingRound = round + retries * 1_000_003
        let known = lastLoss
        let selected = settings.experiment.sampleClients(round: samplingRound, available: available, sizes: experiment.sizes) { candidates in
            candidates.map { known[$0] ?? .infinity }
        }
        var owner: [Int: String] = [:]
        for id in children.keys.sorted().reversed() { for client in children[id]!.clients { owner[client] = id } }
        var fit = strategy.configureFit(round: round, selected: selected, base: settings.experiment.fit)
        fit.algorithm = settings.experiment.algorithm
        let taskID = nextTaskID
        nextTaskID += 1
        let modelParts: [Frame]
        do throws(FedError) {
            let outgoing = try FederationMessages.combine(global, extras: strategy.downloadExtras(global: global))
            let (headers, frames) = try coder.encode(outgoing, encoding: TensorEncoding(codec: .raw))
            var envelope = Envelope(kind: .model)
            envelope.sender = "server"
            envelope.session = session
            envelope.round = UInt64(round)
            envelope.taskID = taskID
            envelope.tensors = headers
            modelParts = WireMessage(envelope: envelope, frames: frames).parts()
        } catch {
            log.info("cannot encode the model", ["error": error.description])
            stopping = true
            return
        }
        tracker = RoundTracker(round: round, taskID: taskID, selected: selected, accumulator: strategy.makeAccumulator(global: global),
                               deadline: started + .seconds(settings.roundTimeout), started: started, model: modelParts,
                               pending: owner.filter { selected.contains($0.key) })
        tracker?.lacking = self.groups.subtracting(children.keys)
        let groups = Dictionary(grouping: selected, by: { owner[$0]! })
        let modelBytes = FederationMessages.byteCount(modelParts)
        for (child, clients) in groups.sorted(by: { $0.key < $1.key }) {
            guard tracker?.taskID == taskID else { return }  // closed meanwhile (every result already in)
            var envelope = Envelope(kind: .fit)
            envelope.sender = "server"
            envelope.session = session
            envelope.round = UInt64(round)
            envelope.taskID = taskID
            envelope.clientIDs = clients.sorted().map { UInt32($0) }
            envelope.config = FederationMessages.fitConfig(fit, codec: uploadCodec)
            let fitParts = WireMessage(envelope: envelope).parts()
            let identity = Frame(copying: Array(child.utf8))
            do {
                try await router.send([identity] + fitParts)
                tracker?.bytesDown += FederationMessages.byteCount(fitParts)
                if subscribed.contains(child) {
                    // One encoded model shared by every send: the frames reference the same buffer.
                    try await xpub.send([Frame(copying: children[child]?.topic ?? Array(child.utf8))] + modelParts)
                    tracker?.bytesDown += modelBytes
                    tracker?.modelDelivered.insert(child)
                }
            } catch {
                log.info("child unreachable", ["id": child, "error": "\(error)"])
                drop(child, reason: FedError(.unknownPeer, "node '\(child)' is unreachable: \(error)"))
            }
        }
        if tracker?.taskID == taskID, tracker?.isComplete == true { await closeRound(atDeadline: false) }
    }

    /// Closes the round in flight: aggregates if the quorum is met, otherwise retries with a new sample.
    func closeRound(atDeadline: Bool) async {
        guard var current = tracker else { return }
        tracker = nil
        current.lacking.formUnion(current.pending.values.filter { groups.contains($0) })
        for client in current.pending.keys.sorted() {
            current.failures.append(ClientFailure(clientID: client, reason: FedError(.timeout, "no result by the round's deadline")))
        }
        current.pending.removeAll()
        let completed = current.accumulator.count
        let quorum = current.quorum(minFit: settings.minFit)
        guard completed >= quorum else {
            retries += 1
            totalRetries += 1
            let reason = atDeadline ? "deadline passed" : "results failed or children left"
            log.info("round retried with a new sample", ["round": "\(round)", "completed": "\(completed)", "quorum": "\(quorum)",
                                                         "selected": "\(current.selected.count)", "reason": reason])
            await startRoundIfReady()
            return
        }
        global = strategy.aggregateFit(round: round, global: global, results: current.accumulator, failures: current.failures) ?? global
        let seconds = Double((ContinuousClock.now - current.started) / .milliseconds(1)) / 1000
        var record = RoundRecord(round: round, seconds: seconds, selected: current.selected.count, completed: completed,
                                 failed: current.selected.count - completed, bytesDown: current.bytesDown, bytesUp: current.bytesUp,
                                 trainLoss: completed > 0 ? current.accumulator.meanLoss : nil)
        record.late = late
        record.personalAccuracy = current.accumulator.meanMetric("personal_accuracy")
        let notes = (retries > 0 ? ["retried \(retries) time(s) with a new sample"] : [])
            + (current.lacking.isEmpty ? [] : ["lacked " + current.lacking.sorted().joined(separator: ",")])
        record.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        late = 0
        retries = 0
        evaluate(into: &record)
        persist(record)
        round += 1
        if round > settings.experiment.rounds { finished = true } else { await startRoundIfReady() }
    }

    private func evaluate(into record: inout RoundRecord) {
        let config = settings.experiment
        guard let evaluator = experiment.evaluator, round % config.evalEvery == 0 || round == config.rounds else { return }
        let start = ContinuousClock.now
        do throws(FedError) {
            let result = try evaluator.evaluate(global)
            record.accuracy = result.accuracy
            record.loss = result.loss
        } catch {
            log.info("evaluation failed", ["round": "\(round)", "error": error.description])
        }
        record.evalSeconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
    }

    private func persist(_ record: RoundRecord) {
        records.append(record)
        FederationMetrics.roundClosed(record, uploadCodec: uploadCodec)
        do throws(FedError) {
            try writer?.write(record)
            if let directory = settings.checkpointDirectory {
                try Checkpoint(round: round, attempts: totalRetries, algorithm: strategy.name, seed: settings.experiment.seed,
                               config: settings.experiment.entries, model: global,
                               strategyState: strategy.exportState()).write(to: URL(fileURLWithPath: directory))
            }
        } catch {
            log.info("cannot persist the round", ["round": "\(round)", "error": error.description])
        }
        let accuracy = record.accuracy.map { String(format: "acc %.2f%%", $0 * 100) } ?? "acc -"
        progress?.update(round, status: "\(accuracy)  \(String(format: "%.3f", record.seconds)) s/round  \(record.completed)/\(record.selected) clients")
    }
}
