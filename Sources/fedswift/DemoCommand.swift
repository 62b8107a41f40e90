import ArgumentParser
import FedRuntime
import Foundation

/// `fedswift demo`: a real server and two client processes on loopback.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a small real federation on this machine: one server and two client processes over tcp loopback.",
        discussion: "Fashion-MNIST, 10 virtual clients (dirichlet:0.5), 5 per client process, all selected, 10 sync rounds of the mlp."
    )

    @Option(help: "Number of rounds.")
    var rounds = 10

    @Option(help: "Directory for the results file, the model and the processes' logs (default: a new temporary directory).")
    var dir: String?

    func run() async throws {
        let directory = URL(fileURLWithPath: dir ?? NSTemporaryDirectory() + "fedswift-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let control = "tcp://127.0.0.1:\(LoopbackPort.pick())"
        let broadcast = "tcp://127.0.0.1:\(LoopbackPort.pick())"
        let results = directory.appendingPathComponent("run.jsonl").path
        let model = directory.appendingPathComponent("model.safetensors").path
        let experiment = ["--dataset", "fmnist", "--model", "mlp", "--clients", "10", "--partition", "dirichlet:0.5",
                          "--sample", "10", "--rounds", "\(rounds)", "--epochs", "1", "--batch", "32", "--lr", "0.05"]
        let serverArguments = ["server", "--mode", "sync", "--control", control, "--broadcast", broadcast] + experiment
            + ["--round-timeout", "30", "--out", results, "--save-model", model]
        let group = ProcessGroup()
        defer { group.terminateAll() }
        print("demo: server + 2 client processes on 127.0.0.1, files in \(directory.path)")
        fflush(nil)
        let server = try group.spawn(serverArguments, log: nil)
        for (n, range) in ["0-4", "5-9"].enumerated() {
            _ = try group.spawn(["client", "--control", control, "--broadcast", broadcast, "--clients", range,
                                 "--workers", "1", "--id", "demo-client-\(n + 1)"],
                                log: directory.appendingPathComponent("client-\(n + 1).log"))
        }
        let finished = await group.wait(for: server, timeout: 300)
        guard finished, server.terminationStatus == 0 else {
            throw ValidationError("the demo server did not finish cleanly; logs are in \(directory.path)")
        }
        print("""
            final accuracy: \(Self.finalAccuracy(results))
            results: \(results)
            model:   \(model)
            Run the same federation by hand on several machines (open ports 5555 and 5556 on the server):
              server:   fedswift server --mode sync --control 'tcp://*:5555' --broadcast 'tcp://*:5556' \\
                          \(experiment.joined(separator: " ")) --out run.jsonl --save-model model.safetensors
              machine A: fedswift client --control tcp://SERVER:5555 --broadcast tcp://SERVER:5556 --clients 0-4
              machine B: fedswift client --control tcp://SERVER:5555 --broadcast tcp://SERVER:5556 --clients 5-9
            """)
    }

    /// The last round's accuracy in the results file, as a percentage.
    static func finalAccuracy(_ path: String) -> String {
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? []
        for line in lines.reversed() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["final"] == nil, let accuracy = object["accuracy"] as? Double else { continue }
            return String(format: "%.2f%% after round %d", accuracy * 100, object["round"] as? Int ?? 0)
        }
        return "n/a"
    }
}
