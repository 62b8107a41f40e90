import FedCore
import Testing
@testable import FedTrain

/// Relative errors below this pass a float32 central-difference check.
private let tolerance = 5e-3

@Test func linearGradientsMatchFiniteDifferences() throws {
    let check = try GradientCheck.run(Linear("fc", outputs: 4), inputShape: [5], batch: 3)
    #expect(check.checked == 3 * 5 + 4 * 5 + 4)
    #expect(check.worstInput < tolerance)
    #expect(check.worstParameter < tolerance)
}

@Test func linearWithoutBiasFlattensImages() throws {
    let check = try GradientCheck.run(Linear("fc", outputs: 3, bias: false), inputShape: [2, 2, 2], batch: 2)
    #expect(check.worstInput < tolerance && check.worstParameter < tolerance)
}

@Test func conv2dGradientsMatchFiniteDifferences() throws {
    let check = try GradientCheck.run(Conv2d("conv", outChannels: 3, kernel: 3, padding: 1), inputShape: [2, 5, 4], batch: 2)
    #expect(check.worstInput < tolerance)
    #expect(check.worstParameter < tolerance)
}

@Test func stridedConv2dGradientsMatchFiniteDifferences() throws {
    let check = try GradientCheck.run(Conv2d("conv", outChannels: 2, kernel: 3, stride: 2, padding: 2), inputShape: [2, 6, 5], batch: 2)
    #expect(check.worstInput < tolerance)
    #expect(check.worstParameter < tolerance)
}

@Test func maxPoolGradientsMatchFiniteDifferences() throws {
    // Distinct values 0.01 apart, so a 1e-3 nudge never changes a window's winner.
    let check = try GradientCheck.run(MaxPool2d(2), inputShape: [2, 5, 6], batch: 2, eps: 1e-3) { i, _ in
        Float((i * 37) % 120) * 0.01 - 0.6
    }
    #expect(check.checked == 2 * 2 * 5 * 6)
    #expect(check.worstInput < tolerance)
}

@Test func reluGradientsMatchFiniteDifferences() throws {
    // Keep inputs 0.05 away from the kink at zero.
    let check = try GradientCheck.run(ReLU(), inputShape: [3, 4], batch: 2) { _, u in u < 0 ? u - 0.05 : u + 0.05 }
    #expect(check.worstInput < tolerance)
}

@Test func flattenPassesGradientsThrough() throws {
    let check = try GradientCheck.run(Flatten(), inputShape: [2, 3, 2], batch: 2)
    #expect(check.worstInput < tolerance)
}

@Test func dropoutGradientsMatchFiniteDifferencesForItsMask() throws {
    let check = try GradientCheck.run(Dropout(0.3), inputShape: [20], batch: 4)
    #expect(check.worstInput < tolerance)
}

@Test func dropoutDropsAboutPAndScalesTheRest() throws {
    var layer = Dropout(0.25)
    _ = try layer.plan(inputShape: [1000])
    var rng = SplitMix64(seed: 3)
    layer.initialize(parameters: UnsafeMutableBufferPointer(start: nil, count: 0), rng: &rng)
    var x = [Float](repeating: 1, count: 2000)
    var mask = [Float](repeating: 0, count: 2000)
    x.withUnsafeMutableBufferPointer { xp in
        mask.withUnsafeMutableBytes { sp in
            layer.forward(LayerBuffers(batch: 2, input: xp.baseAddress!, output: xp.baseAddress!, outputGradient: xp.baseAddress!,
                                       inputGradient: nil, parameters: xp.baseAddress!, gradients: xp.baseAddress!,
                                       scratch: sp.baseAddress!, training: true))
        }
    }
    let dropped = x.filter { $0 == 0 }.count
    #expect(abs(Double(dropped) / 2000 - 0.25) < 0.04)
    #expect(x.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3.0) < 1e-6 })
}

@Test func sequentialChainGradientMatchesFiniteDifferencesOfTheLoss() throws {
    let model = try Sequential(inputShape: [1, 6, 6], layers: [
        Conv2d("conv", outChannels: 2, kernel: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(),
        Linear("fc1", outputs: 5), ReLU(), Dropout(0), Linear("fc2", outputs: 3),
    ], seed: 7)
    var rng = SplitMix64(seed: 11)
    let batch = 3
    let x = (0..<(batch * 36)).map { _ in 2 * SplitMix64.unitFloat(rng.next()) - 1 }
    let y: [Int32] = [0, 2, 1]
    _ = model.lossAndGradient(input: x, labels: y, batch: batch)
    let analytic = model.gradientState.values
    var worst = 0.0, kinks = 0
    let eps: Float = 1e-3
    func loss() -> Double { model.evaluate(input: x, labels: y, batch: batch).loss }
    for i in 0..<model.parameterCount {
        let keep = model.withParameters { $0[i] }
        let mid = loss()
        model.withParameters { $0[i] = keep + eps }
        let up = loss()
        model.withParameters { $0[i] = keep - eps }
        let down = loss()
        model.withParameters { $0[i] = keep }
        // A ReLU or pooling kink within ±eps makes the one-sided slopes disagree: skip that coordinate.
        if abs((up - mid) - (mid - down)) / Double(eps) > 2e-3 { kinks += 1; continue }
        let numeric = (up - down) / Double(2 * eps)
        worst = max(worst, abs(numeric - Double(analytic[i])) / (5e-2 + abs(numeric)))
    }
    #expect(kinks * 10 < model.parameterCount)
    #expect(worst < 5e-3)
}
