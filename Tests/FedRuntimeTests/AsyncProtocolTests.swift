import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// The async protocol (PULL/MODEL, PUSH/ACK over a ROUTER serving REQ peers) over the in-process transport.
@Suite(.timeLimit(.minutes(1)))
struct AsyncProtocolTests {
    let layout = try! ModelLayout([TensorSpec(name: "echo.weight", shape: [8])])

    private func start(_ settings: ServerSettings, _ config: AsyncConfig, _ transport: any Transport) throws -> (AsyncServerNode, Task<Void, any Error>) {
        let server = try AsyncServerNode(settings: settings, async: config, transport: transport)
        return (server, Task { try await server.run() })
    }

    @Test func pullReturnsTheVersionedModelAndPushIsAcknowledgedWithTheNextVersion() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 1, control: control), fedAsyncSettings(alpha: 0.5), transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "p")
        let welcome = try await peer.join(clients: [0])
        #expect(welcome.envelope.kind == .welcome)
        #expect(welcome.envelope.config["mode"]?.stringValue == "async")
        #expect(welcome.envelope.config["wants_deltas"]?.boolValue == false)
        let model = try await peer.pull()
        #expect(model.envelope.kind == .model && model.envelope.round == 0)
        #expect(try ModelCoder().decode(model, layout: layout).values == [Float](repeating: 0, count: 8))
        let ack = try await peer.push(ModelState(layout: layout, repeating: 2), from: 0, task: 1)
        #expect(ack.envelope.kind == .ack && ack.envelope.round == 1)
        let next = try await peer.pull()
        #expect(next.envelope.round == 1)
        // FedAsync: (1 − 0.5) · 0 + 0.5 · 2.
        #expect(try ModelCoder().decode(next, layout: layout).values == [Float](repeating: 1, count: 8))
        #expect(await server.stats.received == 1)
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func staleUpdateIsRejectedWithAnErrorSayingHowStale() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 1, control: control), fedAsyncSettings(alpha: 0.5, maxStaleness: 1), transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "p")
        try await peer.join(clients: [0])
        #expect(try await peer.push(ModelState(layout: layout, repeating: 2), from: 0, task: 1).envelope.round == 1)
        #expect(try await peer.push(ModelState(layout: layout, repeating: 2), from: 0, task: 2).envelope.round == 2)  // staleness 1: allowed
        let before = await server.globalModel.values
        let refused = try await peer.push(ModelState(layout: layout, repeating: 100), from: 0, task: 3)  // staleness 2
        #expect(refused.envelope.kind == .error)
        #expect(refused.envelope.error?.code == .staleUpdate)
        #expect(refused.envelope.error?.detail.contains("2 versions behind") == true)
        #expect(refused.envelope.error?.detail.contains("the limit is 1") == true)
        #expect(await server.globalModel.values == before)
        #expect(await server.version == 2)
        let stats = await server.stats
        #expect(stats.received == 3 && stats.rejected == 1 && stats.stalenessMax == 1)
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func fedBuffAppliesTheBufferedMeanAfterKUpdates() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        var config = fedAsyncSettings()
        config.algorithm = "fedbuff"
        config.bufferSize = 3
        config.serverLearningRate = 1
        let (server, run) = try start(asyncServerSettings(clients: 1, control: control), config, transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "p")
        #expect(try await peer.join(clients: [0]).envelope.config["wants_deltas"]?.boolValue == true)
        var versions: [UInt64] = []
        for (task, delta) in [Float(1), 2, 3].enumerated() {
            let ack = try await peer.push(ModelState(layout: layout, repeating: delta), from: 0, task: UInt64(task + 1), isDelta: true)
            versions.append(ack.envelope.round)
            if task < 2 { #expect(await server.globalModel.values == [Float](repeating: 0, count: 8)) }
        }
        #expect(versions == [0, 0, 1])
        #expect(await server.globalModel.values == [Float](repeating: 2, count: 8))  // mean of 1, 2, 3
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func malformedPushesGetErrorsAndNeverTouchTheModel() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 2, control: control), fedAsyncSettings(), transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "mallory")
        let ones = ModelState(layout: layout, repeating: 1)
        #expect(try await peer.push(ones, from: 0, task: 1).envelope.error?.code == .unknownPeer)
        try await peer.req.send([Frame(copying: [0xFF, 0x01, 0x02])])
        #expect(try WireMessage(parts: try await peer.req.receive(timeout: .seconds(5))).envelope.error?.code == .malformedEnvelope)
        try await peer.join(clients: [0])
        let wrongShape = ModelState(layout: try ModelLayout([TensorSpec(name: "echo.weight", shape: [4])]), repeating: 1)
        #expect(try await peer.push(wrongShape, from: 0, task: 2).envelope.error?.code == .modelMismatch)
        var poisoned = ones
        poisoned.values[5] = .nan
        #expect(try await peer.push(poisoned, from: 0, task: 3).envelope.error?.code == .nonFiniteValue)
        #expect(try await peer.push(ones, client: 1, from: 0, task: 4).envelope.error?.code == .unexpectedMessage)  // not its client
        #expect(try await peer.push(ones, from: 7, task: 5).envelope.error?.code == .invalidArgument)  // a future version
        #expect(try await peer.push(ones, from: 0, task: 6, examples: 0).envelope.error?.code == .invalidArgument)
        let session = peer.session
        peer.session = "s-old"
        #expect(try await peer.push(ones, from: 0, task: 7).envelope.error?.code == .sessionMismatch)
        peer.session = session
        #expect(await server.globalModel.values == [Float](repeating: 0, count: 8))
        #expect(await server.stats.received == 0)
        #expect(await server.rejectedMessages == 8)
        #expect(try await peer.push(ones, from: 0, task: 8).envelope.kind == .ack)  // the server still works
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func resentPushIsAnsweredAgainButAppliedOnce() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 1, control: control), fedAsyncSettings(alpha: 0.5), transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "p")
        try await peer.join(clients: [0])
        let first = try await peer.push(ModelState(layout: layout, repeating: 2), from: 0, task: 42)
        let again = try await peer.push(ModelState(layout: layout, repeating: 2), from: 0, task: 42)
        #expect(first.envelope.kind == .ack && again.envelope.kind == .ack && again.envelope.round == first.envelope.round)
        #expect(await server.stats.received == 1)
        #expect(await server.globalModel.values == [Float](repeating: 1, count: 8))
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func resentPushIsRecognizedAfterLaterPushesFromTheSameSender() async throws {
        // A scheduler relays many children's pushes under one node id: a resend of an earlier push must
        // still be answered with its first reply after other pushes of that sender were applied.
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 2, control: control), fedAsyncSettings(alpha: 0.5), transport)
        let peer = try await FakeRequester(transport: transport, control: control, id: "relay")
        try await peer.join(clients: [0, 1])
        let first = try await peer.push(ModelState(layout: layout, repeating: 2), client: 0, from: 0, task: 42)
        let second = try await peer.push(ModelState(layout: layout, repeating: 2), client: 1, from: 1, task: 43)
        let again = try await peer.push(ModelState(layout: layout, repeating: 2), client: 0, from: 0, task: 42)
        #expect(first.envelope.kind == .ack && second.envelope.kind == .ack && again.envelope.kind == .ack)
        #expect(again.envelope.round == first.envelope.round && second.envelope.round == first.envelope.round + 1)
        #expect(await server.stats.received == 2)
        #expect(await server.globalModel.values == [Float](repeating: 1.5, count: 8))  // 0 → 1 → 1.5, not 1.75
        await server.shutdown()
        try await run.value
        await peer.close()
    }

    @Test func pullsWaitUntilTheAnnouncedClientsAreComplete() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 2, control: control), fedAsyncSettings(), transport)
        let early = try await FakeRequester(transport: transport, control: control, id: "early")
        try await early.join(clients: [0])
        try await early.req.send(WireMessage(envelope: early.envelope(.pull)).parts())
        await #expect(throws: FedError.self) { _ = try await early.req.receive(timeout: .milliseconds(300)) }  // held
        let late = try await FakeRequester(transport: transport, control: control, id: "late")
        try await late.join(clients: [1])
        let model = try WireMessage(parts: try await early.req.receive(timeout: .seconds(5)))
        #expect(model.envelope.kind == .model && model.envelope.round == 0)
        await server.shutdown()
        try await run.value
        await early.close()
        await late.close()
    }

    @Test func echoClientsRunToTheUpdateCountAndStopOnBye() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (server, run) = try start(asyncServerSettings(clients: 2, control: control), fedAsyncSettings(alpha: 0.5, updates: 12), transport)
        var clients: [Task<ClientNode.Outcome, any Error>] = []
        for (n, id) in ["a", "b"].enumerated() {
            var settings = ClientSettings(control: control, broadcast: "unused", clients: [n], id: id)
            settings.trainer = .echo
            let node = AsyncClientNode(settings: settings, transport: transport)
            clients.append(Task { try await node.run() })
        }
        try await run.value
        for client in clients { #expect(try await client.value == .serverFinished) }
        let stats = await server.stats
        #expect(stats.received == 12 && stats.appliedByNode.values.reduce(0, +) == 12)
        #expect(Set(stats.appliedByNode.keys) == ["a", "b"])
        #expect(await server.version == 12)
    }

    @Test func clientResendsOnAFreshSocketWhenTheServerDoesNotAnswer() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let control = inprocEndpoints().control
        let (router, _) = try await transport.bound(.router, to: control)
        var settings = ClientSettings(control: control, broadcast: "unused", clients: [0], id: "pirate")
        settings.trainer = .echo
        var retry = RetryPolicy()
        retry.timeout = 0.3
        let node = AsyncClientNode(settings: settings, retry: retry, transport: transport)
        let run = Task { try await node.run() }
        let first = try await router.receive(timeout: .seconds(5))  // ignored: the reply is "lost"
        let second = try await router.receive(timeout: .seconds(5))
        #expect(first[0].bytes != second[0].bytes, "the resend must come from a fresh REQ socket")
        #expect(second[1].count == 0)  // a REQ peer's empty delimiter
        #expect(try WireMessage(parts: Array(second.dropFirst(2))).envelope.kind == .hello)
        var bye = Envelope(kind: .bye)
        bye.sender = "server"
        try await router.send([second[0], Frame(copying: [])] + WireMessage(envelope: bye).parts())
        #expect(try await run.value == .serverFinished)
        await router.close()
    }
}
