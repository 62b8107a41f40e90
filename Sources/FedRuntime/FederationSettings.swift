import FedCore
import FedNet
import FedWire

/// Everything a sync server needs besides the experiment: endpoints, deadlines, quorum, files.
public struct ServerSettings: Sendable {
    /// The experiment; sent to every client in WELCOME.
    public var experiment: ExperimentConfig
    /// ROUTER endpoint for HELLO/FIT/FIT_RESULT/PULL/HEARTBEAT.
    public var control = "tcp://*:5555"
    /// XPUB endpoint the round's model is published on.
    public var broadcast = "tcp://*:5556"
    /// Seconds a round waits for its results.
    public var roundTimeout = 60.0
    /// Share of the selected clients needed to close a round at its deadline.
    public var minFit = 0.5
    /// Announced virtual clients needed before a round starts (nil: every client of the experiment).
    public var minClients: Int?
    /// Upload codec the clients are asked to use.
    public var codec = "shuffle-lz4"
    /// Directory of the per-round checkpoint (nil: no checkpoints).
    public var checkpointDirectory: String?
    /// Continue from the checkpoint in ``checkpointDirectory`` if there is one.
    public var resume = false
    /// Safetensors file the final model is written to.
    public var saveModel: String?
    /// JSON Lines results file.
    public var out: String?
    /// Seconds between heartbeats; a child silent for 3 intervals (at least 3 s) is dropped.
    public var heartbeat = 1.0
    /// Echo benchmarks: a one-tensor model of this many float32 zeros; no data, no evaluation.
    public var echoParams: Int?
    /// Most float32 elements per tensor frame; bigger tensors travel as slices.
    public var maxFrameElements = 1 << 28
    /// Show a progress bar on stderr.
    public var showProgress = true
    /// Most client processes joined at once; a HELLO from one more is refused with `unauthorized`.
    public var maxPeers = 1024
    /// Slowest link (bytes/s per connection) a model must cross without its ZMTP heartbeats timing out;
    /// 0 keeps the fixed 3-heartbeat deadlines (see ``HeartbeatDeadlines``).
    public var linkFloor = HeartbeatDeadlines.defaultLinkFloor

    /// Settings for `experiment` with the defaults above.
    public init(experiment: ExperimentConfig) { self.experiment = experiment }

    /// Seconds of silence after which a child counts as dead.
    var deadAfter: Double { max(3 * heartbeat, 3) }

    /// Checks the values a person typed, with messages that say what to change.
    public func validate() throws(FedError) {
        try experiment.validate()
        _ = try TensorEncoding(parsing: codec)
        guard roundTimeout > 0 else { throw FedError(.invalidArgument, "--round-timeout must be positive") }
        guard minFit > 0, minFit <= 1 else { throw FedError(.invalidArgument, "--min-fit must be in (0, 1]") }
        guard heartbeat > 0 else { throw FedError(.invalidArgument, "--heartbeat must be positive") }
        if let minClients, minClients < 1 { throw FedError(.invalidArgument, "--min-clients must be at least 1") }
        guard maxPeers >= 1 else { throw FedError(.invalidArgument, "--max-peers must be at least 1") }
        guard linkFloor >= 0 else { throw FedError(.invalidArgument, "--link-floor must be at least 0") }
        if let echoParams, echoParams < 1 { throw FedError(.invalidArgument, "--echo-params must be at least 1") }
        if resume, checkpointDirectory == nil { throw FedError(.invalidArgument, "--resume needs --checkpoint DIR") }
    }
}

/// How a client process trains the virtual clients it hosts.
public enum ClientTrainerKind: String, Sendable, CaseIterable {
    /// Local SGD on the client's partition (the real thing).
    case sgd
    /// No training: returns the received model + 1 with one example (transport benchmarks, exact tests).
    case echo
}

/// What a client process needs: where the server is and which virtual clients it hosts.
public struct ClientSettings: Sendable {
    /// The server's ROUTER endpoint.
    public var control: String
    /// The server's XPUB endpoint.
    public var broadcast: String
    /// Virtual client ids hosted here.
    public var clients: [Int]
    /// Node id (also the DEALER routing id and the broadcast topic).
    public var id: String
    /// Training threads (nil: the number of cores).
    public var workers: Int?
    /// Training or echo.
    public var trainer = ClientTrainerKind.sgd
    /// Local override of the dataset directory the server announced.
    public var dataDirectory: String?
    /// Seconds without a model after a FIT before the client PULLs it on control, on top of the model's
    /// transfer time at ``linkFloor``.
    public var pullAfter = 2.0
    /// Seconds between HELLO attempts while not joined.
    public var helloInterval = 1.0
    /// Artificial wait before training each task (tests, demos of heterogeneous devices; `--delay`).
    public var delay = TaskDelay()
    /// Seconds between the sockets' ZMTP heartbeats; their deadlines follow ``HeartbeatDeadlines``.
    public var socketHeartbeat = 1.0
    /// Slowest link (bytes/s) a model must cross: sizes the wait before a PULL; 0 also restores the fixed
    /// 3-heartbeat ZMTP deadlines.
    public var linkFloor = HeartbeatDeadlines.defaultLinkFloor

    /// Settings with the defaults above.
    public init(control: String, broadcast: String, clients: [Int], id: String) {
        self.control = control
        self.broadcast = broadcast
        self.clients = clients
        self.id = id
    }
}

extension SocketOptions {
    /// Options for federation sockets: ZMTP heartbeats at the node's interval with deadlines sized to the
    /// largest message (see ``HeartbeatDeadlines``) so dead TCP peers are noticed by libzmq too but a slow
    /// transfer is not taken for one, short linger so shutdown is bounded.
    static func federation(heartbeat: Double, largestMessageBytes: Int? = nil, linkFloor: Double = HeartbeatDeadlines.defaultLinkFloor,
                           routingID: String? = nil) -> SocketOptions {
        var options = SocketOptions()
        let deadlines = HeartbeatDeadlines.sized(heartbeat: heartbeat, largestMessageBytes: largestMessageBytes, linkFloor: linkFloor)
        options.linger = .seconds(2)  // room for the last uploads and BYE on a loaded machine
        options.heartbeatInterval = .milliseconds(Int64(deadlines.interval * 1000))
        options.heartbeatTimeout = .milliseconds(Int64(deadlines.timeout * 1000))
        options.heartbeatTTL = deadlines.ttl.map { .milliseconds(Int64($0 * 1000)) }
        options.maxMessageSize = Int64(WireLimits().maxMessageBytes)  // models past 2 GiB arrive as several frames
        options.sendTimeout = .seconds(30)
        options.routingID = routingID.map { Array($0.utf8) }
        options.xpubVerbose = true
        options.reconnectIntervalMax = .seconds(1)
        return options
    }
}
