/// ZMTP heartbeat deadlines of a federation socket, sized to the largest message its connections carry.
///
/// libzmq cancels a connection's heartbeat timers (the PONG timeout and the peer's TTL) only when it has
/// decoded a complete message, and a PING or PONG queued behind a large message in the same TCP stream
/// arrives only after it. A model that needs longer than the deadline to cross the link therefore looks
/// like a dead peer to both ends, and libzmq drops the connection mid-transfer. So a node that knows its
/// model size (a server) allows the model's transfer time at `linkFloor` bytes/s on top of the usual
/// 3 heartbeats, for its own PONG timeout and for the TTL its PINGs ask of the peer. A node that cannot
/// know the size when it connects (a client, a scheduler: libzmq fixes a connection's heartbeat options
/// when the socket connects or binds) asks no TTL of its peer and waits ``longestTimeout`` for a PONG;
/// the server's PINGs still carry the sized TTL, so a dead server is noticed as soon as that TTL allows.
/// Dead children are noticed by the application heartbeats in any case.
public struct HeartbeatDeadlines: Sendable, Equatable {
    /// Seconds between PINGs (ZMQ_HEARTBEAT_IVL).
    public var interval: Double
    /// Seconds without any message after a PING before the connection is dropped (ZMQ_HEARTBEAT_TIMEOUT).
    public var timeout: Double
    /// Seconds of silence after a PING the peer is asked to allow (ZMQ_HEARTBEAT_TTL); nil: none asked.
    public var ttl: Double?

    /// Default slowest link a model must cross, in bytes/s per connection (1 MB/s: a 100 Mbit/s link shared
    /// by 12 transfers).
    public static let defaultLinkFloor = 1e6
    /// Longest TTL libzmq 4.3 honours: it multiplies the PING's deciseconds by 100 in a 16-bit integer, so
    /// anything above 65.5 s wraps to a few milliseconds at the peer.
    public static let longestTTL = 65.5
    /// Longest PONG timeout: a size-scaled timeout stops here, and it is the timeout of unknown-size sockets.
    public static let longestTimeout = 600.0

    /// Deadlines for heartbeats every `heartbeat` seconds on connections whose largest message is
    /// `largestMessageBytes` (nil: unknown when the socket connects) over links of at least `linkFloor`
    /// bytes/s; a `linkFloor` of 0 turns the scaling off (3 heartbeats, at least 3 s, whatever the size).
    public static func sized(heartbeat: Double, largestMessageBytes: Int?, linkFloor: Double = defaultLinkFloor) -> HeartbeatDeadlines {
        let base = max(3 * heartbeat, 3)
        guard linkFloor > 0 else { return HeartbeatDeadlines(interval: heartbeat, timeout: base, ttl: base) }
        guard let bytes = largestMessageBytes else {
            return HeartbeatDeadlines(interval: heartbeat, timeout: max(base, longestTimeout), ttl: nil)
        }
        let timeout = max(base, min(base + Double(max(bytes, 0)) / linkFloor, longestTimeout))
        return HeartbeatDeadlines(interval: heartbeat, timeout: timeout, ttl: timeout <= longestTTL ? timeout : nil)
    }
}
