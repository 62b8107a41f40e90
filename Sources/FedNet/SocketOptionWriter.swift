import CZeroMQ
import FedCore

/// Reads and writes a socket's options; used only on the socket's own thread (it is not `Sendable`).
struct SocketOptionWriter {
    /// The socket whose options are accessed.
    let handle: UnsafeMutableRawPointer
    /// The socket's pattern (some options apply to one pattern only).
    let kind: SocketKind

    /// Applies ``SocketOptions`` to a fresh socket: the single place where FedNet sets socket options.
    func apply(_ options: SocketOptions) throws(FedError) {
        try set(ZMQ_LINGER, options.linger.zmqMilliseconds)
        try set(ZMQ_SNDHWM, options.sendHighWaterMark)
        try set(ZMQ_RCVHWM, options.receiveHighWaterMark)
        try set(ZMQ_MAXMSGSIZE, int64: options.maxMessageSize)
        try set(ZMQ_RECONNECT_IVL, options.reconnectInterval.zmqMilliseconds)
        try set(ZMQ_RECONNECT_IVL_MAX, options.reconnectIntervalMax.zmqMilliseconds)
        try set(ZMQ_IMMEDIATE, options.immediate ? 1 : 0)
        if let interval = options.heartbeatInterval { try set(ZMQ_HEARTBEAT_IVL, interval.zmqMilliseconds) }
        if let timeout = options.heartbeatTimeout { try set(ZMQ_HEARTBEAT_TIMEOUT, timeout.zmqMilliseconds) }
        if let ttl = options.heartbeatTTL {
            // libzmq sends the TTL in deciseconds, and 4.3 multiplies them by 100 in a 16-bit integer at the
            // peer: anything above 65.5 s wraps to a tiny TTL there, so clamp to the longest honoured value.
            try set(ZMQ_HEARTBEAT_TTL, min(ttl.zmqMilliseconds, 65_500))
        }
        if let id = options.routingID { try set(ZMQ_ROUTING_ID, bytes: id) }
        switch kind {
        case .router:
            try set(ZMQ_ROUTER_MANDATORY, options.routerMandatory ? 1 : 0)
        case .xpub:
            try set(ZMQ_XPUB_VERBOSE, options.xpubVerbose ? 1 : 0)
        default:
            break
        }
        if let curve = options.curve { try applyCurve(curve) }
    }

    /// CURVE keys and, for servers, the ZAP domain (see ``ZAPHandler``).
    private func applyCurve(_ curve: CurveOptions) throws(FedError) {
        for key in [curve.publicKey, curve.secretKey, curve.serverKey].compactMap({ $0 }) where key.count != 32 {
            throw FedError(.invalidArgument, "CURVE keys are 32 bytes, got \(key.count)")
        }
        if curve.isServer {
            try set(ZMQ_CURVE_SERVER, 1)
            try set(ZMQ_CURVE_SECRETKEY, bytes: curve.secretKey)
            // Names the domain in ZAP requests; a ZAPHandler in the context judges every handshake.
            try set(ZMQ_ZAP_DOMAIN, bytes: Array("fedswift".utf8))
        } else {
            guard let publicKey = curve.publicKey, let serverKey = curve.serverKey else {
                throw FedError(.invalidArgument, "a CURVE client needs its public key and the server's key")
            }
            try set(ZMQ_CURVE_SERVERKEY, bytes: serverKey)
            try set(ZMQ_CURVE_PUBLICKEY, bytes: publicKey)
            try set(ZMQ_CURVE_SECRETKEY, bytes: curve.secretKey)
        }
    }

    /// Sets an `Int32` option.
    func set(_ option: Int32, _ value: Int32) throws(FedError) {
        var v = value
        _ = try ZMQCall.run("zmq_setsockopt") { zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) }
    }

    /// Sets an `Int64` option (only ZMQ_MAXMSGSIZE takes one).
    func set(_ option: Int32, int64 value: Int64) throws(FedError) {
        var v = value
        _ = try ZMQCall.run("zmq_setsockopt") { zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size) }
    }

    /// Sets a binary option (routing id, subscription topic, CURVE key).
    func set(_ option: Int32, bytes: [UInt8]) throws(FedError) {
        _ = try ZMQCall.run("zmq_setsockopt") {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }

    /// Reads a string option such as ZMQ_LAST_ENDPOINT.
    func string(_ option: Int32) throws(FedError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var length = buffer.count
        _ = try ZMQCall.run("zmq_getsockopt") { zmq_getsockopt(handle, option, &buffer, &length) }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
