import FedCore
import Foundation
import Synchronization

/// A ZAP handler (ZeroMQ RFC 27, zguide ch.5 "Securing ZeroMQ") that admits CURVE clients whose public
/// key is on an allowlist and refuses everyone else.
///
/// libzmq asks it about every incoming CURVE handshake on every socket of the same context: the handler
/// is a REP socket bound to `inproc://zeromq.zap.01`, owned by its own socket thread like every FedNet
/// socket, and answered from a task. Start it before binding any CURVE server socket: a context without a
/// handler admits any key. Refusals are counted and logged (at most once per key every 30 s, because a
/// refused client reconnects and retries on its own). Plaintext peers never reach it: a CURVE server
/// socket drops them during the ZMTP handshake (mechanism mismatch).
public final class ZAPHandler: Sendable {
    /// The inproc endpoint libzmq sends ZAP requests to (fixed by RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    /// One handshake the handler judged.
    public struct Decision: Sendable {
        /// Whether the peer was let in (ZAP status 200).
        public let allowed: Bool
        /// The peer's security mechanism (`CURVE`, `NULL`, `PLAIN`).
        public let mechanism: String
        /// The peer's IP address as libzmq reports it.
        public let address: String
        /// ``CurveKeyPair/fingerprint(_:)`` of the client's public key (empty without CURVE).
        public let fingerprint: String
    }

    /// Counts since the handler started.
    public struct Counts: Sendable, Equatable {
        /// Handshakes admitted.
        public var allowed = 0
        /// Handshakes refused (unknown key or wrong mechanism).
        public var denied = 0
    }

    private struct State {
        var counts = Counts()
        var lastLogged: [String: ContinuousClock.Instant] = [:]
    }

    private let allowlist: Set<[UInt8]>
    private let state = Mutex(State())
    private let observer: @Sendable (Decision) -> Void
    private let socket: ZMQSocket
    private let server = Mutex<Task<Void, Never>?>(nil)

    /// Binds the handler in `context` and starts answering.
    ///
    /// - Parameters:
    ///   - allowlist: admitted client public keys (32 bytes each).
    ///   - observer: called for every decision (metrics); runs on the handler's task, keep it short.
    /// - Throws: `.transport` if another handler is already bound in this context.
    public init(context: ZMQContext, allowlist: [[UInt8]], observer: @escaping @Sendable (Decision) -> Void = { _ in }) async throws {
        self.allowlist = Set(allowlist)
        self.observer = observer
        var options = SocketOptions()
        options.linger = .zero
        options.heartbeatInterval = nil
        socket = try await ZMQSocket(context: context, kind: .rep, options: options)
        _ = try await socket.bind(Self.endpoint)
        let task = Task { [socket, weak self] in
            for await request in socket.messages {
                guard let reply = self?.answer(request) else { break }
                do { try await socket.send(reply) } catch { break }
            }
        }
        server.withLock { $0 = task }
    }

    /// Handshakes admitted and refused so far.
    public var counts: Counts { state.withLock { $0.counts } }

    /// Stops answering and closes the socket; later CURVE handshakes in this context find no handler.
    public func stop() async {
        server.withLock { $0?.cancel() }
        await socket.close()
    }

    /// The reply to one request `[version, request id, domain, address, identity, mechanism, credentials...]`.
    func answer(_ request: [Frame]) -> [Frame] {
        let text = request.map { String(decoding: $0.bytes, as: UTF8.self) }
        let requestID = request.count > 1 ? request[1] : Frame(copying: [])
        guard request.count >= 6, text[0] == "1.0" else {
            return Self.reply(requestID, status: "500", text: "malformed ZAP request", user: "")
        }
        let mechanism = text[5]
        let address = text[3]
        let key = request.count > 6 ? request[6].bytes : []
        let allowed = mechanism == "CURVE" && key.count == 32 && allowlist.contains(key)
        let fingerprint = key.count == 32 ? CurveKeyPair.fingerprint(key) : ""
        let decision = Decision(allowed: allowed, mechanism: mechanism, address: address, fingerprint: fingerprint)
        record(decision)
        observer(decision)
        if allowed { return Self.reply(requestID, status: "200", text: "OK", user: fingerprint) }
        let why = mechanism == "CURVE" ? "public key not on the allowlist" : "mechanism \(mechanism) not accepted"
        return Self.reply(requestID, status: "400", text: why, user: "")
    }

    private func record(_ decision: Decision) {
        let shouldLog = state.withLock { s -> Bool in
            if decision.allowed { s.counts.allowed += 1 } else { s.counts.denied += 1 }
            guard !decision.allowed else { return false }
            let now = ContinuousClock.now
            let key = decision.fingerprint + "|" + decision.mechanism
            if let last = s.lastLogged[key], now - last < .seconds(30) { return false }
            if s.lastLogged.count > 10_000 { s.lastLogged.removeAll() }  // bounded under a key-spraying peer
            s.lastLogged[key] = now
            return true
        }
        guard shouldLog else { return }
        let who = decision.fingerprint.isEmpty ? "no key" : decision.fingerprint
        let line = "[zap] refused peer=\(decision.address) mechanism=\(decision.mechanism) key=\(who) reason=\(decision.mechanism == "CURVE" ? "unknown_key" : "not_curve")\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func reply(_ requestID: Frame, status: String, text: String, user: String) -> [Frame] {
        [Frame(copying: Array("1.0".utf8)), requestID, Frame(copying: Array(status.utf8)),
         Frame(copying: Array(text.utf8)), Frame(copying: Array(user.utf8)), Frame(copying: [])]
    }
}
