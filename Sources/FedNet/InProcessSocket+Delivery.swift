import FedCore

/// How messages move between in-process sockets, pattern by pattern (zguide ch.2 and ch.3).
extension InProcessSocket {
    /// ROUTER: the first frame names the peer; an unknown name fails like ROUTER_MANDATORY.
    func sendRouted(_ message: [Frame], deadline: ContinuousClock.Instant?) async throws {
        let id = message[0].bytes
        let peer = state.withLock { s in s.links.first { $0.peer.identity == id }?.peer }
        guard let peer else {
            guard options.routerMandatory else { return }
            throw FedError(.unknownPeer, "zmq_msg_send: no connected peer has that routing id (ROUTER_MANDATORY)")
        }
        try await peer.accept(Array(message.dropFirst()), from: self, deadline: deadline)
    }

    /// DEALER/REQ: the next peer in round-robin order, waiting (until `deadline`) while there is none,
    /// as ZeroMQ queues sends until a connection exists.
    func peerWhenReady(deadline: ContinuousClock.Instant?) async throws -> InProcessSocket {
        while true {
            try checkOpen()
            let peer = state.withLock { s -> InProcessSocket? in
                guard !s.links.isEmpty else { return nil }
                defer { s.nextLink += 1 }
                return s.links[s.nextLink % s.links.count].peer
            }
            if let peer { return peer }
            if let deadline, ContinuousClock.now >= deadline {
                throw FedError(.timeout, "send waited longer than the send timeout for a peer")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// REQ: only one request in flight; it travels with an empty delimiter frame, as on the wire.
    func sendRequest(_ message: [Frame], deadline: ContinuousClock.Instant?) async throws {
        if case .awaitingReply = state.withLock({ $0.turn }) {
            throw FedError(.invalidArgument, "zmq_msg_send: a REQ socket must receive the reply first (EFSM)")
        }
        let peer = try await peerWhenReady(deadline: deadline)
        state.withLock { $0.turn = .awaitingReply(from: ObjectIdentifier(peer)) }
        try await peer.accept([Frame(buffer: SharedBuffer(count: 0) { _ in })] + message, from: self,
                              deadline: deadline)
    }

    /// REP: answers the request being served, then hands the next queued request to the consumer.
    func sendReply(_ message: [Frame], deadline: ContinuousClock.Instant?) async throws {
        let (current, next) = state.withLock { s -> ((InProcessSocket, [Frame])?, [Frame]?) in
            guard let answering = s.answering else { return (nil, nil) }
            s.answering = nil
            guard !s.requests.isEmpty else { return ((answering.peer, answering.envelope), nil) }
            let request = s.requests.removeFirst()
            s.answering = (request.peer, request.envelope)
            return ((answering.peer, answering.envelope), request.body)
        }
        guard let (peer, envelope) = current else {
            throw FedError(.invalidArgument, "zmq_msg_send: a REP socket must receive a request first (EFSM)")
        }
        if let next { _ = inbox.tryPush(next) }
        try await peer.accept(envelope + message, from: self, deadline: deadline)
    }

    /// PUB/XPUB: every subscriber gets it; a subscriber that lags loses it (PUB never blocks).
    func publish(_ message: [Frame]) async {
        let peers = state.withLock { s in s.links.map(\.peer).filter { $0.kind == .sub } }
        for peer in peers { try? await peer.accept(message, from: self, deadline: nil) }
    }

    /// Takes a message from a connected peer, as this socket's pattern receives it.
    func accept(_ message: [Frame], from sender: InProcessSocket, deadline: ContinuousClock.Instant?) async throws {
        switch kind {
        case .router:
            try await inbox.push([Frame(copying: sender.identity)] + message, deadline: deadline)
        case .dealer, .pair:
            try await inbox.push(message, deadline: deadline)
        case .sub:
            let wanted = state.withLock { s in s.topics.contains { Self.frame(message[0], startsWith: $0) } }
            if wanted { _ = inbox.tryPush(message) }
        case .req:
            let expected = state.withLock { s -> Bool in
                guard case .awaitingReply(let from) = s.turn, from == ObjectIdentifier(sender),
                      message.first?.count == 0 else { return false }
                s.turn = .idle
                return true
            }
            if expected { try await inbox.push(Array(message.dropFirst()), deadline: deadline) }
        case .rep:
            guard let split = message.firstIndex(where: { $0.count == 0 }) else { return }  // no envelope: dropped
            let body = Array(message[(split + 1)...])
            let deliver = state.withLock { s -> Bool in
                if s.answering == nil {
                    s.answering = (sender, Array(message[...split]))
                    return true
                }
                s.requests.append((sender, Array(message[...split]), body))
                return false
            }
            if deliver { _ = inbox.tryPush(body) }
        case .pub, .xpub:
            break  // publishers receive only subscriptions, through subscriptionChanged
        }
    }

    /// PUB/XPUB: a subscriber's filter changed; XPUB reports `[1|0] + topic` like ZeroMQ (the first
    /// subscription and the last unsubscription of a topic, or every subscription when verbose).
    func subscriptionChanged(by subscriber: InProcessSocket, topic: [UInt8], subscribed: Bool) {
        guard kind == .pub || kind == .xpub else { return }
        let key = ObjectIdentifier(subscriber)
        let notify = state.withLock { s -> Bool in
            if subscribed {
                s.subscriberTopics[key, default: []].append(topic)
            } else if let index = s.subscriberTopics[key]?.firstIndex(of: topic) {
                s.subscriberTopics[key]?.remove(at: index)
            } else {
                return false
            }
            let holders = s.subscriberTopics.values.reduce(0) { $0 + $1.count(where: { $0 == topic }) }
            return subscribed ? (holders == 1 || options.xpubVerbose) : holders == 0
        }
        if kind == .xpub, notify { _ = inbox.tryPush([Frame(copying: [subscribed ? 1 : 0] + topic)]) }
    }

    /// Forgets a peer that closed or disconnected; a publisher drops its subscriptions.
    func unlink(_ peer: InProcessSocket) {
        let topics = state.withLock { s -> [[UInt8]] in
            s.links.removeAll { $0.peer === peer }
            s.requests.removeAll { $0.peer === peer }
            return s.subscriberTopics[ObjectIdentifier(peer)] ?? []
        }
        for topic in topics { subscriptionChanged(by: peer, topic: topic, subscribed: false) }
    }

    private static func frame(_ frame: Frame, startsWith topic: [UInt8]) -> Bool {
        guard frame.count >= topic.count else { return false }
        return frame.withUnsafeBytes { bytes in topic.indices.allSatisfy { bytes[$0] == topic[$0] } }
    }
}
