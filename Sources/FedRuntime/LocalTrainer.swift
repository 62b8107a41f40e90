import FedAlgorithms
import FedCore

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
