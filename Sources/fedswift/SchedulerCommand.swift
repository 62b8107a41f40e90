import ArgumentParser
import FedCore
import FedNet
import FedRuntime
import Foundation

/// `fedswift scheduler`: a broker between a server (or another scheduler) and the client processes of one LAN.
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Bridge a LAN of client processes to a federation server: one model copy in, one aggregated result out.",
        discussion: """
            Upstream the scheduler joins like a client process, announcing every virtual client its children \
            host; downstream its children (client processes or other schedulers) join it like a server. Each \
            round it forwards FIT (and EVALUATE) to the children hosting the selected clients, re-publishes \
            the model it received once, and sends one weighted partial sum upstream (FedAvg family; for \
            EVALUATE the example-weighted metrics) instead of one result per client.

            The mode is learned from the upstream's WELCOME, no flag needed. Under a `server --mode async` \
            (or a scheduler under one) the scheduler relays the async exchange: it answers a child's PULL from \
            its cached model when that is the newest version the upstream reported (else one PULL upstream \
            serves every waiting child), and forwards each PUSH upstream on its own, routing the reply back. \
            Clients below it switch to async by themselves (`fedswift client --mode auto`, the default).

            Children stay joined while the upstream is away; the scheduler rejoins by itself and exits when \
            the server finishes the run (or on SIGINT/SIGTERM). Schedulers nest: --upstream-* may name another \
            scheduler.

            Example (a LAN gateway):
              fedswift scheduler --upstream-control tcp://server:5555 --upstream-broadcast tcp://server:5556 \\
                --control 'tcp://*:6555' --broadcast 'tcp://*:6556' --id lan-a
              fedswift client --control tcp://gateway:6555 --broadcast tcp://gateway:6556 --clients 0-9
            Under an async server (which has no broadcast endpoint), leave out --upstream-broadcast:
              fedswift scheduler --upstream-control tcp://server:5555 --id lan-a
            """
    )

    @Option(help: "The upstream server's (or scheduler's) control endpoint (ROUTER).")
    var upstreamControl: String

    @Option(help: "The upstream server's (or scheduler's) broadcast endpoint (XPUB). Not used under an async server; without it a sync upstream's model is pulled on control each round.")
    var upstreamBroadcast: String?

    @Option(help: "ROUTER endpoint this scheduler's children connect to.")
    var control = "tcp://*:6555"

    @Option(help: "XPUB endpoint the model is re-published on for the children.")
    var broadcast = "tcp://*:6556"

    @Option(help: "Node id; keep it stable across restarts so the server sees the same group rejoin (default: host name).")
    var id: String?

    @Option(help: "Seconds between heartbeats with the children; a child silent for 3 of them is dropped.")
    var heartbeat = 1.0

    @Option(help: "Seconds of upstream silence before joining again (default: 10 upstream heartbeats, at least 10 s).")
    var upstreamTimeout: Double?

    @Option(help: "Seconds without the round's model after a FIT before pulling it upstream (slow WAN links need more); in async mode, before an unanswered PULL upstream is sent again.")
    var pullAfter = 2.0

    @Option(help: "Slowest link in MB/s a model must cross: the upstream PULL waits the model's transfer time at this rate; 0 also restores fixed ZMTP heartbeat deadlines of 3 heartbeats.")
    var linkFloor = HeartbeatDeadlines.defaultLinkFloor / 1e6

    @Option(help: "Share of the upstream's round timeout after which the group reports without its stragglers, in (0, 1).")
    var groupDeadline = 0.8

    @Option(help: "Partial sum sent upstream: float32 (mean delta + example count, the bytes of one upload) or float64 (exact sum, twice the bytes).")
    var partialSum = "float32"

    @OptionGroup(title: "Security and limits (CURVE both ways: --server-key for upstream, --allow for children)")
    var security: SecurityOptions

    func validate() throws {
        try security.check(accepts: true, connects: true)
        guard PartialSumFormat(rawValue: partialSum) != nil else { throw ValidationError("--partial-sum must be float32 or float64") }
        do { try settings().validate() } catch { throw ValidationError(error.detail) }
    }

    func settings() -> SchedulerSettings {
        var s = SchedulerSettings(upstreamControl: upstreamControl, upstreamBroadcast: upstreamBroadcast,
                                  id: id ?? ProcessInfo.processInfo.hostName)
        s.control = control
        s.broadcast = broadcast
        s.heartbeat = heartbeat
        s.upstreamTimeout = upstreamTimeout
        s.groupDeadline = groupDeadline
        s.pullAfter = pullAfter
        s.linkFloor = linkFloor * 1e6
        s.partialSum = PartialSumFormat(rawValue: partialSum) ?? .float32
        return s
    }

    func run() async throws {
        AllocatorTuning.keepLargeAllocationsOnHeap()
        // One key pair both ways: downstream sockets are CURVE servers (children on --allow), upstream
        // sockets CURVE clients of --server-key (the upstream must allowlist this scheduler's public key).
        let (transport, zap) = try await security.makeTransport()
        let scheduler = try SchedulerNode(settings: settings(), transport: transport)
        let signals = ShutdownSignals { _ in Task { await scheduler.shutdown() } }
        let finished = try await scheduler.run()
        withExtendedLifetime(signals) {}
        await zap?.stop()
        await transport.shutdown()
        FileHandle.standardError.write(Data("[scheduler \(settings().id)] stopped: \(finished ? "server finished" : "shutdown")\n".utf8))
    }
}
