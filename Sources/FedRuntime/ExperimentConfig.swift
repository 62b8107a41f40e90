import FedAlgorithms
import FedCore
import FedData

/// Everything that defines an experiment, shared by `simulate` and by a federation's server, which
/// sends it to clients in WELCOME so every process computes the same partition.
public struct ExperimentConfig: Sendable, Hashable {
    /// `fmnist` or `synthetic:<alpha>,<beta>`.
    public var dataset = "fmnist"
    /// Directory of MNIST-format IDX files (nil: the Debian package's directory).
    public var dataDirectory: String?
    /// Built-in model name.
    public var model = "mlp"
    /// Number of virtual clients.
    public var clients = 20
    /// Partition spec (`iid`, `dirichlet:0.5`, ...).
    public var partition = "dirichlet:0.5"
    /// Clients per round: a count, or a fraction of all clients when below 1.
    public var sample = 5.0
    /// Client sampler: `uniform` or `proportional`.
    public var sampler = "uniform"
    /// Number of rounds.
    public var rounds = 5
    /// Local training settings.
    public var fit = FitConfig()
    /// Strategy name (also copied into ``FitConfig/algorithm`` for the clients).
    public var algorithm = "fedavg" {
        didSet { fit.algorithm = algorithm }
    }
    /// Server-side hyper-parameters of the algorithm.
    public var parameters = AlgorithmParameters()
    /// Run seed: fixes model initialization, partition, sampling and every client's shuffling.
    public var seed: UInt64 = 0
    /// Evaluate the global model every this many rounds (and after the last).
    public var evalEvery = 1

    /// The defaults: a small Fashion-MNIST federation (20 clients, 5 per round, 5 rounds).
    public init() {}

    /// Clients selected per round.
    public var clientsPerRound: Int {
        let n = sample < 1 ? Int((sample * Double(clients)).rounded(.up)) : Int(sample)
        return min(max(n, 1), clients)
    }

    /// Checks every field, with messages that say what to change.
    public func validate() throws(FedError) {
        func bad(_ why: String) -> FedError { FedError(.invalidArgument, why) }
        guard clients > 0 else { throw bad("--clients must be at least 1") }
        guard sample > 0 else { throw bad("--sample must be a positive count or a fraction in (0, 1)") }
        guard rounds > 0 else { throw bad("--rounds must be at least 1") }
        guard fit.epochs > 0, fit.batchSize > 0 else { throw bad("--epochs and --batch must be at least 1") }
        guard fit.learningRate > 0, fit.learningRate.isFinite else { throw bad("--lr must be a positive number") }
        guard evalEvery > 0 else { throw bad("--eval-every must be at least 1") }
        _ = try SamplerSpec(parsing: sampler)
        guard fit.proximalMu >= 0, fit.dynAlpha > 0, fit.dittoLambda >= 0, parameters.q >= 0 else {
            throw bad("--mu, --ditto-lambda and --q must be at least 0, --feddyn-alpha positive")
        }
        guard parameters.tau > 0, (0..<1).contains(parameters.beta1), (0..<1).contains(parameters.beta2),
              (0..<1).contains(parameters.serverMomentum), (parameters.serverLearningRate ?? 1) > 0 else {
            throw bad("--tau and --server-lr must be positive; --beta1, --beta2 and --server-momentum in [0, 1)")
        }
        _ = try DatasetSpec(parsing: dataset)
        _ = try PartitionSpec(parsing: partition)
        _ = try makeStrategy()
        _ = try ClientAlgorithms.make(fit)
    }

    /// The configured strategy, ready for round 1.
    public func makeStrategy() throws(FedError) -> any Strategy {
        var fit = self.fit
        fit.algorithm = algorithm
        return try StrategyRegistry.make(algorithm, parameters: parameters, fit: fit, clients: clients)
    }

    /// The configuration as flat text entries, for results files and WELCOME messages.
    public var entries: [String: String] {
        var out: [String: String] = [
            "dataset": dataset, "model": model, "clients": "\(clients)", "partition": partition, "sample": "\(sample)",
            "sampler": sampler, "rounds": "\(rounds)", "epochs": "\(fit.epochs)", "batch": "\(fit.batchSize)",
            "lr": "\(fit.learningRate)", "momentum": "\(fit.momentum)", "weight_decay": "\(fit.weightDecay)",
            "mu": "\(fit.proximalMu)", "algorithm": algorithm, "seed": "\(seed)", "eval_every": "\(evalEvery)",
            "feddyn_alpha": "\(fit.dynAlpha)", "ditto_lambda": "\(fit.dittoLambda)", "server_momentum": "\(parameters.serverMomentum)",
            "tau": "\(parameters.tau)", "beta1": "\(parameters.beta1)", "beta2": "\(parameters.beta2)", "q": "\(parameters.q)",
            "aggregation": parameters.aggregation,
        ]
        if let dataDirectory { out["data_dir"] = dataDirectory }
        if let eta = parameters.serverLearningRate { out["server_lr"] = "\(eta)" }
        return out
    }

    /// Rebuilds a configuration from ``entries``; unknown keys are ignored, bad values rejected.
    public init(entries: [String: String]) throws(FedError) {
        self.init()
        func number<T: LosslessStringConvertible>(_ key: String, _ current: T) throws(FedError) -> T {
            guard let text = entries[key] else { return current }
            guard let value = T(text) else { throw FedError(.invalidArgument, "config '\(key)' = '\(text)' is not a number") }
            return value
        }
        dataset = entries["dataset"] ?? dataset
        dataDirectory = entries["data_dir"]
        model = entries["model"] ?? model
        clients = try number("clients", clients)
        partition = entries["partition"] ?? partition
        sample = try number("sample", sample)
        sampler = entries["sampler"] ?? sampler
        rounds = try number("rounds", rounds)
        fit.epochs = try number("epochs", fit.epochs)
        fit.batchSize = try number("batch", fit.batchSize)
        fit.learningRate = try number("lr", fit.learningRate)
        fit.momentum = try number("momentum", fit.momentum)
        fit.weightDecay = try number("weight_decay", fit.weightDecay)
        fit.proximalMu = try number("mu", fit.proximalMu)
        fit.dynAlpha = try number("feddyn_alpha", fit.dynAlpha)
        fit.dittoLambda = try number("ditto_lambda", fit.dittoLambda)
        parameters.serverMomentum = try number("server_momentum", parameters.serverMomentum)
        parameters.tau = try number("tau", parameters.tau)
        parameters.beta1 = try number("beta1", parameters.beta1)
        parameters.beta2 = try number("beta2", parameters.beta2)
        parameters.q = try number("q", parameters.q)
        parameters.aggregation = entries["aggregation"] ?? parameters.aggregation
        if entries["server_lr"] != nil { parameters.serverLearningRate = try number("server_lr", 1.0) }
        algorithm = entries["algorithm"] ?? algorithm
        fit.algorithm = algorithm
        seed = try number("seed", seed)
        evalEvery = try number("eval_every", evalEvery)
        try validate()
    }

    /// Selects the clients of `round` from `available` with the configured sampler.
    ///
    /// Power-of-choice asks `losses` for the current local losses of its d candidates (in candidates'
    /// order); without it every candidate counts as equally lossy and the lowest ids win.
    public func sampleClients(round: Int, available: [Int], sizes: [Int], losses: (([Int]) -> [Double])? = nil) -> [Int] {
        let count = min(clientsPerRound, available.count)
        switch (try? SamplerSpec(parsing: sampler)) ?? .uniform {
        case .uniform:
            return ClientSampler.uniform.sample(round: round, count: count, from: available, seed: seed)
        case .proportional:
            return ClientSampler.proportional(sizes: sizes).sample(round: round, count: count, from: available, seed: seed)
        case .powerOfChoice(let d):
            let candidates = ClientSampler.proportional(sizes: sizes).sample(round: round, count: max(d, count), from: available, seed: seed)
            return SamplerSpec.highestLoss(candidates, losses: losses?(candidates) ?? [], count: count)
        }
    }
}
