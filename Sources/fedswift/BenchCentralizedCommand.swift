import ArgumentParser
import FedCore
import FedData
import FedTrain
import FedWire
import Foundation

/// `fedswift bench centralized`: trains a built-in model on all of Fashion-MNIST and reports test accuracy.
struct BenchCentralizedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "centralized",
        abstract: "Train a built-in model on the whole Fashion-MNIST training set; print test accuracy per epoch.",
        discussion: """
            The accuracy check of the training engine: plain mini-batch SGD over all 60,000 training \
            images (x/255, then standardized with mean 0.2860 and std 0.3530), evaluated on the 10,000 \
            test images after each epoch. Prints one JSON line per epoch.

            To compare step by step with PyTorch, start from the weights and batch order that \
            Benchmarks/centralized_torch.py exports (--init, --order) and dump the parameters after \
            chosen steps (--dump-after-steps, --dump-epochs).
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
    @Option(name: .customLong("init"),
            help: "Start from the float32 tensors of this safetensors file (matched by name, e.g. fc1.weight) instead of the seeded initialization.")
    var initFile: String?
    @Option(name: .customLong("order"),
            help: "Take each epoch's sample order from this file (raw little-endian int32, one permutation of the training indices per epoch) instead of shuffling with the seed.")
    var orderFile: String?
    @Option(help: "Write the initial parameters to this safetensors file (for replaying this run elsewhere).")
    var exportInit: String?
    @Option(help: "Write every epoch's sample order to this file, in the format --order reads.")
    var exportOrder: String?
    @Option(help: "Write the parameters after these optimizer steps (comma-separated, counted from 1 across epochs) to <dump-prefix>-step<K>.safetensors.")
    var dumpAfterSteps = ""
    @Flag(help: "Write the parameters after every epoch to <dump-prefix>-epoch<E>.safetensors.")
    var dumpEpochs = false
    @Option(help: "Path prefix of the parameter dumps.")
    var dumpPrefix = "centralized"
    @Option(help: "Write the training loss of every optimizer step to this file, one value per line.")
    var stepLosses: String?
    @Option(help: "Stop after this many optimizer steps (the last, partial epoch is still evaluated); 0: no limit.")
    var maxSteps = 0

    func run() async throws {
        let train = try FashionMNIST.load(directory: dataDir, split: .train)
        let test = try FashionMNIST.load(directory: dataDir, split: .test)
        let net = try ModelZoo.make(name: model, inputShape: train.featureShape, classes: train.classes, seed: seed)
        if let initFile { try net.load(Safetensors.read(from: URL(fileURLWithPath: initFile)).arranged(as: net.layout)) }
        let dumpSteps = try parseSteps(dumpAfterSteps)
        let order = try orderFile.map { path throws(FedError) in try SampleOrder.read(path: path, samples: train.count) }
            ?? seededOrder(samples: train.count)
        if order.epochs.count < epochs {
            throw ValidationError("--order holds \(order.epochs.count) epochs, --epochs asks for \(epochs)")
        }
        if let exportInit { try Safetensors.write(net.state, to: URL(fileURLWithPath: exportInit)) }
        if let exportOrder { try order.write(path: exportOrder) }
        var sgd = SGD(learningRate: lr, momentum: momentum)
        let trainer = Trainer(blasThreads: threads)
        let clock = ContinuousClock()
        var losses = ""
        var step = 0
        for epoch in 1...max(epochs, 1) {
            let start = clock.now
            let permutation = order.epochs[epoch - 1]
            var total = 0.0, seen = 0
            for first in stride(from: 0, to: permutation.count, by: batch) where maxSteps == 0 || step < maxSteps {
                let samples = permutation[first..<min(first + batch, permutation.count)]
                let loss = try trainer.step(model: net, optimizer: &sgd, dataset: train, batch: samples)
                step += 1
                total += loss * Double(samples.count)
                seen += samples.count
                if stepLosses != nil { losses += "\(loss)\n" }
                if dumpSteps.contains(step) { try dump(net, "step\(step)") }
            }
            let elapsed = clock.now - start
            if dumpEpochs { try dump(net, "epoch\(epoch)") }
            let eval = try trainer.evaluate(model: net, dataset: test, batchSize: 500)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let trainLoss = total / Double(max(seen, 1))
            print(#"{"model":"\#(model)","epoch":\#(epoch),"train_loss":\#(trainLoss),"test_loss":\#(eval.loss),"test_accuracy":\#(eval.accuracy),"test_count":\#(eval.count),"train_seconds":\#(seconds)}"#)
            fflush(nil)  // one line per epoch, visible at once through a pipe
            if maxSteps > 0 && step >= maxSteps { break }
        }
        if let stepLosses { try TextFile.write(losses, to: stepLosses) }
    }

    /// Every epoch's order, shuffled up front with the seed: the same draws as `Trainer.train`'s shuffle,
    /// since nothing else in this run draws from the generator.
    private func seededOrder(samples: Int) throws -> SampleOrder {
        var rng = SplitMix64(seeds: seed, 1)
        return try SampleOrder(samples: samples, epochs: (0..<max(epochs, 1)).map { _ in
            var permutation = Array(0..<samples)
            permutation.shuffle(using: &rng)
            return permutation
        })
    }

    private func parseSteps(_ text: String) throws -> Set<Int> {
        var steps = Set<Int>()
        for part in text.split(separator: ",") {
            guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k > 0 else {
                throw ValidationError("--dump-after-steps takes positive step numbers separated by commas, got '\(part)'")
            }
            steps.insert(k)
        }
        return steps
    }

    private func dump(_ net: Sequential, _ tag: String) throws {
        try Safetensors.write(net.state, to: URL(fileURLWithPath: "\(dumpPrefix)-\(tag).safetensors"))
    }
}
