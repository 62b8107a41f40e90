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
            "codec": .string(codec), "algorithm": .string(fit.algorithm), "feddyn_alpha": .double(fit.dynAlpha),
            "ditto_lambda": .double(fit.dittoLambda),
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
        if let v = config["algorithm"]?.stringValue { fit.algorithm = v }
        if let v = config["feddyn_alpha"]?.doubleValue { fit.dynAlpha = v }
        if let v = config["ditto_lambda"]?.doubleValue { fit.dittoLambda = v }
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

    /// `state` followed by each extra vector as tensors `prefix/<tensor name>` of the model's shapes: how
    /// SCAFFOLD's `scaffold.c` rides with MODEL and `scaffold.dc` with FIT_RESULT.
    static func combine(_ state: ModelState, extras: [String: [Float]]) throws(FedError) -> ModelState {
        guard !extras.isEmpty else { return state }
        var specs = state.layout.tensors
        var values = state.values
        for key in extras.keys.sorted() {
            guard let extra = extras[key], extra.count == state.values.count, !key.contains("/") else {
                throw FedError(.modelMismatch, "extra '\(key)' does not have the model's \(state.values.count) values")
            }
            specs += state.layout.tensors.map { TensorSpec(name: "\(key)/\($0.name)", shape: $0.shape) }
            values += extra
        }
        return try ModelState(layout: try ModelLayout(specs), values: values)
    }

    /// Splits a decoded message into the model (tensors without `/`, which must form `layout`) and its
    /// extras (`prefix/<tensor name>` for every tensor of `layout`, reassembled in layout order).
    ///
    /// - Throws: `.modelMismatch` when the model part or an extra does not cover `layout` exactly.
    static func split(_ state: ModelState, layout: ModelLayout?) throws(FedError) -> (model: ModelState, extras: [String: [Float]]) {
        var modelSpecs: [TensorSpec] = []
        var modelValues: [Float] = []
        var parts: [String: [String: ArraySlice<Float>]] = [:]
        for (i, spec) in state.layout.tensors.enumerated() {
            let values = state.values[state.layout.range(of: i)]
            if let slash = spec.name.firstIndex(of: "/") {
                parts[String(spec.name[..<slash]), default: [:]][String(spec.name[spec.name.index(after: slash)...])] = values
            } else {
                modelSpecs.append(spec)
                modelValues += values
            }
        }
        let model = try ModelState(layout: try ModelLayout(modelSpecs), values: modelValues)
        if let layout, model.layout != layout {
            throw FedError(.modelMismatch, "the message's model tensors differ from the model's layout")
        }
        var extras: [String: [Float]] = [:]
        for (key, tensors) in parts {
            guard tensors.count == model.layout.tensors.count else { throw FedError(.modelMismatch, "extra '\(key)' does not cover the model") }
            var flat: [Float] = []
            flat.reserveCapacity(model.values.count)
            for spec in model.layout.tensors {
                guard let values = tensors[spec.name], values.count == spec.elements else {
                    throw FedError(.modelMismatch, "extra '\(key)' lacks tensor '\(spec.name)' or has another shape")
                }
                flat += values
            }
            extras[key] = flat
        }
        return (model, extras)
    }

    /// Total bytes of a message's frames plus its envelope (what crosses the wire, give or take ZMTP framing).
    static func byteCount(_ parts: [Frame]) -> Int { parts.reduce(0) { $0 + $1.count } }

    /// The one client's result a FIT_RESULT carries, decoded against `layout`.
    ///
    /// - Throws: decoding errors, `.invalidArgument` for mixed delta/full tensors or no examples.
    static func clientResult(_ message: WireMessage, client: Int, layout: ModelLayout, coder: ModelCoder) throws(FedError) -> ClientResult {
        let envelope = message.envelope
        let decoded = try coder.decode(message, layout: try Self.layout(of: message))
        let (update, extras) = try Self.split(decoded, layout: layout)
        let deltas = Set(envelope.tensors.map(\.isDelta))
        guard deltas.count == 1, let isDelta = deltas.first else {
            throw FedError(.invalidArgument, "client \(client) mixes delta and full tensors in one upload")
        }
        guard envelope.numExamples > 0 else { throw FedError(.invalidArgument, "client \(client) reports no training examples") }
        return ClientResult(clientID: client, numExamples: Int(envelope.numExamples), update: update, isDelta: isDelta,
                            loss: envelope.metrics["loss"] ?? 0, metrics: envelope.metrics.filter { $0.key != "loss" }, extras: extras)
    }

    /// An XPUB subscription notice (`[1|0] + topic`, the topic a node id), or nil.
    static func subscription(_ parts: [Frame]) -> (subscribed: Bool, id: String, topic: [UInt8])? {
        guard let bytes = parts.first?.bytes, bytes.count >= 2 else { return nil }
        return (bytes[0] == 1, String(decoding: bytes.dropFirst(), as: UTF8.self), Array(bytes.dropFirst()))
    }
}
