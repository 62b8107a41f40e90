import FedAlgorithms
import FedCore
import FedWire

extension FitAccumulator {
    /// Folds a FIT_RESULT upload straight from its frames: no decoded ``ModelState``, and each frame is
    /// released once folded (when `message` holds the only reference to it). Everything is validated
    /// before the first value reaches the sum — delta flags, example count, names, shapes, coverage,
    /// checksums, payloads, NaN/inf — so a rejected upload leaves the accumulator untouched. The result
    /// equals `add(ClientResult(update: coder.decode(message, layout:), ...))` exactly.
    ///
    /// - Throws: `.invalidArgument` (mixed delta flags, no examples), `.modelMismatch`, `.nonFiniteValue`
    ///   and codec errors.
    public func add(upload message: inout WireMessage, client: Int, coder: ModelCoder) throws(FedError) {
        let envelope = message.envelope
        let deltas = Set(envelope.tensors.map(\.isDelta))
        guard deltas.count == 1, let isDelta = deltas.first else {
            throw FedError(.invalidArgument, "client \(client) mixes delta and full tensors in one upload")
        }
        guard envelope.numExamples > 0 else { throw FedError(.invalidArgument, "client \(client) reports no training examples") }
        let layout = global.layout
        try add(clientID: client, numExamples: Int(envelope.numExamples), isDelta: isDelta, loss: envelope.metrics["loss"] ?? 0,
                metrics: envelope.metrics.filter { $0.key != "loss" }) { (fold) throws(FedError) in
            try coder.forEachSlice(of: &message, layout: layout, body: fold)
        }
    }
}
