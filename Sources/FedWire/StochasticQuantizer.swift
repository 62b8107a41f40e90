import FedCore

/// QSGD-style stochastic quantization of float32 values (Alistarh et al., "QSGD: Communication-Efficient
/// SGD via Gradient Quantization and Encoding", NeurIPS 2017, §3.1), scaled by the largest magnitude
/// instead of the L2 norm (as TernGrad, Wen et al. 2017), which lowers the variance at equal bits.
///
/// With `s` levels (127 for q8, 7 for q4) and `scale = max|x|`, each value becomes the signed integer
/// `q = sign(x) · (⌊l⌋ + [u < l − ⌊l⌋])` with `l = |x| · (s / scale)` and `u` uniform in [0, 1), so
/// `E[q · scale / s] = x` (unbiased) and `|x − q · scale / s| < scale / s`. The uniform numbers come
/// from a counter-based hash: `u_i = (SplitMix64.mix(seed + (i + 1) · 0x9E3779B97F4A7C15) >> 40) / 2^24`,
/// so any implementation reproduces the same bytes from the same seed. q8 stores one int8 per value;
/// q4 stores two 4-bit two's-complement codes per byte, element `2j` in the low nibble.
public enum StochasticQuantizer {
    /// Levels per sign for a codec: 127 (q8) or 7 (q4).
    public static func levels(_ codec: Codec) -> Int { codec == .q4 ? 7 : 127 }

    /// Encoded bytes for `count` values.
    public static func encodedBytes(count: Int, codec: Codec) -> Int { codec == .q4 ? (count + 1) / 2 : count }

    /// Quantizes `values` into `output`; returns the scale (largest magnitude).
    ///
    /// - Throws: `.nonFiniteValue` if a value is NaN or infinite; `.invalidArgument` if the largest
    ///   magnitude is so small (below about 4e-37) that `s / scale` overflows.
    public static func encode(_ values: UnsafeBufferPointer<Float>, codec: Codec, seed: UInt64,
                              into output: UnsafeMutableRawBufferPointer) throws(FedError) -> Float {
        precondition(codec == .q8 || codec == .q4, "not a quantizing codec")
        precondition(output.count >= encodedBytes(count: values.count, codec: codec), "quantizer output too small")
        var scale: Float = 0
        for v in values {
            guard v.isFinite else { throw FedError(.nonFiniteValue, "cannot quantize NaN or infinite values") }
            scale = max(scale, abs(v))
        }
        let s = levels(codec)
        let inv: Float = scale > 0 ? Float(s) / scale : 0
        guard inv.isFinite else {
            throw FedError(.invalidArgument, "scale \(scale) is too small to quantize; send these values raw")
        }
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if codec == .q8 {
            for i in 0..<values.count {
                out[i] = UInt8(bitPattern: Int8(code(values[i], inv: inv, levels: s, seed: seed, index: i)))
            }
        } else {
            var i = 0
            while i < values.count {
                let lo = code(values[i], inv: inv, levels: s, seed: seed, index: i)
                let hi = i + 1 < values.count ? code(values[i + 1], inv: inv, levels: s, seed: seed, index: i + 1) : 0
                out[i / 2] = UInt8(truncatingIfNeeded: lo & 0xF) | UInt8(truncatingIfNeeded: (hi & 0xF) << 4)
                i += 2
            }
        }
        return scale
    }

    @inline(__always)
    private static func code(_ x: Float, inv: Float, levels: Int, seed: UInt64, index: Int) -> Int {
        // Float selects instead of integer branches: the rounding decision is random, so a branch
        // would be mispredicted half the time.
        let l = abs(x) * inv
        let floorL = l.rounded(.down)
        let u = SplitMix64.unitFloat(SplitMix64.mix(seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15))
        let q = Swift.min(floorL + (u < l - floorL ? 1 : 0), Float(levels))
        return Int(x < 0 ? -q : q)
    }

    /// Restores values from codes: `x = q · (scale / s)`.
    ///
    /// - Throws: `.invalidCodecParams` if the scale is negative or not finite.
    public static func decode(_ input: UnsafeRawBufferPointer, codec: Codec, scale: Float,
                              into output: UnsafeMutableBufferPointer<Float>) throws(FedError) {
        guard scale.isFinite, scale >= 0 else {
            throw FedError(.invalidCodecParams, "quantization scale \(scale) is not a finite non-negative number")
        }
        precondition(input.count >= encodedBytes(count: output.count, codec: codec), "quantizer input too small")
        let step = scale / Float(levels(codec))
        let bytes = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if codec == .q8 {
            for i in 0..<output.count { output[i] = Float(Int8(bitPattern: bytes[i])) * step }
        } else {
            for i in 0..<output.count {
                let byte = bytes[i / 2]
                let nibble = i & 1 == 0 ? byte & 0xF : byte >> 4
                let q = Int8(bitPattern: nibble << 4) >> 4  // sign-extend 4 bits
                output[i] = Float(q) * step
            }
        }
    }
}
