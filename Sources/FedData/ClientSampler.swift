import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses the clients that take part in a round, deterministically from (seed, round).
public enum ClientSampler: Sendable, Equatable {
    /// Every client equally likely; `count` distinct clients per round (FedAvg's client sampling,
    /// McMahan et al., AISTATS 2017).
    case uniform
    /// Clients drawn without replacement with probability proportional to their data size
    /// (`sizes[clientID]`), by Efraimidis and Spirakis' weighted reservoir keys u^(1/w)
    /// ("Weighted random sampling with a reservoir", IPL 97(5), 2006). Zero-size clients are never chosen
    /// while others remain.
    case proportional(sizes: [Int])

    /// The clients of round `round`: `min(count, clients.count)` distinct ids from `clients`, in
    /// ascending order. The same (round, count, clients, seed) always gives the same selection, and
    /// no state carries over between rounds, so a resumed server selects exactly what it would have.
    public func sample(round: Int, count: Int, from clients: [Int], seed: UInt64) -> [Int] {
        let wanted = max(0, min(count, clients.count))
        var generator = SplitMix64(seeds: seed, 0x5341_4D50, UInt64(truncatingIfNeeded: round))
        switch self {
        case .uniform:
            // Partial Fisher–Yates: the first `wanted` positions are a uniform sample without replacement.
            var pool = clients
            for i in 0..<wanted {
                pool.swapAt(i, i + RandomDistributions.index(below: pool.count - i, using: &generator))
            }
            return Array(pool[..<wanted]).sorted()
        case .proportional(let sizes):
            // Key log(u)/w per client; the `wanted` largest keys form the weighted sample.
            let keyed = clients.map { client -> (key: Double, client: Int) in
                let u = RandomDistributions.unit(using: &generator)
                let weight = client < sizes.count ? Double(sizes[client]) : 0
                return (weight > 0 ? log(u) / weight : -Double.infinity, client)
            }
            let chosen = keyed.sorted { $0.key != $1.key ? $0.key > $1.key : $0.client < $1.client }.prefix(wanted)
            return chosen.map(\.client).sorted()
        }
    }
}
