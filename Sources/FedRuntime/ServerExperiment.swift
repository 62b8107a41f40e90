import FedCore
import FedData
import FedTrain

/// What the server holds of an experiment: the initial model, the partition's sizes (for sampling) and
/// the test set's evaluator. Echo runs get a one-tensor model of zeros and no data at all.
public final class ServerExperiment {
    /// The initial global model (fixed by the seed).
    public var initialModel: ModelState {
        initial ?? evaluator?.initialState ?? ModelState(layout: layout)
    }
    /// The initial model until a server takes it (see ``takeInitialModel()``).
    private var initial: ModelState?
    /// The model's layout.
    public let layout: ModelLayout
    /// Examples per virtual client, indexed by client id.
    public let sizes: [Int]
    /// Evaluates the global model on the test set (nil for echo runs).
    let evaluator: Evaluator?

    /// Loads the data and partitions it (or builds the echo model) for `settings`.
    public init(settings: ServerSettings) throws(FedError) {
        let config = settings.experiment
        if let params = settings.echoParams {
            layout = try ModelLayout([TensorSpec(name: "echo.weight", shape: [params])])
            initial = ModelState(layout: layout)
            sizes = [Int](repeating: 1, count: config.clients)
            evaluator = nil
            return
        }
        let data = try FederatedData.load(try DatasetSpec(parsing: config.dataset), clients: config.clients, seed: config.seed,
                                          dataDirectory: config.dataDirectory)
        sizes = try data.partition(try PartitionSpec(parsing: config.partition), clients: config.clients, seed: config.seed).sizes
        let evaluator = try Evaluator(model: config.model, test: data.test, seed: config.seed)
        initial = evaluator.initialState
        layout = evaluator.initialState.layout
        self.evaluator = evaluator
    }

    /// The initial model, no longer kept here: once the server's global model moves on, the initial one
    /// is freed instead of staying resident for the whole run (a model's worth of memory for big
    /// models). ``initialModel`` still answers afterwards (rebuilt for echo runs).
    public func takeInitialModel() -> ModelState {
        defer { initial = nil }
        return initialModel
    }
}
