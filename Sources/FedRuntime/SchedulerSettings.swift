import FedCore

/// What a scheduler needs: its upstream (a server or another scheduler) and the endpoints its children
/// (client processes or schedulers) connect to.
public struct SchedulerSettings: Sendable {
    /// The upstream's ROUTER endpoint.
    public var upstreamControl: String
    /// The upstream's XPUB endpoint; nil for an async upstream (which has none), or to take a sync
    /// upstream's model by PULL on control each round.
    public var upstreamBroadcast: String?
    /// ROUTER endpoint this scheduler's children connect to.
    public var control = "tcp://*:6555"
    /// XPUB endpoint the round's model is re-published on (topic = child id).
    public var broadcast = "tcp://*:6556"
    /// Node id: the DEALER routing id and broadcast topic upstream; stable across restarts so the upstream
    /// sees the same group rejoin.
    public var id: String
    /// Seconds between heartbeats with the children; a child silent for 3 of them (at least 3 s) is dropped.
    public var heartbeat = 1.0
    /// Seconds of upstream silence after which the scheduler joins again (nil: max(10 heartbeats, 10 s)).
    public var upstreamTimeout: Double?
    /// Seconds between HELLO attempts while not joined upstream.
    public var helloInterval = 1.0
    /// Seconds without the round's model after a FIT before the scheduler PULLs it upstream; in async
    /// mode, seconds before a PULL upstream that got no answer is sent again.
    public var pullAfter = 2.0
    /// Share of the upstream's round timeout after which the group reports without its stragglers, so the
    /// group result reaches the upstream before its own deadline.
    public var groupDeadline = 0.8
    /// How the group's partial sum is sent upstream.
    public var partialSum = PartialSumFormat.float32
    /// Slowest link (bytes/s) a model must cross: the upstream PULL waits the model's transfer time at
    /// this rate on top of ``pullAfter``; 0 also restores the fixed 3-heartbeat ZMTP deadlines.
    public var linkFloor = HeartbeatDeadlines.defaultLinkFloor

    /// Settings with the defaults above.
    public init(upstreamControl: String, upstreamBroadcast: String?, id: String) {
        self.upstreamControl = upstreamControl
        self.upstreamBroadcast = upstreamBroadcast
        self.id = id
    }

    /// Seconds of silence after which a child counts as dead.
    var deadAfter: Double { max(3 * heartbeat, 3) }

    /// Checks the values a person typed.
    public func validate() throws(FedError) {
        guard heartbeat > 0, helloInterval > 0, pullAfter > 0 else {
            throw FedError(.invalidArgument, "--heartbeat, hello and pull intervals must be positive")
        }
        guard linkFloor >= 0 else { throw FedError(.invalidArgument, "--link-floor must be at least 0") }
        guard groupDeadline > 0, groupDeadline < 1 else { throw FedError(.invalidArgument, "--group-deadline must be in (0, 1)") }
        guard !id.isEmpty, !id.utf8.contains(0) else { throw FedError(.invalidArgument, "--id must be a non-empty name") }
        if let upstreamTimeout, upstreamTimeout <= 0 { throw FedError(.invalidArgument, "--upstream-timeout must be positive") }
    }
}
