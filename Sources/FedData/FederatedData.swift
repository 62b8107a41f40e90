import FedCore

/// A training set, a test set and, when the data is per-client by nature, its natural partition.
public struct FederatedData: Sendable {
    /// Samples the clients train on.
    public let train: Dataset
    /// Held-out samples for server-side evaluation.
    public let test: Dataset
    /// The dataset's own per-client split of `train` (synthetic data), or nil.
    public let naturalPartition: Partition?

    /// Bundles the parts.
    public init(train: Dataset, test: Dataset, naturalPartition: Partition? = nil) {
        self.train = train
        self.test = test
        self.naturalPartition = naturalPartition
    }

    /// Loads `dataset`: Fashion-MNIST from `dataDirectory` (default: Debian's location), or synthetic
    /// data generated for `clients` clients from `seed`.
    public static func load(_ dataset: DatasetSpec, clients: Int, seed: UInt64,
                            dataDirectory: String? = nil) throws(FedError) -> FederatedData {
        switch dataset {
        case .fashionMNIST:
            let directory = dataDirectory ?? FashionMNIST.defaultDirectory
            return FederatedData(train: try FashionMNIST.load(directory: directory, split: .train),
                                 test: try FashionMNIST.load(directory: directory, split: .test))
        case .synthetic(let alpha, let beta):
            return try SyntheticFedProx.generate(alpha: alpha, beta: beta, clients: clients, seed: seed)
        }
    }

    /// Splits `train` over `clients` clients: `.natural` returns the natural partition (which must have
    /// exactly `clients` clients); any other spec runs ``Partitioner`` on the training labels.
    public func partition(_ spec: PartitionSpec, clients: Int, seed: UInt64) throws(FedError) -> Partition {
        guard spec == .natural else {
            return try Partitioner.partition(labels: train.labels, classes: train.classes, clients: clients, spec: spec, seed: seed)
        }
        guard let naturalPartition else {
            throw FedError(.invalidArgument, "\(train.name) has no natural partition; valid forms: \(PartitionSpec.validForms)")
        }
        guard naturalPartition.count == clients else {
            throw FedError(.invalidArgument, "the natural partition has \(naturalPartition.count) clients, not \(clients)")
        }
        return naturalPartition
    }
}
