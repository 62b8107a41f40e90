import FedCore
import FedNet
import FedWire
import Foundation

/// Where a conformance run listens and how long it waits.
public struct ConformanceSettings: Sendable {
    /// ROUTER endpoint the client under test connects its DEALER to.
    public var control = "tcp://127.0.0.1:5555"
    /// XPUB endpoint the client under test subscribes to.
    public var broadcast = "tcp://127.0.0.1:5556"
    /// Seconds to wait for the client's first HELLO.
    public var joinTimeout = 60.0
    /// Seconds each scenario waits for an expected message.
    public var timeout = 10.0
    /// float32 elements of the echo model (`echo.weight`).
    public var parameters = 4096
    /// Heartbeat interval announced in WELCOME.
    public var heartbeat = 0.5

    /// Settings with the defaults above.
    public init() {}
}

/// The verdict on one scenario.
public struct ConformanceResult: Sendable, Equatable {
    /// Scenario name (`fit-q8`).
    public let scenario: String
    /// Whether the client behaved as the protocol requires.
    public let passed: Bool
    /// What was observed.
    public let detail: String

    /// `PASS name: detail` or `FAIL name: detail`.
    public var line: String { "\(passed ? "PASS" : "FAIL") \(scenario): \(detail)" }
}

/// A scripted sync parent that drives one client under test (run with `--trainer echo`) through the
/// scenarios of ``ConformanceHarness/scenarioNames`` and judges every reply against docs/PROTOCOL.md.
///
/// It binds a ROUTER and an XPUB like ``ServerNode``, but sends exactly what each scenario needs:
/// a WELCOME of the wrong version, FIT tasks for every codec, a FIT without broadcast, malformed tasks,
/// a restart with a new session, and BYE.
public actor ConformanceHarness {
    let settings: ConformanceSettings
    let transport: any Transport
    var router: (any MessageSocket)?
    var xpub: (any MessageSocket)?
    var subscriptionReader: Task<Void, Never>?
    /// Topics currently subscribed on the XPUB (node ids).
    var subscribed: Set<String> = []
    var session = "s-conformance-1"
    /// Whether the client under test holds a WELCOME of ``session``.
    var joined = false
    var peer: Frame?
    var peerID = ""
    var clients: [UInt32] = []
    var round: UInt64 = 0
    var taskID: UInt64 = 0
    /// ERROR messages the client sent, as `code: detail`.
    var clientErrors: [String] = []
    /// Messages from the client that did not decode.
    var undecodable: [String] = []
    /// HEARTBEATs answered while waiting for something else.
    var heartbeats = 0
    /// A HELLO read by one scenario for the next one to answer.
    var pendingHello: WireMessage?

    /// A harness that makes its sockets with `transport`.
    public init(settings: ConformanceSettings, transport: any Transport) {
        self.settings = settings
        self.transport = transport
    }

    /// Binds, waits for the client and runs every scenario in order, handing each verdict to `report` as
    /// soon as it is known. Returns all verdicts.
    public func run(report: @Sendable (ConformanceResult) -> Void = { _ in }) async throws(FedError) -> [ConformanceResult] {
        try await open()
        var results: [ConformanceResult] = []
        for name in Self.scenarioNames {
            let result = await scenario(name)
            report(result)
            results.append(result)
        }
        await close()
        return results
    }

    /// Binds the ROUTER and the XPUB (retrying for a few seconds: a restart rebinds the same ports).
    func open() async throws(FedError) {
        var options = SocketOptions()
        options.linger = .milliseconds(200)
        options.xpubVerbose = true
        options.sendTimeout = .seconds(5)
        options.heartbeatInterval = nil
        options.heartbeatTimeout = nil
        options.heartbeatTTL = nil
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                router = try await transport.bound(.router, to: settings.control, options: options).socket
                xpub = try await transport.bound(.xpub, to: settings.broadcast, options: options).socket
                break
            } catch {
                await close()
                guard ContinuousClock.now < deadline else {
                    throw FedError(.transport, "cannot bind \(settings.control) / \(settings.broadcast): \(error)")
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        guard let xpub else { return }
        subscriptionReader = Task { [weak self] in
            for await parts in xpub.messages { await self?.noteSubscription(parts) }
        }
    }

    /// Closes both sockets and forgets subscriptions.
    func close() async {
        subscriptionReader?.cancel()
        subscriptionReader = nil
        await router?.close()
        await xpub?.close()
        router = nil
        xpub = nil
        subscribed.removeAll()
    }

    private func noteSubscription(_ parts: [Frame]) {
        guard let bytes = parts.first?.bytes, bytes.count >= 2 else { return }
        let id = String(decoding: bytes[1...], as: UTF8.self)
        if bytes[0] == 1 { subscribed.insert(id) } else { subscribed.remove(id) }
    }

    /// Sends `message` to the client under test on control.
    func send(_ message: WireMessage) async {
        guard let router, let peer else { return }
        try? await router.send([peer] + message.parts())
    }

    /// Sends raw frames (possibly not a valid message) to the client under test on control.
    func sendRaw(_ parts: [Frame]) async {
        guard let router, let peer else { return }
        try? await router.send([peer] + parts)
    }

    /// Publishes `message` on the XPUB with the client's topic (its id).
    func publish(_ message: WireMessage) async {
        try? await xpub?.send([Frame(copying: Array(peerID.utf8))] + message.parts())
    }

    /// A message from the harness, quoting the current session.
    func envelope(_ kind: MessageKind) -> Envelope {
        var envelope = Envelope(kind: kind)
        envelope.sender = "conformance"
        envelope.session = session
        envelope.round = round
        envelope.taskID = taskID
        return envelope
    }

    /// The next message from the client whose kind is in `kinds`, within `timeout` seconds.
    ///
    /// HEARTBEATs are answered (and counted) unless asked for; while not ``joined`` every other message
    /// but HELLO gets ERROR unknown_peer, as a restarted server answers; client ERRORs are recorded.
    func next(_ kinds: Set<MessageKind>, timeout: Double? = nil) async -> WireMessage? {
        let deadline = ContinuousClock.now + .milliseconds(Int64((timeout ?? settings.timeout) * 1000))
        while let router {
            let left = deadline - .now
            guard left > .zero else { return nil }
            guard let parts = try? await router.receive(timeout: min(left, .milliseconds(100))), parts.count >= 2 else { continue }
            let message: WireMessage
            do {
                message = try WireMessage(parts: Array(parts.dropFirst()))
            } catch {
                undecodable.append(error.description)
                continue
            }
            let kind = message.envelope.kind
            if kind == .hello { peer = parts[0] }
            if kinds.contains(kind) { return message }
            switch kind {
            case .heartbeat where joined:
                heartbeats += 1
                await sendTo(parts[0], envelope(.heartbeat))
            case .error:
                let error = message.envelope.error
                clientErrors.append("\(error?.code.name ?? "?"): \(error?.detail ?? "")")
            case .hello, .bye:
                break
            default:
                if !joined {
                    var reply = envelope(.error)
                    reply.error = WireError(code: .unknownPeer, detail: "node has not joined session \(session); send HELLO")
                    await sendTo(parts[0], reply)
                }
            }
        }
        return nil
    }

    private func sendTo(_ identity: Frame, _ envelope: Envelope) async {
        try? await router?.send([identity] + WireMessage(envelope: envelope).parts())
    }

    /// Waits until `condition` holds on this actor, polling; false after `timeout` seconds.
    func waitFor(_ timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            _ = await next([], timeout: 0.05)  // keeps answering heartbeats while waiting
        }
        return condition()
    }
}
