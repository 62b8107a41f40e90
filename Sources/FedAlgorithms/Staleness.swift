import FedCore
#if canImport(Glibc)
import Glibc
#endif

/// How much an update's weight shrinks with its staleness `s` (model versions between the one a client
/// trained from and the current one), as in FedAsync (Xie, Koyejo and Gupta, "Asynchronous Federated
/// Optimization", 2019, §5.2): constant, polynomial `(1 + s)^-a`, or hinge (1 up to `b`, then
/// `1 / (a (s − b) + 1)`).
public enum StalenessFunction: Sendable, Hashable, CustomStringConvertible {
    /// `1`.
    case constant
    /// `(1 + s)^-a`.
    case polynomial(a: Double)
    /// `1` when `s ≤ b`, else `1 / (a (s − b) + 1)`.
    case hinge(a: Double, b: Double)

    /// The factor for staleness `s` (≥ 0).
    public func weight(_ s: Int) -> Double {
        let s = Double(max(s, 0))
        switch self {
        case .constant: return 1
        case .polynomial(let a): return pow1p(s, -a)
        case .hinge(let a, let b): return s <= b ? 1 : 1 / (a * (s - b) + 1)
        }
    }

    /// Parses `constant`, `poly:<a>` or `hinge:<a>,<b>`.
    public init(parsing text: String) throws(FedError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let numbers = parts.count > 1 ? parts[1].split(separator: ",").compactMap { Double($0) } : []
        switch parts.first {
        case "constant" where parts.count == 1: self = .constant
        case "poly" where numbers.count == 1 && numbers[0] >= 0: self = .polynomial(a: numbers[0])
        case "hinge" where numbers.count == 2 && numbers[0] >= 0 && numbers[1] >= 0: self = .hinge(a: numbers[0], b: numbers[1])
        default: throw FedError(.invalidArgument, "staleness function '\(text)': use constant, poly:<a> or hinge:<a>,<b>")
        }
    }

    /// The spec text (`poly:0.5`).
    public var description: String {
        switch self {
        case .constant: "constant"
        case .polynomial(let a): "poly:\(a)"
        case .hinge(let a, let b): "hinge:\(a),\(b)"
        }
    }
}

/// `(1 + x)^y`.
private func pow1p(_ x: Double, _ y: Double) -> Double { pow(1 + x, y) }
