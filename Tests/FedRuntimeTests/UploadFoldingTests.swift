import FedAlgorithms
import FedCore
import FedWire
import Testing
@testable import FedRuntime

// The big-model aggregation path (uploads folded into the FitAccumulator straight from their frames)
// against the naive reference: decode the whole upload into a ModelState, then `add` it.

private func layout() throws -> ModelLayout {
    try ModelLayout([TensorSpec(name: "w", shape: [50, 9]), TensorSpec(name: "b", shape: [9]), TensorSpec(name: "v", shape: [333])])
}

private func state(_ layout: ModelLayout, seed: UInt64, scale: Float = 1) throws -> ModelState {
    var rng = SplitMix64(seed: seed)
    return try ModelState(layout: layout, values: (0..<layout.totalElements).map { _ in (Float(rng.next() % 20_001) / 10_000 - 1) * scale })
}

/// An upload of `update` as the server receives it (through the wire validation), sliced into frames
/// of at most 64 elements.
private func upload(_ update: ModelState, codec: String, isDelta: Bool, examples: Int, loss: Double = 0.5) throws -> WireMessage {
    var encoding = try TensorEncoding(parsing: codec)
    encoding.isDelta = isDelta
    encoding.checksum = true
    let (headers, frames) = try ModelCoder(maxFrameElements: 64).encode(update, encoding: encoding)
    var envelope = Envelope(kind: .fitResult)
    envelope.numExamples = UInt64(examples)
    envelope.metrics = ["loss": loss]
    envelope.tensors = headers
    return try WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts())
}

/// The reference: full decode, then `add`.
private func naiveAdd(_ message: WireMessage, client: Int, to accumulator: FitAccumulator) throws {
    let update = try ModelCoder().decode(message, layout: accumulator.global.layout)
    let isDelta = message.envelope.tensors.first?.isDelta ?? false
    try accumulator.add(ClientResult(clientID: client, numExamples: Int(message.envelope.numExamples), update: update,
                                     isDelta: isDelta, loss: message.envelope.metrics["loss"] ?? 0))
}

@Test(arguments: ["raw", "shuffle-lz4", "q8"], [FitAccumulator.Precision.float64, .float32])
func foldingFramesEqualsDecodeThenAdd(codec: String, precision: FitAccumulator.Precision) throws {
    let l = try layout()
    let global = try state(l, seed: 1)
    let folded = FitAccumulator(global: global, precision: precision)
    let reference = FitAccumulator(global: global, precision: precision)
    let coder = ModelCoder()
    for client in 0..<4 {
        let isDelta = client % 2 == 1
        let update = try state(l, seed: 10 + UInt64(client), scale: isDelta ? 0.01 : 1)
        var message = try upload(update, codec: codec, isDelta: isDelta, examples: 3 + 5 * client)
        try naiveAdd(message, client: client, to: reference)
        try folded.add(upload: &message, client: client, coder: coder)
        #expect(message.frames.allSatisfy { $0.count == 0 }, "every frame is released once folded")
    }
    // Same arithmetic in the same order: bit for bit, in both precisions.
    #expect(folded.weightedSum == reference.weightedSum)
    #expect(folded.totalWeight == reference.totalWeight && folded.count == 4 && folded.clientIDs == [0, 1, 2, 3])
    #expect(folded.meanLoss == reference.meanLoss)
    #expect(folded.weightedMean() == reference.weightedMean())
}

@Test func float32SumStaysCloseToTheFloat64One() throws {
    let l = try layout()
    let global = try state(l, seed: 2)
    let wide = FitAccumulator(global: global, precision: .float64)
    let narrow = FitAccumulator(global: global, precision: .float32)
    let coder = ModelCoder()
    for client in 0..<20 {
        let update = try state(l, seed: 100 + UInt64(client))
        var a = try upload(update, codec: "raw", isDelta: false, examples: 1 + client)
        var b = a
        try wide.add(upload: &a, client: client, coder: coder)
        try narrow.add(upload: &b, client: client, coder: coder)
    }
    let x = try #require(wide.weightedMean()), y = try #require(narrow.weightedMean())
    let diff = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
    #expect(diff <= 1e-6, "float32 summation of 20 clients: max |Δ| = \(diff)")
    // A repeated call returns the same model (the float32 sum was turned into it in place).
    #expect(narrow.weightedMean() == y)
}

@Test(arguments: [FitAccumulator.Precision.float64, .float32], [false, true])
func aNaNFrameIsRejectedWithoutTouchingTheSum(precision: FitAccumulator.Precision, afterAnUpload: Bool) throws {
    let l = try layout()
    let global = try state(l, seed: 3)
    let accumulator = FitAccumulator(global: global, precision: precision)
    let coder = ModelCoder()
    if afterAnUpload {
        var good = try upload(try state(l, seed: 4), codec: "raw", isDelta: false, examples: 7)
        try accumulator.add(upload: &good, client: 0, coder: coder)
    }
    let sumBefore = accumulator.weightedSum
    let (weight, count) = (accumulator.totalWeight, accumulator.count)
    for codec in ["raw", "shuffle-lz4"] {
        var bad = try state(l, seed: 5)
        bad.values[bad.values.count - 1] = .nan  // in the last frame: earlier frames are fine
        var message = try upload(bad, codec: codec, isDelta: false, examples: 2)
        #expect(throws: FedError.self) { try accumulator.add(upload: &message, client: 1, coder: coder) }
        do { try accumulator.add(upload: &message, client: 1, coder: coder) } catch { #expect(error.code == .nonFiniteValue) }
        // A wrongly shaped upload is refused as well.
        let other = try ModelLayout([TensorSpec(name: "w", shape: [9, 50]), TensorSpec(name: "b", shape: [9]), TensorSpec(name: "v", shape: [333])])
        var misshaped = try upload(try state(other, seed: 6), codec: codec, isDelta: false, examples: 2)
        do { try accumulator.add(upload: &misshaped, client: 2, coder: coder) } catch { #expect(error.code == .modelMismatch) }
    }
    #expect(accumulator.weightedSum == sumBefore)
    #expect(accumulator.totalWeight == weight && accumulator.count == count)
    if afterAnUpload {
        #expect(accumulator.weightedMean() != nil)
    } else {
        #expect(accumulator.weightedMean() == nil)
    }
}

@Test func largeModelsDefaultToAFloat32Sum() throws {
    let small = try ModelState(layout: ModelLayout([TensorSpec(name: "x", shape: [10])]))
    #expect(FitAccumulator(global: small).precision == .float64)
    #expect(FitAccumulator.float32Threshold == 1 << 26)
}

@Test func rawEncodingViewsTheModelWithoutCopyingAndStaysImmutable() throws {
    let l = try layout()
    var model = try state(l, seed: 7)
    let original = model.values
    let (_, frames) = try ModelCoder(maxFrameElements: 64).encode(model, encoding: TensorEncoding(codec: .raw))
    let address = model.values.withUnsafeBytes { $0.baseAddress }
    #expect(frames[0].buffer.unsafeBaseAddress.map { UnsafeRawPointer($0) } == address, "a view, not a copy")
    model.values[0] += 1  // copy-on-write: the frames keep the old values
    let sent = frames.flatMap { frame in frame.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
    #expect(sent == original)
}

@Test func longUploadsFoldedInPartsEqualDecodeThenAddAndANaNStillTouchesNothing() throws {
    // Long enough for the fold and the finiteness check to be split across threads.
    let l = try ModelLayout([TensorSpec(name: "w", shape: [2 * Kernels.parallelThreshold + 300]), TensorSpec(name: "b", shape: [10])])
    let global = try state(l, seed: 8)
    let folded = FitAccumulator(global: global, precision: .float64)
    let reference = FitAccumulator(global: global, precision: .float64)
    let coder = ModelCoder()
    for client in 0..<2 {
        var encoding = TensorEncoding(codec: .raw)
        encoding.isDelta = client == 1
        let (headers, frames) = try ModelCoder().encode(try state(l, seed: 20 + UInt64(client)), encoding: encoding)
        var envelope = Envelope(kind: .fitResult)
        envelope.numExamples = UInt64(3 + client)
        envelope.tensors = headers
        var message = try WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts())
        try naiveAdd(message, client: client, to: reference)
        try folded.add(upload: &message, client: client, coder: coder)
    }
    #expect(folded.weightedSum == reference.weightedSum)
    #expect(folded.weightedMean() == reference.weightedMean())
    let before = folded.weightedSum
    var bad = try state(l, seed: 30)
    bad.values[Kernels.parallelThreshold + 5] = .nan  // in the second part of the first tensor
    let (headers, frames) = try ModelCoder().encode(bad, encoding: TensorEncoding(codec: .raw))
    var envelope = Envelope(kind: .fitResult)
    envelope.numExamples = 1
    envelope.tensors = headers
    var message = try WireMessage(parts: WireMessage(envelope: envelope, frames: frames).parts())
    do {
        try folded.add(upload: &message, client: 9, coder: coder)
        Issue.record("a NaN upload was accepted")
    } catch {
        #expect(error.code == .nonFiniteValue)
    }
    #expect(folded.weightedSum == before && folded.count == 2)
}
