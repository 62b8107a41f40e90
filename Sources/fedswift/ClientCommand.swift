import ArgumentParser
import FedCore
import FedNet
import FedRuntime
import Foundation

/// `fedswift client`: a client process hosting some virtual clients of a federation.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Join a federation server and train the virtual clients this process hosts.",
        discussion: """
            The client learns the dataset, partition, model and training settings from the server, computes \
            the same partition and trains only the clients given by --clients. It rejoins by itself when the \
            server restarts and exits when the server finishes the run (or on SIGINT/SIGTERM).
            With --mode auto (the default) the server's WELCOME decides: a sync server sends FIT tasks; an \
            async server (server --mode async) gets PULL/PUSH requests from a REQ socket that resends on a \
            fresh socket when a reply is late (the zguide's lazy pirate), so a restarted server is rejoined.
            Example: fedswift client --control tcp://server:5555 --broadcast tcp://server:5556 --clients 0-4
            """
    )

    @Option(help: "The server's control endpoint (ROUTER).")
    var control = "tcp://127.0.0.1:5555"

    @Option(help: "The server's broadcast endpoint (XPUB).")
    var broadcast = "tcp://127.0.0.1:5556"

    @Option(help: "Virtual client ids hosted here: ids and ranges, e.g. 0-9 or 0-4,7.")
    var clients: String

    @Option(help: "Training threads (default: the number of cores).")
    var workers: Int?

    @Option(help: "sgd (train) or echo (return the model + 1, for transport benchmarks).")
    var trainer = "sgd"

    @Option(help: "Node id (default: host name and process id).")
    var id: String?

    @Option(help: "Dataset directory on this machine, if not where the server's is.", completion: .directory)
    var dataDir: String?

    @OptionGroup(title: "Security and limits") var security: SecurityOptions

    @Option(help: "auto (the server's WELCOME decides), sync or async.")
    var mode = "auto"

    @Option(help: "Wait SECONDS (± JITTER, seeded) before training each task, to emulate slow devices; e.g. 0.2 or 1.0:0.3.")
    var delay: String?

    @Option(help: ArgumentHelp("Same as --delay SECONDS without jitter (older spelling).", visibility: .hidden))
    var taskDelay: Double?

    @Option(help: "Async mode: seconds to wait for a reply before resending on a fresh socket.")
    var requestTimeout = 2.5

    @Option(help: "Async mode: quick resends before backing off (resending never stops while the server is away).")
    var retries = 3

    @Option(help: "Seconds without the round's model after a FIT before asking the server for it again (slow links need more).")
    var pullAfter = 2.0

    @Option(help: "Seconds between ZMTP heartbeats on this process's sockets (their deadlines allow for the model's transfer, see --link-floor).")
    var socketHeartbeat = 1.0

    @Option(help: "Slowest link in MB/s the model must cross: the PULL waits the model's transfer time at this rate; 0 also restores fixed ZMTP heartbeat deadlines of 3 heartbeats.")
    var linkFloor = HeartbeatDeadlines.defaultLinkFloor / 1e6

    func validate() throws {
        guard ClientTrainerKind(rawValue: trainer) != nil else { throw ValidationError("--trainer must be sgd or echo") }
        do { _ = try ClientIDList.parse(clients) } catch { throw ValidationError(error.detail) }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard ["auto", "sync", "async"].contains(mode) else { throw ValidationError("--mode must be auto, sync or async") }
        do { _ = try taskDelaySetting() } catch { throw ValidationError(error.detail) }
        guard linkFloor >= 0 else { throw ValidationError("--link-floor must be at least 0") }
        guard requestTimeout > 0, retries >= 0 else { throw ValidationError("--request-timeout must be positive and --retries at least 0") }
        try security.check(accepts: false, connects: true)
    }

    func run() async throws {
        AllocatorTuning.keepLargeAllocationsOnHeap()
        let node = ProcessInfo.processInfo
        var settings = ClientSettings(control: control, broadcast: broadcast, clients: try ClientIDList.parse(clients),
                                      id: id ?? "\(node.hostName)-\(node.processIdentifier)")
        settings.workers = workers
        settings.trainer = ClientTrainerKind(rawValue: trainer) ?? .sgd
        settings.dataDirectory = dataDir
        settings.delay = try taskDelaySetting()
        settings.pullAfter = pullAfter
        settings.socketHeartbeat = socketHeartbeat
        settings.linkFloor = linkFloor * 1e6
        let (transport, _) = try await security.makeTransport()
        var outcome = ClientNode.Outcome.asyncServer
        if mode != "async" {
            let client = ClientNode(settings: settings, transport: transport)
            let signals = ShutdownSignals { _ in Task { await client.shutdown() } }
            outcome = try await client.run()
            withExtendedLifetime(signals) {}
        }
        if outcome == .asyncServer && mode == "sync" {
            await transport.shutdown()
            throw ValidationError("the server runs --mode async; start this client with --mode auto or --mode async")
        }
        if outcome == .asyncServer {
            var retry = RetryPolicy()
            retry.timeout = requestTimeout
            retry.retries = retries
            let client = AsyncClientNode(settings: settings, retry: retry, transport: transport)
            let signals = ShutdownSignals { _ in Task { await client.shutdown() } }
            outcome = try await client.run()
            withExtendedLifetime(signals) {}
            let pushed = await client.pushed
            FileHandle.standardError.write(Data("[client \(settings.id)] pushed \(pushed) updates\n".utf8))
        }
        await transport.shutdown()
        FileHandle.standardError.write(Data("[client \(settings.id)] stopped: \(outcome)\n".utf8))
    }

    private func taskDelaySetting() throws(FedError) -> TaskDelay {
        if let delay { return try TaskDelay(parsing: delay) }
        return TaskDelay(seconds: max(0, taskDelay ?? 0))
    }
}
