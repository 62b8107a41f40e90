import FedAlgorithms
import FedCore
import FedWire

/// A scheduler's share of one upstream FIT task: which child hosts each awaited client, what came back,
/// and when the group reports without its stragglers.
struct GroupTask {
    /// The upstream FIT (round, task id, clients, training settings), forwarded to the children as is.
    let fit: Envelope
    /// When the group result goes upstream at the latest.
    let deadline: ContinuousClock.Instant
    /// Owner child of each client whose result is still awaited.
    var pending: [Int: String]
    /// The group's sum of results; nil until the round's model is here (or when results are forwarded).
    var accumulator: FitAccumulator?
    /// Clients whose results were forwarded upstream one by one (non-linear strategies).
    var forwarded: [Int] = []
    /// Clients that failed.
    var failed: [Int] = []
    /// Lost nodes below this scheduler (children, or deeper nodes named by a child group).
    var lacking: Set<String> = []
    /// Children the model was delivered to (pushed or pulled).
    var modelDelivered: Set<String> = []

    /// Round number.
    var round: UInt64 { fit.round }
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
