import FedCore
import Testing
@testable import FedTrain

/// Four well-separated Gaussian blobs in 8 dimensions.
private func blobs(count: Int, seed: UInt64) throws -> Dataset {
    var rng = SplitMix64(seed: seed)
    var features: [Float] = [], labels: [Int32] = []
    for i in 0..<count {
        let label = i % 4
        labels.append(Int32(label))
        for d in 0..<8 {
            let centre: Float = d % 4 == label ? 2 : 0
            features.append(centre + 0.5 * (2 * SplitMix64.unitFloat(rng.next()) - 1))
        }
    }
    return try Dataset(name: "blobs", featureShape: [8], classes: 4, features: features, labels: labels)
}

private func trainMLP(seed: UInt64, shuffle: UInt64, data: Dataset) throws -> (ModelState, Trainer.TrainResult) {
    let model = try ModelZoo.make(name: "mlp", inputShape: [8], classes: 4, seed: seed)
    var sgd = SGD(learningRate: 0.05, momentum: 0.9)
    var rng = SplitMix64(seed: shuffle)
    let result = try Trainer().train(model: model, optimizer: &sgd, dataset: data, indices: Array(0..<100),
                                     epochs: 2, batchSize: 16, rng: &rng)
    return (model.state, result)
}

@Test func trainingIsDeterministicForASeed() throws {
    let data = try blobs(count: 120, seed: 1)
    let (a, ra) = try trainMLP(seed: 3, shuffle: 9, data: data)
    let (b, rb) = try trainMLP(seed: 3, shuffle: 9, data: data)
    let (c, _) = try trainMLP(seed: 3, shuffle: 10, data: data)
    #expect(a == b)
    #expect(ra == rb)
    #expect(ra.examples == 200)
    #expect(a != c)
}

@Test func concurrentTrainingMatchesSerialTraining() async throws {
    let data = try blobs(count: 120, seed: 1)
    let serial = try (0..<4).map { try trainMLP(seed: UInt64($0), shuffle: 7, data: data).0 }
    let parallel = try await withThrowingTaskGroup(of: (Int, ModelState).self) { group in
        for i in 0..<4 { group.addTask { (i, try trainMLP(seed: UInt64(i), shuffle: 7, data: data).0) } }
        var out = [ModelState?](repeating: nil, count: 4)
        for try await (i, state) in group { out[i] = state }
        return out.compactMap { $0 }
    }
    #expect(parallel == serial)
}

@Test func trainingLearnsSeparableData() throws {
    let data = try blobs(count: 400, seed: 2)
    let model = try ModelZoo.make(name: "lr", inputShape: [8], classes: 4, seed: 0)
    let trainer = Trainer()
    let before = try trainer.evaluate(model: model, dataset: data, batchSize: 64)
    var sgd = SGD(learningRate: 0.1)
    var rng = SplitMix64(seed: 0)
    let result = try trainer.train(model: model, optimizer: &sgd, dataset: data, indices: Array(0..<300),
                                   epochs: 3, batchSize: 10, rng: &rng)
    let after = try trainer.evaluate(model: model, dataset: data, indices: Array(300..<400), batchSize: 64)
    #expect(after.count == 100)
    #expect(after.loss < before.loss / 2)
    #expect(after.accuracy > 0.95)
    #expect(result.loss < before.loss)
}

@Test func stateRoundTripsThroughModelState() throws {
    let data = try blobs(count: 40, seed: 4)
    let a = try ModelZoo.make(name: "simple-cnn", inputShape: [1, 28, 28], classes: 10, seed: 1)
    let b = try ModelZoo.make(name: "simple-cnn", inputShape: [1, 28, 28], classes: 10, seed: 2)
    #expect(a.state != b.state)
    try b.load(a.state)
    #expect(a.state == b.state)
    let x = (0..<(2 * 784)).map { Float($0 % 17) / 17 }
    a.forward(x, batch: 2, training: false)
    b.forward(x, batch: 2, training: false)
    #expect(a.withOutput(batch: 2, Array.init) == b.withOutput(batch: 2, Array.init))
    let other = try ModelZoo.make(name: "mlp", inputShape: [8], classes: 4, seed: 0)
    #expect(throws: FedError.self) { try other.load(a.state) }
    #expect(throws: FedError.self) {
        var sgd = SGD(learningRate: 0.1)
        var rng = SplitMix64(seed: 0)
        _ = try Trainer().train(model: a, optimizer: &sgd, dataset: data, indices: [0], epochs: 1, batchSize: 1, rng: &rng)
    }
}

@Test func trainerRejectsBadIndicesAndBatchSizes() throws {
    let data = try blobs(count: 10, seed: 1)
    let model = try ModelZoo.make(name: "lr", inputShape: [8], classes: 4, seed: 0)
    var sgd = SGD(learningRate: 0.1)
    var rng = SplitMix64(seed: 0)
    #expect(throws: FedError.self) {
        _ = try Trainer().train(model: model, optimizer: &sgd, dataset: data, indices: [10], epochs: 1, batchSize: 2, rng: &rng)
    }
    #expect(throws: FedError.self) { _ = try Trainer().evaluate(model: model, dataset: data, batchSize: 0) }
}
