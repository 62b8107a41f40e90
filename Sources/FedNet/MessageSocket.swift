import FedCore

/// A socket of one ZeroMQ pattern that moves multipart messages (`[Frame]`), whichever transport made it.
///
/// All methods may be called from any task; the ZeroMQ implementation forwards them to the one thread
/// that owns the real socket. Control calls return once done (errors included); `send` returns once the
/// message is queued in the transport, throwing `.unknownPeer` (ROUTER to a vanished identity),
/// `.timeout` (no room or no peer within ``SocketOptions/sendTimeout``) or `.shutdown`.
public protocol MessageSocket: AnyObject, Sendable {
    /// The socket's pattern.
    var kind: SocketKind { get }
    /// Received messages; ends when the socket closes.
    var messages: MessageStream { get }
    /// Binds and returns the endpoint actually bound (`tcp://127.0.0.1:*` comes back with its port).
    func bind(_ endpoint: String) async throws -> String
    /// Connects to an endpoint (ZeroMQ completes and retries the connection in the background).
    func connect(_ endpoint: String) async throws
    /// Disconnects from (or unbinds) an endpoint.
    func disconnect(_ endpoint: String) async throws
    /// SUB: receive messages whose first frame starts with `topic` (empty = everything).
    func subscribe(_ topic: [UInt8]) async throws
    /// SUB: stop receiving `topic`.
    func unsubscribe(_ topic: [UInt8]) async throws
    /// Sends one multipart message; frames of shared buffers are sent without copying.
    func send(_ message: [Frame]) async throws
    /// Closes the socket and ends ``messages``; later calls fail with `.shutdown`. Idempotent.
    func close() async
}

extension MessageSocket {
    /// Receives the next message or throws `.timeout` after `timeout` (`.shutdown` once closed).
    public func receive(timeout: Duration) async throws -> [Frame] {
        try await messages.next(timeout: timeout)
    }

    /// SUB: subscribe to a UTF-8 topic.
    public func subscribe(_ topic: String) async throws { try await subscribe(Array(topic.utf8)) }

    /// SUB: unsubscribe from a UTF-8 topic.
    public func unsubscribe(_ topic: String) async throws { try await unsubscribe(Array(topic.utf8)) }
}
