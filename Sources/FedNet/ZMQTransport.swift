import FedCore

/// The production ``Transport``: real ZeroMQ sockets (inproc, ipc, tcp) sharing one context.
public struct ZMQTransport: Transport {
    /// The context every socket of this transport lives in.
    public let context: ZMQContext

    /// A transport over a new context with `ioThreads` I/O threads.
    public init(ioThreads: Int32 = 1) throws {
        self.context = try ZMQContext(ioThreads: ioThreads)
    }

    /// A transport over an existing context (to share inproc endpoints with other code).
    public init(context: ZMQContext) {
        self.context = context
    }

    /// Creates a socket served by its own thread.
    public func makeSocket(_ kind: SocketKind, options: SocketOptions) async throws -> any MessageSocket {
        try await ZMQSocket(context: context, kind: kind, options: options)
    }

    /// Shuts the context down: every socket's thread sees ETERM, fails pending sends and closes.
    public func shutdown() async {
        context.shutdown()
    }
}
