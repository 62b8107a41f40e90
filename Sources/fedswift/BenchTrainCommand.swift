import ArgumentParser
import FedCore
import FedTrain

/// `fedswift bench train`: local training throughput of a built-in model on random Fashion-MNIST-shaped data.
struct BenchTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Measure training throughput (forward + backward + SGD step) of a built-in model.",
        discussion: """
            Trains on random data shaped like Fashion-MNIST ([1,28,28], 10 classes) through the same \
            Trainer a client uses (shuffle, gather by index, step), in timed passes of about 0.25 s, and \
            prints one JSON line with the median samples per second over the passes. \
            Benchmarks/train_torch.py measures PyTorch the same way.
            """
    )

    @Option(help: "Model name: \(ModelZoo.names.joined(separator: ", ")).")
    var model = "mlp"
    @Option(help: "Mini-batch size.")
    var batch = 32
    @Option(help: "OpenBLAS threads.")
    var threads = 1
    @Option(help: "Measured seconds (after two warm-up passes).")
    var seconds = 5.0
    @Option(help: "Seed for data, initialization and shuffling.")
    var seed: UInt64 = 0

    func run() async throws {
        let samples = 4096
        var rng = SplitMix64(seed: seed)
        let features = (0..<(samples * 784)).map { _ in 2 * SplitMix64.unitFloat(rng.next()) - 1 }
        let labels = (0..<samples).map { _ in Int32(rng.next() % 10) }
        let data = try Dataset(name: "random-fmnist", featureShape: [1, 28, 28], classes: 10, features: features, labels: labels)
        let net = try ModelZoo.make(name: model, inputShape: [1, 28, 28], classes: 10, seed: seed)
        var sgd = SGD(learningRate: 0.01)
        let trainer = Trainer(blasThreads: threads)
        let clock = ContinuousClock()
        func pass(_ count: Int) throws -> Double {
            let indices = Array(0..<count)
            let start = clock.now
            _ = try trainer.train(model: net, optimizer: &sgd, dataset: data, indices: indices, epochs: 1,
                                  batchSize: batch, rng: &rng)
            let elapsed = clock.now - start
            return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        _ = try pass(min(samples, batch * 8))
        let warm = try pass(min(samples, batch * 8))
        let perPass = min(samples, max(batch, Int(warm * 0.25) / batch * batch))
        var rates: [Double] = []
        let begin = clock.now
        while rates.count < 3 || clock.now - begin < .milliseconds(Int(seconds * 1000)) {
            rates.append(try pass(perPass))
        }
        rates.sort()
        let median = rates[rates.count / 2]
        print(#"{"model":"\#(model)","batch":\#(batch),"threads":\#(threads),"samples_per_s":\#(Int(median.rounded())),"params":\#(net.parameterCount),"impl":"fedswift","passes":\#(rates.count)}"#)
    }
}
