import FedCore

extension Partitioner {
    /// Label-Dirichlet split (FedLab `hetero_dir_partition`, after Yurochkin et al., "Bayesian
    /// nonparametric federated learning of neural networks", ICML 2019, and NIID-Bench's `noniid-labeldir`,
    /// Li et al., "Federated learning on non-IID data silos", ICDE 2022).
    ///
    /// For each class k: shuffle its samples, draw p ~ Dir(alpha·1) over the clients, set p_j = 0 for
    /// every client that already holds ≥ count/clients samples, renormalize, and cut the class at
    /// ⌊cumsum(p)·n_k⌋. If any client ends with fewer than `minimumSize` samples, the whole draw is
    /// repeated. Each client's indices are shuffled at the end, as FedLab does.
    /// - Throws: `.invalidArgument` if `count < minimumSize·clients` or no draw succeeds in `maxAttempts`.
    public static func dirichlet(labels: [Int32], classes: Int, clients: Int, alpha: Double, minimumSize: Int = 10,
                                 maxAttempts: Int = 1000, using generator: inout some RandomNumberGenerator) throws(FedError) -> [[Int]] {
        guard alpha > 0, alpha.isFinite else { throw FedError(.invalidArgument, "dirichlet alpha must be positive, got \(alpha)") }
        guard labels.count >= minimumSize * clients else {
            throw FedError(.invalidArgument, "dirichlet needs at least \(minimumSize) samples per client: \(labels.count) samples for \(clients) clients")
        }
        let byClass = indicesByClass(labels, classes: classes)
        let cap = Double(labels.count) / Double(clients)
        let concentration = [Double](repeating: alpha, count: clients)
        for _ in 0..<maxAttempts {
            var batches = [[Int]](repeating: [], count: clients)
            for var members in byClass where !members.isEmpty {
                RandomDistributions.shuffle(&members, using: &generator)
                var proportions = RandomDistributions.dirichlet(concentration, using: &generator)
                for j in 0..<clients where Double(batches[j].count) >= cap { proportions[j] = 0 }
                var total = proportions.reduce(0, +)
                if total == 0 {  // every client is full (only possible with tiny class counts): spread evenly
                    proportions = [Double](repeating: 1, count: clients)
                    total = Double(clients)
                }
                var cumulative = 0.0
                var start = 0
                for j in 0..<clients {
                    cumulative += proportions[j] / total
                    let end = j == clients - 1 ? members.count : min(members.count, Int(cumulative * Double(members.count)))
                    if end > start { batches[j].append(contentsOf: members[start..<end]) }
                    start = max(start, end)
                }
            }
            if batches.allSatisfy({ $0.count >= minimumSize }) {
                for j in 0..<clients { RandomDistributions.shuffle(&batches[j], using: &generator) }
                return batches
            }
        }
        throw FedError(.invalidArgument, "dirichlet:\(alpha) gave some of \(clients) clients fewer than \(minimumSize) samples in \(maxAttempts) draws; use fewer clients or a larger alpha")
    }

    /// Pathological non-IID shards (McMahan et al., "Communication-efficient learning of deep networks
    /// from decentralized data", AISTATS 2017; FedLab `shards_partition`): sort the samples by label,
    /// cut them into clients·perClient shards, and give each client perClient shards chosen at random.
    /// Where FedLab drops the `count mod shards` leftover samples, the first shards here are one sample
    /// longer, so every sample is kept.
    /// - Throws: `.invalidArgument` if there are fewer samples than shards.
    public static func shards(labels: [Int32], clients: Int, perClient: Int,
                              using generator: inout some RandomNumberGenerator) throws(FedError) -> [[Int]] {
        let shardCount = clients * perClient
        guard perClient > 0, shardCount <= labels.count else {
            throw FedError(.invalidArgument, "shards:\(perClient) needs \(shardCount) shards but there are only \(labels.count) samples")
        }
        let sorted = labels.indices.sorted { (labels[$0], $0) < (labels[$1], $1) }
        let base = labels.count / shardCount, extra = labels.count % shardCount
        let pieces = split(sorted, sizes: (0..<shardCount).map { base + ($0 < extra ? 1 : 0) })
        let order = RandomDistributions.permutation(shardCount, using: &generator)
        return (0..<clients).map { client in
            (0..<perClient).flatMap { pieces[order[client * perClient + $0]] }
        }
    }

    /// Quantity-based label imbalance #C=k (NIID-Bench `noniid-#label<k>`, Li et al., ICDE 2022): client i
    /// holds class i mod classes plus k−1 other distinct classes drawn uniformly; each class's samples
    /// are shuffled and split evenly (`array_split`) among the clients that hold it. When there are
    /// fewer clients than classes, the extra picks first cover the classes nobody holds yet, so every
    /// class is assigned. A client holds k classes by assignment; it sees all k in its data as long as
    /// every class has at least as many samples as holders.
    /// - Throws: `.invalidArgument` if k > classes or clients·k < classes.
    public static func labelQuantity(labels: [Int32], classes: Int, clients: Int, k: Int,
                                     using generator: inout some RandomNumberGenerator) throws(FedError) -> [[Int]] {
        guard k >= 1, k <= classes else {
            throw FedError(.invalidArgument, "label-quantity:\(k) needs 1 ≤ k ≤ \(classes) (the number of classes)")
        }
        guard clients * k >= classes else {
            throw FedError(.invalidArgument, "label-quantity:\(k) with \(clients) clients cannot cover all \(classes) classes")
        }
        var held = [[Int]](repeating: [], count: clients)
        for client in 0..<clients {
            held[client].append(client % classes)
            for pick in 1..<k {
                let slot = pick * clients + client
                if slot < classes {
                    held[client].append(slot)
                    continue
                }
                var candidate: Int
                repeat { candidate = RandomDistributions.index(below: classes, using: &generator) } while held[client].contains(candidate)
                held[client].append(candidate)
            }
        }
        var holders = [[Int]](repeating: [], count: classes)
        for (client, owned) in held.enumerated() { for c in owned { holders[c].append(client) } }
        var out = [[Int]](repeating: [], count: clients)
        for (c, var members) in indicesByClass(labels, classes: classes).enumerated() where !holders[c].isEmpty {
            RandomDistributions.shuffle(&members, using: &generator)
            let parts = holders[c].count
            let base = members.count / parts, extra = members.count % parts
            var start = 0
            for (position, client) in holders[c].enumerated() {
                let size = base + (position < extra ? 1 : 0)
                out[client].append(contentsOf: members[start..<(start + size)])
                start += size
            }
        }
        return out
    }
}
