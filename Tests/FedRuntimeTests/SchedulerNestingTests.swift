import FedAlgorithms
import FedCore
import FedNet
import FedRuntime
import FedWire
import Testing

/// Schedulers under schedulers: server → A → B → clients, with one client process straight under A.
@Suite(.timeLimit(.minutes(1)))
struct SchedulerNestingTests {
    /// Three client processes of an SGD experiment on synthetic data, every client in every round.
    private func sgdServerSettings(_ endpoints: (control: String, broadcast: String)) -> ServerSettings {
        var experiment = ExperimentConfig()
        experiment.dataset = "synthetic:0.5,0.5"
        experiment.partition = "natural"
        experiment.model = "lr"
        experiment.clients = 6
        experiment.sample = 6
        experiment.rounds = 3
        experiment.seed = 3
        experiment.fit = FitConfig(epochs: 1, batchSize: 10, learningRate: 0.05)
        var settings = ServerSettings(experiment: experiment)
        settings.control = endpoints.control
        settings.broadcast = endpoints.broadcast
        settings.codec = "raw"
        settings.roundTimeout = 30
        settings.showProgress = false
        return settings
    }

    private func sgdClient(_ transport: any Transport, _ endpoints: (control: String, broadcast: String), clients: [Int],
                           id: String) -> Task<ClientNode.Outcome, any Error> {
        var settings = ClientSettings(control: endpoints.control, broadcast: endpoints.broadcast, clients: clients, id: id)
        settings.workers = 1
        let node = ClientNode(settings: settings, transport: transport)
        return Task { try await node.run() }
    }

    /// Runs the SGD experiment: flat (every process on the server) or nested (two under B, B and one under A).
    private func federation(nested: Bool) async throws -> (model: ModelState, records: [RoundRecord], groups: [Int]) {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        let server = try ServerNode(settings: sgdServerSettings(top), transport: transport)
        let run = Task { try await server.run() }
        var schedulers: [(SchedulerNode, Task<Bool, any Error>)] = []
        var lanA = top, lanB = top
        if nested {
            let (outer, a) = try makeScheduler(transport, upstream: top, id: "A")
            let (inner, b) = try makeScheduler(transport, upstream: a, id: "B")
            schedulers = [(outer, Task { try await outer.run() }), (inner, Task { try await inner.run() })]
            (lanA, lanB) = (a, b)
        }
        let clients = [sgdClient(transport, lanB, clients: [0, 1], id: "b1"), sgdClient(transport, lanB, clients: [2, 3], id: "b2"),
                       sgdClient(transport, lanA, clients: [4, 5], id: "a1")]
        _ = try await run.value
        var groups: [Int] = []
        for (node, brokering) in schedulers {
            #expect(try await brokering.value)
            groups.append(await node.groupResults)
        }
        for client in clients { #expect(try await client.value == .serverFinished) }
        return (await server.globalModel, await server.records, groups)
    }

    @Test func nestedSchedulersGiveTheFlatFedAvgModel() async throws {
        let flat = try await federation(nested: false)
        let nested = try await federation(nested: true)
        #expect(nested.records.map(\.completed) == [6, 6, 6] && flat.records.map(\.completed) == [6, 6, 6])
        #expect(nested.groups == [3, 3], "A and B each send one group result per round")
        #expect(flat.model.layout == nested.model.layout)
        let diff = zip(flat.model.values, nested.model.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff <= 1e-5, "max abs difference \(diff)")
        #expect(flat.model != ModelState(layout: flat.model.layout, repeating: 0), "training moved the model")
    }

    @Test func asyncFederationCompletesThroughNestedSchedulers() async throws {
        let transport = InProcessTransport()
        defer { Task { await transport.shutdown() } }
        let top = inprocEndpoints()
        let server = try AsyncServerNode(settings: asyncServerSettings(clients: 6, control: top.control),
                                         async: fedAsyncSettings(alpha: 0.5, updates: 12), transport: transport)
        let serving = Task { try await server.run() }
        let (outer, a) = try makeScheduler(transport, upstream: (top.control, nil), id: "A")
        let (inner, b) = try makeScheduler(transport, upstream: (a.control, nil), id: "B")
        let brokering = [Task { try await outer.run() }, Task { try await inner.run() }]
        let clients = [asyncEchoClient(transport, control: b.control, clients: [0, 1], id: "b1"),
                       asyncEchoClient(transport, control: b.control, clients: [2, 3], id: "b2"),
                       asyncEchoClient(transport, control: a.control, clients: [4, 5], id: "a1")]
        try await serving.value
        for scheduler in brokering { #expect(try await scheduler.value, "both schedulers stop because the server finished") }
        var pushed: [String: Int] = [:]
        for (id, (node, run)) in zip(["b1", "b2", "a1"], clients) {
            #expect(try await run.value == .serverFinished)
            pushed[id] = await node.pushed
        }
        let stats = await server.stats
        #expect(stats.received == 12 && stats.appliedByNode == ["A": 12])
        #expect(pushed.values.reduce(0, +) == 12, "updates acknowledged per client: \(pushed)")
        #expect(pushed["b1", default: 0] + pushed["b2", default: 0] >= 1, "B's clients reached the server through A: \(pushed)")
        #expect(await inner.forwardedPushes >= 1)
        #expect(await outer.forwardedPushes >= 12)
    }
}
