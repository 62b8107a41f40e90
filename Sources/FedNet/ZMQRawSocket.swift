import CZeroMQ
import FedCore

/// A libzmq socket handle, owned by exactly one socket thread from creation to `close`.
///
/// Deliberately neither `Sendable` nor copyable: the compiler refuses to let it leave the thread that
/// created it (zguide ch.2 "Multithreading with ZeroMQ": never use or close a socket from another thread).
struct ZMQRawSocket: ~Copyable {
    /// The `void *` libzmq returned.
    let handle: UnsafeMutableRawPointer
    /// The socket's pattern.
    let kind: SocketKind

    /// Creates the socket in `context` and applies every option (the one place options are set).
    init(context: ZMQContext, kind: SocketKind, options: SocketOptions) throws(FedError) {
        let raw = try ZMQCall.pointer("zmq_socket") { zmq_socket(context.handle, kind.zmqType) }
        do {
            try SocketOptionWriter(handle: raw, kind: kind).apply(options)
        } catch {
            zmq_close(raw)
            throw error
        }
        self.handle = raw
        self.kind = kind
    }

    /// Closes the socket now (ending the value's life runs `deinit`).
    consuming func close() {}

    deinit {
        // zmq_close only fails on a bad handle. Unsent messages stay in libzmq's reaper for up to LINGER.
        _ = zmq_close(handle)
    }

    /// Option access for this socket (subscriptions, ZMQ_LAST_ENDPOINT).
    var options: SocketOptionWriter { SocketOptionWriter(handle: handle, kind: kind) }

    /// Binds and returns the endpoint actually bound (resolves `tcp://host:*` and `:0` to the port).
    func bind(_ endpoint: String) throws(FedError) -> String {
        _ = try ZMQCall.run("zmq_bind") { zmq_bind(handle, endpoint) }
        return try options.string(ZMQ_LAST_ENDPOINT)
    }

    /// Connects; ZeroMQ connects (and reconnects) in the background.
    func connect(_ endpoint: String) throws(FedError) {
        _ = try ZMQCall.run("zmq_connect") { zmq_connect(handle, endpoint) }
    }

    /// Disconnects from a connected endpoint, or unbinds a bound one.
    func detach(_ endpoint: String) throws(FedError) {
        do {
            _ = try ZMQCall.run("zmq_disconnect") { zmq_disconnect(handle, endpoint) }
        } catch {
            // zmq_disconnect reports ENOENT for bound endpoints; those are removed with zmq_unbind.
            _ = try ZMQCall.run("zmq_unbind") { zmq_unbind(handle, endpoint) }
        }
    }
}

extension SocketKind {
    /// The libzmq socket type constant.
    var zmqType: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .pub: return ZMQ_PUB
        case .xpub: return ZMQ_XPUB
        case .sub: return ZMQ_SUB
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .pair: return ZMQ_PAIR
        }
    }
}
