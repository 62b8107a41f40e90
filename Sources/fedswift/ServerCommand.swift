import ArgumentParser
import FedCore
import FedNet
import FedRuntime
import Foundation

/// `fedswift server`: the federation server, sync (rounds) or async (client-initiated request/reply).
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
            With --mode async there are no rounds: each client asks for the model (PULL), trains one of its \
            virtual clients and sends the update back (PUSH); the server folds it in at once with \
            --async-algorithm (fedasync or fedbuff), refuses updates more than --max-staleness versions old, \
            evaluates and checkpoints every --eval-updates updates and stops after --updates updates or \
            --time-budget seconds. --broadcast, --rounds, --sample and --round-timeout do not apply.
            Example (two machines, 10 clients of Fashion-MNIST, 10 rounds):
              fedswift server --mode sync --control tcp://*:5555 --broadcast tcp://*:5556 \\
                --clients 10 --sample 10 --rounds 10 --out run.jsonl --save-model model.safetensors
            Example (asynchronous FedAsync, 500 updates, an evaluation every 50):
              fedswift server --mode async --control tcp://*:5555 --clients 10 --updates 500 --eval-updates 50 \\
                --out run.jsonl
            """
    )

    @Option(help: "Federation mode: sync (server-driven rounds) or async (clients pull, train and push on their own schedule).")
    var mode = "sync"

    @Option(help: "ROUTER endpoint clients connect their control socket to.")
    var control = "tcp://*:5555"

    @Option(help: "XPUB endpoint the round's model is published on.")
    var broadcast = "tcp://*:5556"

    @OptionGroup var experiment: ExperimentOptions

    @OptionGroup(title: "Security and limits") var security: SecurityOptions

    @Option(help: "Most client processes joined at once; further HELLOs are refused.")
    var maxPeers = 1024

    @Option(help: "Serve Prometheus metrics at http://ADDRESS:PORT/metrics (0 picks a free port; it is logged).")
    var metricsPort: UInt16?

    @Option(help: "Address the metrics endpoint listens on.")
    var metricsAddress = "127.0.0.1"

    @OptionGroup(title: "Asynchronous mode (--mode async)") var asyncOptions: AsyncOptions

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

    @Option(help: "Slowest link in MB/s per connection a model must cross before a ZMTP heartbeat deadline drops it (deadlines grow by the model's transfer time at this rate); 0: fixed deadlines of 3 heartbeats.")
    var linkFloor = HeartbeatDeadlines.defaultLinkFloor / 1e6

    @Option(help: "Transport benchmarks: a one-tensor model of N float32 zeros, no data, no evaluation (use with clients' --trainer echo).")
    var echoParams: Int?

    @Option(help: "Most float32 elements per tensor frame; bigger tensors travel as slices.")
    var maxFrameElements = 1 << 28

    func validate() throws {
        guard mode == "sync" || mode == "async" else { throw ValidationError("--mode must be sync or async") }
        do { try settings().validate() } catch { throw ValidationError(error.detail) }
        try security.check(accepts: true, connects: false)
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
        s.linkFloor = linkFloor * 1e6
        s.maxPeers = maxPeers
        return s
    }

    func run() async throws {
        AllocatorTuning.tune(modelBytes: echoParams.map { $0 * 4 })
        let metrics = try metricsPort.map { try MetricsEndpoint(host: metricsAddress, port: $0) }
        if let metrics { FileHandle.standardError.write(Data("[server] metrics http://\(metricsAddress):\(metrics.port)/metrics\n".utf8)) }
        let (transport, zap) = try await security.makeTransport { FederationMetrics.handshake(allowed: $0.allowed) }
        defer { metrics?.stop() }
        if mode == "async" {
            try await runAsync(transport: transport)
            await zap?.stop()
            return
        }
        let server = try ServerNode(settings: settings(), transport: transport)
        let signals = ShutdownSignals { _ in Task { await server.shutdown() } }
        let last = try await server.run()
        withExtendedLifetime(signals) {}
        if let zap { FileHandle.standardError.write(Data("[zap] handshakes allowed=\(zap.counts.allowed) refused=\(zap.counts.denied)\n".utf8)) }
        await zap?.stop()
        await transport.shutdown()
        if let last {
            let accuracy = last.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
            print("round \(last.round): accuracy \(accuracy)")
        }
        if let out { print("results: \(out)") }
        if let saveModel { print("model: \(saveModel)") }
    }

    private func runAsync(transport: SecuredTransport) async throws {
        let server = try AsyncServerNode(settings: settings(), async: asyncOptions.settings(serverLearningRate: experiment.serverLr), transport: transport)
        let signals = ShutdownSignals { _ in Task { await server.shutdown() } }
        try await server.run()
        withExtendedLifetime(signals) {}
        await transport.shutdown()
        let stats = await server.stats
        let version = await server.version
        print("\(stats.received) updates, model version \(version), staleness mean \(String(format: "%.2f", stats.stalenessMean)) max \(stats.stalenessMax)")
        if let out { print("results: \(out)") }
        if let saveModel { print("model: \(saveModel)") }
    }
}
