import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// A scheduler between a server and its children over the in-process transport.
@Suite(.timeLimit(.minutes(1)))
struct SchedulerTests {
    @Test(arguments: PartialSumFormat.allCases)
    func schedulerSendsOneResultPerRoundAndMatchesTheFlatRun(format: PartialSumFormat) async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        let server = try ServerNode(settings: echoServerSettings(clients: 6, rounds: 3, control: top.control, broadcast: top.broadcast),
                                    transport: transport)
        let run = Task { try await server.run() }
        let (group, lan) = try makeScheduler(transport, upstream: top, id: "lan-a", format: format)
        let brokering = Task { try await group.run() }
        // Two children behind the scheduler, one client process straight on the server: a mixed tree.
        let clients = [echoClient(transport, lan, clients: [0, 1], id: "a1").1, echoClient(transport, lan, clients: [2, 3, 4], id: "a2").1,
                       echoClient(transport, top, clients: [5], id: "flat").1]
        _ = try await run.value
        #expect(try await brokering.value)
        for client in clients { #expect(try await client.value == .serverFinished) }
        #expect(await server.records.map(\.completed) == [6, 6, 6])
        #expect(await group.groupResults == 3)
        // Echo clients return the model + 1: flat FedAvg gives exactly 3 after 3 rounds; so must the tree.
        #expect(await server.globalModel.values == [Float](repeating: 3, count: 8))
    }

    @Test func lostChildFailsItsClientsForThatRoundOnlyAndTheRowSaysSo() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        var settings = echoServerSettings(clients: 4, rounds: 4, control: top.control, broadcast: top.broadcast)
        settings.minClients = 2
        settings.heartbeat = 0.2
        let server = try ServerNode(settings: settings, transport: transport)
        let run = Task { try await server.run() }
        let (group, lan) = try makeScheduler(transport, upstream: top, id: "lan-a")
        let brokering = Task { try await group.run() }
        let steady = echoClient(transport, lan, clients: [0, 1], id: "steady").1
        let (victim, victimRun) = echoClient(transport, lan, clients: [2, 3], id: "victim", taskDelay: 0.5)
        #expect(await eventually { await server.records.count >= 1 })
        await victim.shutdown()  // round 2 is in flight and the victim holds its task: BYE, its clients fail
        _ = try await victimRun.value
        _ = try await run.value
        _ = try await brokering.value
        _ = try await steady.value
        let records = await server.records
        #expect(records.count == 4)
        #expect(records[0].completed == 4)
        #expect(records[1].failed == 2 && records[1].note?.contains("lacked lan-a/victim") == true)
        // Afterwards the group announces only the steady clients: rounds run with them, nothing fails.
        #expect(records[2...].allSatisfy { $0.completed == 2 && $0.failed == 0 })
    }
}
