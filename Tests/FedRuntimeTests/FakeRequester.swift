import FedCore
import FedNet
import FedRuntime
import FedWire
import Foundation

/// A hand-driven async client: one REQ socket doing strict request/reply exactly as a test says, to
/// probe the async server's protocol handling.
final class FakeRequester {
    let id: String
    let req: any MessageSocket
    var session = ""

    init(transport: any Transport, control: String, id: String) async throws {
        var options = SocketOptions()
        options.linger = .zero
        options.sendTimeout = .seconds(5)
        self.id = id
        req = try await transport.connected(.req, to: control, options: options)
    }

    /// Sends `message` and returns the decoded reply.
    func request(_ message: WireMessage, timeout: Duration = .seconds(10)) async throws -> WireMessage {
        try await req.send(message.parts())
        return try WireMessage(parts: try await req.receive(timeout: timeout))
    }

    /// HELLO for `clients`; returns WELCOME and remembers the session.
    @discardableResult
    func join(clients: [Int]) async throws -> WireMessage {
        var hello = Envelope(kind: .hello)
        hello.sender = id
        hello.clientIDs = clients.map { UInt32($0) }
        hello.codecs = Codec.allCases
        let welcome = try await request(WireMessage(envelope: hello))
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

    /// PULL; returns the reply (MODEL, or ERROR).
    func pull() async throws -> WireMessage { try await request(WireMessage(envelope: envelope(.pull))) }

    /// PUSH `state` as client `client`'s update trained from model `version`; returns the reply.
    func push(_ state: ModelState, client: Int = 0, from version: UInt64, task: UInt64, isDelta: Bool = false,
              examples: UInt64 = 1) async throws -> WireMessage {
        let (headers, frames) = try ModelCoder().encode(state, encoding: TensorEncoding(codec: .raw, isDelta: isDelta))
        var envelope = self.envelope(.push, round: version)
        envelope.taskID = task
        envelope.clientIDs = [UInt32(client)]
        envelope.numExamples = examples
        envelope.tensors = headers
        return try await request(WireMessage(envelope: envelope, frames: frames))
    }

    func close() async { await req.close() }
}

/// Async server settings for protocol tests: an echo model of `params` zeros, no files, no progress bar.
func asyncServerSettings(clients: Int, params: Int = 8, control: String) -> ServerSettings {
    var settings = echoServerSettings(clients: clients, rounds: 1, params: params, control: control, broadcast: "unused")
    settings.heartbeat = 0.2
    return settings
}

/// Async settings: FedAsync with α and a constant discount unless changed.
func fedAsyncSettings(alpha: Double = 0.5, updates: Int = 100, maxStaleness: Int? = nil) -> AsyncConfig {
    var config = AsyncConfig()
    config.algorithm = "fedasync"
    config.alpha = alpha
    config.staleness = "constant"
    config.updates = updates
    config.evalEvery = 1000
    config.maxStaleness = maxStaleness
    return config
}
