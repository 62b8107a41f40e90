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
    /// Task id of its last counted PUSH and the reply sent, so a resent PUSH is answered, not applied twice.
    var lastPush: (taskID: UInt64, reply: [Frame])?
    /// Whether it was told BYE after the run finished.
    var toldBye = false

    /// Notes a request arriving now.
    mutating func seen(at now: ContinuousClock.Instant) {
        longestGap = max(longestGap, now - lastSeen)
        lastSeen = now
    }
}
