import FedCore
import Foundation
import Testing
@testable import FedTrain

/// A 4 → 5 → ReLU → 3 network, small enough to follow by hand.
private func tinyMLP() throws -> Sequential {
    try Sequential(inputShape: [4], layers: [Flatten(), Linear("fc1", outputs: 5), ReLU(), Linear("fc2", outputs: 3)], seed: 0)
}

/// The tiny network's parameters in the order PyTorch tools may store them (biases first), by name.
private func storedState(_ values: [String: [Float]]) throws -> ModelState {
    let specs = [TensorSpec(name: "fc2.bias", shape: [3]), TensorSpec(name: "fc1.bias", shape: [5]),
                 TensorSpec(name: "fc2.weight", shape: [3, 5]), TensorSpec(name: "fc1.weight", shape: [5, 4])]
    return try ModelState(layout: ModelLayout(specs), values: specs.flatMap { values[$0.name]! })
}

/// Naive double-precision forward pass, mean softmax cross-entropy and SGD step of the tiny network.
private func naiveStep(_ p: [String: [Double]], _ x: [[Double]], _ y: [Int], lr: Double)
    -> (logits: [[Double]], loss: Double, updated: [String: [Double]]) {
    let w1 = p["fc1.weight"]!, b1 = p["fc1.bias"]!, w2 = p["fc2.weight"]!, b2 = p["fc2.bias"]!
    var gw1 = [Double](repeating: 0, count: 20), gb1 = [Double](repeating: 0, count: 5)
    var gw2 = [Double](repeating: 0, count: 15), gb2 = [Double](repeating: 0, count: 3)
    var logits: [[Double]] = []
    var loss = 0.0
    let n = Double(x.count)
    for s in x.indices {
        var z1 = [Double](repeating: 0, count: 5), h = [Double](repeating: 0, count: 5)
        for j in 0..<5 {
            var acc: Double = b1[j]
            for i in 0..<4 { acc += w1[j * 4 + i] * x[s][i] }
            z1[j] = acc
            h[j] = max(acc, 0)
        }
        var z2 = [Double](repeating: 0, count: 3)
        for k in 0..<3 {
            var acc: Double = b2[k]
            for j in 0..<5 { acc += w2[k * 5 + j] * h[j] }
            z2[k] = acc
        }
        logits.append(z2)
        let top = z2.max()!
        var sum = 0.0
        for k in 0..<3 { sum += exp(z2[k] - top) }
        loss += (log(sum) + top - z2[y[s]]) / n
        var dz2 = [Double](repeating: 0, count: 3)
        for k in 0..<3 { dz2[k] = (exp(z2[k] - top) / sum - (k == y[s] ? 1 : 0)) / n }
        for k in 0..<3 {
            gb2[k] += dz2[k]
            for j in 0..<5 { gw2[k * 5 + j] += dz2[k] * h[j] }
        }
        for j in 0..<5 where z1[j] > 0 {
            var dz1 = 0.0
            for k in 0..<3 { dz1 += dz2[k] * w2[k * 5 + j] }
            gb1[j] += dz1
            for i in 0..<4 { gw1[j * 4 + i] += dz1 * x[s][i] }
        }
    }
    func sgd(_ v: [Double], _ g: [Double]) -> [Double] { zip(v, g).map { $0 - lr * $1 } }
    return (logits, loss, ["fc1.weight": sgd(w1, gw1), "fc1.bias": sgd(b1, gb1),
                           "fc2.weight": sgd(w2, gw2), "fc2.bias": sgd(b2, gb2)])
}

@Test func loadedStateByNameAndFixedBatchStepMatchNaiveReference() throws {
    var rng = SplitMix64(seed: 42)
    func draws(_ count: Int) -> [Float] { (0..<count).map { _ in 2 * SplitMix64.unitFloat(rng.next()) - 1 } }
    let values = ["fc1.weight": draws(20), "fc1.bias": draws(5), "fc2.weight": draws(15), "fc2.bias": draws(3)]
    let features = draws(6 * 4)
    let labels: [Int32] = [0, 1, 2, 2, 1, 0]
    let data = try Dataset(name: "tiny", featureShape: [4], classes: 3, features: features, labels: labels)
    let batch = [4, 1, 5]  // a fixed order, as a replayed sample order gives it

    let model = try tinyMLP()
    try model.load(storedState(values).arranged(as: model.layout))
    let x = batch.map { s in (0..<4).map { Double(features[s * 4 + $0]) } }
    let expected = naiveStep(values.mapValues { $0.map(Double.init) }, x, batch.map { Int(labels[$0]) }, lr: 0.1)

    let input = batch.flatMap { s in features[(s * 4)..<(s * 4 + 4)] }
    model.forward(input, batch: batch.count, training: false)
    let logits = model.withOutput(batch: batch.count) { Array($0) }
    for (got, want) in zip(logits, expected.logits.joined()) { #expect(abs(Double(got) - want) < 1e-6) }

    var sgd = SGD(learningRate: 0.1)
    let loss = try Trainer().step(model: model, optimizer: &sgd, dataset: data, batch: batch[...])
    #expect(abs(loss - expected.loss) < 1e-6)
    let state = model.state
    for spec in model.layout.tensors {
        for (got, want) in zip(state.tensor(spec.name)!, expected.updated[spec.name]!) { #expect(abs(Double(got) - want) < 1e-6) }
    }
}

@Test func stepsOverAShuffledOrderReproduceTrain() throws {
    var draw = SplitMix64(seed: 5)
    let features = (0..<(50 * 4)).map { _ in SplitMix64.unitFloat(draw.next()) }
    let labels = (0..<50).map { Int32($0 % 3) }
    let data = try Dataset(name: "tiny", featureShape: [4], classes: 3, features: features, labels: labels)
    let trainer = Trainer()

    let viaTrain = try tinyMLP()
    var sgdA = SGD(learningRate: 0.05)
    var rngA = SplitMix64(seed: 9)
    for _ in 0..<2 {
        _ = try trainer.train(model: viaTrain, optimizer: &sgdA, dataset: data, indices: Array(0..<50), epochs: 1,
                              batchSize: 8, rng: &rngA)
    }
    let viaSteps = try tinyMLP()
    var sgdB = SGD(learningRate: 0.05)
    var rngB = SplitMix64(seed: 9)
    for _ in 0..<2 {
        var order = Array(0..<50)
        order.shuffle(using: &rngB)
        for first in stride(from: 0, to: 50, by: 8) {
            _ = try trainer.step(model: viaSteps, optimizer: &sgdB, dataset: data, batch: order[first..<min(first + 8, 50)])
        }
    }
    #expect(viaSteps.state == viaTrain.state)
}
