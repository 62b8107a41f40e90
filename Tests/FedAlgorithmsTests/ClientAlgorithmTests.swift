import FedCore
import Testing
@testable import FedAlgorithms

private let layout3 = try! ModelLayout([TensorSpec(name: "w", shape: [3])])

private func task(_ global: [Float], downloaded: [String: [Float]] = [:], lr: Double = 0.1, algorithm: String) -> ClientTask {
    var fit = FitConfig(learningRate: lr)
    fit.algorithm = algorithm
    return ClientTask(client: 0, round: 1, global: try! ModelState(layout: layout3, values: global), downloaded: downloaded, config: fit)
}

/// Applies `objective` to gradient `g` at parameters `w`.
private func adjusted(_ objective: (any LocalObjective)?, w: [Float], g: [Float]) -> [Float] {
    guard var objective else { return g }
    var out = g
    w.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { objective.adjust(parameters: p, gradients: $0) } }
    return out
}

@Test func fedProxAddsMuTimesTheDistanceToTheGlobalModel() throws {
    let t = task([1, 2, 3], algorithm: "fedprox")
    #expect(try FedProxClient(mu: 0).objective(for: t, state: [:]) == nil)  // μ = 0: FedAvg's client, untouched
    let g = adjusted(try FedProxClient(mu: 0.5).objective(for: t, state: [:]), w: [2, 2, 0], g: [0.1, 0.2, 0.3])
    let pulled: [Float] = [0.1 + 0.5, 0.2, 0.3 - 1.5]
    #expect(g == pulled)
}

@Test func scaffoldCorrectsGradientsAndUpdatesItsControlVariateByOptionII() throws {
    let c: [Float] = [0.5, 0, -1]
    let t = task([1, 1, 1], downloaded: [ScaffoldClient.serverKey: c], lr: 0.1, algorithm: "scaffold")
    var state: ClientState = [ScaffoldClient.clientKey: [0.25, 0.25, 0.25]]
    let g = adjusted(try ScaffoldClient().objective(for: t, state: state), w: [0, 0, 0], g: [1, 1, 1])
    let corrected: [Float] = [1.25, 0.75, -0.25]  // g − c_i + c
    #expect(g == corrected)
    let local: [Float] = [0.8, 1.2, 1]
    let out = ScaffoldClient().finish(t, local: local, steps: 4, state: &state)
    // c_i⁺ = c_i − c + (x − y)/(K η) with K η = 0.4.
    let expected: [Float] = [0.25 - 0.5 + 0.2 / 0.4, 0.25 - 0 - 0.2 / 0.4, 0.25 + 1 + 0]
    let updated = try #require(state[ScaffoldClient.clientKey])
    #expect(zip(updated, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    let dc = try #require(out.extras[ScaffoldClient.deltaKey])
    #expect(zip(dc, expected).allSatisfy { abs($0 - ($1 - 0.25)) < 1e-6 })
}

@Test func scaffoldWithZeroControlVariatesIsPlainSGD() throws {
    let t = task([1, 2, 3], algorithm: "scaffold")
    let g = adjusted(try ScaffoldClient().objective(for: t, state: [:]), w: [0, 0, 0], g: [0.1, -0.2, 0.3])
    #expect(g == [0.1, -0.2, 0.3])
}

@Test func fedDynUsesItsLinearTermAndUpdatesTheStoredGradient() throws {
    let t = task([1, 1, 1], algorithm: "feddyn")
    var state: ClientState = [FedDynClient.stateKey: [0.5, -0.5, 0]]
    let client = FedDynClient(alpha: 0.1)
    let g = adjusted(try client.objective(for: t, state: state), w: [2, 0, 1], g: [1, 1, 1])
    #expect(zip(g, [1 - 0.5 + 0.1, 1 + 0.5 - 0.1, 1] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
    _ = client.finish(t, local: [2, 0, 1], steps: 3, state: &state)
    let grad = try #require(state[FedDynClient.stateKey])
    #expect(zip(grad, [0.5 - 0.1, -0.5 + 0.1, 0] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
}

@Test func dittoPersonalizesAndQfflAsksForTheInitialLoss() throws {
    #expect(DittoClient(lambda: 0.3).personalization == 0.3)
    #expect(QFFLClient().needsInitialLoss)
    #expect(PlainClient(name: "fedavg").personalization == nil)
    var empty: ClientState = [:]
    let out = FedNovaClient().finish(task([0, 0, 0], algorithm: "fednova"), local: [0, 0, 0], steps: 9, state: &empty)
    #expect(out.metrics["nova_norm"] == 9)
}
