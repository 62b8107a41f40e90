import FedCore

/// What a scheduler keeps to serve async children through its upstream join (docs/PROTOCOL.md §10.3):
/// the model version the upstream last reported, the model of that version, and the requests it forwarded.
struct AsyncRelay {
    /// Upstream session these facts belong to (a restarted upstream has a new one, and its own versions).
    var session: String?
    /// The newest model version the upstream reported: WELCOME, MODEL, ACK, ERROR and HEARTBEAT carry it.
    private(set) var version: UInt64 = 0
    /// The upstream's last MODEL reply, re-enveloped for the children.
    var model: (version: UInt64, parts: [Frame])?
    /// Children's PULLs waiting for the upstream's MODEL, by child id (a resend replaces the held request).
    var waitingPulls: [String: RoutedRequest] = [:]
    /// When the PULL in flight upstream was sent; nil when none is.
    var pullSent: ContinuousClock.Instant?
    /// PUSHes forwarded upstream and not answered yet, by the upstream task id.
    var pushes: [UInt64: ForwardedPush] = [:]
    /// Each child's last answered PUSH (its task id and the reply), so a resend is answered, not re-sent.
    var answered: [String: (taskID: UInt64, reply: [Frame])] = [:]
    /// Each child's last forwarded PUSH (its task id and the upstream's), so a resend after a lost reply
    /// reuses the upstream task id and the upstream's own resend check applies.
    var forwarded: [String: (taskID: UInt64, upstream: UInt64)] = [:]
    /// Upstream task id of the next forwarded PUSH; random start, like a client's, so a restarted
    /// scheduler is never mistaken for a resend.
    var nextTask = UInt64.random(in: 1...(UInt64.max >> 1))
    /// When the upstream finished the run (then every child request is answered BYE).
    var finishedAt: ContinuousClock.Instant?

    /// Whether the cached model is the newest version the upstream reported.
    var cacheIsCurrent: Bool { model?.version == version }

    /// Notes a version the upstream reported in `session`; a new session starts over (its versions are
    /// its own, possibly lower after a restart from a checkpoint).
    mutating func learn(version reported: UInt64, session current: String) {
        if session != current { forgetUpstream(session: current) }
        version = max(version, reported)
    }

    /// Drops what the upstream join held (model, versions, requests in flight); children's held PULLs stay
    /// to be served after the next join, and the children resend their PUSHes (lazy pirate).
    mutating func forgetUpstream(session current: String? = nil) {
        session = current
        version = 0
        model = nil
        pullSent = nil
        pushes.removeAll()
    }

    /// The upstream task id for `child`'s PUSH `taskID`: the same as last time for a resend, else a new one.
    mutating func upstreamTask(child: String, taskID: UInt64) -> UInt64 {
        if let last = forwarded[child], last.taskID == taskID, taskID != 0 { return last.upstream }
        let id = nextTask
        nextTask += 1
        forwarded[child] = (taskID, id)
        return id
    }
}

/// One child's PUSH on its way upstream: whom to answer, and on which connection.
struct ForwardedPush {
    /// The child's node id.
    let child: String
    /// The child's task id, quoted in the reply it gets.
    let taskID: UInt64
    /// The child's request (a resend on a fresh socket replaces it).
    var request: RoutedRequest
    /// When it was sent upstream.
    let sent: ContinuousClock.Instant
}
