import ArgumentParser
import FedRuntime

/// Flags of asynchronous runs; shared by `simulate --mode async` and `server --mode async`.
struct AsyncOptions: ParsableArguments {
    @Option(name: .customLong("async-algorithm"), help: "Asynchronous algorithm: fedasync or fedbuff.")
    var asyncAlgorithm = "fedasync"

    @Option(help: "FedAsync mixing weight alpha.")
    var alpha = 0.6

    @Option(help: "Staleness discount: constant, poly:<a> or hinge:<a>,<b>.")
    var staleness = "poly:0.5"

    @Option(help: "FedBuff: updates buffered per server step (K).")
    var buffer = 10

    @Option(help: "Clients training at the same time (simulation).")
    var concurrency = 10

    @Option(help: "Stop after this many client updates.")
    var updates = 200

    @Option(help: "Stop after this many seconds (virtual seconds in simulation).")
    var timeBudget: Double?

    @Option(help: "Reject updates trained from a model more than this many versions old.")
    var maxStaleness: Int?

    @Option(help: "Evaluate every N updates (async mode).")
    var evalUpdates = 20

    @Option(help: "Client speeds for simulation: uniform or lognormal:<sigma>.")
    var speeds: String?

    /// The settings these flags describe.
    func settings(serverLearningRate: Double?) -> AsyncConfig {
        var a = AsyncConfig()
        a.algorithm = asyncAlgorithm
        a.alpha = alpha
        a.staleness = staleness
        a.bufferSize = buffer
        a.serverLearningRate = serverLearningRate ?? 1
        a.concurrency = concurrency
        a.updates = updates
        a.timeBudget = timeBudget
        a.maxStaleness = maxStaleness
        a.evalEvery = evalUpdates
        a.speeds = speeds ?? "lognormal:1.0"
        return a
    }

    func validate() throws {
        guard updates > 0, evalUpdates > 0, concurrency > 0, buffer > 0 else {
            throw ValidationError("--updates, --eval-updates, --concurrency and --buffer must be at least 1")
        }
        guard alpha > 0, alpha <= 1 else { throw ValidationError("--alpha must be in (0, 1]") }
        do { _ = try settings(serverLearningRate: nil).makeStrategy() } catch { throw ValidationError(error.detail) }
    }
}
