import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Continuous distributions drawn from an explicit generator (never a global one), so every caller
/// that passes the same seeded ``SplitMix64`` gets the same values.
public enum RandomDistributions {
    /// A uniform double in the open interval (0, 1), from 53 random bits.
    @inlinable
    public static func unit(using generator: inout some RandomNumberGenerator) -> Double {
        (Double(generator.next() >> 11) + 0.5) * 0x1p-53
    }

    /// A normal draw with `mean` and standard deviation `std`, by the Box–Muller transform
    /// (Box and Muller, "A note on the generation of random normal deviates", Ann. Math. Stat. 1958).
    public static func normal(mean: Double = 0, std: Double = 1, using generator: inout some RandomNumberGenerator) -> Double {
        let radius = (-2 * log(unit(using: &generator))).squareRoot()
        return mean + std * radius * cos(2 * Double.pi * unit(using: &generator))
    }

    /// A log-normal draw: `exp(N(mean, sigma²))` (NumPy's `lognormal(mean, sigma)`).
    public static func logNormal(mean: Double, sigma: Double, using generator: inout some RandomNumberGenerator) -> Double {
        exp(normal(mean: mean, std: sigma, using: &generator))
    }

    /// A gamma draw with `shape` k > 0 and `scale` θ (mean kθ, variance kθ²), by Marsaglia and Tsang,
    /// "A simple method for generating gamma variables", ACM TOMS 26(3), 2000.
    public static func gamma(shape: Double, scale: Double = 1, using generator: inout some RandomNumberGenerator) -> Double {
        exp(logGamma(shape: shape, using: &generator)) * scale
    }

    /// The logarithm of a Gamma(shape, 1) draw. Working in logs keeps tiny shapes (α ≪ 1, where the
    /// draw itself underflows to 0) usable for Dirichlet sampling.
    ///
    /// Marsaglia–Tsang for shape ≥ 1: with d = k − 1/3, c = 1/√(9d), draw x ~ N(0,1), v = (1 + cx)³, and
    /// accept dv when log U < x²/2 + d − dv + d·log v (with the cheap squeeze U < 1 − 0.0331x⁴ first).
    /// For shape < 1 it uses their boost: Gamma(k) = Gamma(k + 1) · U^(1/k).
    public static func logGamma(shape: Double, using generator: inout some RandomNumberGenerator) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma shape must be positive and finite")
        if shape < 1 {
            return logGamma(shape: shape + 1, using: &generator) + log(unit(using: &generator)) / shape
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal(using: &generator)
            let t = 1 + c * x
            guard t > 0 else { continue }
            let v = t * t * t
            let u = unit(using: &generator)
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1 - v + log(v)) {
                return log(d) + log(v)
            }
        }
    }

    /// A Dirichlet draw with concentration `alpha` (all > 0): normalized independent gamma draws,
    /// computed in log space so that small concentrations (0.01–0.1) never give an all-zero vector.
    public static func dirichlet(_ alpha: [Double], using generator: inout some RandomNumberGenerator) -> [Double] {
        let logs = alpha.map { logGamma(shape: $0, using: &generator) }
        let top = logs.max() ?? 0
        let weights = logs.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method ("Fast random integer
    /// generation in an interval", ACM TOMS 2019). Spelled out here, not `Int.random(in:)`, so
    /// partitions stay identical whatever the standard library's implementation does.
    public static func index(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = generator.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = generator.next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Shuffles `values` in place (Fisher–Yates, Durstenfeld's version).
    public static func shuffle<T>(_ values: inout [T], using generator: inout some RandomNumberGenerator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, index(below: i + 1, using: &generator))
        }
    }

    /// A uniformly random permutation of `0..<count`.
    public static func permutation(_ count: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order, using: &generator)
        return order
    }
}
