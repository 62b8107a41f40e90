import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// Schedulers under an async server: PULLs from the cache, PUSHes forwarded one by one, replies routed back.
@Suite(.timeLimit(.minutes(1)))
struct SchedulerAsyncTests {
    let layout = try! ModelLayout([TensorSpec(name: "echo.weight", shape: [8])])

    @Test func pullIsServedFromTheCacheUntilTheServerReportsANewVersion() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        let server = try AsyncServerNode(settings: asyncServerSettings(clients: 1, control: top.control),
                                         async: fedAsyncSettings(alpha: 0.5, maxStaleness: 0), transport: transport)
        let serving = Task { try await server.run() }
        let (group, lan) = try makeScheduler(transport, upstream: (top.control, nil), id: "lan-a")
        let brokering = Task { try await group.run() }
        let child = try await FakeRequester(transport: transport, control: lan.control, id: "f")
        let welcome = try await child.join(clients: [0])
        #expect(welcome.envelope.kind == .welcome && welcome.envelope.config["mode"]?.stringValue == "async")
        #expect(welcome.envelope.session == group.session)

        let first = try await child.pull()
        #expect(first.envelope.kind == .model && first.envelope.round == 0)
        #expect(try await child.pull().envelope.round == 0)
        #expect(await group.upstreamPulls == 1)
        #expect(await group.cachedPulls == 1, "the second PULL of version 0 must not cross to the server")

        let ack = try await child.push(ModelState(layout: layout, repeating: 2), from: 0, task: 41)
        #expect(ack.envelope.kind == .ack && ack.envelope.round == 1 && ack.envelope.taskID == 41)
        // A resend after a lost reply is answered from memory: the server counts the update once.
        let resent = try await child.push(ModelState(layout: layout, repeating: 2), from: 0, task: 41)
        #expect(resent.envelope.kind == .ack && resent.envelope.round == 1)
        #expect(await server.stats.received == 1)

        // The ACK reported version 1, so the cached version 0 is stale: one PULL upstream, then the cache again.
        let next = try await child.pull()
        #expect(next.envelope.round == 1)
        #expect(try ModelCoder().decode(next, layout: layout).values == [Float](repeating: 1, count: 8))  // FedAsync: 0.5 · 2
        #expect(try await child.pull().envelope.round == 1)
        #expect(await group.upstreamPulls == 2)
        #expect(await group.cachedPulls == 2)

        // The server's ERROR goes back to the child that pushed, quoting its task: version 0 is now too stale.
        let refused = try await child.push(ModelState(layout: layout, repeating: 5), from: 0, task: 42)
        #expect(refused.envelope.kind == .error && refused.envelope.error?.code == .staleUpdate && refused.envelope.taskID == 42)
        #expect(await server.globalModel.values == [Float](repeating: 1, count: 8))
        await group.shutdown()
        #expect(try await brokering.value == false, "the scheduler stopped on shutdown, not because the run ended")
        await server.shutdown()
        try await serving.value
        await child.close()
    }

    @Test func asyncFederationCompletesThroughASchedulerWithEveryAcceptedPushCounted() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        var config = fedAsyncSettings(updates: 24)
        config.algorithm = "fedbuff"
        config.bufferSize = 4  // the version advances every 4th update: the PULLs in between hit the cache
        let server = try AsyncServerNode(settings: asyncServerSettings(clients: 6, control: top.control), async: config, transport: transport)
        let serving = Task { try await server.run() }
        let (group, lan) = try makeScheduler(transport, upstream: (top.control, nil), id: "lan-a")
        let brokering = Task { try await group.run() }
        let clients = [asyncEchoClient(transport, control: lan.control, clients: [0, 1], id: "a1"),
                       asyncEchoClient(transport, control: lan.control, clients: [2, 3], id: "a2"),
                       asyncEchoClient(transport, control: lan.control, clients: [4, 5], id: "a3")]
        try await serving.value
        #expect(try await brokering.value, "the scheduler stops because the server finished")
        var pushed = 0
        for (node, run) in clients {
            #expect(try await run.value == .serverFinished)
            pushed += await node.pushed
        }
        let stats = await server.stats
        #expect(stats.received == 24 && stats.applied == 24)
        #expect(stats.appliedByNode == ["lan-a": 24])
        #expect(pushed == 24, "every update the server accepted was acknowledged to its client")
        #expect(await server.version == 6)
        #expect(await group.forwardedPushes >= 24)
        #expect(await group.cachedPulls >= 1)
    }
}
