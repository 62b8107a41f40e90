import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// The sync protocol over the in-process transport: fast, deterministic, no processes.
@Suite(.timeLimit(.minutes(1)))
struct ProtocolTests {
    let layout = try! ModelLayout([TensorSpec(name: "echo.weight", shape: [8])])

    private func echoClient(_ transport: any Transport, _ endpoints: (control: String, broadcast: String), clients: [Int],
                            id: String) -> Task<ClientNode.Outcome, any Error> {
        var settings = ClientSettings(control: endpoints.control, broadcast: endpoints.broadcast, clients: clients, id: id)
        settings.trainer = .echo
        let node = ClientNode(settings: settings, transport: transport)
        return Task { try await node.run() }
    }

    @Test func echoClientsJoinAndEveryRoundAggregatesExactly() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let endpoints = inprocEndpoints()
        let server = try ServerNode(settings: echoServerSettings(clients: 4, rounds: 3, control: endpoints.control, broadcast: endpoints.broadcast),
                                    transport: transport)
        let run = Task { try await server.run() }
        // "node-1" is a prefix of "node-10": each must still get only its own broadcast.
        let clients = [echoClient(transport, endpoints, clients: [0, 1], id: "node-1"),
                       echoClient(transport, endpoints, clients: [2, 3], id: "node-10")]
        _ = try await run.value
        for client in clients { #expect(try await client.value == .serverFinished) }
        #expect(await server.records.map(\.completed) == [4, 4, 4])
        #expect(await server.records.map(\.failed) == [0, 0, 0])
        #expect(await server.globalModel.values == [Float](repeating: 3, count: 8))
    }

    @Test func childWithoutBroadcastPullsTheModel() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let endpoints = inprocEndpoints()
        let server = try ServerNode(settings: echoServerSettings(clients: 1, rounds: 1, control: endpoints.control, broadcast: endpoints.broadcast),
                                    transport: transport)
        let run = Task { try await server.run() }
        let peer = try await FakePeer(transport: transport, control: endpoints.control, id: "no-sub")
        try await peer.join(clients: [0])
        let fit = try await peer.next(.fit).envelope
        try await peer.send(WireMessage(envelope: peer.envelope(.pull, round: fit.round)))
        let model = try await peer.next(.model)
        #expect(model.envelope.round == fit.round)
        var state = try ModelCoder().decode(model, layout: layout)
        for i in state.values.indices { state.values[i] += 1 }
        try await peer.upload(for: fit, client: 0, state: state)
        _ = try await run.value
        #expect(await server.globalModel.values == [Float](repeating: 1, count: 8))
        await peer.close()
    }

    @Test func roundClosesAtDeadlineWithQuorumAndCountsTheLateResult() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let endpoints = inprocEndpoints()
        var settings = echoServerSettings(clients: 2, rounds: 2, control: endpoints.control, broadcast: endpoints.broadcast)
        settings.roundTimeout = 1
        let server = try ServerNode(settings: settings, transport: transport)
        let run = Task { try await server.run() }
        let peer = try await FakePeer(transport: transport, control: endpoints.control, id: "straggler")
        try await peer.join(clients: [1])
        let client = echoClient(transport, endpoints, clients: [0], id: "echo")
        let first = try await peer.next(.fit).envelope
        let second = try await peer.next(.fit).envelope  // round 1 closed at its deadline without us
        #expect(second.round == first.round + 1)
        let current = ModelState(layout: layout, repeating: 1)
        try await peer.upload(for: first, client: 1, state: current)  // late: round 1 is closed
        var next = current
        for i in next.values.indices { next.values[i] += 1 }
        try await peer.upload(for: second, client: 1, state: next)
        _ = try await run.value
        _ = try await client.value
        let records = await server.records
        #expect(records.map(\.completed) == [1, 2])
        #expect(records.map(\.failed) == [1, 0])
        #expect(records.map { $0.late ?? 0 } == [0, 1])
        #expect(await server.globalModel.values == [Float](repeating: 2, count: 8))
        await peer.close()
    }

    @Test func badInputGetsErrorsAndNeverTouchesTheModel() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let endpoints = inprocEndpoints()
        var settings = echoServerSettings(clients: 1, rounds: 1, control: endpoints.control, broadcast: endpoints.broadcast)
        settings.minFit = 1
        let server = try ServerNode(settings: settings, transport: transport)
        let run = Task { try await server.run() }
        let peer = try await FakePeer(transport: transport, control: endpoints.control, id: "mallory")

        try await peer.dealer.send([Frame(copying: [0xFF, 0x01, 0x02, 0x03])])
        #expect(try await peer.next(.error).envelope.error?.code == .malformedEnvelope)
        try await peer.send(WireMessage(envelope: peer.envelope(.heartbeat)))
        #expect(try await peer.next(.error).envelope.error?.code == .unknownPeer)
        var future = Envelope(kind: .hello)
        future.version = wireProtocolVersion + 1
        future.clientIDs = [0]
        try await peer.send(WireMessage(envelope: future))
        let versionError = try await peer.next(.error).envelope.error
        #expect(versionError?.code == .unsupportedVersion)
        #expect(versionError?.detail.contains("v\(wireProtocolVersion + 1)") == true)

        try await peer.join(clients: [0])
        let fit = try await peer.next(.fit).envelope
        let wrongShape = ModelState(layout: try ModelLayout([TensorSpec(name: "echo.weight", shape: [4])]), repeating: 1)
        try await peer.upload(for: fit, client: 0, state: wrongShape)
        #expect(try await peer.next(.error).envelope.error?.code == .modelMismatch)
        let retry = try await peer.next(.fit).envelope  // nothing usable arrived: the round is retried
        #expect(retry.round == fit.round && retry.taskID != fit.taskID)
        var poisoned = ModelState(layout: layout, repeating: 1)
        poisoned.values[3] = .nan
        try await peer.upload(for: retry, client: 0, state: poisoned)
        #expect(try await peer.next(.error).envelope.error?.code == .nonFiniteValue)
        let again = try await peer.next(.fit).envelope
        #expect(await server.globalModel.values == [Float](repeating: 0, count: 8))
        #expect(await server.records.isEmpty)
        #expect(await server.rejected == 5)

        try await peer.upload(for: again, client: 0, state: ModelState(layout: layout, repeating: 1))
        _ = try await run.value
        #expect(await server.globalModel.values == [Float](repeating: 1, count: 8))
        await peer.close()
    }
}
