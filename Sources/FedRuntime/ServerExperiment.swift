import FedCore
import FedData
import FedTrain

/// What the server holds of an experiment: the initial model, the partition's sizes (for sampling) and
/// the test set's evaluator. Echo runs get a one-tensor model of zeros and no data at all.
public final class ServerExperiment {
    /// The initial global model (fixed by the seed).
    public let initialModel: ModelState
    /// Examples per virtual client, indexed by client id.
    public let sizes: [Int]
    /// Evaluates the global model on the test set (nil for echo runs).
    let evaluator: Evaluator?

    /// Loads the data and partitions it (or builds the echo model) for `settings`.
    public init(settings: ServerSettings) throws(FedError) {
        let config = settings.experiment
        if let params = settings.echoParams {
            initialModel = ModelState(layout: try ModelLayout([TensorSpec(name: "echo.weight", shape: [params])]))
            sizes = [Int](repeating: 1, count: config.clients)
            evaluator = nil
            return
        }
        let data = try FederatedData.load(try DatasetSpec(parsing: config.dataset), clients: config.clients, seed: config.seed,
                                          dataDirectory: config.dataDirectory)
        sizes = try data.partition(try PartitionSpec(parsing: config.partition), clients: config.clients, seed: config.seed).sizes
        let evaluator = try Evaluator(model: config.model, test: data.test, seed: config.seed)
        initialModel = evaluator.initialState
        self.evaluator = evaluator
    }
}
