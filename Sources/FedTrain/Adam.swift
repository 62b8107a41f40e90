#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FedCore

/// Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) with PyTorch's
/// `torch.optim.Adam` semantics: L2 weight decay added to the gradient, bias-corrected moments and
/// `p ← p − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`.
public struct Adam: Optimizer {
    /// Step size η.
    public var learningRate: Float
    /// Decay of the first moment β₁.
    public var beta1: Float
    /// Decay of the second moment β₂.
    public var beta2: Float
    /// Term ε added to the denominator.
    public var epsilon: Float
    /// L2 penalty coefficient added to the gradient.
    public var weightDecay: Float
    private var m: [Float] = []
    private var v: [Float] = []
    private var steps = 0

    /// An Adam optimizer; defaults are PyTorch's.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One bias-corrected Adam update.
    public mutating func step(parameters p: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>) {
        precondition(p.count == g.count, "parameters and gradients differ in length")
        if m.count != p.count || v.count != p.count {
            m = [Float](repeating: 0, count: p.count)
            v = [Float](repeating: 0, count: p.count)
        }
        steps += 1
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        let correction1 = 1 - pow(Double(b1), Double(steps))
        let correction2 = 1 - pow(Double(b2), Double(steps))
        let stepSize = Float(Double(learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for i in p.indices {
                    let d = g[i] + wd * p[i]
                    m[i] = b1 * m[i] + (1 - b1) * d
                    v[i] = b2 * v[i] + (1 - b2) * d * d
                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + eps)
                }
            }
        }
    }

    /// Steps taken and, once stepped, `exp_avg` and `exp_avg_sq`.
    public func exportState() -> OptimizerState {
        OptimizerState(kind: "adam", steps: steps, buffers: m.isEmpty ? [:] : ["exp_avg": m, "exp_avg_sq": v])
    }

    /// Restores a state exported by an Adam optimizer.
    public mutating func importState(_ state: OptimizerState) throws(FedError) {
        let s = try state.validated(kind: "adam", names: ["exp_avg", "exp_avg_sq"])
        guard (s.buffers["exp_avg"] == nil) == (s.buffers["exp_avg_sq"] == nil) else {
            throw FedError(.invalidArgument, "adam state needs both exp_avg and exp_avg_sq or neither")
        }
        steps = s.steps
        m = s.buffers["exp_avg"] ?? []
        v = s.buffers["exp_avg_sq"] ?? []
    }

    /// Drops both moments and the step count.
    public mutating func reset() {
        m = []
        v = []
        steps = 0
    }
}
