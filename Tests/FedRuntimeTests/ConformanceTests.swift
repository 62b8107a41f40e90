import FedCore
import FedNet
import FedRuntime
import Testing

/// The conformance harness against the Swift client, in process over tcp loopback.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConformanceTests {
    @Test func swiftEchoClientPassesEveryScenario() async throws {
        let transport = try ZMQTransport()
        var settings = ConformanceSettings()
        settings.control = "tcp://127.0.0.1:\(LoopbackPort.pick())"
        settings.broadcast = "tcp://127.0.0.1:\(LoopbackPort.pick())"
        settings.joinTimeout = 20
        settings.timeout = 8
        settings.parameters = 256
        let harness = ConformanceHarness(settings: settings, transport: transport)
        var clientSettings = ClientSettings(control: settings.control, broadcast: settings.broadcast, clients: [0, 1], id: "swift-under-test")
        clientSettings.trainer = .echo
        let client = ClientNode(settings: clientSettings, transport: transport)
        let clientRun = Task { try await client.run() }
        let results = try await harness.run()
        let outcome = try await clientRun.value
        await transport.shutdown()
        #expect(results.map(\.scenario) == ConformanceHarness.scenarioNames)
        for result in results { #expect(result.passed, "\(result.line)") }
        #expect(outcome == .serverFinished)
    }
}
