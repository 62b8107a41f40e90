import FedCore

/// Local training and evaluation of a ``Sequential`` model on a shared ``Dataset`` by sample indices.
///
/// A trainer owns the batch buffers it gathers samples into, reused across steps and calls, so a step
/// allocates nothing. Like a model, it belongs to one thread at a time: give each worker its own.
public final class Trainer {
    /// Mean loss and number of examples of a training call.
    public struct TrainResult: Sendable, Equatable {
        /// Mean training loss over every example seen (all epochs).
        public var loss: Double
        /// Examples processed (indices × epochs).
        public var examples: Int
        /// Optimizer steps taken (mini-batches over all epochs).
        public var steps: Int = 0
    }

    /// Mean loss, accuracy and count of an evaluation.
    public struct EvalResult: Sendable, Equatable {
        /// Mean loss over the evaluated samples.
        public var loss: Double
        /// Fraction of samples predicted correctly.
        public var accuracy: Double
        /// Samples evaluated.
        public var count: Int
    }

    private var features: [Float] = []
    private var labels: [Int32] = []
    private var order: [Int] = []

    /// A trainer; sets the process-wide BLAS thread count to `blasThreads` (default 1, see ``BLASThreads``).
    public init(blasThreads: Int = 1) {
        if BLASThreads.count != blasThreads { BLASThreads.set(blasThreads) }
    }

    /// Trains `model` for `epochs` passes over `indices` of `dataset` with mini-batches of `batchSize`
    /// (the last batch of an epoch may be smaller). Each epoch shuffles the indices with `rng`
    /// (Fisher–Yates), so a seed fixes the whole run. `beforeStep`, when given, sees the parameters and
    /// may change the gradients after every backward pass and before the optimizer step (the hook of
    /// federated algorithms' local objectives: FedProx, SCAFFOLD, FedDyn, Ditto).
    public func train<O: Optimizer>(model: Sequential, optimizer: inout O, dataset: Dataset, indices: [Int],
                                    epochs: Int, batchSize: Int, rng: inout SplitMix64,
                                    beforeStep: ((UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void)? = nil)
        throws(FedError) -> TrainResult {
        try check(model, dataset, indices, batchSize)
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: indices)
        var total = 0.0
        var examples = 0
        var steps = 0
        for _ in 0..<max(epochs, 0) {
            order.shuffle(using: &rng)
            var start = 0
            while start < order.count {
                let count = min(batchSize, order.count - start)
                gather(dataset, start, count)
                let result = features.withUnsafeBufferPointer { x in
                    labels.withUnsafeBufferPointer { y in
                        model.lossAndGradient(input: x.baseAddress!, labels: y.baseAddress!, batch: count)
                    }
                }
                if let beforeStep {
                    model.withParametersAndGradients { p, g in beforeStep(UnsafeBufferPointer(p), g) }
                }
                optimizer.step(model)
                steps += 1
                total += result.loss * Double(count)
                examples += count
                start += count
            }
        }
        return TrainResult(loss: examples > 0 ? total / Double(examples) : 0, examples: examples, steps: steps)
    }

    /// One optimizer step on exactly the samples `batch` of `dataset`, in that order (no shuffling):
    /// forward, softmax cross-entropy, backward, `optimizer.step`. Returns the batch's mean loss.
    /// For callers that fix the batch order themselves, e.g. to replay another engine's order.
    public func step<O: Optimizer>(model: Sequential, optimizer: inout O, dataset: Dataset,
                                   batch: ArraySlice<Int>) throws(FedError) -> Double {
        guard !batch.isEmpty else { throw FedError(.invalidArgument, "a training step needs at least one sample") }
        try check(model, dataset, batch, batch.count)
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: batch)
        gather(dataset, 0, batch.count)
        let result = features.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                model.lossAndGradient(input: x.baseAddress!, labels: y.baseAddress!, batch: batch.count)
            }
        }
        optimizer.step(model)
        return result.loss
    }

    /// Evaluates `model` on `indices` of `dataset` (all samples when nil), `batchSize` at a time.
    public func evaluate(model: Sequential, dataset: Dataset, indices: [Int]? = nil,
                         batchSize: Int = 256) throws(FedError) -> EvalResult {
        let chosen = indices ?? Array(0..<dataset.count)
        try check(model, dataset, chosen, batchSize)
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: chosen)
        var total = 0.0
        var correct = 0
        var start = 0
        while start < order.count {
            let count = min(batchSize, order.count - start)
            gather(dataset, start, count)
            let result = features.withUnsafeBufferPointer { x in
                labels.withUnsafeBufferPointer { y in
                    model.evaluate(input: x.baseAddress!, labels: y.baseAddress!, batch: count)
                }
            }
            total += result.loss * Double(count)
            correct += result.correct
            start += count
        }
        let n = order.count
        return EvalResult(loss: n > 0 ? total / Double(n) : 0, accuracy: n > 0 ? Double(correct) / Double(n) : 0, count: n)
    }

    /// Copies samples `order[start ..< start + count]` into the batch buffers.
    private func gather(_ dataset: Dataset, _ start: Int, _ count: Int) {
        let size = dataset.sampleSize
        if features.count < count * size { features = [Float](repeating: 0, count: count * size) }
        if labels.count < count { labels = [Int32](repeating: 0, count: count) }
        dataset.features.withUnsafeBufferPointer { src in
            features.withUnsafeMutableBufferPointer { dst in
                for j in 0..<count {
                    let i = order[start + j]
                    (dst.baseAddress! + j * size).update(from: src.baseAddress! + i * size, count: size)
                }
            }
        }
        dataset.labels.withUnsafeBufferPointer { src in
            labels.withUnsafeMutableBufferPointer { dst in
                for j in 0..<count { dst[j] = src[order[start + j]] }
            }
        }
    }

    private func check(_ model: Sequential, _ dataset: Dataset, _ indices: some Collection<Int>, _ batchSize: Int) throws(FedError) {
        guard batchSize > 0 else { throw FedError(.invalidArgument, "batch size must be positive, got \(batchSize)") }
        guard dataset.sampleSize == model.inputSize else {
            throw FedError(.shapeSizeMismatch, "\(dataset.name) samples have shape \(dataset.featureShape), the model expects \(model.inputShape)")
        }
        guard dataset.classes <= model.classes else {
            throw FedError(.shapeSizeMismatch, "\(dataset.name) has \(dataset.classes) classes, the model outputs \(model.classes)")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
            throw FedError(.invalidArgument, "sample index \(bad) outside 0..<\(dataset.count) of \(dataset.name)")
        }
    }
}
