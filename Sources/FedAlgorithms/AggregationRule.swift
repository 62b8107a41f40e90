import FedCore

/// How a FedAvg-family strategy combines the round's client deltas into one (`--aggregation`).
///
/// `mean` and `clip` stream: memory stays O(model). `median` and `trimmed-mean` are coordinate-wise
/// order statistics and need every delta of the round at once: memory is O(clients × model) float32
/// (10 clients of a 200k-parameter mlp: 8 MB; 100 clients of a 1.6M-parameter CNN: 640 MB).
public enum AggregationRule: Sendable, Hashable, CustomStringConvertible {
    /// Example-weighted mean, `Σ n_k Δ_k / Σ n_k` (McMahan et al., AISTATS 2017).
    case mean
    /// Coordinate-wise median of the deltas, unweighted (Yin et al., "Byzantine-Robust Distributed
    /// Learning: Towards Optimal Statistical Rates", ICML 2018, Definition 1, `med{g^i}`); the mean
    /// of the two middle values for an even count.
    case median
    /// Coordinate-wise β-trimmed mean, unweighted (Yin et al., ICML 2018, Definition 2): per coordinate,
    /// drop the ⌊β m⌋ largest and ⌊β m⌋ smallest of the m values and average the rest; 0 ≤ β < 0.5.
    case trimmedMean(beta: Double)
    /// Norm clipping before the weighted mean: `Δ_k ← Δ_k · min(1, C / ‖Δ_k‖₂)` (Sun et al., "Can You
    /// Really Backdoor Federated Learning?", 2019, Section 4; McMahan et al., ICLR 2018, DP-FedAvg).
    case clip(norm: Double)

    /// Parses `mean`, `median`, `trimmed-mean:<beta>` or `clip:<norm>`.
    public init(parsing text: String) throws(FedError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? Double(parts[1]) : nil
        switch parts.first ?? "" {
        case "mean" where parts.count == 1: self = .mean
        case "median" where parts.count == 1: self = .median
        case "trimmed-mean":
            guard let beta = argument, beta >= 0, beta < 0.5 else {
                throw FedError(.invalidArgument, "--aggregation trimmed-mean:<beta> needs 0 <= beta < 0.5, got '\(text)'")
            }
            self = .trimmedMean(beta: beta)
        case "clip":
            guard let norm = argument, norm > 0, norm.isFinite else {
                throw FedError(.invalidArgument, "--aggregation clip:<norm> needs a positive norm, got '\(text)'")
            }
            self = .clip(norm: norm)
        default:
            throw FedError(.invalidArgument, "--aggregation must be mean, median, trimmed-mean:<beta> or clip:<norm>, got '\(text)'")
        }
    }

    /// The spelling ``init(parsing:)`` reads.
    public var description: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .trimmedMean(let beta): "trimmed-mean:\(beta)"
        case .clip(let norm): "clip:\(norm)"
        }
    }

    /// True for the order statistics, which keep every delta of the round.
    public var retainsResults: Bool {
        switch self {
        case .median, .trimmedMean: true
        case .mean, .clip: false
        }
    }

    /// Coordinate-wise median or trimmed mean of `deltas` (all of one length); nil for the streaming
    /// rules or no input. Runs in O(m log m) per coordinate.
    public func combine(_ deltas: [[Float]]) -> [Double]? {
        guard let first = deltas.first else { return nil }
        let m = deltas.count
        let trim: Int
        switch self {
        case .median: trim = -1
        case .trimmedMean(let beta): trim = Int((beta * Double(m)).rounded(.down))
        case .mean, .clip: return nil
        }
        var column = [Float](repeating: 0, count: m)
        var out = [Double](repeating: 0, count: first.count)
        for i in 0..<first.count {
            for k in 0..<m { column[k] = deltas[k][i] }
            column.sort()
            if trim < 0 {
                out[i] = m % 2 == 1 ? Double(column[m / 2]) : (Double(column[m / 2 - 1]) + Double(column[m / 2])) / 2
            } else {
                let kept = column[trim..<(m - trim)]
                out[i] = kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)
            }
        }
        return out
    }
}
