import FedCore

/// How a dataset is split across clients; parsed from the CLI's `--partition` strings.
public enum PartitionSpec: Sendable, Hashable, CustomStringConvertible {
    /// `iid`: shuffle, then equal shares (sizes differ by at most one).
    case iid
    /// `iid-unbalanced:<sigma>`: IID labels, log-normal client sizes with spread `sigma`.
    case iidUnbalanced(sigma: Double)
    /// `dirichlet:<alpha>`: per-class client proportions drawn from Dir(alpha); small alpha, more skew.
    case dirichlet(alpha: Double)
    /// `shards:<per-client>`: label-sorted shards, `perClient` of them per client.
    case shards(perClient: Int)
    /// `label-quantity:<k>`: every client holds exactly `k` distinct classes.
    case labelQuantity(k: Int)
    /// `feature-noise:<sigma>`: IID split, client i's features get Gaussian noise of std sigma·i/N.
    case featureNoise(sigma: Double)
    /// `natural`: the dataset's own per-client split (only synthetic datasets have one).
    case natural

    /// The accepted forms, listed in error messages and `--help`.
    public static let validForms = "iid, iid-unbalanced:<sigma>, dirichlet:<alpha>, shards:<per-client>, "
        + "label-quantity:<k>, feature-noise:<sigma>, natural"

    /// Parses a spec such as `dirichlet:0.5`.
    /// - Throws: `.invalidArgument` naming the valid forms when the text matches none of them.
    public init(parsing text: String) throws(FedError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased()
        let argument = parts.count > 1 ? parts[1] : nil
        func fail(_ why: String) -> FedError {
            FedError(.invalidArgument, "invalid partition '\(text)': \(why); valid forms: \(PartitionSpec.validForms)")
        }
        func positiveDouble(allowZero: Bool) throws(FedError) -> Double {
            guard let argument, let value = Double(argument), value.isFinite, allowZero ? value >= 0 : value > 0 else {
                throw fail("\(name) needs a \(allowZero ? "non-negative" : "positive") number")
            }
            return value
        }
        func positiveInt() throws(FedError) -> Int {
            guard let argument, let value = Int(argument), value > 0 else { throw fail("\(name) needs a positive integer") }
            return value
        }
        switch name {
        case "iid", "natural":
            guard argument == nil else { throw fail("\(name) takes no parameter") }
            self = name == "iid" ? .iid : .natural
        case "iid-unbalanced": self = .iidUnbalanced(sigma: try positiveDouble(allowZero: true))
        case "dirichlet": self = .dirichlet(alpha: try positiveDouble(allowZero: false))
        case "shards": self = .shards(perClient: try positiveInt())
        case "label-quantity": self = .labelQuantity(k: try positiveInt())
        case "feature-noise": self = .featureNoise(sigma: try positiveDouble(allowZero: true))
        default: throw fail("unknown kind '\(name)'")
        }
    }

    /// The spec in its parseable form, e.g. `dirichlet:0.5`.
    public var description: String {
        switch self {
        case .iid: "iid"
        case .iidUnbalanced(let sigma): "iid-unbalanced:\(sigma)"
        case .dirichlet(let alpha): "dirichlet:\(alpha)"
        case .shards(let perClient): "shards:\(perClient)"
        case .labelQuantity(let k): "label-quantity:\(k)"
        case .featureNoise(let sigma): "feature-noise:\(sigma)"
        case .natural: "natural"
        }
    }
}
