import FedCore
import FedWire
import Foundation

/// A server's state after a completed round, persisted so a restarted server (`--resume`) continues
/// where it stopped.
///
/// Layout in the checkpoint directory: `model-<round>.safetensors` (the global model) and `state.json`
/// (`{"round", "attempts", "algorithm", "seed", "model_file", "config", "counters"}`). Both are written atomically
/// (temporary file + rename), the model first; `state.json` names the model file, so a crash between the
/// two leaves the previous checkpoint intact. Older model files are deleted after the switch. Client
/// sampling is a pure function of (seed, round, attempt), so `seed` and `attempts` are the whole RNG state.
public struct Checkpoint: Sendable {
    /// Last completed round.
    public var round: Int
    /// Retried sampling attempts so far (each retry draws a new sample).
    public var attempts: Int
    /// Strategy name (FedAvg keeps no state beyond the model).
    public var algorithm: String
    /// Run seed.
    public var seed: UInt64
    /// The experiment's configuration entries, to refuse resuming a different experiment.
    public var config: [String: String]
    /// The global model after `round`.
    public var model: ModelState
    /// Run counters beyond the round (async runs: updates received, per-node counts, elapsed time).
    public var counters: [String: Int]
    /// The strategy's own state (``Strategy/exportState()``: server momentum, FedOpt moments, SCAFFOLD's c),
    /// stored as `strategy-<round>.safetensors`, one flat tensor per entry.
    public var strategyState: [String: [Float]]

    /// A checkpoint of the given state.
    public init(round: Int, attempts: Int, algorithm: String, seed: UInt64, config: [String: String], model: ModelState,
                counters: [String: Int] = [:], strategyState: [String: [Float]] = [:]) {
        self.round = round
        self.attempts = attempts
        self.algorithm = algorithm
        self.seed = seed
        self.config = config
        self.model = model
        self.counters = counters
        self.strategyState = strategyState
    }

    /// Writes the checkpoint into `directory` atomically.
    public func write(to directory: URL) throws(FedError) {
        let modelName = "model-\(round).safetensors"
        try Safetensors.write(model, to: directory.appendingPathComponent(modelName))
        var state: [String: Any] = [
            "round": round, "attempts": attempts, "algorithm": algorithm, "seed": "\(seed)",
            "model_file": modelName, "config": config, "counters": counters,
        ]
        let strategyName = "strategy-\(round).safetensors"
        if !strategyState.isEmpty {
            let keys = strategyState.keys.sorted()
            let layout = try ModelLayout(keys.map { TensorSpec(name: $0, shape: [strategyState[$0]!.count]) })
            try Safetensors.write(try ModelState(layout: layout, values: keys.flatMap { strategyState[$0]! }),
                                  to: directory.appendingPathComponent(strategyName))
            state["strategy_file"] = strategyName
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys, .prettyPrinted])
            try data.write(to: directory.appendingPathComponent("state.json"), options: .atomic)
        } catch {
            throw FedError(.io, "cannot write checkpoint state to \(directory.path): \(error.localizedDescription)")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in files where (file.hasPrefix("model-") || file.hasPrefix("strategy-")) && file.hasSuffix(".safetensors")
            && file != modelName && file != strategyName {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        }
    }

    /// Reads the checkpoint in `directory`, or nil if there is none.
    public static func read(from directory: URL) throws(FedError) -> Checkpoint? {
        let stateURL = directory.appendingPathComponent("state.json")
        guard let data = try? Data(contentsOf: stateURL) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let round = object["round"] as? Int, let attempts = object["attempts"] as? Int,
              let algorithm = object["algorithm"] as? String, let seedText = object["seed"] as? String,
              let seed = UInt64(seedText), let modelFile = object["model_file"] as? String,
              let config = object["config"] as? [String: String] else {
            throw FedError(.invalidArgument, "\(stateURL.path) is not a FedSwift checkpoint; move it away to start fresh")
        }
        let model = try Safetensors.read(from: directory.appendingPathComponent(modelFile))
        let counters = object["counters"] as? [String: Int] ?? [:]
        var strategyState: [String: [Float]] = [:]
        if let strategyFile = object["strategy_file"] as? String {
            let saved = try Safetensors.read(from: directory.appendingPathComponent(strategyFile))
            for (i, spec) in saved.layout.tensors.enumerated() { strategyState[spec.name] = Array(saved.values[saved.layout.range(of: i)]) }
        }
        return Checkpoint(round: round, attempts: attempts, algorithm: algorithm, seed: seed, config: config, model: model,
                          counters: counters, strategyState: strategyState)
    }
}
