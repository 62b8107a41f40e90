import FedAlgorithms
import FedCore
import FedWire

/// The bookkeeping of the round in flight: who was asked for what, what arrived, when it closes.
struct RoundTracker {
    /// Round number, from 1.
    let round: Int
    /// Task id of this attempt; results quoting another task id are late.
    let taskID: UInt64
    /// Selected virtual clients, ascending.
    let selected: [Int]
    /// Results folded in so far.
    let accumulator: FitAccumulator
    /// When the round gives up waiting.
    let deadline: ContinuousClock.Instant
    /// When sampling happened.
    let started: ContinuousClock.Instant
    /// The encoded global model (envelope and frames), sent to every child and kept for PULL.
    let model: [Frame]
    /// Owner child of each selected client whose result is still awaited.
    var pending: [Int: String]
    /// Selected clients that failed (rejected upload, lost child).
    var failures: [ClientFailure] = []
    /// Children the model was delivered to (pushed or pulled).
    var modelDelivered: Set<String> = []
    /// Bytes sent to clients this round.
    var bytesDown = 0
    /// Bytes received from clients this round.
    var bytesUp = 0
    /// Groups (schedulers, or nodes below them as `sched/child`) that missed this round.
    var lacking: Set<String> = []

    /// True when every selected client either reported or failed.
    var isComplete: Bool { pending.isEmpty }

    /// Clients needed to close at the deadline: `ceil(minFit × selected)`, at least one.
    func quorum(minFit: Double) -> Int { max(1, Int((minFit * Double(selected.count)).rounded(.up))) }

    /// Marks every awaited client of `child` as failed with `reason`.
    mutating func fail(child: String, reason: FedError) {
        if pending.values.contains(child) { lacking.insert(child) }
        for (client, owner) in pending where owner == child {
            pending[client] = nil
            failures.append(ClientFailure(clientID: client, reason: reason))
        }
    }
}

/// A child process as the server knows it: its routing identity and the virtual clients it hosts.
struct ChildRecord {
    /// Node id (also its ROUTER identity and broadcast topic).
    let id: String
    /// Hosted virtual clients, ascending.
    let clients: [Int]
    /// Random token of the child process's run: a repeated HELLO with the same token is a retransmission,
    /// a new token means the process restarted (and lost whatever it was working on).
    let instance: String
    /// Last time anything arrived from it.
    var lastSeen: ContinuousClock.Instant
    /// Whether it talks through a REQ socket (an async client): it gets replies only, never unsolicited
    /// messages, and its ROUTER identity changes with every fresh socket.
    var requests = false
    /// Its HELLO, held until the scheduler has the upstream's WELCOME to answer it with.
    var hello: RoutedRequest?
    /// Longest pause between two of its messages (an async client's training time, roughly).
    var longestGap: Duration = .zero
    /// Whether it was told BYE after the upstream finished the run.
    var toldBye = false

    /// The broadcast topic: the id's UTF-8 bytes (docs/PROTOCOL.md §1). SUB filters by prefix, so a
    /// child also checks that the topic frame is exactly its id.
    var topic: [UInt8] { Array(id.utf8) }

    /// Notes a message arriving now.
    mutating func seen(at now: ContinuousClock.Instant) {
        longestGap = max(longestGap, now - lastSeen)
        lastSeen = now
    }
}
