import FedAlgorithms
import FedCore
import FedWire

extension SchedulerNode {
    /// A FIT or EVALUATE from upstream: split it among the children hosting the selected clients.
    func startTask(_ message: WireMessage) async {
        let request = message.envelope
        let kind = request.kind
        if tasks[kind]?.taskID == request.taskID { return }
        if let old = tasks[kind] { log.info("task superseded", ["task": "\(kind)", "round": "\(old.round)", "by": "\(request.round)"]) }
        var owner: [Int: String] = [:]
        for id in children.keys.sorted().reversed() { for client in children[id]!.clients { owner[client] = id } }
        let selected = request.clientIDs.map { Int($0) }
        let deadline = ContinuousClock.now + .seconds(settings.groupDeadline * upstreamRoundTimeout)
        var current = GroupTask(request: message, deadline: deadline, pending: owner.filter { selected.contains($0.key) })
        current.failed = selected.filter { owner[$0] == nil }
        current.lacking = Set(current.failed.compactMap { lastOwner[$0] })
        tasks[kind] = current
        if current.needsModel {
            fitReceived = .now
            pulledAt = nil
        }
        attachAccumulator()
        let groups = Dictionary(grouping: selected.filter { owner[$0] != nil }, by: { owner[$0]! })
        for (child, clients) in groups.sorted(by: { $0.key < $1.key }) {
            var envelope = request
            envelope.sender = settings.id
            envelope.session = session
            envelope.clientIDs = clients.sorted().map { UInt32($0) }
            do {
                try await router?.send([Frame(copying: Array(child.utf8))] + WireMessage(envelope: envelope, frames: message.frames).parts())
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
            model = (message, global, reenveloped(message))
        } catch {
            log.info("cannot decode the upstream model", ["round": "\(message.envelope.round)", "error": error.description])
            return
        }
        attachAccumulator()
        await publishModel()
    }

    /// `message` as this scheduler sends it to its children: its sender and session, the same frames.
    func reenveloped(_ message: WireMessage) -> [Frame] {
        var envelope = message.envelope
        envelope.sender = settings.id
        envelope.session = session
        return WireMessage(envelope: envelope, frames: message.frames).parts()
    }

    /// Gives the FIT task in flight its accumulator once the model of its round is here.
    private func attachAccumulator() {
        guard aggregatesLinearly, tasks[.fit]?.accumulator == nil, let model, let round = tasks[.fit]?.round,
              model.message.envelope.round == round else { return }
        tasks[.fit]?.accumulator = FitAccumulator(global: model.global)
    }

    /// Sends the round's model to every busy, subscribed child that needs it and does not have it yet.
    func publishModel() async {
        guard let model, let xpub else { return }
        let round = model.message.envelope.round
        for kind in tasks.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard let current = tasks[kind], current.needsModel, current.round == round else { continue }
            for child in current.busyChildren.sorted() where subscribed.contains(child) && !current.modelDelivered.contains(child) {
                if !tasks.values.contains(where: { $0.round == round && $0.modelDelivered.contains(child) }) {
                    try? await xpub.send([Frame(copying: Array(child.utf8))] + model.parts)
                }
                tasks[kind]?.modelDelivered.insert(child)
            }
        }
    }

    /// Sends each task's one group result upstream once every awaited client reported or failed.
    func reportIfComplete() async {
        for kind in [MessageKind.fit, .evaluate] {
            guard let current = tasks[kind], current.isComplete else { continue }
            tasks[kind] = nil
            await report(current)
        }
    }

    private func report(_ current: GroupTask) async {
        guard let upstreamSession, let upDealer else { return }
        // A changed group is announced before its result, so the upstream samples the next round from it.
        let clients = groupClients
        if !clients.isEmpty, clients != announced { await sendHello(clients, session: upstreamSession) }
        var result = GroupResult()
        result.failed = current.failed
        result.lacking = current.lacking.sorted()
        var headers: [TensorHeader] = []
        var frames: [Frame] = []
        var metrics: [String: Double]?
        if current.kind == .evaluate {
            result.completed = current.evaluation.clients
            result.weight = current.evaluation.examples
            metrics = current.evaluation.means
        } else if let sum = current.accumulator, sum.count > 0 {
            do throws(FedError) {
                var encoding = try TensorEncoding(parsing: current.envelope.config["codec"]?.stringValue ?? upstreamCodec.description)
                encoding.seed = SplitMix64.mix(current.taskID)
                (headers, frames) = try GroupResult.encode(sum, format: settings.partialSum, encoding: encoding, coder: coder)
                result.completed = sum.clientIDs
                result.weight = sum.totalWeight
                result.weightedLoss = sum.weightedLoss
            } catch {
                log.info("cannot encode the partial sum", ["error": error.description])
                result.failed += sum.clientIDs
            }
        }
        var envelope = result.envelope(kind: current.kind == .evaluate ? .evaluateResult : .fitResult)
        if let metrics { envelope.metrics = metrics }
        envelope.sender = settings.id
        envelope.session = upstreamSession
        envelope.round = current.round
        envelope.taskID = current.taskID
        envelope.tensors = headers
        do {
            try await upDealer.send(WireMessage(envelope: envelope, frames: frames).parts())
            groupResults += 1
            log.info("group result sent", ["task": "\(current.kind)", "round": "\(current.round)", "completed": "\(result.completed.count)",
                                            "forwarded": "\(current.forwarded.count)", "failed": "\(result.failed.count)"])
        } catch {
            log.info("group result not sent", ["task": "\(current.kind)", "round": "\(current.round)", "error": "\(error)"])
        }
    }
}
