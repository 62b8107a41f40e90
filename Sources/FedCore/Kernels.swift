/// Pure aggregation kernels over flat buffers; runtime code calls these and nothing else for the math.
public enum Kernels {
    /// `sum[i] += weight · values[i]`, accumulated in float64 so that summing many clients loses nothing
    /// a float32 model can show.
    @inlinable
    public static func accumulate(into sum: UnsafeMutableBufferPointer<Double>, values: UnsafeBufferPointer<Float>, weight: Double) {
        precondition(sum.count == values.count, "accumulate: buffers differ in length")
        for i in 0..<values.count { sum[i] += weight * Double(values[i]) }
    }

    /// `sum[i] += other[i]`: folds a partial sum (e.g. a scheduler's group) into a total.
    @inlinable
    public static func add(into sum: UnsafeMutableBufferPointer<Double>, _ other: UnsafeBufferPointer<Double>) {
        precondition(sum.count == other.count, "add: buffers differ in length")
        for i in 0..<other.count { sum[i] += other[i] }
    }

    /// `out[i] = base[i] + scale · sum[i]` (base may be empty, meaning zeros), rounded to float32.
    @inlinable
    public static func finish(_ sum: UnsafeBufferPointer<Double>, scale: Double, base: UnsafeBufferPointer<Float>?,
                              into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count == sum.count && (base == nil || base!.count == sum.count), "finish: buffers differ in length")
        if let base {
            for i in 0..<sum.count { out[i] = Float(Double(base[i]) + scale * sum[i]) }
        } else {
            for i in 0..<sum.count { out[i] = Float(scale * sum[i]) }
        }
    }

    /// `Σ w_i · x_i / Σ w_i` over whole arrays, computed naively: the reference the fast path is tested against.
    public static func naiveWeightedMean(_ inputs: [[Float]], weights: [Double]) -> [Float] {
        guard let n = inputs.first?.count else { return [] }
        let total = weights.reduce(0, +)
        return (0..<n).map { i in
            var s = 0.0
            for (x, w) in zip(inputs, weights) { s += w * Double(x[i]) }
            return Float(s / total)
        }
    }
}
