import FedCore

/// Server-side hyper-parameters of the algorithm suite (`--server-lr`, `--server-momentum`, ...);
/// client-side ones (μ, α, λ) live in ``FitConfig`` so they travel with every FIT task.
public struct AlgorithmParameters: Sendable, Hashable {
    /// Server learning rate η (nil: the algorithm's default, 1 for FedAvgM/SCAFFOLD, 0.01 for FedOpt).
    public var serverLearningRate: Double?
    /// FedAvgM's server momentum β.
    public var serverMomentum = 0.9
    /// FedOpt's adaptivity τ.
    public var tau = 1e-3
    /// FedOpt's β1.
    public var beta1 = 0.9
    /// FedOpt's β2.
    public var beta2 = 0.99
    /// q-FFL's fairness parameter q.
    public var q = 1.0
    /// Robust aggregation rule for the FedAvg family (`mean`, `median`, `trimmed-mean:<b>`, `clip:<c>`).
    public var aggregation = "mean"

    /// The defaults.
    public init() {}
}

/// Strategies by command-line name.
public enum StrategyRegistry {
    /// Names accepted by ``make(_:parameters:fit:clients:)``.
    public static let names = ["fedavg", "fedavgm", "fedprox", "scaffold", "fednova", "feddyn", "fedadagrad", "fedadam",
                               "fedyogi", "qffl", "ditto"]
    /// The algorithms that aggregate by (robust) averaging of deltas and so accept `--aggregation`.
    public static let averaging: Set<String> = ["fedavg", "fedavgm", "fedprox", "fedadagrad", "fedadam", "fedyogi", "ditto"]

    /// The strategy called `name`, for `clients` clients training with `fit`.
    ///
    /// - Throws: `.invalidArgument` for an unknown name, a bad rule, or a robust rule with an algorithm
    ///   whose aggregation is not an average of deltas.
    public static func make(_ name: String, parameters: AlgorithmParameters = AlgorithmParameters(), fit: FitConfig = FitConfig(),
                            clients: Int = 1) throws(FedError) -> any Strategy {
        let rule = try AggregationRule(parsing: parameters.aggregation)
        if rule != .mean, !averaging.contains(name) {
            throw FedError(.invalidArgument, "--aggregation \(rule) works with \(averaging.sorted().joined(separator: ", ")), not \(name)")
        }
        let eta = parameters.serverLearningRate
        switch name {
        case "fedavg", "fedprox", "ditto": return FedAvg(name: name, rule: rule)
        case "fedavgm": return FedAvgM(momentum: parameters.serverMomentum, serverLearningRate: eta ?? 1, rule: rule)
        case "scaffold": return Scaffold(totalClients: clients, serverLearningRate: eta ?? 1)
        case "fednova": return FedNova()
        case "feddyn": return FedDyn(alpha: fit.dynAlpha, totalClients: clients)
        case "qffl": return QFFL(q: parameters.q, learningRate: fit.learningRate)
        default:
            guard let variant = FedOpt.Variant(rawValue: name) else {
                throw FedError(.invalidArgument, "unknown algorithm '\(name)'; available: \(names.joined(separator: ", "))")
            }
            return FedOpt(variant, serverLearningRate: eta ?? 0.01, tau: parameters.tau, beta1: parameters.beta1,
                          beta2: parameters.beta2, rule: rule)
        }
    }
}
