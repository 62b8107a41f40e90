import CBLAS
import FedCore

/// 2-D convolution (LeCun et al. 1998) over NCHW batches, computed per sample as im2col followed by one
/// sgemm. PyTorch shapes: `weight [out, in, kh, kw]`, `bias [out]`.
public struct Conv2d: Layer {
    /// Tensor name prefix (`conv1`).
    public let name: String
    /// Number of output channels.
    public let outChannels: Int
    /// Kernel height and width.
    public let kernel: Int
    /// Step between windows.
    public let stride: Int
    /// Zero padding on every side.
    public let padding: Int
    private var g = ConvGeometry()

    /// A square-kernel convolution called `name`.
    public init(_ name: String, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.name = name
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// Needs an input `[channels, height, width]`; output `[out, oh, ow]`.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw FedError(.invalidShape, "\(name): Conv2d needs an image input [channels, height, width], got \(inputShape)")
        }
        guard kernel > 0, stride > 0, padding >= 0, outChannels > 0 else {
            throw FedError(.invalidArgument, "\(name): kernel, stride and channels must be positive, padding non-negative")
        }
        g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                         kernelH: kernel, kernelW: kernel, stride: stride, padding: padding)
        g.outH = (g.height + 2 * padding - kernel) / stride + 1
        g.outW = (g.width + 2 * padding - kernel) / stride + 1
        guard g.height + 2 * padding >= kernel, g.width + 2 * padding >= kernel else {
            throw FedError(.invalidShape, "\(name): a \(kernel)×\(kernel) kernel does not fit input \(inputShape) with padding \(padding)")
        }
        return LayerPlan(
            outputShape: [outChannels, g.outH, g.outW],
            parameters: [TensorSpec(name: "weight", shape: [outChannels, g.channels, kernel, kernel]),
                         TensorSpec(name: "bias", shape: [outChannels])],
            scratchFixed: g.patch * g.pixels + 2 * g.paddedSize)
    }

    /// PyTorch default: `U(−1/√fan_in, 1/√fan_in)` with `fan_in = in·kh·kw` (He et al. 2015, a = √5).
    public mutating func initialize(parameters: UnsafeMutableBufferPointer<Float>, rng: inout SplitMix64) {
        Initialization.pytorchDefault(parameters, fanIn: g.patch, rng: &rng)
    }

    /// Scratch: the column matrix, then the padded image (border kept 0), then the padded gradient.
    private func scratch(_ b: LayerBuffers) -> (cols: UnsafeMutablePointer<Float>, image: UnsafeMutablePointer<Float>,
                                                 gradient: UnsafeMutablePointer<Float>) {
        let cols = b.scratch.assumingMemoryBound(to: Float.self)
        return (cols, cols + g.patch * g.pixels, cols + g.patch * g.pixels + g.paddedSize)
    }

    /// Per sample: columns = im2col(x), `Y[out, pixels] = W[out, patch] · columns`, plus bias.
    public func forward(_ b: LayerBuffers) {
        let (cols, image, _) = scratch(b)
        let (m, n, k) = (Int32(outChannels), Int32(g.pixels), Int32(g.patch))
        let inSize = g.channels * g.height * g.width, outSize = outChannels * g.pixels
        let bias = b.parameters + outChannels * g.patch
        for s in 0..<b.batch {
            let y = b.output + s * outSize
            for c in 0..<outChannels { (y + c * g.pixels).update(repeating: bias[c], count: g.pixels) }
            g.pad(b.input + s * inSize, into: image)
            g.im2col(padded: image, cols)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, b.parameters, k, cols, n, 1, y, n)
        }
    }

    /// Per sample: `dW += dY · columnsᵀ`, `db += Σ dY`, `dX = col2im(Wᵀ · dY)`.
    public func backward(_ b: LayerBuffers) {
        let (cols, image, padded) = scratch(b)
        let (m, n, k) = (Int32(outChannels), Int32(g.pixels), Int32(g.patch))
        let inSize = g.channels * g.height * g.width, outSize = outChannels * g.pixels
        let db = b.gradients + outChannels * g.patch
        db.update(repeating: 0, count: outChannels)
        for s in 0..<b.batch {
            let dy = b.outputGradient + s * outSize
            g.pad(b.input + s * inSize, into: image)
            g.im2col(padded: image, cols)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, n, 1, dy, n, cols, n, s == 0 ? 0 : 1, b.gradients, k)
            for c in 0..<outChannels { db[c] += Kernels.sum(dy + c * g.pixels, count: g.pixels) }
            guard let dx = b.inputGradient else { continue }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1, b.parameters, k, dy, n, 0, cols, n)
            padded.update(repeating: 0, count: g.paddedSize)
            g.col2im(cols, padded: padded)
            g.unpad(padded, into: dx + s * inSize)
        }
    }
}
