import ArgumentParser
import FedCore
import FedNet
import FedRuntime
import Foundation

/// `fedswift server`: the sync federation server.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a federation server: clients connect, the server samples, aggregates and evaluates.",
        discussion: """
            The server's flags define the whole experiment; clients learn it when they join. Each round the \
            server samples among the announced virtual clients, sends FIT tasks on --control, publishes the \
            model once per client process on --broadcast, and aggregates results as they arrive. A round \
            closes when every result is in, or at --round-timeout if at least --min-fit of them arrived \
            (otherwise it is retried with a new sample). SIGINT/SIGTERM stop it gracefully; with --checkpoint \
            and --resume a restarted server continues where it stopped.
            Example (two machines, 10 clients of Fashion-MNIST, 10 rounds):
              fedswift server --mode sync --control tcp://*:5555 --broadcast tcp://*:5556 \\
                --clients 10 --sample 10 --rounds 10 --out run.jsonl --save-model model.safetensors
            """
    )

    @Option(help: "Federation mode: sync (server-driven rounds).")
    var mode = "sync"

    @Option(help: "ROUTER endpoint clients connect their control socket to.")
    var control = "tcp://*:5555"

    @Option(help: "XPUB endpoint the round's model is published on.")
    var broadcast = "tcp://*:5556"

    @OptionGroup var experiment: ExperimentOptions

    @Option(help: "Seconds a round waits for results before closing with the quorum or retrying.")
    var roundTimeout = 60.0

    @Option(help: "Share of the selected clients needed to close a round at its deadline, in (0, 1].")
    var minFit = 0.5

    @Option(help: "Announced virtual clients to wait for before a round starts (default: all --clients).")
    var minClients: Int?

    @Option(help: "Upload codec clients use: raw, lz4, shuffle-lz4, q8, q4 or topk:<fraction>.")
    var codec = "shuffle-lz4"

    @Option(help: "Directory for the per-round checkpoint (model + state, written atomically).", completion: .directory)
    var checkpoint: String?

    @Flag(help: "Continue from the checkpoint in --checkpoint if there is one.")
    var resume = false

    @Option(help: "Save the final global model as safetensors to this file.", completion: .file())
    var saveModel: String?

    @Option(help: "Write per-round results (JSON Lines) to this file.", completion: .file())
    var out: String?

    @Option(help: "Seconds between heartbeats; a client silent for 3 of them is dropped.")
    var heartbeat = 1.0

    @Option(help: "Transport benchmarks: a one-tensor model of N float32 zeros, no data, no evaluation (use with clients' --trainer echo).")
    var echoParams: Int?

    @Option(help: "Most float32 elements per tensor frame; bigger tensors travel as slices.")
    var maxFrameElements = 1 << 28

    func validate() throws {
        guard mode == "sync" else { throw ValidationError("--mode \(mode) is not available yet; use --mode sync") }
        do { try settings().validate() } catch { throw ValidationError(error.detail) }
    }

    func settings() -> ServerSettings {
        var s = ServerSettings(experiment: experiment.experiment())
        s.control = control
        s.broadcast = broadcast
        s.roundTimeout = roundTimeout
        s.minFit = minFit
        s.minClients = minClients
        s.codec = codec
        s.checkpointDirectory = checkpoint
        s.resume = resume
        s.saveModel = saveModel
        s.out = out
        s.heartbeat = heartbeat
        s.echoParams = echoParams
        s.maxFrameElements = maxFrameElements
        return s
    }

    func run() async throws {
        AllocatorTuning.tune(modelBytes: echoParams.map { $0 * 4 })
        let transport = try ZMQTransport()
        let server = try ServerNode(settings: settings(), transport: transport)
        let signals = ShutdownSignals { _ in Task { await server.shutdown() } }
        let last = try await server.run()
        withExtendedLifetime(signals) {}
        await transport.shutdown()
        if let last {
            let accuracy = last.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
            print("round \(last.round): accuracy \(accuracy)")
        }
        if let out { print("results: \(out)") }
        if let saveModel { print("model: \(saveModel)") }
    }
}
