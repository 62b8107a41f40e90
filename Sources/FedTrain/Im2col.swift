/// Geometry of a 2-D convolution over one sample, and the im2col/col2im rearrangements that turn it
/// into one matrix product (Chellapilla, Puri and Simard, "High Performance Convolutional Neural
/// Networks for Document Processing", IWFHR 2006).
///
/// Both work through a zero-padded copy of the image (`[channels, height+2p, width+2p]`), so every
/// row of the column matrix is a branch-free strided copy; the padding border is written once.
struct ConvGeometry: Sendable, Equatable {
    var channels = 0, height = 0, width = 0
    var kernelH = 0, kernelW = 0, stride = 1, padding = 0
    var outH = 0, outW = 0

    /// Rows of the column matrix: `channels · kernelH · kernelW`.
    var patch: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: output pixels per channel.
    var pixels: Int { outH * outW }
    /// Padded image width and height.
    var paddedW: Int { width + 2 * padding }
    var paddedH: Int { height + 2 * padding }
    /// Values in the padded image.
    var paddedSize: Int { channels * paddedH * paddedW }

    /// Copies image `x [channels, height, width]` into the interior of `padded`, whose border must be 0.
    func pad(_ x: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for h in 0..<height {
                let dst = padded + (c * paddedH + h + padding) * paddedW + padding
                let src = x + (c * height + h) * width
                for w in 0..<width { dst[w] = src[w] }
            }
        }
    }

    /// Writes the `[patch, pixels]` column matrix of the padded image into `cols`.
    func im2col(padded: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        var row = cols
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let base = padded + (c * paddedH + ki) * paddedW + kj
                    for oh in 0..<outH {
                        let src = base + oh * stride * paddedW, dst = row + oh * outW
                        if stride == 1 {
                            Kernels.copyRow(src, to: dst, count: outW)
                        } else {
                            for ow in 0..<outW { dst[ow] = src[ow * stride] }
                        }
                    }
                    row += pixels
                }
            }
        }
    }

    /// Adds the column-matrix gradient `cols` onto the padded image gradient `padded` (zeroed by the caller).
    func col2im(_ cols: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        var row = cols
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let base = padded + (c * paddedH + ki) * paddedW + kj
                    for oh in 0..<outH {
                        let dst = base + oh * stride * paddedW, src = row + oh * outW
                        if stride == 1 {
                            Kernels.addRow(src, into: dst, count: outW)
                        } else {
                            for ow in 0..<outW { dst[ow * stride] += src[ow] }
                        }
                    }
                    row += pixels
                }
            }
        }
    }

    /// Copies the interior of the padded image gradient to `dx [channels, height, width]`.
    func unpad(_ padded: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for h in 0..<height {
                let src = padded + (c * paddedH + h + padding) * paddedW + padding
                let dst = dx + (c * height + h) * width
                for w in 0..<width { dst[w] = src[w] }
            }
        }
    }
}
