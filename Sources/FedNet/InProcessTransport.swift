import FedCore
import Synchronization

/// A pure-Swift ``Transport`` with ZeroMQ's observable semantics for FedSwift's patterns, for fast,
/// deterministic tests of code written against ``Transport`` (grpc-swift-2's in-process transport idea).
///
/// Endpoints are names only (`inproc://`, `ipc://` and `tcp://` strings are all accepted; `tcp://host:*`
/// or `:0` get a made-up port). Frames are handed over by reference, like ZeroMQ's inproc. What it
/// mirrors: ROUTER identity frames and ROUTER_MANDATORY errors, DEALER round-robin, PUB/XPUB → SUB
/// prefix filtering with XPUB subscription notices, REQ/REP strict alternation, connect before bind,
/// and back-pressure (a sender waits while the receiver's buffer is full; PUB drops instead).
public struct InProcessTransport: Transport {
    let registry = InProcessRegistry()

    /// A transport with its own endpoint namespace.
    public init() {}

    /// Creates an in-process socket.
    public func makeSocket(_ kind: SocketKind, options: SocketOptions) async throws -> any MessageSocket {
        guard kind != .pair else { throw FedError(.invalidArgument, "PAIR is only offered by ZMQTransport") }
        return InProcessSocket(kind: kind, options: options, registry: registry)
    }

    /// Closes every socket made by this transport.
    public func shutdown() async {
        for socket in registry.shutdown() { await socket.close() }
    }
}

/// The endpoint namespace of one ``InProcessTransport``: who is bound where, and who waits to connect.
final class InProcessRegistry: Sendable {
    private struct State {
        var bound: [String: InProcessSocket] = [:]
        var waiting: [String: [InProcessSocket]] = [:]
        var sockets: [ObjectIdentifier: InProcessSocket] = [:]
        var nextPort = 49152
        var nextIdentity: UInt32 = 1
        var isShutDown = false
    }

    private let state = Mutex(State())

    /// A fresh identity in ZeroMQ's style for a socket without a routing id (a zero byte, then 4 bytes).
    func makeIdentity() -> [UInt8] {
        state.withLock { s in
            defer { s.nextIdentity += 1 }
            return [0] + withUnsafeBytes(of: s.nextIdentity.bigEndian, Array.init)
        }
    }

    /// Records a new socket, so ``shutdown()`` can close it.
    func register(_ socket: InProcessSocket) {
        state.withLock { $0.sockets[ObjectIdentifier(socket)] = socket }
    }

    /// Binds `socket` and returns the resolved endpoint plus the sockets that were waiting to connect.
    func bind(_ socket: InProcessSocket, _ endpoint: String) throws(FedError) -> (String, [InProcessSocket]) {
        try Self.validate(endpoint)
        return try state.withLock { s throws(FedError) in
            if s.isShutDown { throw FedError(.shutdown, "the transport is shut down") }
            var resolved = endpoint
            if endpoint.hasPrefix("tcp://"), endpoint.hasSuffix(":*") || endpoint.hasSuffix(":0") {
                resolved = String(endpoint.dropLast(2)) + ":\(s.nextPort)"
                s.nextPort += 1
            }
            if s.bound[resolved] != nil { throw FedError(.transport, "zmq_bind: Address already in use (\(resolved))") }
            s.bound[resolved] = socket
            return (resolved, s.waiting.removeValue(forKey: resolved) ?? [])
        }
    }

    /// The socket bound at `endpoint`, or `nil` after queueing `socket` to connect once someone binds.
    func connect(_ socket: InProcessSocket, _ endpoint: String) throws(FedError) -> InProcessSocket? {
        try Self.validate(endpoint)
        return try state.withLock { s throws(FedError) in
            if s.isShutDown { throw FedError(.shutdown, "the transport is shut down") }
            if let peer = s.bound[endpoint] { return peer }
            s.waiting[endpoint, default: []].append(socket)
            return nil
        }
    }

    /// Forgets `socket` at `endpoint` (bound or waiting).
    func detach(_ socket: InProcessSocket, _ endpoint: String) {
        state.withLock { s in
            if s.bound[endpoint] === socket { s.bound[endpoint] = nil }
            s.waiting[endpoint]?.removeAll { $0 === socket }
        }
    }

    /// Forgets `socket` everywhere (it closed).
    func remove(_ socket: InProcessSocket) {
        state.withLock { s in
            s.sockets[ObjectIdentifier(socket)] = nil
            s.bound = s.bound.filter { $0.value !== socket }
            for key in s.waiting.keys { s.waiting[key]?.removeAll { $0 === socket } }
        }
    }

    /// Refuses new binds and connects; returns every live socket for closing.
    func shutdown() -> [InProcessSocket] {
        state.withLock { s in
            s.isShutDown = true
            return Array(s.sockets.values)
        }
    }

    private static func validate(_ endpoint: String) throws(FedError) {
        let schemes = ["inproc://", "ipc://", "tcp://"]
        guard let scheme = schemes.first(where: endpoint.hasPrefix), endpoint.count > scheme.count else {
            throw FedError(.invalidArgument, "zmq_bind/connect: unsupported endpoint '\(endpoint)'")
        }
    }
}
