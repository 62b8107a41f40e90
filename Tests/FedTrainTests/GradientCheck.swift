import FedCore
@testable import FedTrain

/// Finite-difference gradient checks of single layers against the objective `L = Σ r ⊙ y` for a fixed
/// random `r`, so `∂L/∂y = r` and the layer's backward must give `∂L/∂x` and `∂L/∂θ`.
struct GradientCheck {
    var worstInput = 0.0
    var worstParameter = 0.0
    var checked = 0

    /// Runs the check; `input` maps a seeded uniform draw in [-1, 1) to the input value used.
    static func run<L: Layer>(_ layer: L, inputShape: [Int], batch: Int, seed: UInt64 = 1,
                              eps: Float = 1e-2, input: (Int, Float) -> Float = { $1 }) throws -> GradientCheck {
        var layer = layer
        let plan = try layer.plan(inputShape: inputShape)
        let inSize = inputShape.reduce(1, *) * batch, outSize = plan.outputShape.reduce(1, *) * batch
        let paramCount = plan.parameters.reduce(0) { $0 + $1.elements }
        var rng = SplitMix64(seed: seed)
        func draw() -> Float { 2 * SplitMix64.unitFloat(rng.next()) - 1 }
        var x = (0..<inSize).map { input($0, draw()) }
        let r = (0..<outSize).map { _ in draw() }
        var params = [Float](repeating: 0, count: max(paramCount, 1))
        params.withUnsafeMutableBufferPointer { layer.initialize(parameters: UnsafeMutableBufferPointer(rebasing: $0[0..<paramCount]), rng: &rng) }
        var scratch = [Float](repeating: 0, count: plan.scratchPerSample * batch + plan.scratchFixed + 1)

        func objective(_ x: [Float], _ params: [Float]) -> Double {
            var x = x, params = params, y = [Float](repeating: 0, count: outSize), g = y
            var copy = layer
            return x.withUnsafeMutableBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    params.withUnsafeMutableBufferPointer { pp in
                        g.withUnsafeMutableBufferPointer { gp in
                            scratch.withUnsafeMutableBytes { sp in
                                let out = plan.inPlace ? xp.baseAddress! : yp.baseAddress!
                                copy.forward(LayerBuffers(batch: batch, input: xp.baseAddress!, output: out,
                                                          outputGradient: gp.baseAddress!, inputGradient: nil,
                                                          parameters: pp.baseAddress!, gradients: gp.baseAddress!,
                                                          scratch: sp.baseAddress!, training: true))
                                return (0..<outSize).reduce(0.0) { $0 + Double(out[$1]) * Double(r[$1]) }
                            }
                        }
                    }
                }
            }
        }

        // Analytic gradients.
        var y = [Float](repeating: 0, count: outSize)
        var dy = r, dx = [Float](repeating: 0, count: inSize), dp = [Float](repeating: 0, count: max(paramCount, 1))
        var xForward = x
        xForward.withUnsafeMutableBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                params.withUnsafeMutableBufferPointer { pp in
                    dp.withUnsafeMutableBufferPointer { gp in
                        dy.withUnsafeMutableBufferPointer { dyp in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                scratch.withUnsafeMutableBytes { sp in
                                    let out = plan.inPlace ? xp.baseAddress! : yp.baseAddress!
                                    var io = LayerBuffers(batch: batch, input: xp.baseAddress!, output: out,
                                                          outputGradient: dyp.baseAddress!, inputGradient: nil,
                                                          parameters: pp.baseAddress!, gradients: gp.baseAddress!,
                                                          scratch: sp.baseAddress!, training: true)
                                    var copy = layer
                                    copy.forward(io)
                                    if plan.inPlace { dxp.baseAddress!.update(from: dyp.baseAddress!, count: inSize) }
                                    io = LayerBuffers(batch: batch, input: xp.baseAddress!, output: out,
                                                      outputGradient: plan.inPlace ? dxp.baseAddress! : dyp.baseAddress!,
                                                      inputGradient: dxp.baseAddress!,
                                                      parameters: pp.baseAddress!, gradients: gp.baseAddress!,
                                                      scratch: sp.baseAddress!, training: true)
                                    copy.backward(io)
                                }
                            }
                        }
                    }
                }
            }
        }

        var result = GradientCheck()
        func compare(_ numeric: Double, _ analytic: Float) -> Double {
            abs(numeric - Double(analytic)) / (1e-2 + abs(numeric))
        }
        for i in 0..<inSize {
            let keep = x[i]
            x[i] = keep + eps; let up = objective(x, params)
            x[i] = keep - eps; let down = objective(x, params)
            x[i] = keep
            result.worstInput = max(result.worstInput, compare((up - down) / Double(2 * eps), dx[i]))
            result.checked += 1
        }
        for i in 0..<paramCount {
            let keep = params[i]
            params[i] = keep + eps; let up = objective(x, params)
            params[i] = keep - eps; let down = objective(x, params)
            params[i] = keep
            result.worstParameter = max(result.worstParameter, compare((up - down) / Double(2 * eps), dp[i]))
            result.checked += 1
        }
        return result
    }
}
