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
            // Eight elements at a time: each plane gets one 8-byte store instead of eight byte stores.
            let blocks = n / 8
            for block in 0..<blocks {
                let base = block * 8
                var p0: UInt64 = 0, p1: UInt64 = 0, p2: UInt64 = 0, p3: UInt64 = 0
                for j in 0..<8 {
                    let w = UInt64(UInt32(littleEndian: UnsafeRawPointer(src).loadUnaligned(fromByteOffset: (base + j) * 4, as: UInt32.self)))
                    let shift = UInt64(8 * j)
                    p0 |= (w & 0xFF) << shift
                    p1 |= ((w >> 8) & 0xFF) << shift
                    p2 |= ((w >> 16) & 0xFF) << shift
                    p3 |= (w >> 24) << shift
                }
                let out = UnsafeMutableRawPointer(dst)
                out.storeBytes(of: p0.littleEndian, toByteOffset: base, as: UInt64.self)
                out.storeBytes(of: p1.littleEndian, toByteOffset: n + base, as: UInt64.self)
                out.storeBytes(of: p2.littleEndian, toByteOffset: 2 * n + base, as: UInt64.self)
                out.storeBytes(of: p3.littleEndian, toByteOffset: 3 * n + base, as: UInt64.self)
            }
            for i in (blocks * 8)..<n {
                for b in 0..<4 { dst[b * n + i] = src[i * 4 + b] }
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
            // Eight elements at a time: one 8-byte load per plane, then eight 4-byte stores.
            let blocks = n / 8
            let planes = UnsafeRawPointer(src)
            let out = UnsafeMutableRawPointer(dst)
            for block in 0..<blocks {
                let base = block * 8
                let p0 = UInt64(littleEndian: planes.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                let p1 = UInt64(littleEndian: planes.loadUnaligned(fromByteOffset: n + base, as: UInt64.self))
                let p2 = UInt64(littleEndian: planes.loadUnaligned(fromByteOffset: 2 * n + base, as: UInt64.self))
                let p3 = UInt64(littleEndian: planes.loadUnaligned(fromByteOffset: 3 * n + base, as: UInt64.self))
                for j in 0..<8 {
                    let shift = UInt64(8 * j)
                    let w = UInt32(truncatingIfNeeded: (p0 >> shift) & 0xFF) | UInt32(truncatingIfNeeded: (p1 >> shift) & 0xFF) << 8
                        | UInt32(truncatingIfNeeded: (p2 >> shift) & 0xFF) << 16 | UInt32(truncatingIfNeeded: (p3 >> shift) & 0xFF) << 24
                    out.storeBytes(of: w.littleEndian, toByteOffset: (base + j) * 4, as: UInt32.self)
                }
            }
            for i in (blocks * 8)..<n {
                for b in 0..<4 { dst[i * 4 + b] = src[b * n + i] }
            }
            return
        }
        for i in 0..<n {
            for b in 0..<elementSize { dst[i * elementSize + b] = src[b * n + i] }
        }
    }
}
