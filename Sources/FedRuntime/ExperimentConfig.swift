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
    /// Strategy name.
    public var algorithm = "fedavg"
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
        guard sampler == "uniform" || sampler == "proportional" else { throw bad("--sampler must be uniform or proportional") }
        _ = try DatasetSpec(parsing: dataset)
        _ = try PartitionSpec(parsing: partition)
        _ = try StrategyRegistry.make(algorithm)
    }

    /// The configuration as flat text entries, for results files and WELCOME messages.
    public var entries: [String: String] {
        var out: [String: String] = [
            "dataset": dataset, "model": model, "clients": "\(clients)", "partition": partition, "sample": "\(sample)",
            "sampler": sampler, "rounds": "\(rounds)", "epochs": "\(fit.epochs)", "batch": "\(fit.batchSize)",
            "lr": "\(fit.learningRate)", "momentum": "\(fit.momentum)", "weight_decay": "\(fit.weightDecay)",
            "mu": "\(fit.proximalMu)", "algorithm": algorithm, "seed": "\(seed)", "eval_every": "\(evalEvery)",
        ]
        if let dataDirectory { out["data_dir"] = dataDirectory }
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
        algorithm = entries["algorithm"] ?? algorithm
        seed = try number("seed", seed)
        evalEvery = try number("eval_every", evalEvery)
        try validate()
    }

    /// Selects the clients of `round` from `available` with the configured sampler.
    public func sampleClients(round: Int, available: [Int], sizes: [Int]) -> [Int] {
        let count = min(clientsPerRound, available.count)
        let chosen: ClientSampler = sampler == "proportional" ? .proportional(sizes: sizes) : .uniform
        return chosen.sample(round: round, count: count, from: available, seed: seed)
    }
}

/// Strategies by command-line name.
public enum StrategyRegistry {
    /// Names accepted by ``make(_:)``.
    public static let names = ["fedavg"]

    /// The strategy called `name`.
    public static func make(_ name: String) throws(FedError) -> any Strategy {
        switch name {
        case "fedavg": return FedAvg()
        default: throw FedError(.invalidArgument, "unknown algorithm '\(name)'; available: \(names.joined(separator: ", "))")
        }
    }
}
