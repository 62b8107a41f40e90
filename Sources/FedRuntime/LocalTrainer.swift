import FedAlgorithms
import FedCore
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

    /// The echo of a raw float32 model (see ``canEchoRaw(_:)``) straight from its frames: one pass writes
    /// `x + 1` into a new buffer per frame, shared by every hosted client's upload. Nil for a NaN or
    /// infinite model, which is refused like the decoding path refuses it.
    static func rawEcho(_ model: WireMessage) -> (headers: [TensorHeader], frames: [Frame])? {
        var finite = true
        var headers: [TensorHeader] = []
        var frames: [Frame] = []
        for (header, frame) in zip(model.envelope.tensors, model.frames) {
            let buffer = SharedBuffer(count: frame.count) { out in
                frame.withUnsafeBytes { source in
                    let count = source.count / 4
                    let target = out.bindMemory(to: Float.self)
                    if Int(bitPattern: source.baseAddress) % 4 == 0 {
                        let values = source.bindMemory(to: Float.self)
                        for i in 0..<count { target[i] = values[i] + 1 }
                    } else {
                        for i in 0..<count { target[i] = source.loadUnaligned(fromByteOffset: i * 4, as: Float.self) + 1 }
                    }
                    // A NaN or infinite model is refused like the decoding path refuses it.
                    for i in 0..<count where !target[i].isFinite { finite = false; break }
                }
            }
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
