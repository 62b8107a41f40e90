import FedCore
import Testing
@testable import FedAlgorithms

private func state(_ v: [Float]) throws -> ModelState {
    try ModelState(layout: ModelLayout([TensorSpec(name: "w", shape: [v.count])]), values: v)
}

@Test func stalenessFunctionsMatchThePaper() throws {
    #expect(StalenessFunction.constant.weight(7) == 1)
    #expect(abs(StalenessFunction.polynomial(a: 0.5).weight(3) - 0.5) < 1e-12)  // (1+3)^-0.5
    let hinge = StalenessFunction.hinge(a: 10, b: 4)
    #expect(hinge.weight(4) == 1)
    #expect(abs(hinge.weight(6) - 1.0 / 21) < 1e-12)  // 1 / (10·(6−4) + 1)
    #expect(try StalenessFunction(parsing: "hinge:10,4") == hinge)
    #expect { try StalenessFunction(parsing: "poly") } throws: { ($0 as? FedError)?.code == .invalidArgument }
}

@Test func fedAsyncMixesWithTheDiscountedWeight() throws {
    var strategy = FedAsync(alpha: 0.8, staleness: .polynomial(a: 1))
    var global = try state([1, 2])
    let local = ClientResult(clientID: 0, numExamples: 10, update: try state([3, -2]), isDelta: false, loss: 0)
    #expect(try strategy.apply(local, staleness: 1, to: &global))
    // α_t = 0.8 · (1+1)^-1 = 0.4: x = 0.6·[1,2] + 0.4·[3,−2] = [1.8, 0.4]
    #expect(abs(global.values[0] - 1.8) < 1e-6 && abs(global.values[1] - 0.4) < 1e-6)
}

@Test func fedBuffAppliesTheMeanOfKDeltasWithTheServerRate() throws {
    var strategy = FedBuff(bufferSize: 2, serverLearningRate: 0.5)
    var global = try state([1, 1])
    let d1 = ClientResult(clientID: 0, numExamples: 5, update: try state([2, 0]), isDelta: true, loss: 0)
    let d2 = ClientResult(clientID: 1, numExamples: 5, update: try state([0, -4]), isDelta: true, loss: 0)
    #expect(try strategy.apply(d1, staleness: 0, to: &global) == false)
    #expect(global.values == [1, 1])  // buffered, not applied
    #expect(try strategy.apply(d2, staleness: 3, to: &global))
    // x + 0.5 · ([2,0] + [0,−4]) / 2 = [1.5, 0]
    #expect(global.values == [1.5, 0])
    #expect(strategy.pending == 0)
}

@Test func asyncStrategiesRejectNaNWithoutTouchingTheModel() throws {
    var global = try state([1, 1])
    let bad = ClientResult(clientID: 0, numExamples: 1, update: try state([.nan, 0]), isDelta: true, loss: 0)
    var a = FedAsync()
    var b = FedBuff(bufferSize: 1)
    #expect(throws: FedError.self) { try a.apply(bad, staleness: 0, to: &global) }
    #expect(throws: FedError.self) { try b.apply(bad, staleness: 0, to: &global) }
    #expect(global.values == [1, 1])
}
