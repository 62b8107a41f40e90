import Testing
@testable import FedCore

@Test func layoutPlacesTensorsBackToBack() throws {
    let layout = try ModelLayout([TensorSpec(name: "w", shape: [2, 3]), TensorSpec(name: "b", shape: [3])])
    #expect(layout.offsets == [0, 6])
    #expect(layout.totalElements == 9)
    #expect(layout.range(of: 1) == 6..<9)
}

@Test func layoutRejectsDuplicateAndEmptyNames() {
    #expect(throws: FedError(.duplicateTensor, "tensor 'w' appears twice")) {
        try ModelLayout([TensorSpec(name: "w", shape: [1]), TensorSpec(name: "w", shape: [2])])
    }
    #expect { try ModelLayout([TensorSpec(name: "", shape: [1])]) } throws: { ($0 as? FedError)?.code == .invalidName }
}

@Test func modelStateChecksCountAndFiniteness() throws {
    let layout = try ModelLayout([TensorSpec(name: "w", shape: [2])])
    #expect { try ModelState(layout: layout, values: [1, 2, 3]) } throws: { ($0 as? FedError)?.code == .shapeSizeMismatch }
    var state = try ModelState(layout: layout, values: [1, 2])
    #expect(state.isFinite)
    state.values[1] = .nan
    #expect(!state.isFinite)
    #expect(state.tensor("w")?.count == 2)
    #expect(state.tensor("x") == nil)
}

@Test func splitMixIsRepeatableAndCounterBased() {
    var a = SplitMix64(seed: 42)
    var b = SplitMix64(seed: 42)
    let first = (0..<5).map { _ in a.next() }
    #expect(first == (0..<5).map { _ in b.next() })
    // The i-th output equals mix(seed + (i+1)*golden).
    for (i, value) in first.enumerated() {
        #expect(value == SplitMix64.mix(42 &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15))
    }
    var c = SplitMix64(seeds: 1, 2)
    var d = SplitMix64(seeds: 2, 1)
    #expect(c.next() != d.next())
}

@Test func errorCodesPrintInSnakeCase() {
    #expect(FedError.Code.malformedEnvelope.name == "malformed_envelope")
    #expect(FedError(.io, "missing file").description == "io: missing file")
}

@Test func arrangedMatchesTensorsByNameAndRejectsMismatches() throws {
    let fileOrder = try ModelLayout([TensorSpec(name: "fc.bias", shape: [2]), TensorSpec(name: "fc.weight", shape: [2, 3])])
    let model = try ModelLayout([TensorSpec(name: "fc.weight", shape: [2, 3]), TensorSpec(name: "fc.bias", shape: [2])])
    let saved = try ModelState(layout: fileOrder, values: [10, 20, 1, 2, 3, 4, 5, 6])
    let arranged = try saved.arranged(as: model)
    #expect(arranged.layout == model)
    #expect(arranged.values == [1, 2, 3, 4, 5, 6, 10, 20])
    #expect(try arranged.arranged(as: model) == arranged)

    let otherShape = try ModelLayout([TensorSpec(name: "fc.weight", shape: [3, 2]), TensorSpec(name: "fc.bias", shape: [2])])
    #expect { try saved.arranged(as: otherShape) } throws: { ($0 as? FedError)?.code == .modelMismatch }
    let fewer = try ModelLayout([TensorSpec(name: "fc.weight", shape: [2, 3])])
    #expect { try saved.arranged(as: fewer) } throws: { ($0 as? FedError)?.code == .modelMismatch }
    let more = try ModelLayout(model.tensors + [TensorSpec(name: "fc2.bias", shape: [1])])
    #expect { try saved.arranged(as: more) } throws: { ($0 as? FedError)?.code == .modelMismatch }
}
