import FedCore

/// One request as the async server's ROUTER receives it, and how to address the reply.
///
/// A REQ peer's message arrives as `[identity, empty delimiter, body...]` and its reply must carry the
/// delimiter back (zguide Chapter 3, "The Request-Reply Envelopes"); a DEALER peer (a sync client's
/// HELLO, which learns from WELCOME that this server is asynchronous) sends `[identity, body...]`.
struct RoutedRequest: Sendable {
    /// The ROUTER identity of the connection the request came on.
    let identity: Frame
    /// Whether the peer is a REQ socket (its messages carry the empty delimiter frame).
    let delimited: Bool
    /// The request itself: envelope and tensor frames.
    let body: [Frame]

    /// Splits a ROUTER message; nil when there is nothing after the identity (and delimiter).
    init?(_ parts: [Frame]) {
        guard parts.count >= 2 else { return nil }
        identity = parts[0]
        delimited = parts[1].count == 0
        body = Array(parts.dropFirst(delimited ? 2 : 1))
        guard !body.isEmpty else { return nil }
    }

    /// The ROUTER frames that send `reply` back to this request's peer.
    func reply(_ reply: [Frame]) -> [Frame] {
        delimited ? [identity, Frame(copying: [])] + reply : [identity] + reply
    }
}

/// A client process as the async server knows it (by the node id it sends, not by its connection:
/// a lazy-pirate client reconnects on a fresh socket after every lost reply).
struct AsyncPeer {
    /// Node id.
    let id: String
    /// Virtual clients it announced.
    var clients: Set<Int>
    /// Last request from it.
    var lastSeen: ContinuousClock.Instant
    /// Longest pause between two of its requests (its training time plus delay, roughly).
    var longestGap: Duration = .zero
    /// Replies to its recent PUSHes by task id, so a resent PUSH is answered, not applied twice. A
    /// scheduler relays many children's pushes under one id, so one remembered reply is not enough.
    var recentPushes = RecentReplies()
    /// Whether it was told BYE after the run finished.
    var toldBye = false

    /// Notes a request arriving now.
    mutating func seen(at now: ContinuousClock.Instant) {
        longestGap = max(longestGap, now - lastSeen)
        lastSeen = now
    }
}

/// The replies sent to a peer's most recent PUSHes, by task id, oldest dropped first (at most `capacity`).
struct RecentReplies {
    /// How many replies are remembered per peer: more than a relaying scheduler keeps in flight.
    static let capacity = 256
    private var order: [UInt64] = []
    private var replies: [UInt64: [Frame]] = [:]

    /// The reply sent to the PUSH with `taskID`, if it is still remembered.
    func reply(to taskID: UInt64) -> [Frame]? { replies[taskID] }

    /// Remembers `reply` as the answer to the PUSH with `taskID`, forgetting the oldest beyond capacity.
    mutating func remember(_ reply: [Frame], for taskID: UInt64) {
        if replies.updateValue(reply, forKey: taskID) == nil { order.append(taskID) }
        if order.count > Self.capacity {
            replies[order.removeFirst()] = nil
        }
    }
}
