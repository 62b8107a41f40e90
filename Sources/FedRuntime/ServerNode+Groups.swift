import FedAlgorithms
import FedCore
import FedWire

extension ServerNode {
    /// A scheduler's one result for its group (``GroupResult``): the partial sum folds into the round's
    /// accumulator, which makes hierarchical FedAvg equal flat FedAvg up to the summation order.
    func groupResult(_ identity: Frame, peer: String, _ message: WireMessage, bytes: Int) async {
        guard let current = tracker else { return }
        do throws(FedError) {
            let group = try GroupResult(message.envelope)
            let listed = group.completed + group.failed
            guard !listed.isEmpty, listed.allSatisfy({ current.pending[$0] == peer }) else {
                throw FedError(.unexpectedMessage, "round \(current.round) awaits no group result for these clients from node '\(peer)'")
            }
            for client in listed { tracker?.pending[client] = nil }
            tracker?.bytesUp += bytes
            let reason = FedError(.timeout, "no result within group '\(peer)'")
            tracker?.failures += group.failed.map { ClientFailure(clientID: $0, reason: reason) }
            tracker?.lacking.formUnion(group.lacking.map { "\(peer)/\($0)" })
            if group.completed.isEmpty && !group.failed.isEmpty && current.pending.values.filter({ $0 == peer }).count == listed.count {
                tracker?.lacking.insert(peer)
            }
            do throws(FedError) {
                try group.fold(message, into: current.accumulator, coder: coder)
            } catch {
                tracker?.failures += group.completed.map { ClientFailure(clientID: $0, reason: error) }
                throw error
            }
        } catch {
            await reject(identity, error, what: "group result")
        }
        if tracker?.taskID == current.taskID, tracker?.isComplete == true { await closeRound(atDeadline: false) }
    }
}
