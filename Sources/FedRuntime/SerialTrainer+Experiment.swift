import FedCore
import FedData

extension SerialTrainer {
    /// A trainer for the virtual clients of `config`: loads the dataset, computes the experiment's
    /// partition (a pure function of dataset, spec, client count and seed) and builds `workers` workers.
    /// Blocking (data loading): call it off the cooperative pool.
    static func forExperiment(_ config: ExperimentConfig, workers: Int?) throws(FedError) -> SerialTrainer {
        let data = try FederatedData.load(try DatasetSpec(parsing: config.dataset), clients: config.clients,
                                          seed: config.seed, dataDirectory: config.dataDirectory)
        let partition = try data.partition(try PartitionSpec(parsing: config.partition), clients: config.clients, seed: config.seed)
        return try SerialTrainer(setup: .init(model: config.model, train: data.train, partition: partition, seed: config.seed,
                                              test: data.test),
                                 workers: workers)
    }
}
