import FedCore
import Testing
@testable import FedTrain

/// Runs `optimizer` over the given gradient steps starting from `start`, returning the parameters.
private func run<O: Optimizer>(_ optimizer: inout O, start: [Float], gradients: [[Float]]) -> [Float] {
    var p = start
    for g in gradients {
        p.withUnsafeMutableBufferPointer { pp in g.withUnsafeBufferPointer { optimizer.step(parameters: pp, gradients: $0) } }
    }
    return p
}

private func close(_ a: [Float], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tol }
}

@Test func plainSGDSubtractsLearningRateTimesGradient() {
    var sgd = SGD(learningRate: 0.1)
    #expect(close(run(&sgd, start: [1, -2], gradients: [[0.5, 1]]), [0.95, -2.1]))
}

@Test func sgdWeightDecayAddsL2TermToGradient() {
    var sgd = SGD(learningRate: 0.1, weightDecay: 0.1)
    // d = g + 0.1 p: [0.6, 0.8] → p − 0.1 d.
    #expect(close(run(&sgd, start: [1, -2], gradients: [[0.5, 1]]), [0.94, -2.08]))
}

@Test func sgdMomentumStartsBufferAtFirstGradient() {
    var sgd = SGD(learningRate: 0.1, momentum: 0.9)
    // Step 1: b = g = 0.5, p = 0.95. Step 2: b = 0.9·0.5 + 0.25 = 0.7, p = 0.95 − 0.07 = 0.88.
    #expect(close(run(&sgd, start: [1], gradients: [[0.5], [0.25]]), [0.88]))
    #expect(sgd.exportState().buffers["momentum_buffer"] == [0.7])
}

@Test func sgdDampeningSkipsFirstStepAsPyTorch() {
    var sgd = SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.5)
    // Step 1: b = 0.5, p = 0.95. Step 2: b = 0.45 + 0.5·0.25 = 0.575, p = 0.8925.
    #expect(close(run(&sgd, start: [1], gradients: [[0.5], [0.25]]), [0.8925]))
}

@Test func sgdNesterovLooksAhead() {
    var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
    // Step 1: b = 0.5, g = 0.5 + 0.45 = 0.95, p = 0.905. Step 2: b = 0.7, g = 0.25 + 0.63 = 0.88, p = 0.817.
    #expect(close(run(&sgd, start: [1], gradients: [[0.5], [0.25]]), [0.817]))
}

@Test func sgdMomentumWithWeightDecay() {
    var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    // Step 1: d = 0.5 + 0.01 = 0.51, p = 0.949. Step 2: d = 0.25 + 0.00949 = 0.25949,
    // b = 0.459 + 0.25949 = 0.71849, p = 0.949 − 0.071849 = 0.877151.
    #expect(close(run(&sgd, start: [1], gradients: [[0.5], [0.25]]), [0.877151]))
}

@Test func adamMatchesHandComputedSteps() {
    var adam = Adam(learningRate: 0.1)
    // Step 1: m = 0.05, v = 0.00025, m̂/√v̂ = 1 → p = 1 − 0.1 = 0.9.
    #expect(close(run(&adam, start: [1], gradients: [[0.5]]), [0.9]))
    // Step 2 with g = 0.25: m = 0.07, v = 0.00031225; p −= 0.1/0.19 · m / (√v/√0.001999 + 1e-8).
    adam.reset()
    let m = 0.07, v = 0.000_312_25
    let expected = 0.9 - (0.1 / 0.19) * m / ((v.squareRoot() / 0.001_999.squareRoot()) + 1e-8)
    #expect(close(run(&adam, start: [1], gradients: [[0.5], [0.25]]), [expected]))
}

@Test func adamWeightDecayAddsL2Term() {
    var adam = Adam(learningRate: 0.1, weightDecay: 0.5)
    // g' = 0.5 + 0.5·1 = 1; first step moves by lr·sign(g') whatever the magnitude.
    #expect(close(run(&adam, start: [1], gradients: [[0.5]]), [0.9]))
    var negative = Adam(learningRate: 0.1, weightDecay: 2)
    // g' = −0.5 + 2·1 = 1.5 > 0 though the raw gradient is negative.
    #expect(close(run(&negative, start: [1], gradients: [[-0.5]]), [0.9]))
}

@Test func optimizerStateRoundTripsAndResumesIdentically() throws {
    let grads: [[Float]] = [[0.5, -1], [0.25, 0.3], [-0.1, 0.7], [0.4, 0.4]]
    var whole = Adam(learningRate: 0.05)
    let straight = run(&whole, start: [1, 2], gradients: grads)
    var first = Adam(learningRate: 0.05)
    let half = run(&first, start: [1, 2], gradients: Array(grads[0..<2]))
    var second = Adam(learningRate: 0.05)
    try second.importState(first.exportState())
    #expect(second.exportState() == first.exportState())
    #expect(run(&second, start: half, gradients: Array(grads[2...])) == straight)
    #expect(throws: FedError.self) { try second.importState(SGD(learningRate: 1).exportState()) }
}

@Test func resetForgetsMomentum() {
    var sgd = SGD(learningRate: 0.1, momentum: 0.9)
    _ = run(&sgd, start: [1], gradients: [[0.5]])
    #expect(sgd.exportState().steps == 1)
    sgd.reset()
    #expect(sgd.exportState() == OptimizerState(kind: "sgd"))
    // After a reset the buffer starts again at the gradient: same as a fresh optimizer.
    #expect(run(&sgd, start: [1], gradients: [[0.5], [0.25]]) == [0.88])
}
