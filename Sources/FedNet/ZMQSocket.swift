import FedCore
import Foundation

/// A ZeroMQ socket served by its own thread; every method just posts a command to that thread.
///
/// The libzmq socket itself never leaves the thread (``ZMQRawSocket`` is not `Sendable`); this handle is
/// the actor's mailbox plus its message stream, and is safe to use from any task. Dropping the last
/// reference closes the socket, so keep it while you read ``messages``.
public final class ZMQSocket: MessageSocket {
    /// The socket's pattern.
    public let kind: SocketKind
    /// Received messages, with back-pressure; ends when the socket closes.
    public let messages: MessageStream
    private let mailbox: SocketMailbox

    /// Starts the socket thread and waits until it has created and configured the socket.
    init(context: ZMQContext, kind: SocketKind, options: SocketOptions) async throws {
        let mailbox = try SocketMailbox()
        let inbox = MessageInbox(capacity: options.receiveBufferMessages) { [weak mailbox] in mailbox?.wake() }
        self.kind = kind
        self.mailbox = mailbox
        self.messages = MessageStream(inbox: inbox)
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                ZMQSocketLoop(kind: kind, options: options, mailbox: mailbox, inbox: inbox)
                    .run(context: context, ready: ready)
            }
            thread.name = "fedswift.zmq.\(kind.rawValue)"
            thread.start()
        }
    }

    deinit {
        _ = mailbox.post(.close(nil))
    }

    /// Binds and returns the endpoint actually bound (ZMQ_LAST_ENDPOINT).
    public func bind(_ endpoint: String) async throws -> String {
        try await control { .bind(endpoint, $0) }
    }

    /// Connects; ZeroMQ completes (and retries) the connection in the background.
    public func connect(_ endpoint: String) async throws {
        _ = try await control { .connect(endpoint, $0) }
    }

    /// Disconnects from a connected endpoint or unbinds a bound one.
    public func disconnect(_ endpoint: String) async throws {
        _ = try await control { .disconnect(endpoint, $0) }
    }

    /// SUB: adds a topic prefix filter.
    public func subscribe(_ topic: [UInt8]) async throws {
        _ = try await control { .subscribe(topic, $0) }
    }

    /// SUB: removes a topic prefix filter.
    public func unsubscribe(_ topic: [UInt8]) async throws {
        _ = try await control { .unsubscribe(topic, $0) }
    }

    /// Queues a multipart message and returns once libzmq accepted it; frames of 512 bytes or more are
    /// sent zero-copy, so their buffers must not change afterwards (they are immutable by contract).
    public func send(_ message: [Frame]) async throws {
        guard !message.isEmpty else { throw FedError(.invalidArgument, "a message needs at least one frame") }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if !mailbox.post(.send(message, done)) { done.resume(throwing: Self.closedError) }
        }
    }

    /// Closes the socket (after LINGER for unsent messages) and waits for its thread to finish.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            if !mailbox.post(.close(done)) { done.resume() }
        }
    }

    private func control(_ make: (SocketCommand.Ack) -> SocketCommand) async throws -> String {
        try await withCheckedThrowingContinuation { (ack: SocketCommand.Ack) in
            let command = make(ack)
            if !mailbox.post(command) { ack.resume(throwing: Self.closedError) }
        }
    }

    private static let closedError = FedError(.shutdown, "the socket is closed")
}
