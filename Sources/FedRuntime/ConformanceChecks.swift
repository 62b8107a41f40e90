import FedAlgorithms
import FedCore
import FedWire
import Foundation

extension ConformanceHarness {
    /// The layout of the echo model the harness sends.
    var echoLayout: ModelLayout {
        // A one-tensor layout of a positive size never fails.
        (try? ModelLayout([TensorSpec(name: "echo.weight", shape: [settings.parameters])])) ?? (try! ModelLayout([]))
    }

    /// Starts a new round: the round's MODEL message (raw), with values that compress and are never -1
    /// (so `model + 1` has no zeros and top-k picks are visible).
    func beginRound(codec: String, publish: Bool) -> WireMessage {
        round += 1
        taskID += 1
        let values = (0..<settings.parameters).map { Float($0 % 13) * 0.25 + Float(round) * 0.125 }
        let state = (try? ModelState(layout: echoLayout, values: values)) ?? ModelState(layout: echoLayout)
        let (headers, frames) = (try? ModelCoder().encode(state, encoding: TensorEncoding(codec: .raw))) ?? ([], [])
        var model = envelope(.model)
        model.tensors = headers
        return WireMessage(envelope: model, frames: frames)
    }

    /// Sends the round's FIT (every hosted client, upload codec `codec`) and, with `publish`, the model
    /// on the broadcast socket.
    func sendFit(codec: String, model: WireMessage, publish: Bool) async {
        var fit = envelope(.fit)
        fit.clientIDs = clients
        fit.config = FederationMessages.fitConfig(FitConfig(), codec: codec)
        await send(WireMessage(envelope: fit))
        if publish { await self.publish(model) }
    }

    /// One FIT round with upload codec `codec`, judged by ``collectResults(codec:model:ignoringRound:)``.
    func fitRound(codec: String) async -> (Bool, String) {
        let model = beginRound(codec: codec, publish: true)
        await sendFit(codec: codec, model: model, publish: true)
        return await collectResults(codec: codec, model: model)
    }

    /// Waits for one FIT_RESULT per client of the round and checks each (a PULL is answered).
    func collectResults(codec: String, model: WireMessage, ignoringRound ignored: UInt64? = nil) async -> (Bool, String) {
        var missing = Set(clients)
        var notes: [String] = []
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.timeout * 1000))
        while !missing.isEmpty {
            let left = Double((deadline - .now) / .milliseconds(1)) / 1000
            guard left > 0, let message = await next([.fitResult, .pull], timeout: left) else {
                return (false, "no FIT_RESULT for client(s) \(missing.sorted()) of round \(round)")
            }
            let e = message.envelope
            if e.kind == .pull {
                if e.round == round { await send(model) }
                continue
            }
            if let ignored, e.round == ignored { return (false, "the client answered a FIT whose model held NaN") }
            guard e.round == round, e.taskID == taskID, e.session == session else {
                return (false, "FIT_RESULT quotes round \(e.round) task \(e.taskID) session '\(e.session)'; expected \(round), \(taskID), '\(session)'")
            }
            guard e.clientIDs.count == 1, let client = e.clientIDs.first, missing.remove(client) != nil else {
                return (false, "FIT_RESULT for clients \(e.clientIDs): one awaited client per result")
            }
            do throws(FedError) {
                notes.append(try check(message, codec: codec, model: model))
            } catch {
                return (false, "client \(client): \(error.description)")
            }
        }
        return (true, "\(clients.count) result(s), " + (Set(notes).sorted().joined(separator: "; ")))
    }

    /// Decodes one upload and compares it with `model + 1` within the codec's tolerance.
    func check(_ message: WireMessage, codec text: String, model: WireMessage) throws(FedError) -> String {
        let e = message.envelope
        guard e.numExamples > 0 else { throw FedError(.invalidArgument, "num_examples is 0") }
        let wanted = try TensorEncoding(parsing: text)
        for header in e.tensors where header.codec != wanted.codec && !(wanted.codec.isLossless && header.codec == .raw) {
            throw FedError(.unknownCodec, "tensor '\(header.name)' is \(header.codec), the task asked for \(text)")
        }
        let deltas = Set(e.tensors.map(\.isDelta))
        guard deltas.count == 1, let isDelta = deltas.first else { throw FedError(.invalidArgument, "mixes delta and full tensors") }
        let layout = echoLayout
        let global = try ModelCoder().decode(model, layout: layout)
        let update = try ModelCoder().decode(message, layout: layout)
        var tolerance: Float = 1e-5
        if wanted.codec == .q8 || wanted.codec == .q4 {
            let scale = e.tensors.map(\.scale).max() ?? 0
            tolerance += scale / Float(StochasticQuantizer.levels(wanted.codec))
        }
        var sent = 0, worst: Float = 0
        for i in global.values.indices {
            let value = update.values[i]
            if wanted.codec == .topK && value == 0 { continue }
            sent += 1
            let reconstructed = isDelta ? global.values[i] + value : value
            worst = max(worst, abs(reconstructed - (global.values[i] + 1)))
        }
        if wanted.codec == .topK {
            let kept = TopK.keptCount(global.values.count, fraction: wanted.fraction)
            guard sent == kept else { throw FedError(.invalidArgument, "top-k upload holds \(sent) entries, expected \(kept)") }
        }
        guard worst <= tolerance else {
            throw FedError(.invalidArgument, String(format: "update differs from model + 1 by %.3g (tolerance %.3g)", worst, tolerance))
        }
        let codecs = Set(e.tensors.map(\.codec.description)).sorted().joined(separator: ",")
        return "\(isDelta ? "delta" : "full") \(codecs) = model+1" + (worst > 0 ? String(format: " within %.2g", worst) : "")
    }
}
