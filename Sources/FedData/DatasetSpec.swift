import FedCore

/// Which dataset to use; parsed from the CLI's `--dataset` strings.
public enum DatasetSpec: Sendable, Hashable, CustomStringConvertible {
    /// `fmnist`: Fashion-MNIST from IDX files.
    case fashionMNIST
    /// `synthetic:<alpha>,<beta>`: the FedProx synthetic benchmark.
    case synthetic(alpha: Double, beta: Double)

    /// The accepted forms, listed in error messages and `--help`.
    public static let validForms = "fmnist, synthetic:<alpha>,<beta> (e.g. synthetic:1,1)"

    /// Parses `fmnist` (or `fashion-mnist`) or `synthetic:<alpha>,<beta>`.
    /// - Throws: `.invalidArgument` naming the valid forms.
    public init(parsing text: String) throws(FedError) {
        let lower = text.lowercased()
        if lower == "fmnist" || lower == "fashion-mnist" {
            self = .fashionMNIST
            return
        }
        if lower.hasPrefix("synthetic:") {
            let numbers = lower.dropFirst("synthetic:".count).split(separator: ",", omittingEmptySubsequences: false)
            if numbers.count == 2, let alpha = Double(numbers[0]), let beta = Double(numbers[1]),
               alpha >= 0, beta >= 0, alpha.isFinite, beta.isFinite {
                self = .synthetic(alpha: alpha, beta: beta)
                return
            }
        }
        throw FedError(.invalidArgument, "invalid dataset '\(text)'; valid forms: \(DatasetSpec.validForms)")
    }

    /// The spec in its parseable form.
    public var description: String {
        switch self {
        case .fashionMNIST: "fmnist"
        case .synthetic(let alpha, let beta): "synthetic:\(alpha),\(beta)"
        }
    }
}
