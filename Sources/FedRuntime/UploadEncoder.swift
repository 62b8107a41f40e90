import FedAlgorithms
import FedCore
import FedWire

/// Turns one virtual client's training result into a FIT_RESULT message (one per client), or a PUSH in
/// async mode, encoded with the codec the server asked for. Called from the training thread, one result
/// at a time.
struct UploadEncoder: Sendable {
    let sender: String
    let session: String
    /// The task answered: its round (the model version in async mode) and task id are quoted.
    let task: Envelope
    let encoding: TensorEncoding
    var kind = MessageKind.fitResult

    /// The message's frames, or nil (logged) if the client failed or encoding failed.
    func encode(_ outcome: Result<ClientResult, ClientFailure>) -> [Frame]? {
        let log = NodeLog(origin: "client \(sender)")
        switch outcome {
        case .failure(let failure):
            log.info("client failed", ["client": "\(failure.clientID)", "error": failure.reason.description])
            return nil
        case .success(let result):
            var perUpload = encoding
            perUpload.isDelta = result.isDelta
            perUpload.seed = SplitMix64.mix(task.taskID &* 0x9E37_79B9 &+ UInt64(result.clientID))
            do throws(FedError) {
                let upload = try FederationMessages.combine(result.update, extras: result.extras)
                let (headers, frames) = try ModelCoder().encode(upload, encoding: perUpload)
                return message(client: result.clientID, numExamples: result.numExamples, loss: result.loss, headers: headers, frames: frames,
                               metrics: result.metrics)
            } catch {
                log.info("cannot encode an upload", ["client": "\(result.clientID)", "error": error.description])
                return nil
            }
        }
    }

    /// The FIT_RESULT (or PUSH) frames of one client from already encoded tensors (frames may be shared).
    func message(client: Int, numExamples: Int, loss: Double, headers: [TensorHeader], frames: [Frame],
                 metrics: [String: Double] = [:]) -> [Frame] {
        var envelope = Envelope(kind: kind)
        envelope.sender = sender
        envelope.session = session
        envelope.round = task.round
        envelope.taskID = task.taskID
        envelope.clientIDs = [UInt32(client)]
        envelope.numExamples = UInt64(numExamples)
        envelope.metrics = metrics.merging(["loss": loss]) { $1 }
        envelope.tensors = headers
        return WireMessage(envelope: envelope, frames: frames).parts()
    }
}
