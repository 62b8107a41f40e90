import FedCore

/// PyTorch's default initialization for `nn.Linear` and `nn.Conv2d`.
///
/// Weights use `kaiming_uniform_(a: √5)` (He et al., "Delving Deep into Rectifiers", ICCV 2015), whose
/// bound `gain·√(3/fan_in)` with `gain = √(2/(1+a²))` simplifies to `1/√fan_in`; biases are drawn from
/// the same `U(−1/√fan_in, 1/√fan_in)`.
public enum Initialization {
    /// The bound `1/√fanIn` of PyTorch's default uniform initialization.
    public static func defaultBound(fanIn: Int) -> Float {
        fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
    }

    /// Fills `values` with independent draws from `U(−bound, bound)`.
    public static func uniform(_ values: UnsafeMutableBufferPointer<Float>, bound: Float, rng: inout SplitMix64) {
        for i in values.indices {
            values[i] = (2 * SplitMix64.unitFloat(rng.next()) - 1) * bound
        }
    }

    /// Initializes a weight tensor followed by its bias: both are `U(−1/√fanIn, 1/√fanIn)`, so one pass
    /// over the layer's contiguous parameters covers them (weights first, then bias, as PyTorch draws).
    public static func pytorchDefault(_ parameters: UnsafeMutableBufferPointer<Float>, fanIn: Int,
                                      rng: inout SplitMix64) {
        uniform(parameters, bound: defaultBound(fanIn: fanIn), rng: &rng)
    }
}
