import FedCore
import Testing
@testable import FedTrain

@Test func oneSGDStepOfASmallCNNMatchesPyTorch() throws {
    let model = try Sequential(inputShape: [1, 6, 6], layers: [
        Conv2d("conv1", outChannels: 2, kernel: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(), Linear("fc", outputs: 3),
    ], seed: 0)
    let layout = try ModelLayout(TorchStepFixture.tensors.map { TensorSpec(name: $0.0, shape: $0.1) })
    try model.load(ModelState(layout: layout, values: TorchStepFixture.initial).arranged(as: model.layout))

    model.forward(TorchStepFixture.inputs, batch: 4, training: false)
    let logits = model.withOutput(batch: 4) { Array($0) }
    #expect(zip(logits, TorchStepFixture.logits).allSatisfy { abs($0 - $1) <= 1e-6 })

    let data = try Dataset(name: "fixture", featureShape: [1, 6, 6], classes: 3, features: TorchStepFixture.inputs,
                           labels: TorchStepFixture.labels)
    var sgd = SGD(learningRate: 0.1)
    let loss = try Trainer().step(model: model, optimizer: &sgd, dataset: data, batch: [0, 1, 2, 3][...])
    #expect(abs(Float(loss) - TorchStepFixture.loss) <= 1e-6)
    let updated = try model.state.arranged(as: layout).values
    let worst = zip(updated, TorchStepFixture.updated).map { abs($0 - $1) }.max()!
    #expect(worst <= 1e-6, "largest difference from PyTorch after one step: \(worst)")
}
