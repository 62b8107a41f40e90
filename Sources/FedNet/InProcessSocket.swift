import FedCore
import Synchronization

/// One socket of an ``InProcessTransport``: pure Swift state behind a `Mutex`, no thread of its own.
///
/// Peer methods are never called while holding this socket's lock, so two sockets never deadlock.
final class InProcessSocket: MessageSocket {
    /// A connection to another socket.
    struct Link {
        let peer: InProcessSocket
        let endpoint: String
    }

    /// Where a REQ or REP socket is in its send/receive alternation.
    enum Turn {
        case idle
        case awaitingReply(from: ObjectIdentifier)
    }

    struct State {
        var closed = false
        var links: [Link] = []
        var nextLink = 0
        var bound: [String] = []
        /// SUB: own topic filters (one entry per subscribe call, as ZeroMQ counts them).
        var topics: [[UInt8]] = []
        /// PUB/XPUB: each subscriber's topic filters.
        var subscriberTopics: [ObjectIdentifier: [[UInt8]]] = [:]
        /// REQ: whether a reply is awaited.
        var turn = Turn.idle
        /// REP: requests not yet handed to the consumer, and the one being answered.
        var requests: [(peer: InProcessSocket, envelope: [Frame], body: [Frame])] = []
        var answering: (peer: InProcessSocket, envelope: [Frame])?
    }

    /// The socket's pattern.
    let kind: SocketKind
    /// Received messages, with back-pressure.
    let messages: MessageStream
    let options: SocketOptions
    /// How a ROUTER peer names this socket.
    let identity: [UInt8]
    let inbox: MessageInbox
    let state = Mutex(State())
    private let registry: InProcessRegistry

    init(kind: SocketKind, options: SocketOptions, registry: InProcessRegistry) {
        self.kind = kind
        self.options = options
        self.registry = registry
        self.inbox = MessageInbox(capacity: options.receiveBufferMessages)
        self.messages = MessageStream(inbox: inbox)
        self.identity = options.routingID ?? registry.makeIdentity()
        registry.register(self)
    }

    func bind(_ endpoint: String) async throws -> String {
        try checkOpen()
        let (resolved, waiting) = try registry.bind(self, endpoint)
        state.withLock { $0.bound.append(resolved) }
        for socket in waiting { link(socket, self, endpoint: resolved) }
        return resolved
    }

    func connect(_ endpoint: String) async throws {
        try checkOpen()
        if let peer = try registry.connect(self, endpoint) { link(self, peer, endpoint: endpoint) }
    }

    func disconnect(_ endpoint: String) async throws {
        try checkOpen()
        registry.detach(self, endpoint)
        let dropped = state.withLock { s in
            s.bound.removeAll { $0 == endpoint }
            defer { s.links.removeAll { $0.endpoint == endpoint } }
            return s.links.filter { $0.endpoint == endpoint }.map(\.peer)
        }
        for peer in dropped { peer.unlink(self) }
    }

    func subscribe(_ topic: [UInt8]) async throws {
        try checkOpen()
        guard kind == .sub else { throw FedError(.invalidArgument, "zmq_setsockopt: only SUB sockets subscribe") }
        let (first, peers) = state.withLock { s in
            s.topics.append(topic)
            return (s.topics.count(where: { $0 == topic }) == 1, s.links.map(\.peer))
        }
        // Like a SUB socket, tell publishers only about a topic's first subscription.
        if first { for peer in peers { peer.subscriptionChanged(by: self, topic: topic, subscribed: true) } }
    }

    func unsubscribe(_ topic: [UInt8]) async throws {
        try checkOpen()
        guard kind == .sub else { throw FedError(.invalidArgument, "zmq_setsockopt: only SUB sockets subscribe") }
        let (last, peers) = state.withLock { s -> (Bool, [InProcessSocket]) in
            guard let index = s.topics.firstIndex(of: topic) else { return (false, []) }
            s.topics.remove(at: index)
            return (!s.topics.contains(topic), s.links.map(\.peer))
        }
        if last { for peer in peers { peer.subscriptionChanged(by: self, topic: topic, subscribed: false) } }
    }

    func send(_ message: [Frame]) async throws {
        try checkOpen()
        guard !message.isEmpty else { throw FedError(.invalidArgument, "a message needs at least one frame") }
        let deadline = options.sendTimeout.map { ContinuousClock.now.advanced(by: $0) }
        switch kind {
        case .router: try await sendRouted(message, deadline: deadline)
        case .dealer: try await peerWhenReady(deadline: deadline).accept(message, from: self, deadline: deadline)
        case .req: try await sendRequest(message, deadline: deadline)
        case .rep: try await sendReply(message, deadline: deadline)
        case .pub, .xpub: await publish(message)
        case .sub: throw FedError(.invalidArgument, "zmq_msg_send: SUB sockets cannot send")
        case .pair: throw FedError(.invalidArgument, "PAIR is only offered by ZMQTransport")
        }
    }

    func close() async {
        let links = state.withLock { s -> [Link] in
            if s.closed { return [] }
            s.closed = true
            defer { s.links = []; s.requests = []; s.answering = nil }
            return s.links
        }
        registry.remove(self)
        inbox.finish()
        for link in links { link.peer.unlink(self) }
    }

    func checkOpen() throws(FedError) {
        if state.withLock({ $0.closed }) { throw FedError(.shutdown, "the socket is closed") }
    }

    /// Connects two sockets both ways and replays a subscriber's topics to its new publisher.
    private func link(_ connecting: InProcessSocket, _ binder: InProcessSocket, endpoint: String) {
        connecting.state.withLock { $0.links.append(Link(peer: binder, endpoint: endpoint)) }
        binder.state.withLock { $0.links.append(Link(peer: connecting, endpoint: endpoint)) }
        for (subscriber, publisher) in [(connecting, binder), (binder, connecting)] where subscriber.kind == .sub {
            let topics = Set(subscriber.state.withLock { $0.topics })
            for topic in topics { publisher.subscriptionChanged(by: subscriber, topic: topic, subscribed: true) }
        }
    }
}
