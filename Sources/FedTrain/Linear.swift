import CBLAS
import FedCore

/// Fully connected layer `y = x·Wᵀ + b` with PyTorch's shapes: `weight [out, in]`, `bias [out]`.
///
/// Any input shape is flattened per sample, so `Linear` also follows images directly.
public struct Linear: Layer {
    /// Tensor name prefix (`fc1`).
    public let name: String
    /// Number of output features.
    public let outputs: Int
    /// Whether the layer has a bias.
    public let hasBias: Bool
    private var inputs = 0

    /// A layer called `name` producing `outputs` features.
    public init(_ name: String, outputs: Int, bias: Bool = true) {
        self.name = name
        self.outputs = outputs
        self.hasBias = bias
    }

    /// Flattens the input shape and declares `weight [out, in]` and `bias [out]`.
    public mutating func plan(inputShape: [Int]) throws(FedError) -> LayerPlan {
        inputs = inputShape.reduce(1, *)
        guard inputs > 0, outputs > 0 else {
            throw FedError(.invalidShape, "\(name): Linear needs positive sizes, got input \(inputShape) and \(outputs) outputs")
        }
        var tensors = [TensorSpec(name: "weight", shape: [outputs, inputs])]
        if hasBias { tensors.append(TensorSpec(name: "bias", shape: [outputs])) }
        return LayerPlan(outputShape: [outputs], parameters: tensors)
    }

    /// PyTorch default: weight and bias from `U(−1/√in, 1/√in)` (He et al. 2015 with a = √5).
    public mutating func initialize(parameters: UnsafeMutableBufferPointer<Float>, rng: inout SplitMix64) {
        Initialization.pytorchDefault(parameters, fanIn: inputs, rng: &rng)
    }

    /// `Y[B, out] = X[B, in] · Wᵀ`, then the bias added row by row.
    public func forward(_ b: LayerBuffers) {
        let (n, k, m) = (Int32(b.batch), Int32(inputs), Int32(outputs))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1, b.input, k, b.parameters, k, 0, b.output, m)
        guard hasBias else { return }
        let bias = b.parameters + inputs * outputs
        for s in 0..<b.batch {
            let row = b.output + s * outputs
            for j in 0..<outputs { row[j] += bias[j] }
        }
    }

    /// `dW = dYᵀ·X`, `db = Σ_batch dY`, `dX = dY·W`.
    public func backward(_ b: LayerBuffers) {
        let (n, k, m) = (Int32(b.batch), Int32(inputs), Int32(outputs))
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, n, 1, b.outputGradient, m, b.input, k, 0, b.gradients, k)
        if hasBias {
            let db = b.gradients + inputs * outputs
            db.update(repeating: 0, count: outputs)
            for s in 0..<b.batch {
                let row = b.outputGradient + s * outputs
                for j in 0..<outputs { db[j] += row[j] }
            }
        }
        if let dx = b.inputGradient {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, m, 1, b.outputGradient, m, b.parameters, k, 0, dx, k)
        }
    }
}
