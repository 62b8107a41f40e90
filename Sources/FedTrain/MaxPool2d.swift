import FedCore

/// Max pooling over `kernel × kernel` windows with stride `stride` (default: the kernel), no padding,
/// floor mode, as PyTorch's `nn.MaxPool2d`. Remembers each window's winner for the backward pass.
public struct MaxPool2d: Layer {
    /// Always empty: pooling has no tensors.
    public var name: String { "" }
    /// Window size.
    public let kernel: Int
    /// Step between windows.
    public let stride: Int
    private var channels = 0, height = 0, width = 0, outH = 0, outW = 0

    /// Pooling with a square window; `stride` defaults to `kernel`.
    public init(_ kernel: Int, stride: Int? = nil) {
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    /// Needs `[channels, height, width]`; output `[channels, ⌊(h−k)/s⌋+1, ⌊(w−k)/s⌋+1]`.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        guard inputShape.count == 3, kernel > 0, stride > 0,
              inputShape[1] >= kernel, inputShape[2] >= kernel, inputShape[0] > 0 else {
            throw FedError(.invalidShape, "MaxPool2d(\(kernel)) needs an image input [channels, height, width] at least \(kernel) wide, got \(inputShape)")
        }
        (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        outH = (height - kernel) / stride + 1
        outW = (width - kernel) / stride + 1
        return LayerPlan(outputShape: [channels, outH, outW], scratchPerSample: channels * outH * outW)
    }

    /// Takes each window's maximum (first one on ties) and stores its input offset.
    public func forward(_ b: LayerBuffers) {
        if kernel == 2 && stride == 2 { return forward2x2(b) }
        let winners = b.scratch.assumingMemoryBound(to: Int32.self)
        let planes = b.batch * channels, inPlane = height * width, outPlane = outH * outW
        for p in 0..<planes {
            let x = b.input + p * inPlane, y = b.output + p * outPlane, w = winners + p * outPlane
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var best = (oh * stride) * width + ow * stride
                    var top = x[best]
                    for ki in 0..<kernel {
                        let row = (oh * stride + ki) * width + ow * stride
                        for kj in 0..<kernel where x[row + kj] > top || (x[row + kj].isNaN && !top.isNaN) {
                            top = x[row + kj]
                            best = row + kj
                        }
                    }
                    y[oh * outW + ow] = top
                    w[oh * outW + ow] = Int32(best)
                }
            }
        }
    }

    /// The common 2×2, stride-2 case with selects instead of branches (random data defeats prediction).
    private func forward2x2(_ b: LayerBuffers) {
        let winners = b.scratch.assumingMemoryBound(to: Int32.self)
        let planes = b.batch * channels, inPlane = height * width, outPlane = outH * outW
        for p in 0..<planes {
            let x = b.input + p * inPlane, y = b.output + p * outPlane, w = winners + p * outPlane
            for oh in 0..<outH {
                let top = 2 * oh * width, bottom = top + width
                for ow in 0..<outW {
                    let a = x[top + 2 * ow], c = x[top + 2 * ow + 1]
                    let d = x[bottom + 2 * ow], e = x[bottom + 2 * ow + 1]
                    let upper = c > a ? c : a, upperAt = top + 2 * ow + (c > a ? 1 : 0)
                    let lower = e > d ? e : d, lowerAt = bottom + 2 * ow + (e > d ? 1 : 0)
                    let pickLower = lower > upper
                    y[oh * outW + ow] = pickLower ? lower : upper
                    w[oh * outW + ow] = Int32(pickLower ? lowerAt : upperAt)
                }
            }
        }
    }

    /// Routes each output gradient to its window's winner.
    public func backward(_ b: LayerBuffers) {
        guard let dx = b.inputGradient else { return }
        let winners = b.scratch.assumingMemoryBound(to: Int32.self)
        let planes = b.batch * channels, inPlane = height * width, outPlane = outH * outW
        dx.update(repeating: 0, count: planes * inPlane)
        for p in 0..<planes {
            let d = dx + p * inPlane, dy = b.outputGradient + p * outPlane, w = winners + p * outPlane
            for o in 0..<outPlane { d[Int(w[o])] += dy[o] }
        }
    }
}
