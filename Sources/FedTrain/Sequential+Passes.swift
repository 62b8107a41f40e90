import FedCore

extension Sequential {
    /// Runs every layer over `batch` samples read from `input` (`batch × inputSize` values).
    /// `training` turns dropout on. Read the logits afterwards with ``withOutput(batch:_:)``.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, training: Bool) {
        arena.reserve(batch: batch)
        var x = UnsafeMutablePointer(mutating: input)
        let noGradient = arena.gradient(layers.count)
        for i in layers.indices {
            let y = arena.activation(i + 1)
            if plans[i].inPlace {
                if i == 0 { y.update(from: input, count: batch * inputSize) }
                x = y
            }
            let buffers = LayerBuffers(
                batch: batch, input: x, output: y, outputGradient: noGradient, inputGradient: nil,
                parameters: parameters.baseAddress! + parameterOffsets[i],
                gradients: gradients.baseAddress! + parameterOffsets[i],
                scratch: arena.scratch(i), training: training)
            layers[i].forward(buffers)
            x = y
        }
    }

    /// Back-propagates the output gradient (written with ``withOutputGradient(batch:_:)``) through every
    /// layer, overwriting the gradient buffer. `input` must be the one of the preceding ``forward``.
    public func backward(_ input: UnsafePointer<Float>, batch: Int) {
        precondition(batch <= arena.capacity, "backward needs a preceding forward of the same batch")
        for i in layers.indices.reversed() {
            let x = i == 0 ? (plans[0].inPlace ? arena.activation(1) : UnsafeMutablePointer(mutating: input))
                           : arena.activation(i)
            let buffers = LayerBuffers(
                batch: batch, input: x, output: arena.activation(i + 1),
                outputGradient: arena.gradient(i + 1),
                inputGradient: needsInputGradient[i] ? arena.gradient(i) : nil,
                parameters: parameters.baseAddress! + parameterOffsets[i],
                gradients: gradients.baseAddress! + parameterOffsets[i],
                scratch: arena.scratch(i), training: true)
            layers[i].backward(buffers)
        }
    }

    /// Gives `body` the logits of the last forward pass (`batch × classes` values).
    public func withOutput<R>(batch: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: arena.activation(layers.count), count: batch * classes))
    }

    /// Gives `body` the buffer for `∂loss/∂logits` that ``backward(_:batch:)`` reads, for custom losses.
    public func withOutputGradient<R>(batch: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        arena.reserve(batch: batch)
        return try body(UnsafeMutableBufferPointer(start: arena.gradient(layers.count), count: batch * classes))
    }

    /// One training step's math without the update: forward (training mode), softmax cross-entropy
    /// against `labels`, backward. Afterwards the gradient buffer holds `∂(mean loss)/∂parameters`.
    @discardableResult
    public func lossAndGradient(input: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                batch: Int) -> SoftmaxCrossEntropy.Result {
        forward(input, batch: batch, training: true)
        let result = SoftmaxCrossEntropy.evaluate(
            logits: arena.activation(layers.count), labels: labels, batch: batch, classes: classes,
            gradient: arena.gradient(layers.count))
        backward(input, batch: batch)
        return result
    }

    /// Loss and number of correct predictions on one batch, in evaluation mode (no gradients).
    public func evaluate(input: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                         batch: Int) -> SoftmaxCrossEntropy.Result {
        forward(input, batch: batch, training: false)
        return SoftmaxCrossEntropy.evaluate(
            logits: arena.activation(layers.count), labels: labels, batch: batch, classes: classes, gradient: nil)
    }
}
