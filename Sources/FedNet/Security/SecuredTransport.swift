import FedCore

/// What a node enforces on every socket it makes: CURVE keys and resource limits.
///
/// Roles follow the socket pattern, so one value serves servers, clients and schedulers alike: sockets
/// that accept connections (ROUTER, XPUB, PUB, REP) play the CURVE server with ``keyPair``; sockets that
/// connect out (DEALER, SUB, REQ, PAIR) play the CURVE client with ``keyPair`` and ``serverKey``.
public struct TransportSecurity: Sendable, Equatable {
    /// This node's key pair; `nil` means plaintext (every other CURVE field is then ignored).
    public var keyPair: CurveKeyPair?
    /// The upstream server's public key, required for connecting sockets under CURVE.
    public var serverKey: [UInt8]?
    /// Largest accepted incoming frame in bytes (ZMQ_MAXMSGSIZE): a bigger one drops the connection.
    public var maxMessageBytes: Int64 = 1 << 30
    /// Most incoming messages queued per socket before ZeroMQ stops reading from peers (ZMQ_RCVHWM).
    public var maxPendingMessages: Int32 = 1000

    /// Plaintext with the default limits (1 GiB frames, 1000 queued messages).
    public init() {}

    /// Whether sockets get CURVE keys.
    public var isEncrypted: Bool { keyPair != nil }

    /// Applies the keys and limits to the options of a socket of `kind`.
    ///
    /// - Throws: `.invalidArgument` for a connecting socket under CURVE without ``serverKey``.
    public func apply(to options: inout SocketOptions, kind: SocketKind) throws(FedError) {
        options.maxMessageSize = min(options.maxMessageSize, maxMessageBytes)
        options.receiveHighWaterMark = min(options.receiveHighWaterMark, maxPendingMessages)
        guard let keyPair else { return }
        switch kind {
        case .router, .xpub, .pub, .rep:
            options.curve = .server(secretKey: keyPair.secretKey)
        case .dealer, .sub, .req, .pair:
            guard let serverKey else {
                throw FedError(.invalidArgument, "a CURVE \(kind.rawValue) socket needs the server's public key (--server-key)")
            }
            options.curve = .client(publicKey: keyPair.publicKey, secretKey: keyPair.secretKey, serverKey: serverKey)
        }
    }
}

/// A ``ZMQTransport`` whose sockets all get ``TransportSecurity`` (keys by role, limits), so nodes stay
/// unaware of security: the command line wraps the transport, the nodes just make sockets.
public struct SecuredTransport: Transport {
    /// The underlying transport; its context also hosts the ``ZAPHandler``.
    public let base: ZMQTransport
    /// Keys and limits applied to every socket.
    public let security: TransportSecurity

    /// Wraps `base` so every socket it makes gets `security`.
    public init(base: ZMQTransport, security: TransportSecurity) {
        self.base = base
        self.security = security
    }

    /// Creates a socket with the caller's options plus this transport's keys and limits.
    public func makeSocket(_ kind: SocketKind, options: SocketOptions) async throws -> any MessageSocket {
        var secured = options
        try security.apply(to: &secured, kind: kind)
        return try await base.makeSocket(kind, options: secured)
    }

    /// Shuts the underlying context down.
    public func shutdown() async { await base.shutdown() }
}
