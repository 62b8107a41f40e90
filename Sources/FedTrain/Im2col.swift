/// Geometry of a 2-D convolution over one sample, and the im2col/col2im rearrangements that turn it
/// into one matrix product (Chellapilla, Puri and Simard, "High Performance Convolutional Neural
/// Networks for Document Processing", IWFHR 2006).
struct ConvGeometry: Sendable, Equatable {
    var channels = 0, height = 0, width = 0
    var kernelH = 0, kernelW = 0, stride = 1, padding = 0
    var outH = 0, outW = 0

    /// Rows of the column matrix: `channels · kernelH · kernelW`.
    var patch: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: output pixels per channel.
    var pixels: Int { outH * outW }

    /// The output columns `ow` whose input column `ow·stride − padding + kj` lies inside the image.
    @inline(__always)
    func validColumns(_ kj: Int) -> Range<Int> {
        let shift = kj - padding
        var lo = 0
        while lo < outW && lo * stride + shift < 0 { lo += 1 }
        var hi = outW
        while hi > lo && (hi - 1) * stride + shift >= width { hi -= 1 }
        return lo..<hi
    }

    /// Writes the `[patch, pixels]` column matrix of image `x [channels, height, width]` into `cols`.
    func im2col(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        var row = cols
        for c in 0..<channels {
            let plane = x + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let valid = validColumns(kj)
                    for oh in 0..<outH {
                        let dst = row + oh * outW
                        let ih = oh * stride - padding + ki
                        guard ih >= 0 && ih < height && !valid.isEmpty else {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        dst.update(repeating: 0, count: valid.lowerBound)
                        let src = plane + ih * width + (kj - padding)
                        if stride == 1 {
                            (dst + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            for ow in valid { dst[ow] = src[ow * stride] }
                        }
                        (dst + valid.upperBound).update(repeating: 0, count: outW - valid.upperBound)
                    }
                    row += pixels
                }
            }
        }
    }

    /// Adds the column-matrix gradient `cols` back onto image gradient `dx` (which the caller zeroed).
    func col2im(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        var row = cols
        for c in 0..<channels {
            let plane = dx + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let valid = validColumns(kj)
                    for oh in 0..<outH {
                        let ih = oh * stride - padding + ki
                        guard ih >= 0 && ih < height else { continue }
                        let src = row + oh * outW
                        let dst = plane + ih * width + (kj - padding)
                        for ow in valid { dst[ow * stride] += src[ow] }
                    }
                    row += pixels
                }
            }
        }
    }
}
