/// Small vector loops the layers share, written with explicit SIMD so they compile to branch-free
/// vector code (the scalar versions with data-dependent branches cost 3–10× more on random signs).
enum Kernels {
    typealias Vector = SIMD16<Float>

    /// `x[i] = max(x[i], 0)` in place.
    @inline(__always)
    static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * 4, as: Vector.self)
            i += 16
        }
        while i < count { x[i] = max(x[i], 0); i += 1 }
    }

    /// `dx[i] = y[i] > 0 ? dy[i] : 0`; `dx` may equal `dy`.
    @inline(__always)
    static func reluBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
        let yr = UnsafeRawPointer(y), dyr = UnsafeRawPointer(dy), dxr = UnsafeMutableRawPointer(dx)
        var i = 0
        while i + 16 <= count {
            let v = yr.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            let g = dyr.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            dxr.storeBytes(of: g.replacing(with: 0, where: v .<= 0), toByteOffset: i * 4, as: Vector.self)
            i += 16
        }
        while i < count { dx[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }

    /// `Σ x[i]`, with 16 partial sums.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var acc = Vector()
        var i = 0
        while i + 16 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            i += 16
        }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// `y[i] = x[i]` for short rows (im2col): 8-wide chunks, the last one overlapping the previous,
    /// so a 14-value row is two vector moves instead of 14 scalar ones. `x` and `y` must not overlap.
    @inline(__always)
    static func copyRow(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        guard count >= 8 else {
            for i in 0..<count { y[i] = x[i] }
            return
        }
        let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 < count {
            yr.storeBytes(of: xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        let last = (count - 8) * 4
        yr.storeBytes(of: xr.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
    }

    /// `y[i] += x[i]` for short rows (col2im): 8-wide chunks, then a scalar tail.
    @inline(__always)
    static func addRow(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 8 <= count {
            let sum = yr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                + xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            yr.storeBytes(of: sum, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += x[i]; i += 1 }
    }
}
