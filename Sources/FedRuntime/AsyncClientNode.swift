import FedAlgorithms
import FedCore
import FedNet
import FedWire
import Foundation

/// A client process of an asynchronous federation: a lazy-pirate REQ socket (``LazyPirate``) to the
/// server's ROUTER, hosting virtual clients that it trains one at a time, round-robin in ascending id
/// order: PULL → MODEL → (optional `--delay`) → train → PUSH → ACK, and again.
///
/// It learns the experiment from WELCOME, computes the same partition as the server and trains only its
/// own clients. Uploads are deltas or whole models as WELCOME's `wants_deltas` says, encoded with the
/// negotiated codec. When the server restarts it keeps resending until it answers, then joins again
/// (HELLO) on `unknown_peer` or `session_mismatch`; it stops when the server answers BYE (the run is over)
/// or ``shutdown()`` is called.
public actor AsyncClientNode {
    nonisolated let executor = QueueExecutor(label: "fedswift.async-client")
    /// The client's private serial executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let settings: ClientSettings
    let transport: any Transport
    let log: NodeLog
    let pirate: LazyPirate
    var session: String?
    var experiment: ExperimentConfig?
    var encoding = TensorEncoding(codec: .shuffleLZ4)
    var wantsDeltas = true
    var trainer: (any LocalTrainer)?
    var trainerConfig: ExperimentConfig?
    var nextClient = 0
    /// PUSH task ids start at a random point so a restarted process is never mistaken for a resend.
    var nextTask = UInt64.random(in: 1...(UInt64.max >> 1))
    var stopping = false
    var outcome = ClientNode.Outcome.shutdown
    /// Updates the server acknowledged.
    public internal(set) var pushed = 0
    /// Updates the server refused as too stale.
    public internal(set) var staleRejections = 0
    /// Times this node sent HELLO and got WELCOME.
    public internal(set) var joins = 0

    /// A client for `settings` whose requests follow `retry`; sockets are made by `transport`.
    public init(settings: ClientSettings, retry: RetryPolicy = RetryPolicy(), transport: any Transport) {
        self.settings = settings
        self.transport = transport
        log = NodeLog(origin: "client \(settings.id)")
        pirate = LazyPirate(transport: transport, endpoint: settings.control, heartbeat: 1, policy: retry, log: log)
    }

    /// Asks ``run()`` to stop: the request in flight is abandoned, BYE is sent, the socket closed.
    public func shutdown() {
        stopping = true
        pirate.stop()
    }

    /// Joins and trains until the server's BYE or ``shutdown()``.
    ///
    /// - Throws: the server's ERROR when it refuses this node for good (wrong version, codec, client ids),
    ///   or a local failure to load the experiment's data.
    public func run() async throws(FedError) -> ClientNode.Outcome {
        log.info("connecting", ["control": settings.control, "mode": "async", "clients": "\(settings.clients.count)",
                                "trainer": settings.trainer.rawValue])
        var fatal: FedError?
        while !stopping {
            do throws(FedError) {
                if session == nil { try await join() } else { try await cycle() }
            } catch where error.code == .shutdown {
                break
            } catch {
                fatal = error
                break
            }
        }
        if outcome != .serverFinished, let session {
            let bye = FederationMessages.plain(.bye, sender: settings.id, session: session)
            _ = await pirate.once(bye.parts(), timeout: .milliseconds(500))
        }
        await pirate.close()
        if let fatal { throw fatal }
        return outcome
    }

    /// Sends `message` and returns the reply, or nil when the reply ends the exchange: BYE (the run is
    /// over unless it says `finished=false`), `unknown_peer` / `session_mismatch` (join again) or an
    /// undecodable reply.
    func exchange(_ message: WireMessage, what: String) async throws(FedError) -> WireMessage? {
        try await exchange(parts: message.parts(), what: what)
    }

    /// ``exchange(_:what:)`` for a message already encoded as frames.
    func exchange(parts request: [Frame], what: String) async throws(FedError) -> WireMessage? {
        let parts = try await pirate.request(request, what: what)
        let reply: WireMessage
        do {
            reply = try WireMessage(parts: parts)
        } catch {
            log.info("undecodable reply from the server", ["request": what, "error": error.description])
            return nil
        }
        switch reply.envelope.kind {
        case .bye where reply.envelope.config["finished"]?.boolValue == false:
            log.info("server is leaving without finishing; waiting for it to return")
            return nil
        case .bye:
            log.info("server finished the run", ["pushed": "\(pushed)"])
            outcome = .serverFinished
            stopping = true
            return nil
        case .error:
            let error = reply.envelope.error ?? WireError(code: .unspecified, detail: "no reason given")
            guard error.code == .unknownPeer || error.code == .sessionMismatch else { return reply }
            log.info("server does not know this session, joining again", ["code": error.code.name])
            session = nil
            return nil
        default:
            return reply
        }
    }
}
