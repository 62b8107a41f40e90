import FedCore
import FedNet
import Foundation
import Testing

/// CURVE + ZAP over tcp loopback: who gets in, and what happens to replayed or tampered bytes.
///
/// Each test builds its own context (a ZAP handler serves one context). The replay and tamper tests run
/// the same scenario in plaintext as a control, so they prove CURVE is what refuses the bytes.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CurveSecurityTests {
    /// A server context with a ZAP handler admitting `allowed`, and its bound ROUTER.
    struct Server {
        let transport: SecuredTransport
        let zap: ZAPHandler?
        let router: any MessageSocket
        let port: UInt16

        init(keys: CurveKeyPair?, allowed: [[UInt8]]) async throws {
            var security = TransportSecurity()
            security.keyPair = keys
            transport = SecuredTransport(base: try ZMQTransport(), security: security)
            zap = keys == nil ? nil : try await ZAPHandler(context: transport.base.context, allowlist: allowed)
            let (socket, endpoint) = try await transport.bound(.router, to: "tcp://127.0.0.1:*", options: CurveSecurityTests.options())
            router = socket
            port = UInt16(endpoint.split(separator: ":").last.flatMap { UInt16($0) } ?? 0)
        }

        func stop() async {
            await router.close()
            await zap?.stop()
            await transport.shutdown()
        }
    }

    static func options() -> SocketOptions {
        testOptions {
            $0.heartbeatInterval = nil  // no PINGs: the only client bytes after the handshake are our messages
            $0.reconnectInterval = .milliseconds(50)
            $0.reconnectIntervalMax = .milliseconds(200)
        }
    }

    /// A DEALER in its own context: CURVE client when `keys` is set, plaintext otherwise.
    static func client(keys: CurveKeyPair?, serverKey: [UInt8]?, port: UInt16) async throws -> (any MessageSocket, SecuredTransport) {
        var security = TransportSecurity()
        security.keyPair = keys
        security.serverKey = serverKey
        let transport = SecuredTransport(base: try ZMQTransport(), security: security)
        let dealer = try await transport.connected(.dealer, to: "tcp://127.0.0.1:\(port)", options: options())
        return (dealer, transport)
    }

    /// Whether the router receives nothing for `seconds`.
    static func silent(_ router: any MessageSocket, seconds: Int64 = 1) async -> Bool {
        (try? await router.receive(timeout: .seconds(seconds))) == nil
    }

    @Test func keyFilesRoundTripAndTheSecretIsPrivate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fednet-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pair = try CurveKeyPair.generate()
        let (secret, publicPath) = try pair.write(to: dir, name: "node")
        #expect(publicPath.hasSuffix(".pub"))
        #expect(try CurveKeyPair(secretKeyFile: secret) == pair)
        #expect(try CurveKeyPair.readKeys(publicPath) == [pair.publicKey])
        let mode = (try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600)
        #expect(throws: FedError.self) { try pair.write(to: dir, name: "node") }  // never overwrites
    }

    @Test func allowlistedClientIsAdmittedAndUnknownKeyIsRefused() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let friend = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let server = try await Server(keys: serverKeys, allowed: [friend.publicKey])
        let (good, goodTransport) = try await Self.client(keys: friend, serverKey: serverKeys.publicKey, port: server.port)
        let (bad, badTransport) = try await Self.client(keys: stranger, serverKey: serverKeys.publicKey, port: server.port)
        try await bad.send([Frame("from the stranger")])
        try await good.send([Frame("from the friend")])
        let received = try await server.router.receive(timeout: receiveTimeout)
        #expect(received.last?.text == "from the friend")
        #expect(await Self.silent(server.router))
        let counts = try #require(server.zap).counts
        #expect(counts.allowed >= 1)
        #expect(counts.denied >= 1)
        // The refusal did not disturb the admitted peer.
        try await good.send([Frame("still here")])
        #expect(try await server.router.receive(timeout: receiveTimeout).last?.text == "still here")
        await goodTransport.shutdown()
        await badTransport.shutdown()
        await server.stop()
    }

    @Test func plaintextClientIsRefusedByCurveServer() async throws {
        let serverKeys = try CurveKeyPair.generate()
        let server = try await Server(keys: serverKeys, allowed: [])
        let (plain, transport) = try await Self.client(keys: nil, serverKey: nil, port: server.port)
        try? await plain.send([Frame("hello in the clear")])
        #expect(await Self.silent(server.router, seconds: 2))
        // libzmq drops the peer in the ZMTP handshake (NULL vs CURVE), before ZAP is asked.
        #expect(try #require(server.zap).counts.allowed == 0)
        await transport.shutdown()
        await server.stop()
    }

    /// Runs the tamper scenario; returns what the router received after the flipped bit.
    static func tamperScenario(curve: Bool) async throws -> [String] {
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let server = try await Server(keys: curve ? serverKeys : nil, allowed: [clientKeys.publicKey])
        let proxy = try TCPProxy(target: server.port)
        let (dealer, transport) = try await client(keys: curve ? clientKeys : nil, serverKey: serverKeys.publicKey, port: proxy.port)
        try await dealer.send([Frame("first")])
        #expect(try await server.router.receive(timeout: receiveTimeout).last?.text == "first")
        proxy.armTamper()
        try await dealer.send([Frame("second")])
        var after: [String] = []
        while let message = try? await server.router.receive(timeout: .seconds(1)) { after.append(message.last?.text ?? "") }
        #expect(proxy.tampered == 1)
        proxy.stop()
        await transport.shutdown()
        await server.stop()
        return after
    }

    @Test func tamperedCiphertextIsDroppedWhilePlaintextWouldBeAltered() async throws {
        // Control: without CURVE the flipped bit reaches the application ("secone" instead of "second").
        #expect(try await Self.tamperScenario(curve: false) == ["secone"])
        // CURVE: the MAC check fails, libzmq drops the connection and nothing is delivered.
        #expect(try await Self.tamperScenario(curve: true) == [])
    }

    /// Records one session through the proxy, then replays its client bytes on a fresh connection.
    static func replayScenario(curve: Bool) async throws -> [String] {
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let server = try await Server(keys: curve ? serverKeys : nil, allowed: [clientKeys.publicKey])
        let proxy = try TCPProxy(target: server.port)
        let (dealer, transport) = try await client(keys: curve ? clientKeys : nil, serverKey: serverKeys.publicKey, port: proxy.port)
        try await dealer.send([Frame("pay 100")])
        #expect(try await server.router.receive(timeout: receiveTimeout).last?.text == "pay 100")
        let capture = proxy.recorded
        let port = server.port
        let replay = Task.detached { try TCPProxy.replay(capture, to: port, holdFor: 1) }
        var replayed: [String] = []
        while let message = try? await server.router.receive(timeout: .seconds(3)) { replayed.append(message.last?.text ?? "") }
        try await replay.value
        proxy.stop()
        await transport.shutdown()
        await server.stop()
        return replayed
    }

    @Test func replayedCaptureIsRefusedWhilePlaintextWouldBeAccepted() async throws {
        // Control: a plaintext capture replayed on a new connection delivers the message a second time.
        #expect(try await Self.replayScenario(curve: false) == ["pay 100"])
        // CURVE: the server's WELCOME carries a fresh cookie and ephemeral key, so the captured INITIATE
        // and MESSAGE boxes do not open; nothing is delivered.
        #expect(try await Self.replayScenario(curve: true) == [])
    }
}
