extension Kernels {
    /// The float32 fold of large models: `sum[i] (= or +=) weight · (values[i] − minus[i])` (`minus`
    /// nil means zeros), in float32. With `assign` the sum's previous contents are ignored (they may be
    /// uninitialized memory), so a sum is only touched, page by page, as slices are folded into it.
    @inlinable
    public static func accumulate32(into sum: UnsafeMutableBufferPointer<Float>, values: UnsafeBufferPointer<Float>,
                                    minus: UnsafeBufferPointer<Float>?, weight: Float, assign: Bool) {
        precondition(sum.count == values.count && (minus == nil || minus!.count == values.count), "accumulate32: buffers differ in length")
        switch (minus, assign) {
        case (nil, true): for i in 0..<values.count { sum[i] = weight * values[i] }
        case (nil, false): for i in 0..<values.count { sum[i] += weight * values[i] }
        case (let g?, true): for i in 0..<values.count { sum[i] = weight * (values[i] - g[i]) }
        case (let g?, false): for i in 0..<values.count { sum[i] += weight * (values[i] - g[i]) }
        }
    }

    /// `out[i] = x[i] + value` for the float32 values `x` in `source` (any alignment), in one pass that
    /// also checks the results: returns false if one of them is NaN or infinite (all are written anyway).
    @inlinable
    public static func add(_ value: Float, to source: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        precondition(source.count >= out.count * 4, "add: the source is shorter than the output")
        guard let from = source.baseAddress, let to = out.baseAddress else { return true }
        let target = UnsafeMutableRawPointer(to)
        let offset = SIMD16<Float>(repeating: value)
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= out.count {
            let v = from.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) + offset
            target.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            lanes += v - v
            i += 16
        }
        var probe = lanes.sum()
        while i < out.count {
            let v = from.loadUnaligned(fromByteOffset: i * 4, as: Float.self) + value
            out[i] = v
            probe += v - v
            i += 1
        }
        return probe == 0
    }

    /// True when no value is NaN or infinite (a branch-free scan, 16 lanes at a time).
    @inlinable
    public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        // x − x is 0 for finite x and NaN for NaN/inf; a NaN poisons its lane for good.
        guard let base = values.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= values.count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            lanes += v - v
            i += 16
        }
        var probe = lanes.sum()
        while i < values.count {
            probe += values[i] - values[i]
            i += 1
        }
        return probe == 0
    }
}
