import FedCore
import FedData

/// Heterogeneous client speeds for simulations on a virtual clock: client `i` processes samples
/// `factor[i]` times slower than a nominal device doing ``nominalSamplesPerSecond``.
public struct ClientSpeeds: Sendable, Hashable {
    /// Samples per virtual second of a factor-1 client.
    public static let nominalSamplesPerSecond = 10_000.0
    /// Slowness factor per client (1 = nominal).
    public let factors: [Double]

    /// Parses `uniform` (all 1) or `lognormal:<sigma>` (factors e^N(0, σ²), seeded).
    public init(parsing text: String, clients: Int, seed: UInt64) throws(FedError) {
        if text == "uniform" {
            factors = [Double](repeating: 1, count: clients)
            return
        }
        guard text.hasPrefix("lognormal:"), let sigma = Double(text.dropFirst("lognormal:".count)), sigma >= 0 else {
            throw FedError(.invalidArgument, "speeds '\(text)': use uniform or lognormal:<sigma>, e.g. lognormal:1.0")
        }
        var rng = SplitMix64(seeds: seed, 0x5350_4545_44)
        factors = (0..<clients).map { _ in RandomDistributions.logNormal(mean: 0, sigma: sigma, using: &rng) }
    }

    /// Virtual seconds client `client` needs to process `samples` samples.
    public func seconds(client: Int, samples: Int) -> Double {
        Double(samples) * factors[client] / Self.nominalSamplesPerSecond
    }
}
