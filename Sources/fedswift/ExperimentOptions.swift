import ArgumentParser
import FedRuntime

/// Flags that define an experiment; shared by `simulate` and `server`.
struct ExperimentOptions: ParsableArguments {
    @Option(help: "Dataset: fmnist, or synthetic:<alpha>,<beta> (FedProx's synthetic benchmark).")
    var dataset = "fmnist"

    @Option(help: "Directory of MNIST-format IDX files (default: Debian's dataset-fashion-mnist directory).",
            completion: .directory)
    var dataDir: String?

    @Option(help: "Model: lr, mlp, cnn or simple-cnn.")
    var model = "mlp"

    @Option(help: "Number of virtual clients.")
    var clients = 20

    @Option(help: "Partition: iid, iid-unbalanced:<sigma>, dirichlet:<alpha>, shards:<n>, label-quantity:<k>, feature-noise:<sigma>, natural.")
    var partition = "dirichlet:0.5"

    @Option(help: "Clients per round: a count, or a fraction of all clients when below 1.")
    var sample = 5.0

    @Option(help: "Client sampler: uniform or proportional (to data size).")
    var sampler = "uniform"

    @Option(help: "Number of rounds.")
    var rounds = 5

    @Option(help: "Local epochs per round.")
    var epochs = 1

    @Option(help: "Local mini-batch size.")
    var batch = 32

    @Option(help: "Local SGD learning rate.")
    var lr = 0.05

    @Option(help: "Local SGD momentum.")
    var momentum = 0.0

    @Option(help: "Local L2 weight decay.")
    var weightDecay = 0.0

    @Option(help: "Algorithm: fedavg.")
    var algorithm = "fedavg"

    @Option(help: "Seed for initialization, partition, sampling and local shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Evaluate the global model every N rounds (and after the last).")
    var evalEvery = 1

    /// The experiment these flags describe.
    func experiment() -> ExperimentConfig {
        var c = ExperimentConfig()
        c.dataset = dataset
        c.dataDirectory = dataDir
        c.model = model
        c.clients = clients
        c.partition = partition
        c.sample = sample
        c.sampler = sampler
        c.rounds = rounds
        c.fit.epochs = epochs
        c.fit.batchSize = batch
        c.fit.learningRate = lr
        c.fit.momentum = momentum
        c.fit.weightDecay = weightDecay
        c.algorithm = algorithm
        c.seed = seed
        c.evalEvery = evalEvery
        return c
    }

    func validate() throws {
        do { try experiment().validate() } catch { throw ValidationError(error.detail) }
    }
}
