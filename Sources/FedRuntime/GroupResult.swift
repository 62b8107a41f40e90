import FedAlgorithms
import FedCore
import FedWire

/// How a scheduler's partial sum travels upstream.
public enum PartialSumFormat: String, Sendable, CaseIterable {
    /// The group's mean delta `Σ n_k Δ_k / Σ n_k` as float32 tensors in the upload codec, with the weight
    /// `Σ n_k` as the example count. Same bytes as one client's upload; one extra float32 rounding
    /// (relative 2^-24 of the mean delta per round) against flat FedAvg.
    case float32
    /// `Σ n_k Δ_k` as raw float64 tensors: bit-for-bit what the group adds to the server's float64 sum
    /// (flat FedAvg up to summation order), at twice the bytes of a float32 upload.
    case float64
}

/// One FIT_RESULT or EVALUATE_RESULT that stands for a whole group of virtual clients (a scheduler's subtree).
///
/// Wire shape: `config["group"] = true`; `clientIDs` are the clients folded into the result (empty, with
/// no tensors, when none succeeded or results were forwarded one by one); `config["failed"]` lists the
/// group's failed clients (`0-3,7`); `config["lacking"]` names lost nodes below the sender; `numExamples`
/// is `Σ n_k`. FIT_RESULT: the partial sum as tensors and `metrics["weighted_loss"]` = `Σ n_k loss_k`.
/// EVALUATE_RESULT: no tensors; `metrics` are the example-weighted means (``MetricSum``).
struct GroupResult: Sendable {
    /// Clients folded into the partial sum.
    var completed: [Int] = []
    /// Clients of the group that produced nothing usable this round.
    var failed: [Int] = []
    /// Nodes below the sender that missed the round entirely (`sched-a/client-3`).
    var lacking: [String] = []
    /// `Σ n_k`.
    var weight: Double = 0
    /// `Σ n_k loss_k`.
    var weightedLoss: Double = 0

    /// Whether `envelope` is a group result.
    static func isGroup(_ envelope: Envelope) -> Bool { envelope.config["group"]?.boolValue == true }

    /// The bookkeeping fields of a received group result (tensors are read by ``partialSum(of:layout:coder:)``).
    init(_ envelope: Envelope) throws(FedError) {
        completed = envelope.clientIDs.map { Int($0) }
        let failedText = envelope.config["failed"]?.stringValue ?? ""
        failed = failedText.isEmpty ? [] : try ClientIDList.parse(failedText)
        lacking = (envelope.config["lacking"]?.stringValue ?? "").split(separator: ",").map(String.init)
        weight = Double(envelope.numExamples)
        weightedLoss = envelope.metrics["weighted_loss"] ?? 0
        let tensorsMatch = envelope.kind == .fitResult ? completed.isEmpty == envelope.tensors.isEmpty : envelope.tensors.isEmpty
        guard tensorsMatch, completed.isEmpty || weight > 0 else {
            throw FedError(.invalidArgument, "a group result needs examples (and, for FIT, tensors) exactly when it lists completed clients")
        }
    }

    /// An empty result to fill in.
    init() {}

    /// The envelope fields (kind, ids, lists, weight, FIT's loss); the caller sets sender, session, round,
    /// task, tensors, and an EVALUATE_RESULT's metrics.
    func envelope(kind: MessageKind = .fitResult) -> Envelope {
        var envelope = Envelope(kind: kind)
        envelope.clientIDs = completed.map { UInt32($0) }
        envelope.numExamples = UInt64(weight.rounded())
        if kind == .fitResult { envelope.metrics = ["weighted_loss": weightedLoss] }
        envelope.config = ["group": .bool(true), "failed": .string(ClientIDList.format(failed))]
        if !lacking.isEmpty { envelope.config["lacking"] = .string(lacking.joined(separator: ",")) }
        return envelope
    }

    /// Folds a received group result's partial sum into `accumulator`.
    func fold(_ message: WireMessage, into accumulator: FitAccumulator, coder: ModelCoder) throws(FedError) {
        guard !completed.isEmpty else { return }
        let sum = try Self.partialSum(of: message, layout: accumulator.global.layout, weight: weight, coder: coder)
        try accumulator.addPartial(weightedSum: sum, totalWeight: weight, weightedLoss: weightedLoss, clientIDs: completed)
    }

    /// `Σ n_k Δ_k` from a message's tensors: float64 frames are the sum itself, float32 frames the mean delta.
    static func partialSum(of message: WireMessage, layout: ModelLayout, weight: Double, coder: ModelCoder) throws(FedError) -> [Double] {
        guard message.envelope.tensors.allSatisfy({ $0.isDelta }) else {
            throw FedError(.invalidArgument, "a group's partial sum must be a delta")
        }
        guard message.envelope.tensors.contains(where: { $0.dtype == .float64 }) else {
            let mean = try coder.decode(message, layout: layout)
            return mean.values.map { Double($0) * weight }
        }
        var sum = [Double](repeating: 0, count: layout.totalElements)
        var covered = Set<Int>()
        var failure: FedError?
        sum.withUnsafeMutableBytes { all in
            for (header, frame) in zip(message.envelope.tensors, message.frames) {
                guard let t = layout.index(of: header.name), header.dtype == .float64, header.shape == layout.tensors[t].shape,
                      header.sliceElements == 0, covered.insert(t).inserted else {
                    failure = FedError(.modelMismatch, "partial-sum tensor '\(header.name)' \(header.dtype)\(header.shape) does not match the model")
                    return
                }
                let range = layout.range(of: t)
                let out = UnsafeMutableRawBufferPointer(rebasing: all[(range.lowerBound * 8)..<(range.upperBound * 8)])
                do throws(FedError) {
                    try frame.withUnsafeBytes { (bytes) throws(FedError) in try TensorCodec.decode(header, frame: bytes, into: out, scratch: coder.scratch) }
                } catch {
                    failure = error
                    return
                }
            }
        }
        if let failure { throw failure }
        guard covered.count == layout.tensors.count else { throw FedError(.modelMismatch, "the partial sum misses tensors of the model") }
        guard sum.allSatisfy({ $0.isFinite }) else { throw FedError(.nonFiniteValue, "the partial sum holds NaN or infinite values") }
        return sum
    }

    /// Encodes `accumulator`'s partial sum as tensor headers and frames in `format`.
    static func encode(_ accumulator: FitAccumulator, format: PartialSumFormat, encoding: TensorEncoding,
                       coder: ModelCoder) throws(FedError) -> (headers: [TensorHeader], frames: [Frame]) {
        let layout = accumulator.global.layout
        switch format {
        case .float32:
            var mean = ModelState(layout: layout)
            let scale = 1 / accumulator.totalWeight
            mean.values.withUnsafeMutableBufferPointer { out in
                accumulator.weightedSum.withUnsafeBufferPointer { sum in Kernels.finish(sum, scale: scale, base: nil, into: out) }
            }
            var deltaEncoding = encoding
            deltaEncoding.isDelta = true
            return try coder.encode(mean, encoding: deltaEncoding)
        case .float64:
            let buffer = SharedBuffer(copying: accumulator.weightedSum)
            var headers: [TensorHeader] = []
            var frames: [Frame] = []
            for (t, spec) in layout.tensors.enumerated() {
                let range = layout.range(of: t)
                var header = TensorHeader(name: spec.name, shape: spec.shape, dtype: .float64, codec: .raw,
                                          rawBytes: range.count * 8, encodedBytes: range.count * 8)
                header.isDelta = true
                headers.append(header)
                frames.append(Frame(buffer: buffer, offset: range.lowerBound * 8, count: range.count * 8))
            }
            return (headers, frames)
        }
    }

    /// Whether a strategy's aggregation is a linear function of `Σ n_k Δ_k` and `Σ n_k`, so a group's
    /// partial sum can stand for its results (FedAvg and its family). Other strategies get each result.
    static func aggregatesLinearly(_ algorithm: String) -> Bool { ["fedavg", "fedprox"].contains(algorithm) }
}
