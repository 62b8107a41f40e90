import FedCore
import FedData

/// A client's personal test samples: drawn from the shared test set with the label distribution of the
/// client's training data, as personalized-FL benchmarks do when clients hold no test split of their own
/// (the non-IID test set of Ditto's evaluation, Li et al., ICML 2021, Section 5, built here from the
/// global test set).
///
/// Size `min(500, max(50, n_k / 5))` for a client with n_k training samples, classes in proportion to
/// its training labels (largest remainders), without replacement, seeded by (seed, client): every
/// process draws the same set.
public enum PersonalTestSet {
    /// Indices into `test` of client `client`'s personal test set.
    public static func indices(client: Int, partition: Partition, train: Dataset, test: Dataset, seed: UInt64) -> [Int] {
        guard client >= 0, client < partition.count, test.count > 0 else { return [] }
        let mine = partition.clients[client]
        guard !mine.isEmpty else { return [] }
        let classes = max(train.classes, test.classes)
        var counts = [Int](repeating: 0, count: classes)
        for i in mine { counts[Int(train.labels[i])] += 1 }
        var pools = [[Int]](repeating: [], count: classes)
        for (i, label) in test.labels.enumerated() { pools[Int(label)].append(i) }
        let size = min(500, max(50, mine.count / 5))
        // Largest-remainder apportionment of `size` over the client's classes.
        let exact = counts.map { Double($0) * Double(size) / Double(mine.count) }
        var quota = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(quota[$0]), $1) > (exact[$1] - Double(quota[$1]), $0) }
        for c in order.prefix(size - quota.reduce(0, +)) { quota[c] += 1 }
        var rng = SplitMix64(seeds: seed, 0x7E57, UInt64(client))
        var out: [Int] = []
        for c in 0..<classes where quota[c] > 0 {
            var pool = pools[c]
            let take = min(quota[c], pool.count)
            for j in 0..<take { pool.swapAt(j, j + RandomDistributions.index(below: pool.count - j, using: &rng)) }
            out += pool[..<take]
        }
        return out.sorted()
    }
}
