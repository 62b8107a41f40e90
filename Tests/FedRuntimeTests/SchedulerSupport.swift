import FedCore
import FedNet
import FedRuntime
import FedWire

/// A sync client process hosting `clients` with the echo trainer, running until the server's BYE.
func echoClient(_ transport: any Transport, _ endpoints: (control: String, broadcast: String), clients: [Int], id: String,
                taskDelay: Double = 0) -> (ClientNode, Task<ClientNode.Outcome, any Error>) {
    var settings = ClientSettings(control: endpoints.control, broadcast: endpoints.broadcast, clients: clients, id: id)
    settings.trainer = .echo
    settings.delay = TaskDelay(seconds: taskDelay)
    let node = ClientNode(settings: settings, transport: transport)
    return (node, Task { try await node.run() })
}

/// An async client process hosting `clients` with the echo trainer, running until the server's BYE.
func asyncEchoClient(_ transport: any Transport, control: String, clients: [Int], id: String) -> (AsyncClientNode, Task<ClientNode.Outcome, any Error>) {
    var settings = ClientSettings(control: control, broadcast: "unused", clients: clients, id: id)
    settings.trainer = .echo
    let node = AsyncClientNode(settings: settings, transport: transport)
    return (node, Task { try await node.run() })
}

/// A scheduler under `upstream` (no broadcast: an async upstream has none) with fresh in-process endpoints
/// for its children.
func makeScheduler(_ transport: any Transport, upstream: (control: String, broadcast: String?), id: String,
                   format: PartialSumFormat = .float32, heartbeat: Double = 1) throws -> (SchedulerNode, (control: String, broadcast: String)) {
    let endpoints = inprocEndpoints()
    var settings = SchedulerSettings(upstreamControl: upstream.control, upstreamBroadcast: upstream.broadcast, id: id)
    settings.control = endpoints.control
    settings.broadcast = endpoints.broadcast
    settings.partialSum = format
    settings.heartbeat = heartbeat
    return (try SchedulerNode(settings: settings, transport: transport), endpoints)
}

/// A hand-driven parent: the ROUTER and XPUB a server would bind, sending what a test says, to drive a
/// scheduler with messages the sync server does not send (EVALUATE).
final class FakeParent {
    let router: any MessageSocket
    let xpub: any MessageSocket

    init(transport: any Transport, endpoints: (control: String, broadcast: String)) async throws {
        var options = SocketOptions()
        options.linger = .zero
        options.sendTimeout = .seconds(5)
        router = try await transport.bound(.router, to: endpoints.control, options: options).socket
        xpub = try await transport.bound(.xpub, to: endpoints.broadcast, options: options).socket
    }

    /// The next message of `kind` and the identity of the child that sent it (others are skipped).
    func next(_ kind: MessageKind, timeout: Duration = .seconds(10)) async throws -> (identity: Frame, message: WireMessage) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - .now
            guard left > .zero else { throw FedError(.timeout, "no \(kind) within \(timeout)") }
            let parts = try await router.receive(timeout: left)
            let message = try WireMessage(parts: Array(parts.dropFirst()))
            if message.envelope.kind == kind { return (parts[0], message) }
        }
    }

    /// Sends `message` to the child with ROUTER identity `identity`.
    func send(_ message: WireMessage, to identity: Frame) async throws { try await router.send([identity] + message.parts()) }

    func close() async {
        await router.close()
        await xpub.close()
    }
}
