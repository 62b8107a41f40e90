#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax cross-entropy averaged over the batch, as PyTorch's `nn.CrossEntropyLoss()` on logits.
///
/// Numerically stable: each row is shifted by its maximum before `exp`, and the log-sum-exp is
/// accumulated in double precision.
public enum SoftmaxCrossEntropy {
    /// The result of one batch: mean loss and the number of rows whose arg-max is the label.
    public struct Result: Sendable, Equatable {
        /// Mean loss over the batch.
        public var loss: Double
        /// Rows predicted correctly (arg-max equals the label; first maximum on ties).
        public var correct: Int
    }

    /// Computes the mean loss of `logits [batch, classes]` against `labels`, and if `gradient` is given,
    /// writes `∂loss/∂logits = (softmax − onehot) / batch` into it.
    public static func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                                classes: Int, gradient: UnsafeMutablePointer<Float>?) -> Result {
        var total = 0.0
        var correct = 0
        let invBatch = 1 / Float(batch)
        for s in 0..<batch {
            let z = logits + s * classes
            let label = Int(labels[s])
            var top = z[0], arg = 0
            for j in 1..<max(classes, 1) where z[j] > top { top = z[j]; arg = j }
            if arg == label { correct += 1 }
            var sum = 0.0
            for j in 0..<classes { sum += Double(expf(z[j] - top)) }
            let logSum = log(sum)
            total += logSum - Double(z[label] - top)
            guard let g = gradient else { continue }
            let row = g + s * classes
            let scale = Float(1 / sum)
            for j in 0..<classes { row[j] = expf(z[j] - top) * scale * invBatch }
            row[label] -= invBatch
        }
        return Result(loss: total / Double(batch), correct: correct)
    }
}
