import CBLAS
import FedCore

/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics: L2 weight decay added to the
/// gradient, heavy-ball momentum (Polyak 1964) with dampening, optional Nesterov momentum (Sutskever et
/// al., ICML 2013). The momentum buffer starts as the first gradient, as in PyTorch.
public struct SGD: Optimizer {
    /// Step size.
    public var learningRate: Float
    /// Momentum factor (0 disables momentum).
    public var momentum: Float
    /// Dampening of the gradient entering the momentum buffer.
    public var dampening: Float
    /// L2 penalty coefficient added to the gradient as `weightDecay · p`.
    public var weightDecay: Float
    /// Nesterov momentum (requires momentum > 0 and dampening 0, as PyTorch checks).
    public var nesterov: Bool
    private var buffer: [Float] = []
    private var steps = 0

    /// An SGD optimizer; defaults are PyTorch's.
    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0,
                nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// `g ← ∇ + λp; b ← μb + (1−τ)g (b ← g first); g ← g + μb (Nesterov) or b; p ← p − ηg`.
    public mutating func step(parameters p: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>) {
        precondition(p.count == g.count, "parameters and gradients differ in length")
        defer { steps += 1 }
        let (lr, wd, mu) = (learningRate, weightDecay, momentum)
        if mu == 0 {
            if wd == 0 {
                cblas_saxpy(Int32(p.count), -lr, g.baseAddress, 1, p.baseAddress, 1)
            } else {
                for i in p.indices { p[i] -= lr * (g[i] + wd * p[i]) }
            }
            return
        }
        let first = buffer.count != p.count
        if first { buffer = [Float](repeating: 0, count: p.count) }
        let keep = first ? 0 : mu, enter: Float = first ? 1 : 1 - dampening
        let nesterov = self.nesterov
        buffer.withUnsafeMutableBufferPointer { b in
            for i in p.indices {
                let d = g[i] + wd * p[i]
                let m = keep * b[i] + enter * d
                b[i] = m
                p[i] -= lr * (nesterov ? d + mu * m : m)
            }
        }
    }

    /// Steps taken and, once momentum has run, `momentum_buffer`.
    public func exportState() -> OptimizerState {
        OptimizerState(kind: "sgd", steps: steps, buffers: buffer.isEmpty ? [:] : ["momentum_buffer": buffer])
    }

    /// Restores a state exported by an SGD optimizer.
    public mutating func importState(_ state: OptimizerState) throws(FedError) {
        let s = try state.validated(kind: "sgd", names: ["momentum_buffer"])
        steps = s.steps
        buffer = s.buffers["momentum_buffer"] ?? []
    }

    /// Drops the momentum buffer and the step count.
    public mutating func reset() {
        buffer = []
        steps = 0
    }
}
