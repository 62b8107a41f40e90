import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// EVALUATE through a scheduler, driven by a scripted parent (the sync server does not send EVALUATE).
@Suite(.timeLimit(.minutes(1)))
struct SchedulerEvaluateTests {
    let layout = try! ModelLayout([TensorSpec(name: "echo.weight", shape: [8])])

    private func evaluate(round: UInt64, task: UInt64) throws -> WireMessage {
        var envelope = Envelope(kind: .evaluate)
        envelope.sender = "server"
        envelope.session = "s-eval"
        envelope.round = round
        envelope.taskID = task
        envelope.clientIDs = [0, 1, 2]
        let (headers, frames) = try ModelCoder().encode(ModelState(layout: layout, repeating: 0), encoding: TensorEncoding(codec: .raw))
        envelope.tensors = headers
        return WireMessage(envelope: envelope, frames: frames)
    }

    private func result(_ peer: FakePeer, for task: Envelope, clients: [UInt32], examples: UInt64, metrics: [String: Double],
                        group: Bool = false) async throws {
        var envelope = peer.envelope(.evaluateResult, round: task.round)
        envelope.taskID = task.taskID
        envelope.clientIDs = clients
        envelope.numExamples = examples
        envelope.metrics = metrics
        if group { envelope.config = ["group": .bool(true), "failed": .string("")] }
        try await peer.send(WireMessage(envelope: envelope))
    }

    @Test func evaluateReachesTheHostingChildrenAndReturnsAsOneExampleWeightedResult() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        let parent = try await FakeParent(transport: transport, endpoints: top)
        let (group, lan) = try makeScheduler(transport, upstream: top, id: "lan-a", heartbeat: 5)
        let brokering = Task { try await group.run() }
        let a = try await FakePeer(transport: transport, control: lan.control, id: "a")
        let b = try await FakePeer(transport: transport, control: lan.control, id: "b")  // stands for a nested scheduler
        for (peer, clients) in [(a, [UInt32(0), 1]), (b, [2])] {
            var hello = peer.envelope(.hello)
            hello.clientIDs = clients
            hello.codecs = Codec.allCases
            try await peer.send(WireMessage(envelope: hello))
        }
        // Welcome the scheduler until it announces both children's clients.
        while true {
            let (identity, hello) = try await parent.next(.hello)
            var welcome = Envelope(kind: .welcome)
            welcome.sender = "server"
            welcome.session = "s-eval"
            welcome.codecs = [.raw]
            welcome.config = ["clients": .string("3"), "algorithm": .string("fedavg"), "round_timeout": .double(2), "heartbeat": .double(5)]
            try await parent.send(WireMessage(envelope: welcome), to: identity)
            if hello.envelope.clientIDs == [0, 1, 2] { break }
        }
        for peer in [a, b] { peer.session = try await peer.next(.welcome).envelope.session }

        try await parent.send(try evaluate(round: 1, task: 7), to: Frame(copying: Array("lan-a".utf8)))
        let taskA = try await a.next(.evaluate)
        let taskB = try await b.next(.evaluate)
        #expect(taskA.envelope.clientIDs == [0, 1] && taskB.envelope.clientIDs == [2])
        #expect(taskA.frames.count == 1 && taskA.envelope.session == group.session, "the model to evaluate travels with the task")
        try await result(a, for: taskA.envelope, clients: [0], examples: 10, metrics: ["loss": 1, "accuracy": 0.5])
        try await result(a, for: taskA.envelope, clients: [1], examples: 30, metrics: ["loss": 2, "accuracy": 0.9])
        try await result(b, for: taskB.envelope, clients: [2], examples: 20, metrics: ["loss": 3, "accuracy": 0.2], group: true)
        let merged = try await parent.next(.evaluateResult).message.envelope
        #expect(merged.round == 1 && merged.taskID == 7 && merged.clientIDs == [0, 1, 2] && merged.numExamples == 60)
        #expect(merged.config["group"]?.boolValue == true && merged.config["failed"]?.stringValue == "")
        #expect(abs((merged.metrics["loss"] ?? 0) - 130.0 / 60) < 1e-12)      // (10·1 + 30·2 + 20·3) / 60
        #expect(abs((merged.metrics["accuracy"] ?? 0) - 36.0 / 60) < 1e-12)   // (10·0.5 + 30·0.9 + 20·0.2) / 60

        // Round 2: only client 0 answers; at the group deadline the others fail and their hosts are named.
        try await parent.send(try evaluate(round: 2, task: 8), to: Frame(copying: Array("lan-a".utf8)))
        let second = try await a.next(.evaluate)
        _ = try await b.next(.evaluate)
        try await result(a, for: second.envelope, clients: [0], examples: 10, metrics: ["loss": 4])
        let partial = try await parent.next(.evaluateResult).message.envelope
        #expect(partial.round == 2 && partial.clientIDs == [0] && partial.numExamples == 10 && partial.metrics["loss"] == 4)
        #expect(partial.config["failed"]?.stringValue == "1-2" && partial.config["lacking"]?.stringValue == "a,b")
        #expect(await eventually { await group.groupResults == 2 })  // counted just after the send returns
        await group.shutdown()
        _ = try await brokering.value
        for peer in [a, b] { await peer.close() }
        await parent.close()
    }
}
