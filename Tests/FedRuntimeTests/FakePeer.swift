import FedCore
import FedNet
import FedRuntime
import FedWire
import Foundation

/// A hand-driven client: a DEALER that sends exactly what a test tells it to, to probe the server's
/// protocol handling (joins, PULL, late and malformed uploads).
final class FakePeer {
    let id: String
    let dealer: any MessageSocket
    var session = ""

    init(transport: any Transport, control: String, id: String) async throws {
        var options = SocketOptions()
        options.linger = .zero
        options.sendTimeout = .seconds(5)
        options.routingID = Array(id.utf8)
        self.id = id
        dealer = try await transport.connected(.dealer, to: control, options: options)
    }

    /// Sends a message as this peer.
    func send(_ message: WireMessage) async throws { try await dealer.send(message.parts()) }

    /// The next message of `kind` (others, such as heartbeats, are skipped).
    func next(_ kind: MessageKind, timeout: Duration = .seconds(10)) async throws -> WireMessage {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - .now
            guard left > .zero else { throw FedError(.timeout, "no \(kind) within \(timeout)") }
            let message = try WireMessage(parts: try await dealer.receive(timeout: left))
            if message.envelope.kind == kind { return message }
        }
    }

    /// HELLO for `clients`; returns WELCOME and remembers the session.
    @discardableResult
    func join(clients: [Int], version: UInt32 = wireProtocolVersion) async throws -> WireMessage {
        var hello = Envelope(kind: .hello)
        hello.version = version
        hello.sender = id
        hello.clientIDs = clients.map { UInt32($0) }
        hello.codecs = Codec.allCases
        try await send(WireMessage(envelope: hello))
        let welcome = try await next(.welcome)
        session = welcome.envelope.session
        return welcome
    }

    /// A message of `kind` carrying this peer's id and session.
    func envelope(_ kind: MessageKind, round: UInt64 = 0) -> Envelope {
        var envelope = Envelope(kind: kind)
        envelope.sender = id
        envelope.session = session
        envelope.round = round
        return envelope
    }

    /// Uploads `state` for `client` as the answer to `fit`.
    func upload(for fit: Envelope, client: Int, state: ModelState, isDelta: Bool = false, codec: Codec = .raw) async throws {
        let (headers, frames) = try ModelCoder().encode(state, encoding: TensorEncoding(codec: codec, isDelta: isDelta))
        var envelope = self.envelope(.fitResult, round: fit.round)
        envelope.taskID = fit.taskID
        envelope.clientIDs = [UInt32(client)]
        envelope.numExamples = 1
        envelope.tensors = headers
        try await send(WireMessage(envelope: envelope, frames: frames))
    }

    func close() async { await dealer.close() }
}

/// Server settings for protocol tests: an echo model of `params` zeros, no files, no progress bar.
func echoServerSettings(clients: Int, rounds: Int, params: Int = 8, control: String, broadcast: String) -> ServerSettings {
    var experiment = ExperimentConfig()
    experiment.clients = clients
    experiment.sample = Double(clients)
    experiment.rounds = rounds
    var settings = ServerSettings(experiment: experiment)
    settings.echoParams = params
    settings.control = control
    settings.broadcast = broadcast
    settings.codec = "raw"
    settings.roundTimeout = 5
    settings.minFit = 0.5
    settings.showProgress = false
    settings.heartbeat = 5  // fake peers send no heartbeats; keep them joined on a loaded machine
    return settings
}

/// Fresh in-process endpoints for one test.
func inprocEndpoints() -> (control: String, broadcast: String) {
    let tag = UUID().uuidString.prefix(8)
    return ("inproc://control-\(tag)", "inproc://broadcast-\(tag)")
}

/// Waits until `condition` holds, polling; false after `timeout`.
func eventually(_ timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}
