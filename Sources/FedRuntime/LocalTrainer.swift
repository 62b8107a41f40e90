import FedAlgorithms
import FedCore
import FedNet
import FedWire

/// Trains a client process's selected virtual clients for one round and hands each result over as soon
/// as it is ready (in the order of `clients`). Runs on the caller's thread; callers keep it off the
/// cooperative pool.
protocol LocalTrainer: Sendable {
    /// Trains `clients` from `global` (with the server's extra vectors `downloaded`); `deliver` gets one
    /// result or failure per client, in order.
    func train(round: Int, clients: [Int], global: ModelState, config: FitConfig, downloaded: [String: [Float]],
               deliver: @escaping @Sendable (Result<ClientResult, ClientFailure>) -> Void)
}

extension SerialTrainer: LocalTrainer {}

/// The no-training client of transport benchmarks and exact tests: every virtual client returns the
/// received model + 1 (a full model, not a delta) with one example.
struct EchoTrainer: LocalTrainer {
    /// Recycles the echo frames of models below ``AllocatorTuning/hugeModelBytes`` (one block per frame
    /// circulates: a round's echo is sent before the next model arrives).
    let pool = BufferPool(maxIdleBytes: AllocatorTuning.hugeModelBytes)

    /// Returns `global + 1` for each client.
    func train(round: Int, clients: [Int], global: ModelState, config: FitConfig, downloaded: [String: [Float]],
               deliver: @escaping @Sendable (Result<ClientResult, ClientFailure>) -> Void) {
        var echoed = global
        echoed.values.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] += 1 }
        }
        for client in clients {
            deliver(.success(ClientResult(clientID: client, numExamples: 1, update: echoed, isDelta: false, loss: 0)))
        }
    }
}

extension EchoTrainer {
    /// True when every frame of `model` is raw float32, so ``rawEcho(_:)`` applies.
    static func canEchoRaw(_ model: WireMessage) -> Bool {
        model.envelope.tensors.allSatisfy { $0.codec == .raw && $0.dtype == .float32 }
    }

    /// The echo of a raw float32 model (see ``canEchoRaw(_:)``) straight from its frames: one pass per
    /// frame writes `x + 1` into a new buffer (pooled below ``AllocatorTuning/hugeModelBytes``, so its
    /// pages stay resident from round to round) and checks the results, shared by every hosted client's
    /// upload. Nil for a NaN or infinite model, which is refused like the decoding path refuses it.
    func rawEcho(_ model: WireMessage) -> (headers: [TensorHeader], frames: [Frame])? {
        let pooled = ModelMemory.rawBytes(of: model) < AllocatorTuning.hugeModelBytes
        var headers: [TensorHeader] = []
        var frames: [Frame] = []
        for (header, frame) in zip(model.envelope.tensors, model.frames) {
            var finite = true
            let echo = { (out: UnsafeMutableRawBufferPointer) in
                frame.withUnsafeBytes { source in
                    finite = Kernels.add(1, to: source, into: out.bindMemory(to: Float.self))
                }
            }
            let buffer = pooled ? pool.buffer(count: frame.count, fill: echo) : SharedBuffer(count: frame.count, fill: echo)
            // A NaN or infinite model is refused like the decoding path refuses it.
            guard finite else { return nil }
            var echoed = header
            echoed.isDelta = false
            echoed.crc32 = nil
            headers.append(echoed)
            frames.append(Frame(buffer: buffer))
        }
        return (headers, frames)
    }
}
