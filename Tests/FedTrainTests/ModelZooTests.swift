import FedCore
import Testing
@testable import FedTrain

@Test(arguments: [("lr", 7_850), ("mlp", 199_210), ("cnn", 1_663_370), ("simple-cnn", 44_426)])
func builtInModelsHaveTheirParameterCounts(name: String, count: Int) throws {
    let model = try ModelZoo.make(name: name, inputShape: [1, 28, 28], classes: 10, seed: 0)
    #expect(model.parameterCount == count)
    #expect(model.outputShape == [10])
}

@Test func cnnLayoutUsesPyTorchNamesAndShapes() throws {
    let model = try ModelZoo.make(name: "cnn", inputShape: [1, 28, 28], classes: 10, seed: 0)
    #expect(model.layout.tensors == [
        TensorSpec(name: "conv1.weight", shape: [32, 1, 5, 5]), TensorSpec(name: "conv1.bias", shape: [32]),
        TensorSpec(name: "conv2.weight", shape: [64, 32, 5, 5]), TensorSpec(name: "conv2.bias", shape: [64]),
        TensorSpec(name: "fc1.weight", shape: [512, 3136]), TensorSpec(name: "fc1.bias", shape: [512]),
        TensorSpec(name: "fc2.weight", shape: [10, 512]), TensorSpec(name: "fc2.bias", shape: [10]),
    ])
}

@Test func vectorModelsAcceptFlatInputs() throws {
    let mlp = try ModelZoo.make(name: "mlp", inputShape: [60], classes: 10, seed: 0)
    #expect(mlp.parameterCount == 60 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10)
    let lr = try ModelZoo.make(name: "lr", inputShape: [60], classes: 10, seed: 0)
    #expect(lr.layout.tensors.map(\.name) == ["fc.weight", "fc.bias"])
    #expect(throws: FedError.self) { try ModelZoo.make(name: "cnn", inputShape: [60], classes: 10, seed: 0) }
}

@Test func unknownModelErrorListsValidNames() {
    #expect(throws: FedError(.invalidArgument, "unknown model 'resnet'; valid models: lr, mlp, cnn, simple-cnn")) {
        try ModelZoo.make(name: "resnet", inputShape: [1, 28, 28], classes: 10, seed: 0)
    }
}

@Test func initializationMatchesPyTorchDefaultRanges() throws {
    let model = try ModelZoo.make(name: "cnn", inputShape: [1, 28, 28], classes: 10, seed: 42)
    let fanIn = ["conv1": 25, "conv2": 32 * 25, "fc1": 3136, "fc2": 512]
    let state = model.state
    for spec in model.layout.tensors {
        let bound = 1 / Float(fanIn[String(spec.name.split(separator: ".")[0])]!).squareRoot()
        let values = try #require(state.tensor(spec.name))
        #expect(values.allSatisfy { abs($0) <= bound }, "\(spec.name) exceeds ±\(bound)")
        guard values.count >= 500 else { continue }
        // U(−b, b): the extremes approach b, the mean is 0 and the variance b²/3.
        let maxAbs = values.map { abs($0) }.max()!
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)
        #expect(maxAbs > 0.98 * bound)
        #expect(abs(mean) < 0.05 * Double(bound))
        #expect(abs(variance / (Double(bound * bound) / 3) - 1) < 0.1)
    }
}

@Test func initializationIsSeeded() throws {
    let a = try ModelZoo.make(name: "mlp", inputShape: [1, 28, 28], classes: 10, seed: 5).state
    let b = try ModelZoo.make(name: "mlp", inputShape: [1, 28, 28], classes: 10, seed: 5).state
    let c = try ModelZoo.make(name: "mlp", inputShape: [1, 28, 28], classes: 10, seed: 6).state
    #expect(a == b)
    #expect(a != c)
}
