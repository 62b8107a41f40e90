/// Per-socket configuration, applied in one place when the socket is created
/// (czmq's zsock habit: LINGER, HWMs, MAXMSGSIZE, ROUTER_MANDATORY and heartbeats set explicitly).
///
/// Durations are rounded to whole milliseconds, as ZeroMQ takes them. `nil` keeps libzmq's default.
public struct SocketOptions: Sendable, Equatable {
    /// How long `close` keeps unsent messages before dropping them (ZMQ_LINGER); bounds context shutdown.
    public var linger: Duration = .seconds(1)
    /// Outgoing high-water mark in messages (ZMQ_SNDHWM); past it sends wait for room (or drop, for PUB).
    public var sendHighWaterMark: Int32 = 1000
    /// Incoming high-water mark in messages (ZMQ_RCVHWM).
    public var receiveHighWaterMark: Int32 = 1000
    /// Largest accepted incoming message in bytes (ZMQ_MAXMSGSIZE); a bigger one drops the connection.
    public var maxMessageSize: Int64 = 2 << 30
    /// Sends to an unknown ROUTER identity fail with `.unknownPeer` instead of vanishing (ZMQ_ROUTER_MANDATORY).
    public var routerMandatory: Bool = true
    /// Interval between ZMTP heartbeat PINGs (ZMQ_HEARTBEAT_IVL); `nil` disables heartbeats.
    public var heartbeatInterval: Duration? = .seconds(5)
    /// How long to wait for a PONG before closing the connection (ZMQ_HEARTBEAT_TIMEOUT).
    public var heartbeatTimeout: Duration? = .seconds(15)
    /// How long the peer should keep the connection without traffic (ZMQ_HEARTBEAT_TTL); `nil`: none asked.
    public var heartbeatTTL: Duration? = .seconds(30)
    /// XPUB: pass every subscription notice up, not only the first per topic (ZMQ_XPUB_VERBOSE).
    public var xpubVerbose: Bool = false
    /// This socket's identity as a ROUTER peer sees it (ZMQ_ROUTING_ID); `nil` lets ZeroMQ pick one.
    public var routingID: [UInt8]? = nil
    /// First reconnect delay after a lost connection (ZMQ_RECONNECT_IVL).
    public var reconnectInterval: Duration = .milliseconds(100)
    /// Cap of the exponential reconnect back-off (ZMQ_RECONNECT_IVL_MAX); zero means no back-off.
    public var reconnectIntervalMax: Duration = .seconds(5)
    /// Queue messages only on completed connections (ZMQ_IMMEDIATE), so a dead peer does not swallow them.
    public var immediate: Bool = false
    /// How long a `send` may wait for room (HWM reached, no peer yet) before failing with `.timeout`;
    /// `nil` waits forever.
    public var sendTimeout: Duration? = .seconds(30)
    /// Received messages buffered for the consumer before the socket stops reading and lets HWM push back.
    public var receiveBufferMessages: Int = 16
    /// CURVE keys and role; `nil` means plaintext (see ``CurveOptions``).
    public var curve: CurveOptions? = nil

    /// Defaults suited to FedSwift's control and broadcast sockets.
    public init() {}
}

/// CURVE security for one socket (ZMQ_CURVE_*): 32-byte binary keys (zguide ch.5 / "Securing ZeroMQ").
///
/// A server sets `isServer` and its secret key; a client sets its own key pair and the server's public key.
public struct CurveOptions: Sendable, Equatable {
    /// Whether this socket plays the CURVE server role (ZMQ_CURVE_SERVER).
    public var isServer: Bool
    /// This socket's public key, 32 bytes (ZMQ_CURVE_PUBLICKEY); required for clients.
    public var publicKey: [UInt8]?
    /// This socket's secret key, 32 bytes (ZMQ_CURVE_SECRETKEY).
    public var secretKey: [UInt8]
    /// The server's public key, 32 bytes (ZMQ_CURVE_SERVERKEY); required for clients.
    public var serverKey: [UInt8]?

    /// A server's CURVE settings from its secret key.
    public static func server(secretKey: [UInt8]) -> CurveOptions {
        CurveOptions(isServer: true, publicKey: nil, secretKey: secretKey, serverKey: nil)
    }

    /// A client's CURVE settings: its own key pair and the server's public key.
    public static func client(publicKey: [UInt8], secretKey: [UInt8], serverKey: [UInt8]) -> CurveOptions {
        CurveOptions(isServer: false, publicKey: publicKey, secretKey: secretKey, serverKey: serverKey)
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` as ZeroMQ's options take them.
    var zmqMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
