import FedCore

/// Local training settings a FIT task carries to the clients.
public struct FitConfig: Sendable, Hashable {
    /// Local epochs over the client's data.
    public var epochs: Int = 1
    /// Mini-batch size.
    public var batchSize: Int = 32
    /// SGD learning rate.
    public var learningRate: Double = 0.05
    /// SGD momentum (0 = plain SGD, as FedLab and McMahan et al.).
    public var momentum: Double = 0
    /// L2 weight decay.
    public var weightDecay: Double = 0
    /// FedProx proximal coefficient μ (0 = off).
    public var proximalMu: Double = 0
    /// The algorithm whose client-side behaviour local training follows (``ClientAlgorithms/make(_:)``).
    public var algorithm = "fedavg"
    /// FedDyn's regularization coefficient α (Acar et al., ICLR 2021).
    public var dynAlpha: Double = 0.01
    /// Ditto's personalization coefficient λ (Li et al., ICML 2021).
    public var dittoLambda: Double = 0.1

    /// Defaults: one epoch, batch 32, lr 0.05, no momentum or decay.
    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Double = 0.05, momentum: Double = 0,
                weightDecay: Double = 0, proximalMu: Double = 0, algorithm: String = "fedavg") {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
        self.algorithm = algorithm
    }
}

/// One client's training result as the server receives it.
public struct ClientResult: Sendable {
    /// Virtual client id.
    public var clientID: Int
    /// Examples the client trained on: its aggregation weight.
    public var numExamples: Int
    /// The trained parameters, or their difference from the global model when `isDelta`.
    public var update: ModelState
    /// True when `update` is `local − global`.
    public var isDelta: Bool
    /// Mean training loss of the last epoch.
    public var loss: Double
    /// Scalars the client algorithm reports (`steps`, `initial_loss`, `personal_accuracy`, ...).
    public var metrics: [String: Double]
    /// Extra model-sized vectors the client algorithm uploads, by prefix (SCAFFOLD's `scaffold.dc`).
    public var extras: [String: [Float]]

    /// A result.
    public init(clientID: Int, numExamples: Int, update: ModelState, isDelta: Bool, loss: Double,
                metrics: [String: Double] = [:], extras: [String: [Float]] = [:]) {
        self.clientID = clientID
        self.numExamples = numExamples
        self.update = update
        self.isDelta = isDelta
        self.loss = loss
        self.metrics = metrics
        self.extras = extras
    }
}

/// A selected client that produced no usable result this round.
public struct ClientFailure: Error, Sendable {
    /// Virtual client id.
    public var clientID: Int
    /// Why: timeout, rejected upload, lost peer.
    public var reason: FedError

    /// A failure.
    public init(clientID: Int, reason: FedError) {
        self.clientID = clientID
        self.reason = reason
    }
}

/// Server-side federated algorithm, in the shape Flower users know (`configure_fit`, `aggregate_fit`
/// with failures as an input, ...), adapted to streaming: results are folded into a ``FitAccumulator``
/// as they arrive, so memory is O(model), not O(clients × model).
public protocol Strategy: Sendable {
    /// Command-line name (`fedavg`).
    var name: String { get }
    /// Training settings for `round` (may vary by round, e.g. a decaying learning rate).
    func configureFit(round: Int, selected: [Int], base: FitConfig) -> FitConfig
    /// An empty accumulator for this round's results against `global`.
    func makeAccumulator(global: ModelState) -> FitAccumulator
    /// The next global model from the round's accumulated results; nil keeps the current one.
    mutating func aggregateFit(round: Int, global: ModelState, results: FitAccumulator, failures: [ClientFailure]) -> ModelState?
    /// Clients to evaluate in `round` (empty: the server evaluates centrally only).
    func configureEvaluate(round: Int, available: [Int]) -> [Int]
    /// Combines clients' evaluation results into one loss and accuracy, weighted by examples.
    func aggregateEvaluate(_ results: [(examples: Int, loss: Double, accuracy: Double)]) -> (loss: Double, accuracy: Double)
    /// Model-sized vectors sent to the clients with the round's model, by prefix (SCAFFOLD's server
    /// control variate `scaffold.c`); they travel as extra named tensors `prefix/tensor`.
    func downloadExtras(global: ModelState) -> [String: [Float]]
    /// The server state a checkpoint must keep besides the model (momentum, moments, control variates).
    func exportState() -> [String: [Float]]
    /// Restores a state written by ``exportState()``.
    ///
    /// - Throws: `.invalidArgument` if the state belongs to another algorithm or has wrong lengths.
    mutating func importState(_ state: [String: [Float]]) throws(FedError)
}

extension Strategy {
    /// Default: the base settings every round.
    public func configureFit(round: Int, selected: [Int], base: FitConfig) -> FitConfig { base }
    /// Default: nothing besides the model.
    public func downloadExtras(global: ModelState) -> [String: [Float]] { [:] }
    /// Default: stateless.
    public func exportState() -> [String: [Float]] { [:] }
    /// Default: stateless; a non-empty state is refused.
    public mutating func importState(_ state: [String: [Float]]) throws(FedError) {
        guard state.isEmpty else { throw FedError(.invalidArgument, "\(name) keeps no state, the checkpoint has \(state.keys.sorted())") }
    }
    /// Default: no federated evaluation.
    public func configureEvaluate(round: Int, available: [Int]) -> [Int] { [] }
    /// Default: example-weighted means.
    public func aggregateEvaluate(_ results: [(examples: Int, loss: Double, accuracy: Double)]) -> (loss: Double, accuracy: Double) {
        let n = Double(results.reduce(0) { $0 + $1.examples })
        guard n > 0 else { return (.nan, .nan) }
        return (results.reduce(0) { $0 + Double($1.examples) * $1.loss } / n,
                results.reduce(0) { $0 + Double($1.examples) * $1.accuracy } / n)
    }
}
