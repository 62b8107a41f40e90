/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny seeded generator, used wherever FedSwift needs repeatable randomness.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator seeded by several integers (e.g. seed, round, client id), mixed so that
    /// neighbouring tuples give unrelated streams.
    public init(seeds: UInt64...) {
        var s: UInt64 = 0x6A09_E667_F3BC_C909
        for value in seeds { s = SplitMix64.mix(s ^ value &+ 0x9E37_79B9_7F4A_7C15) }
        state = s
    }

    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// SplitMix64's output function: a bijective 64-bit mixer. Also a counter-based hash:
    /// `mix(seed &+ (i + 1) &* golden)` is the i-th output of a generator seeded with `seed`.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in [0, 1) with 24 random bits, from 64 random bits.
    @inlinable
    public static func unitFloat(_ bits: UInt64) -> Float {
        Float(bits >> 40) * (1.0 / 16_777_216.0)
    }
}
