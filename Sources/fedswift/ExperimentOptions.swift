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

    @Option(help: "Client sampler: uniform, proportional (to data size), or power-of-choice:<d> (d candidates ∝ size, the highest-loss ones kept).")
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

    @Option(help: "Algorithm: fedavg, fedavgm, fedprox, scaffold, fednova, feddyn, fedadagrad, fedadam, fedyogi, qffl or ditto.")
    var algorithm = "fedavg"

    @Option(help: "FedProx proximal coefficient μ (fedprox; also adds the proximal term to ditto's global part).")
    var mu = 0.0

    @Option(help: "Server learning rate η (fedavgm, scaffold: default 1; fedadagrad, fedadam, fedyogi: default 0.01).")
    var serverLr: Double?

    @Option(help: "FedAvgM server momentum β.")
    var serverMomentum = 0.9

    @Option(help: "FedOpt adaptivity τ.")
    var tau = 1e-3

    @Option(help: "FedOpt first-moment decay β1.")
    var beta1 = 0.9

    @Option(help: "FedAdam/FedYogi second-moment decay β2.")
    var beta2 = 0.99

    @Option(help: "FedDyn regularization α.")
    var feddynAlpha = 0.01

    @Option(help: "q-FFL fairness parameter q (0: uniform averaging).")
    var q = 1.0

    @Option(help: "Ditto personalization strength λ.")
    var dittoLambda = 0.1

    @Option(help: "Aggregation of the FedAvg family: mean, median, trimmed-mean:<beta> or clip:<norm> (median and trimmed-mean keep every delta of a round in memory).")
    var aggregation = "mean"

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
        c.fit.algorithm = algorithm
        c.fit.proximalMu = mu
        c.fit.dynAlpha = feddynAlpha
        c.fit.dittoLambda = dittoLambda
        c.parameters.serverLearningRate = serverLr
        c.parameters.serverMomentum = serverMomentum
        c.parameters.tau = tau
        c.parameters.beta1 = beta1
        c.parameters.beta2 = beta2
        c.parameters.q = q
        c.parameters.aggregation = aggregation
        c.seed = seed
        c.evalEvery = evalEvery
        return c
    }

    func validate() throws {
        do { try experiment().validate() } catch { throw ValidationError(error.detail) }
    }
}
