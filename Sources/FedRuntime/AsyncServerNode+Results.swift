import FedCore
import FedWire
import Foundation

extension AsyncServerNode {
    /// After each counted PUSH: progress, an evaluation row every `--eval-updates`, the end at `--updates`.
    func afterUpdate() {
        let received = stats.received
        let accuracy = lastAccuracy.map { String(format: "acc %.2f%%", $0.accuracy * 100) } ?? "acc -"
        progress?.update(min(received, config.updates), status: "\(accuracy)  v\(version)  stale max \(stats.stalenessMax)")
        if received % config.evalEvery == 0 { record() }
        if received >= config.updates {
            do throws(FedError) { try finish() } catch { log.info("cannot finish the run", ["error": error.description]) }
        }
    }

    /// Evaluates the model, appends a results row and writes a checkpoint (so `--resume` continues from
    /// this version and update count).
    func record() {
        lastEvaluated = stats.received
        let window = stats.closeWindow()
        var result: (loss: Double, accuracy: Double)?
        if let evaluator = experiment.evaluator {
            do throws(FedError) { result = try evaluator.evaluate(global) } catch {
                log.info("evaluation failed", ["version": "\(version)", "error": error.description])
            }
        }
        if let result { lastAccuracy = (result.accuracy, result.loss) }
        let seconds = elapsedSeconds
        var row = AsyncRecord(updates: stats.received, version: version, accuracy: result?.accuracy ?? .nan, loss: result?.loss ?? .nan,
                              simulatedSeconds: seconds, stalenessMean: window.mean, stalenessMax: window.max, rejected: stats.rejected).row
        row["sim_time"] = nil  // a real run: wall seconds instead
        row["seconds"] = seconds
        if result == nil { row["accuracy"] = nil; row["loss"] = nil }  // JSON has no NaN
        row["updates_by_node"] = stats.appliedByNode
        do throws(FedError) {
            try writer?.write(object: row)
            rows += 1
            if let directory = settings.checkpointDirectory {
                var counters = stats.counters
                counters["elapsed_ms"] = Int(seconds * 1000)
                try Checkpoint(round: version, attempts: 0, algorithm: strategy.name, seed: settings.experiment.seed, config: checkpointConfig,
                               model: global, counters: counters).write(to: URL(fileURLWithPath: directory))
            }
        } catch {
            log.info("cannot persist the evaluation", ["updates": "\(stats.received)", "error": error.description])
        }
    }

    /// Ends the run: a last evaluation if the last update was not evaluated, the saved model and the
    /// final row (whole-run staleness and per-node counts); then requests are answered with BYE.
    func finish() throws(FedError) {
        guard finishedAt == nil else { return }
        if lastEvaluated != stats.received { record() }
        finishedAt = .now
        if let saveModel = settings.saveModel {
            try Safetensors.write(global, to: URL(fileURLWithPath: saveModel), metadata: checkpointConfig)
        }
        var summary: [String: Any] = [
            "mode": "async", "algorithm": strategy.name, "updates": stats.received, "version": version, "seconds": elapsedSeconds,
            "applied": stats.applied, "rejected": stats.rejected, "staleness_mean": stats.stalenessMean, "staleness_max": stats.stalenessMax,
            "updates_by_node": stats.appliedByNode, "rejected_by_node": stats.rejectedByNode, "codec": settings.codec,
        ]
        if let lastAccuracy, lastAccuracy.accuracy.isFinite, lastAccuracy.loss.isFinite {
            summary["accuracy"] = lastAccuracy.accuracy
            summary["loss"] = lastAccuracy.loss
        }
        var entries = checkpointConfig
        entries["updates"] = "\(config.updates)"
        entries["eval_updates"] = "\(config.evalEvery)"
        if let budget = config.timeBudget { entries["time_budget"] = "\(budget)" }
        try writer?.writeFinal(summary: summary, config: entries)
        log.info("run finished", ["updates": "\(stats.received)", "version": "\(version)",
                                  "accuracy": lastAccuracy.map { String(format: "%.4f", $0.accuracy) } ?? "n/a",
                                  "per_node": stats.appliedByNode.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")])
    }
}
