import FedAlgorithms
import FedCore
import FedWire

/// A scheduler's share of one upstream FIT or EVALUATE task: which child hosts each awaited client, what
/// came back, and when the group reports without its stragglers.
struct GroupTask {
    /// The upstream task (kind, round, task id, clients, settings), forwarded to the children as is.
    let request: WireMessage
    /// When the group result goes upstream at the latest.
    let deadline: ContinuousClock.Instant
    /// Owner child of each client whose result is still awaited.
    var pending: [Int: String]
    /// The group's sum of FIT results; nil until the round's model is here (or when results are forwarded).
    var accumulator: FitAccumulator?
    /// The group's example-weighted EVALUATE metrics.
    var evaluation = MetricSum()
    /// Clients whose results were forwarded upstream one by one (non-linear strategies).
    var forwarded: [Int] = []
    /// Clients that failed.
    var failed: [Int] = []
    /// Lost nodes below this scheduler (children, or deeper nodes named by a child group).
    var lacking: Set<String> = []
    /// Children the model was delivered to (pushed or pulled).
    var modelDelivered: Set<String> = []

    /// The task's envelope.
    var envelope: Envelope { request.envelope }
    /// FIT or EVALUATE.
    var kind: MessageKind { request.envelope.kind }
    /// Round number.
    var round: UInt64 { request.envelope.round }
    /// Upstream task id, quoted by every result.
    var taskID: UInt64 { request.envelope.taskID }
    /// Whether the children need the round's model from the broadcast: FIT always, EVALUATE unless it
    /// carries the model to evaluate itself.
    var needsModel: Bool { kind == .fit || request.frames.isEmpty }
    /// True when every client either reported or failed.
    var isComplete: Bool { pending.isEmpty }
    /// Children holding at least one awaited client.
    var busyChildren: Set<String> { Set(pending.values) }

    /// Marks every awaited client of `child` as failed, and the child as lacking if it owed anything.
    mutating func fail(child: String) {
        let owed = pending.filter { $0.value == child }.map(\.key)
        guard !owed.isEmpty else { return }
        for client in owed { pending[client] = nil }
        failed += owed
        lacking.insert(child)
    }
}
