/// The ZeroMQ messaging patterns a FedSwift transport offers (zguide ch.2 "Messaging Patterns").
public enum SocketKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Routes by identity: received messages get a leading identity frame; sends route by it.
    case router
    /// Asynchronous request/reply peer of a ROUTER; round-robins sends over its connections.
    case dealer
    /// Publishes to subscribers whose topic is a prefix of the first frame; never receives.
    case pub
    /// A PUB that also delivers subscription notices (`[1|0] + topic`) as received messages.
    case xpub
    /// Receives published messages whose first frame starts with a subscribed topic.
    case sub
    /// Strict request/reply client: send, receive, send, receive (zguide ch.3, lazy pirate in ch.4).
    case req
    /// Strict request/reply server: receive, send, receive, send.
    case rep
    /// Exclusive pair of two sockets (ZeroMQ transport only).
    case pair

    /// The pattern's name in capitals, as the zguide writes it.
    public var description: String { rawValue.uppercased() }

    /// Whether this kind can receive messages at all.
    var canReceive: Bool { self != .pub }

    /// Whether this kind can send messages at all.
    var canSend: Bool { self != .sub }
}
