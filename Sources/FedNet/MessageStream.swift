import FedCore

/// The multipart messages a socket receives, in order, with back-pressure.
///
/// At most ``SocketOptions/receiveBufferMessages`` messages wait here; while it is full the socket stops
/// reading, so the sender's high-water mark pushes back instead of memory growing. The sequence ends
/// when the socket closes (or its context shuts down). Read it from one task at a time.
public struct MessageStream: AsyncSequence, Sendable {
    /// One multipart message (a ROUTER's starts with the sender's identity frame).
    public typealias Element = [Frame]
    /// Receiving never throws: failures end the sequence.
    public typealias Failure = Never

    let inbox: MessageInbox

    /// Messages buffered and not yet consumed (never more than the buffer's capacity).
    public var bufferedCount: Int { inbox.count }

    /// The most messages this stream buffers.
    public var capacity: Int { inbox.capacity }

    /// Creates the iterator.
    public func makeAsyncIterator() -> Iterator { Iterator(inbox: inbox) }

    /// Waits for the next message at most `timeout`; throws `.timeout`, or `.shutdown` once the stream ended.
    public func next(timeout: Duration) async throws(FedError) -> [Frame] {
        let inbox = self.inbox
        let deadline = ContinuousClock.now.advanced(by: timeout)
        if let message = await Deadline.run(until: deadline, { await inbox.next() }) { return message }
        if inbox.isFinished && inbox.count == 0 { throw FedError(.shutdown, "the socket is closed") }
        throw FedError(.timeout, "no message within \(timeout)")
    }

    /// Iterates the stream's messages.
    public struct Iterator: AsyncIteratorProtocol {
        let inbox: MessageInbox

        /// The next message, or `nil` once the socket closed and every buffered message was read.
        public mutating func next() async -> [Frame]? { await inbox.next() }
    }
}
