import FedAlgorithms
import FedCore
import FedWire

/// Builders and readers for the envelopes of the sync protocol, so the server, the client and the tests
/// spell each message the same way.
enum FederationMessages {
    /// Config keys a FIT task carries (the local training settings and the upload codec).
    static func fitConfig(_ fit: FitConfig, codec: String) -> [String: ConfigValue] {
        [
            "epochs": .int(Int64(fit.epochs)), "batch": .int(Int64(fit.batchSize)), "lr": .double(fit.learningRate),
            "momentum": .double(fit.momentum), "weight_decay": .double(fit.weightDecay), "mu": .double(fit.proximalMu),
            "codec": .string(codec),
        ]
    }

    /// Reads the training settings of a FIT task, falling back to `base` for absent keys.
    static func fitSettings(_ config: [String: ConfigValue], base: FitConfig) -> FitConfig {
        var fit = base
        if let v = config["epochs"]?.intValue { fit.epochs = Int(v) }
        if let v = config["batch"]?.intValue { fit.batchSize = Int(v) }
        if let v = config["lr"]?.doubleValue { fit.learningRate = v }
        if let v = config["momentum"]?.doubleValue { fit.momentum = v }
        if let v = config["weight_decay"]?.doubleValue { fit.weightDecay = v }
        if let v = config["mu"]?.doubleValue { fit.proximalMu = v }
        return fit
    }

    /// An ERROR reply carrying `error`.
    static func error(_ error: FedError, sender: String, session: String, round: UInt64 = 0) -> WireMessage {
        var envelope = Envelope(kind: .error)
        envelope.sender = sender
        envelope.session = session
        envelope.round = round
        envelope.error = WireError(error)
        return WireMessage(envelope: envelope)
    }

    /// A message without tensors.
    static func plain(_ kind: MessageKind, sender: String, session: String, round: UInt64 = 0) -> WireMessage {
        var envelope = Envelope(kind: kind)
        envelope.sender = sender
        envelope.session = session
        envelope.round = round
        return WireMessage(envelope: envelope)
    }

    /// The layout the tensor headers of a model message describe (slices merged, in frame order).
    static func layout(of message: WireMessage) throws(FedError) -> ModelLayout {
        var specs: [TensorSpec] = []
        var seen = Set<String>()
        for header in message.envelope.tensors where seen.insert(header.name).inserted {
            specs.append(TensorSpec(name: header.name, shape: header.shape))
        }
        return try ModelLayout(specs)
    }

    /// Total bytes of a message's frames plus its envelope (what crosses the wire, give or take ZMTP framing).
    static func byteCount(_ parts: [Frame]) -> Int { parts.reduce(0) { $0 + $1.count } }

    /// The one client's result a FIT_RESULT carries, decoded against `layout`.
    ///
    /// - Throws: decoding errors, `.invalidArgument` for mixed delta/full tensors or no examples.
    static func clientResult(_ message: WireMessage, client: Int, layout: ModelLayout, coder: ModelCoder) throws(FedError) -> ClientResult {
        let envelope = message.envelope
        let update = try coder.decode(message, layout: layout)
        let deltas = Set(envelope.tensors.map(\.isDelta))
        guard deltas.count == 1, let isDelta = deltas.first else {
            throw FedError(.invalidArgument, "client \(client) mixes delta and full tensors in one upload")
        }
        guard envelope.numExamples > 0 else { throw FedError(.invalidArgument, "client \(client) reports no training examples") }
        return ClientResult(clientID: client, numExamples: Int(envelope.numExamples), update: update, isDelta: isDelta,
                            loss: envelope.metrics["loss"] ?? 0)
    }

    /// An XPUB subscription notice (`[1|0] + topic`, the topic a NUL-terminated node id), or nil.
    static func subscription(_ parts: [Frame]) -> (subscribed: Bool, id: String, topic: [UInt8])? {
        guard let bytes = parts.first?.bytes, bytes.count >= 2, bytes.last == 0 else { return nil }
        return (bytes[0] == 1, String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self), Array(bytes.dropFirst()))
    }
}
