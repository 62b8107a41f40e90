import FedCore

/// Top-k sparsification (Aji and Heafield, "Sparse Communication for Distributed Gradient Descent",
/// EMNLP 2017; with error feedback as in Stich et al., "Sparsified SGD with Memory", NeurIPS 2018).
///
/// Keeps `k = min(n, max(1, ⌊fraction · n + ½⌋))` entries of largest magnitude (the product in float64,
/// rounded half up, so a float32 fraction such as 0.1 keeps 10 of 100); ties at the threshold go to the
/// lowest indices. The frame holds k little-endian `UInt32` indices in ascending order, then the k
/// float32 values at those indices. ``TopKResidual`` carries what was not sent into the next upload.
public enum TopK {
    /// Entries kept for `count` values at `fraction`.
    public static func keptCount(_ count: Int, fraction: Float) -> Int {
        guard count > 0 else { return 0 }
        return min(count, max(1, Int((Double(fraction) * Double(count) + 0.5).rounded(.down))))
    }

    /// Encoded bytes for `kept` entries.
    public static func encodedBytes(kept: Int) -> Int { kept * 8 }

    /// Writes the `k` largest-magnitude entries of `values` into `output`.
    ///
    /// `scratch` is reused between calls to hold magnitudes. - Throws: `.nonFiniteValue` on NaN/inf.
    public static func encode(_ values: UnsafeBufferPointer<Float>, kept k: Int, scratch: inout [Float],
                              into output: UnsafeMutableRawBufferPointer) throws(FedError) {
        let n = values.count
        precondition(k <= n && output.count >= encodedBytes(kept: k), "top-k output too small")
        guard k > 0 else { return }
        if scratch.count < n { scratch = [Float](repeating: 0, count: n) }
        for v in values where !v.isFinite { throw FedError(.nonFiniteValue, "cannot sparsify NaN or infinite values") }
        let threshold: Float = scratch.withUnsafeMutableBufferPointer { mags in
            for i in 0..<n { mags[i] = abs(values[i]) }
            return select(mags.baseAddress!, count: n, rank: n - k)
        }
        var above = 0
        for v in values where abs(v) > threshold { above += 1 }
        var ties = k - above
        let indices = output.baseAddress!.assumingMemoryBound(to: UInt32.self)
        let kept = (output.baseAddress! + 4 * k).assumingMemoryBound(to: Float.self)
        var j = 0
        for i in 0..<n {
            let m = abs(values[i])
            guard m > threshold || (m == threshold && ties > 0) else { continue }
            if m == threshold { ties -= 1 }
            indices[j] = UInt32(i).littleEndian
            kept[j] = values[i]
            j += 1
        }
    }

    /// Scatters a top-k frame into `output` (zeroed first).
    ///
    /// - Throws: `.corruptPayload` if an index is out of range or indices are not strictly ascending.
    public static func decode(_ input: UnsafeRawBufferPointer, kept k: Int, into output: UnsafeMutableBufferPointer<Float>) throws(FedError) {
        precondition(input.count >= encodedBytes(kept: k), "top-k input too small")
        output.update(repeating: 0)
        var previous = -1
        for j in 0..<k {
            let index = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)))
            guard index > previous, index < output.count else {
                throw FedError(.corruptPayload, "top-k index \(index) at position \(j) is out of range or out of order")
            }
            output[index] = input.loadUnaligned(fromByteOffset: 4 * (k + j), as: Float.self)
            previous = index
        }
    }

    /// Hoare's selection (Hoare, "Algorithm 65: Find", CACM 1961): the value of rank `rank` (0-based,
    /// ascending) of `a[0..<count]`, reordering `a`.
    static func select(_ a: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        var lo = 0
        var hi = count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            // Median of three as pivot keeps sorted and constant inputs linear.
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo
            var j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if rank <= j { hi = j } else if rank >= i { lo = i } else { return a[rank] }
        }
        return a[rank]
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}

/// Error feedback for top-k uploads: the part of each tensor that was not sent is added to the next
/// update before sparsifying (Stich et al., NeurIPS 2018). A client keeps one per virtual client.
public struct TopKResidual: Sendable {
    private var residuals: [String: [Float]] = [:]

    /// An empty residual (first round).
    public init() {}

    /// The residual kept for `name`, if any.
    public func residual(for name: String) -> [Float]? { residuals[name] }

    /// Adds the residual of `name` to `values` (the update about to be sparsified).
    public func compensate(_ name: String, _ values: inout [Float]) {
        guard let r = residuals[name], r.count == values.count else { return }
        for i in values.indices { values[i] += r[i] }
    }

    /// Records what was not sent: `compensated − decoded`.
    public mutating func record(_ name: String, compensated: [Float], decoded: [Float]) {
        precondition(compensated.count == decoded.count, "residual sizes disagree")
        residuals[name] = zip(compensated, decoded).map { $0 - $1 }
    }
}
