/// Byte-plane shuffle (the transform of Blosc's shuffle filter): byte `b` of element `i` moves to
/// `b * count + i`. Exponent bytes of nearby floats are alike, so grouping them lets LZ4 find runs
/// that interleaved floats hide.
public enum ByteShuffle {
    /// Writes the byte planes of `input` (elements of `elementSize` bytes) into `output` (same size).
    public static func shuffle(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, elementSize: Int) {
        precondition(output.count >= input.count && input.count % elementSize == 0, "shuffle sizes disagree")
        let n = input.count / elementSize
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        if elementSize == 4 {
            let words = UnsafeRawPointer(src).assumingMemoryBound(to: UInt32.self)
            for i in 0..<n {
                let w = UInt32(littleEndian: words[i])
                dst[i] = UInt8(truncatingIfNeeded: w)
                dst[n + i] = UInt8(truncatingIfNeeded: w >> 8)
                dst[2 * n + i] = UInt8(truncatingIfNeeded: w >> 16)
                dst[3 * n + i] = UInt8(truncatingIfNeeded: w >> 24)
            }
            return
        }
        for i in 0..<n {
            for b in 0..<elementSize { dst[b * n + i] = src[i * elementSize + b] }
        }
    }

    /// Inverse of ``shuffle(_:into:elementSize:)``.
    public static func unshuffle(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, elementSize: Int) {
        precondition(output.count >= input.count && input.count % elementSize == 0, "unshuffle sizes disagree")
        let n = input.count / elementSize
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        if elementSize == 4 {
            let words = UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt32.self)
            for i in 0..<n {
                let w = UInt32(src[i]) | UInt32(src[n + i]) << 8 | UInt32(src[2 * n + i]) << 16 | UInt32(src[3 * n + i]) << 24
                words[i] = w.littleEndian
            }
            return
        }
        for i in 0..<n {
            for b in 0..<elementSize { dst[i * elementSize + b] = src[b * n + i] }
        }
    }
}
