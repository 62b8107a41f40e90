import ArgumentParser
import FedCore
import FedData
import FedTrain
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fedswift bench centralized`: trains a built-in model on all of Fashion-MNIST and reports test accuracy.
struct BenchCentralizedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "centralized",
        abstract: "Train a built-in model on the whole Fashion-MNIST training set; print test accuracy per epoch.",
        discussion: """
            The accuracy check of the training engine: plain mini-batch SGD over all 60,000 training \
            images (x/255, then standardized with mean 0.2860 and std 0.3530), evaluated on the 10,000 \
            test images after each epoch. Prints one JSON line per epoch.
            """
    )

    @Option(help: "Model name: \(ModelZoo.names.joined(separator: ", ")).")
    var model = "mlp"
    @Option(help: "Passes over the training set.")
    var epochs = 5
    @Option(help: "Mini-batch size.")
    var batch = 32
    @Option(help: "SGD learning rate.")
    var lr: Float = 0.05
    @Option(help: "SGD momentum (0: plain SGD).")
    var momentum: Float = 0
    @Option(help: "OpenBLAS threads.")
    var threads = 1
    @Option(help: "Seed for initialization and shuffling.")
    var seed: UInt64 = 0
    @Option(help: "Directory holding the MNIST-format IDX files.")
    var dataDir = FashionMNIST.defaultDirectory

    func run() async throws {
        let train = try FashionMNIST.load(directory: dataDir, split: .train)
        let test = try FashionMNIST.load(directory: dataDir, split: .test)
        let net = try ModelZoo.make(name: model, inputShape: train.featureShape, classes: train.classes, seed: seed)
        var sgd = SGD(learningRate: lr, momentum: momentum)
        var rng = SplitMix64(seeds: seed, 1)
        let trainer = Trainer(blasThreads: threads)
        let clock = ContinuousClock()
        let indices = Array(0..<train.count)
        for epoch in 1...max(epochs, 1) {
            let start = clock.now
            let fit = try trainer.train(model: net, optimizer: &sgd, dataset: train, indices: indices, epochs: 1,
                                        batchSize: batch, rng: &rng)
            let elapsed = clock.now - start
            let eval = try trainer.evaluate(model: net, dataset: test, batchSize: 500)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print(#"{"model":"\#(model)","epoch":\#(epoch),"train_loss":\#(fit.loss),"test_loss":\#(eval.loss),"test_accuracy":\#(eval.accuracy),"train_seconds":\#(seconds)}"#)
            fflush(nil)  // one line per epoch, visible at once through a pipe
        }
    }
}
