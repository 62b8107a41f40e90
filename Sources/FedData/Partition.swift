import FedCore

/// The result of partitioning: which samples each client holds, plus per-client feature noise.
///
/// `clients[i]` lists the dataset indices of client i's samples. `featureNoise[i]` is the standard
/// deviation of the Gaussian noise client i's trainer adds to every feature value it reads: zero for
/// every spec except `feature-noise:<sigma>`, where it is sigma·i/N (NIID-Bench's feature-skew setting).
/// The trainer applies it with ``addFeatureNoise(to:client:round:seed:)`` once per local round, so the
/// noise is fresh each round yet repeatable from the seed, as NIID-Bench's data-loader transform is.
public struct Partition: Sendable, Equatable {
    /// Per client, the indices of its samples in the dataset.
    public let clients: [[Int]]
    /// Per client, the std of the Gaussian noise added to its features (0 = none).
    public let featureNoise: [Float]

    /// A partition of `clients` index lists; `featureNoise` defaults to no noise.
    public init(clients: [[Int]], featureNoise: [Float]? = nil) {
        self.clients = clients
        self.featureNoise = featureNoise ?? [Float](repeating: 0, count: clients.count)
    }

    /// Number of clients.
    public var count: Int { clients.count }
    /// Number of samples each client holds.
    public var sizes: [Int] { clients.map(\.count) }

    /// Adds client `client`'s Gaussian feature noise to `features` (a batch or its whole local data),
    /// deterministically for (seed, client, round); does nothing when the client's noise level is 0.
    public func addFeatureNoise(to features: inout [Float], client: Int, round: Int, seed: UInt64) {
        let std = Double(featureNoise[client])
        guard std > 0 else { return }
        var generator = SplitMix64(seeds: seed, 0x4E4F_4953_45, UInt64(client), UInt64(round))
        for i in features.indices {
            features[i] += Float(RandomDistributions.normal(std: std, using: &generator))
        }
    }
}
