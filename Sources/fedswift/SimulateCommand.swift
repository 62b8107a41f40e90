import ArgumentParser
import FedCore
import FedRuntime
import FedWire
import Foundation

/// `fedswift simulate`: every virtual client in one process, no sockets.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a federation in one process: server logic plus a SerialTrainer hosting every client.",
        discussion: """
            With no flags it runs a small Fashion-MNIST federation (20 clients, dirichlet:0.5, 5 per round, \
            5 rounds of the mlp). Results go to --out as JSON Lines (one object per round, then a final one); \
            progress and logs go to stderr.
            Example (FedLab's mlp-dir benchmark):
              fedswift simulate --dataset fmnist --model mlp --clients 100 --partition dirichlet:0.5 \\
                --sample 10 --rounds 50 --epochs 2 --batch 32 --lr 0.05 --out run.jsonl
            """
    )

    @Option(help: "sync: server-driven rounds; async: clients train and report on their own schedule (virtual clock).")
    var mode = "sync"

    @OptionGroup var experiment: ExperimentOptions

    @OptionGroup(title: "Asynchronous mode") var asyncOptions: AsyncOptions

    @Option(help: "Worker threads training clients in parallel (default: the number of cores).")
    var workers: Int?

    @Option(help: "Write per-round results (JSON Lines) to this file.", completion: .file())
    var out: String?

    @Option(help: "Save the final global model as safetensors to this file.", completion: .file())
    var saveModel: String?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard mode == "sync" || mode == "async" else { throw ValidationError("--mode must be sync or async") }
    }

    func run() throws {
        if mode == "async" { return try runAsync() }
        let config = experiment.experiment()
        let started = Date()
        let simulation = try Simulation(config: config, workers: workers)
        if let speeds = asyncOptions.speeds {
            simulation.speeds = try ClientSpeeds(parsing: speeds, clients: config.clients, seed: config.seed)
        }
        let writer = try out.map { path throws(FedError) in try ResultsWriter(url: URL(fileURLWithPath: path)) }
        let progress = ProgressDisplay(total: config.rounds, label: "round")
        var last: RoundRecord?
        var roundSeconds = 0.0
        try simulation.run { (record) throws(FedError) in
            try writer?.write(record)
            last = record
            roundSeconds += record.seconds
            let accuracy = record.accuracy.map { String(format: "acc %.2f%%", $0 * 100) } ?? "acc -"
            progress.update(record.round, status: "\(accuracy)  \(String(format: "%.3f", record.seconds)) s/round")
        }
        progress.finish()
        if let saveModel { try Safetensors.write(simulation.global, to: URL(fileURLWithPath: saveModel), metadata: config.entries) }
        let summary: [String: Any] = [
            "rounds": config.rounds, "accuracy": last?.accuracy ?? Double.nan, "loss": last?.loss ?? Double.nan,
            "mean_round_seconds": roundSeconds / Double(config.rounds), "wall_seconds": Date().timeIntervalSince(started),
        ]
        try writer?.writeFinal(summary: summary, config: config.entries)
        let accuracy = last?.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
        print("final accuracy \(accuracy) after \(config.rounds) rounds, \(String(format: "%.3f", roundSeconds / Double(config.rounds))) s/round")
        if let out { print("results: \(out)") }
        if let saveModel { print("model: \(saveModel)") }
    }

    private func runAsync() throws {
        let config = experiment.experiment()
        let settings = asyncOptions.settings(serverLearningRate: experiment.serverLr)
        let started = Date()
        let simulation = try AsyncSimulation(config: config, async: settings, workers: workers)
        let writer = try out.map { path throws(FedError) in try ResultsWriter(url: URL(fileURLWithPath: path)) }
        let progress = ProgressDisplay(total: settings.updates, label: "update")
        var last: AsyncRecord?
        try simulation.run { (record) throws(FedError) in
            try writer?.write(object: record.row)
            last = record
            progress.update(record.updates, status: String(format: "acc %.2f%%  v%d  t=%.1fs", record.accuracy * 100, record.version, record.simulatedSeconds))
        }
        progress.finish()
        if let saveModel { try Safetensors.write(simulation.global, to: URL(fileURLWithPath: saveModel), metadata: config.entries) }
        var entries = config.entries
        entries["mode"] = "async"
        entries["async_algorithm"] = settings.algorithm
        entries["speeds"] = settings.speeds
        try writer?.writeFinal(summary: ["updates": last?.updates ?? 0, "accuracy": last?.accuracy ?? Double.nan,
                                         "sim_time": last?.simulatedSeconds ?? 0, "wall_seconds": Date().timeIntervalSince(started)],
                               config: entries)
        print(String(format: "final accuracy %.2f%% after %d updates, %.1f virtual seconds", (last?.accuracy ?? .nan) * 100,
                     last?.updates ?? 0, last?.simulatedSeconds ?? 0))
        if let out { print("results: \(out)") }
    }
}
