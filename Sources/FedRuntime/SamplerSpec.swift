import FedCore

/// The client sampler of `--sampler`: `uniform`, `proportional`, or `power-of-choice:<d>`.
///
/// Power-of-choice (Cho, Wang and Joshi, "Towards Understanding Biased Client Selection in Federated
/// Learning", AISTATS 2022, Algorithm 1, π_pow-d): draw d ≥ m candidates without replacement with
/// probability ∝ data size, then keep the m with the highest local loss `F_k(w^t)`. `simulate` evaluates
/// the global model on each candidate's training data (π_pow-d exactly); a federation's server uses
/// the last loss each client reported (its mean training loss at its last participation, the paper's
/// communication-free variant π_rpow-d, Section 5), with never-seen clients first.
public enum SamplerSpec: Sendable, Equatable {
    /// Every client equally likely.
    case uniform
    /// ∝ data size, without replacement.
    case proportional
    /// Power-of-choice with d candidates.
    case powerOfChoice(d: Int)

    /// Parses the flag.
    public init(parsing text: String) throws(FedError) {
        switch text {
        case "uniform": self = .uniform
        case "proportional": self = .proportional
        default:
            let prefix = "power-of-choice:"
            guard text.hasPrefix(prefix), let d = Int(text.dropFirst(prefix.count)), d >= 1 else {
                throw FedError(.invalidArgument, "--sampler must be uniform, proportional or power-of-choice:<d>, got '\(text)'")
            }
            self = .powerOfChoice(d: d)
        }
    }

    /// The `count` candidates with the highest losses (unknown losses count as +∞; ties by lower id),
    /// ascending by id.
    static func highestLoss(_ candidates: [Int], losses: [Double], count: Int) -> [Int] {
        let keyed = candidates.enumerated().map { (i, client) in
            (loss: i < losses.count && !losses[i].isNaN ? losses[i] : .infinity, client: client)
        }
        let chosen = keyed.sorted { $0.loss != $1.loss ? $0.loss > $1.loss : $0.client < $1.client }.prefix(count)
        return chosen.map(\.client).sorted()
    }
}
