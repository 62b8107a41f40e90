import FedCore
import FedNet
import Synchronization

/// Timeouts and retries of a ``LazyPirate`` request channel.
public struct RetryPolicy: Sendable, Hashable {
    /// Seconds to wait for a reply before giving the socket up (the zguide's REQUEST_TIMEOUT is 2.5 s).
    public var timeout = 2.5
    /// Quick resends on a fresh socket before backing off (the zguide's REQUEST_RETRIES is 3).
    public var retries = 3
    /// Longest pause between resends once the quick ones are spent; pauses double from 0.25 s up to it.
    public var maxBackoff = 4.0

    /// The zguide's values, with a 4 s back-off cap.
    public init() {}
}

/// Set once to ask waiting loops to stop; readable from any thread.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Raises the flag.
    func set() { flag.store(true, ordering: .relaxed) }

    /// Whether the flag is raised.
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// A REQ socket with client-side reliability: the zguide's Lazy Pirate pattern (Chapter 4 "Reliable
/// Request-Reply Patterns", section "Client-Side Reliability (Lazy Pirate Pattern)", `lpclient.c`).
///
/// Each request waits ``RetryPolicy/timeout`` for its reply. On a timeout the REQ socket is closed with
/// LINGER 0 (a REQ that lost its reply is stuck in its send/receive state machine) and a fresh one is
/// connected before the request is sent again. Unlike `lpclient.c`, it never abandons the server: after
/// ``RetryPolicy/retries`` quick resends it keeps resending with a doubling pause, so a server restart
/// never wedges the client. Resent requests must therefore be idempotent (the async server deduplicates
/// PUSH by sender and task id). Only ``stop()`` ends the retrying.
actor LazyPirate {
    private let transport: any Transport
    private let endpoint: String
    private let options: SocketOptions
    private let policy: RetryPolicy
    private let stopFlag = StopFlag()
    private let log: NodeLog
    private var socket: (any MessageSocket)?
    /// Times the socket was replaced after a lost reply.
    private(set) var reconnects = 0

    /// A channel to `endpoint`; the first socket is connected by the first request.
    init(transport: any Transport, endpoint: String, heartbeat: Double, policy: RetryPolicy, log: NodeLog) {
        self.transport = transport
        self.endpoint = endpoint
        self.policy = policy
        self.log = log
        var options = SocketOptions.federation(heartbeat: heartbeat)
        options.linger = .zero  // an abandoned request must not outlive its socket
        options.immediate = true  // no queueing to a server that is not there
        options.sendTimeout = .milliseconds(Int64(policy.timeout * 1000))
        self.options = options
    }

    /// Sends `request` and returns the reply, resending on fresh sockets for as long as it takes.
    ///
    /// - Throws: `.shutdown` once ``stop()`` was called.
    func request(_ request: [Frame], what: String) async throws(FedError) -> [Frame] {
        var failures = 0
        var pause = 0.25
        while true {
            guard !stopFlag.isSet else { throw FedError(.shutdown, "the client is stopping") }
            if let reply = await attempt(request) { return reply }
            guard !stopFlag.isSet else { throw FedError(.shutdown, "the client is stopping") }
            failures += 1
            await dropSocket()
            if failures <= policy.retries {
                log.info("no reply, resending on a fresh socket", ["request": what, "attempt": "\(failures)/\(policy.retries)"])
            } else {
                log.info("server unreachable, still retrying", ["request": what, "failures": "\(failures)",
                                                                "pause_seconds": String(format: "%.2f", pause)])
                await sleep(seconds: pause)
                pause = min(pause * 2, policy.maxBackoff)
            }
        }
    }

    /// Makes pending and later requests fail with `.shutdown` (checked every 100 ms while waiting).
    nonisolated func stop() { stopFlag.set() }

    /// Closes the socket; a later request opens a new one.
    func close() async { await dropSocket() }

    /// One send and the wait for its reply; nil when there was no reply in time.
    private func attempt(_ request: [Frame]) async -> [Frame]? {
        let current: any MessageSocket
        if let socket {
            current = socket
        } else {
            do {
                current = try await transport.connected(.req, to: endpoint, options: options)
            } catch {
                log.info("cannot open a request socket", ["endpoint": endpoint, "error": "\(error)"])
                await sleep(seconds: policy.timeout)
                return nil
            }
            socket = current
        }
        do {
            try await current.send(request)
        } catch {
            return nil  // no connection within the timeout: counts as a lost reply
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(policy.timeout * 1000))
        while !stopFlag.isSet {
            let left = deadline - .now
            guard left > .zero else { return nil }
            do {
                return try await current.receive(timeout: min(left, .milliseconds(100)))
            } catch let error as FedError where error.code == .timeout {
                continue
            } catch {
                return nil
            }
        }
        return nil
    }

    private func dropSocket() async {
        guard let socket else { return }
        self.socket = nil
        reconnects += 1
        await socket.close()
    }

    private func sleep(seconds: Double) async {
        let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !stopFlag.isSet, ContinuousClock.now < until {
            try? await Task.sleep(for: min(until - .now, .milliseconds(100)))
        }
    }
}

extension LazyPirate {
    /// One best-effort exchange that ignores ``stop()`` (a parting BYE): nil if no reply within `timeout`.
    func once(_ request: [Frame], timeout: Duration) async -> [Frame]? {
        guard let socket = try? await transport.connected(.req, to: endpoint, options: options) else { return nil }
        var reply: [Frame]?
        if (try? await socket.send(request)) != nil { reply = try? await socket.receive(timeout: timeout) }
        await socket.close()
        return reply
    }
}
