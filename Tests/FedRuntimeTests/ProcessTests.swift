import FedCore
import FedNet
import FedRuntime
import FedWire
import Foundation
import Testing

/// Real processes over tcp loopback: the spawned `fedswift` server and clients, killed and restarted.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProcessTests {
    static let small = ["--dataset", "synthetic:0.5,0.5", "--partition", "natural", "--model", "lr", "--clients", "6",
                        "--sample", "4", "--rounds", "3", "--seed", "3"]

    @Test(arguments: ["raw", "shuffle-lz4"])
    func federationEqualsSimulation(codec: String) async throws {
        let h = try ProcessHarness("equivalence-\(codec)")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--codec", codec,
                                            "--save-model", h.path("federated.safetensors"), "--out", h.path("run.jsonl")] + Self.small)
        try h.spawn("client-a", ["client", "--control", control, "--broadcast", broadcast, "--clients", "0-2", "--workers", "1", "--id", "a"])
        try h.spawn("client-b", ["client", "--control", control, "--broadcast", broadcast, "--clients", "3-5", "--workers", "2", "--id", "b"])
        let simulate = try h.spawn("simulate", ["simulate", "--save-model", h.path("simulated.safetensors")] + Self.small)
        #expect(await h.waitForExit(server, timeout: 60), "server log:\n\(h.log("server"))")
        #expect(await h.waitForExit(simulate, timeout: 60))
        #expect(h.status(server) == 0)
        let federated = try h.model(h.path("federated.safetensors"))
        let simulated = try h.model(h.path("simulated.safetensors"))
        #expect(federated.count == simulated.count)
        let diff = zip(federated, simulated).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff <= 1e-6, "max abs difference \(diff)")
        #expect(h.rounds(h.path("run.jsonl")).count == 3)
    }

    @Test func killedClientFailsItsRoundThenRejoinsAndIsSelectedAgain() async throws {
        let h = try ProcessHarness("kill-client")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let out = h.path("run.jsonl")
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "1000",
                                            "--clients", "4", "--sample", "4", "--rounds", "5", "--round-timeout", "4", "--min-fit", "0.5",
                                            "--heartbeat", "0.5", "--codec", "raw", "--out", out])
        let echo = ["--control", control, "--broadcast", broadcast, "--trainer", "echo"]
        try h.spawn("steady", ["client", "--clients", "0-1", "--id", "steady", "--task-delay", "0.5"] + echo)
        // The victim holds each task for 3 s, so the kill lands inside round 2 even on a loaded machine.
        let victim = try h.spawn("victim", ["client", "--clients", "2-3", "--id", "victim", "--task-delay", "3"] + echo)
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 1 })
        kill(victim.processIdentifier, SIGKILL)
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 2 })
        try h.spawn("victim-again", ["client", "--clients", "2-3", "--id", "victim", "--task-delay", "0.5"] + echo)
        #expect(await h.waitForExit(server, timeout: 60), "server log:\n\(h.log("server"))")
        let rounds = h.rounds(out)
        #expect(rounds.map { $0["round"] as? Int } == [1, 2, 3, 4, 5])
        #expect(rounds[1]["completed"] as? Int == 2 && rounds[1]["failed"] as? Int == 2)
        #expect(rounds[2...].allSatisfy { $0["completed"] as? Int == 4 && $0["failed"] as? Int == 0 })
    }

    @Test func restartedServerResumesAndWritesEveryRoundOnce() async throws {
        let h = try ProcessHarness("resume")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let out = h.path("run.jsonl")
        let serverArguments = ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "1000", "--clients", "2",
                               "--sample", "2", "--rounds", "8", "--heartbeat", "0.5", "--codec", "raw", "--out", out,
                               "--checkpoint", h.path("checkpoint"), "--save-model", h.path("model.safetensors"), "--resume"]
        let first = try h.spawn("server", serverArguments)
        let echo = ["--control", control, "--broadcast", broadcast, "--trainer", "echo", "--task-delay", "1"]
        let clients = [try h.spawn("client-a", ["client", "--clients", "0", "--id", "a"] + echo),
                       try h.spawn("client-b", ["client", "--clients", "1", "--id", "b"] + echo)]
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 2 })
        #expect(first.isRunning, "the run must still be going when the server is killed")
        kill(first.processIdentifier, SIGKILL)
        _ = await h.waitForExit(first, timeout: 5)
        let second = try h.spawn("server-resumed", serverArguments)
        #expect(await h.waitForExit(second, timeout: 60), "server log:\n\(h.log("server-resumed"))")
        #expect(h.status(second) == 0)
        #expect(h.rounds(out).map { $0["round"] as? Int } == Array(1...8))
        #expect(h.rows(out).last?["final"] as? Bool == true)
        // Echo clients add exactly 1 per round: 8.0 proves no round was lost or applied twice.
        #expect(try h.model(h.path("model.safetensors")).allSatisfy { $0 == 8 })
        for client in clients { #expect(await h.waitForExit(client, timeout: 10)) }
    }

    @Test func badPeersGetErrorsWhileTheServerKeepsRunning() async throws {
        let h = try ProcessHarness("bad-peer")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "8",
                                            "--clients", "2", "--sample", "2", "--rounds", "2", "--min-fit", "0.5", "--round-timeout", "10",
                                            "--codec", "raw", "--save-model", h.path("model.safetensors")])
        try h.spawn("echo", ["client", "--control", control, "--broadcast", broadcast, "--trainer", "echo", "--clients", "0", "--id", "echo"])
        let transport = try ZMQTransport()
        defer { Task { await transport.shutdown() } }
        let peer = try await FakePeer(transport: transport, control: control, id: "mallory")
        try await peer.dealer.send([Frame(copying: Array("GET / HTTP/1.1".utf8))])
        #expect(try await peer.next(.error).envelope.error?.code == .malformedEnvelope)
        var future = Envelope(kind: .hello)
        future.version = 7
        future.clientIDs = [1]
        try await peer.send(WireMessage(envelope: future))
        #expect(try await peer.next(.error).envelope.error?.code == .unsupportedVersion)
        try await peer.join(clients: [1])
        let first = try await peer.next(.fit).envelope
        let wrongShape = ModelState(layout: try ModelLayout([TensorSpec(name: "echo.weight", shape: [2, 2])]), repeating: 1)
        try await peer.upload(for: first, client: 1, state: wrongShape)
        #expect(try await peer.next(.error).envelope.error?.code == .modelMismatch)
        let second = try await peer.next(.fit).envelope
        var poisoned = ModelState(layout: try ModelLayout([TensorSpec(name: "echo.weight", shape: [8])]), repeating: 1e30)
        poisoned.values[0] = .nan
        try await peer.upload(for: second, client: 1, state: poisoned)
        #expect(try await peer.next(.error).envelope.error?.code == .nonFiniteValue)
        #expect(await h.waitForExit(server, timeout: 30), "server log:\n\(h.log("server"))")
        #expect(h.status(server) == 0)
        // Only the echo client's uploads counted: two rounds of +1.
        #expect(try h.model(h.path("model.safetensors")) == [Float](repeating: 2, count: 8))
        await peer.close()
    }
}

/// SIGTERM: the server stops gracefully (results flushed, BYE), its clients wait, and a resumed server
/// finishes the run with them.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GracefulShutdownTests {
    @Test func terminatedServerExitsCleanlyAndItsClientsWaitForTheResumedOne() async throws {
        let h = try ProcessHarness("sigterm")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let out = h.path("run.jsonl")
        let serverArguments = ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "100", "--clients", "2",
                               "--sample", "2", "--rounds", "6", "--codec", "raw", "--out", out, "--checkpoint", h.path("checkpoint"),
                               "--save-model", h.path("model.safetensors"), "--resume"]
        let first = try h.spawn("server", serverArguments)
        let echo = ["--control", control, "--broadcast", broadcast, "--trainer", "echo", "--task-delay", "1"]
        let clients = [try h.spawn("client-a", ["client", "--clients", "0", "--id", "a"] + echo),
                       try h.spawn("client-b", ["client", "--clients", "1", "--id", "b"] + echo)]
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 1 })
        #expect(first.isRunning, "the run must still be going when the server is stopped")
        kill(first.processIdentifier, SIGTERM)
        #expect(await h.waitForExit(first, timeout: 10))
        #expect(h.status(first) == 0)
        #expect(clients.allSatisfy { $0.isRunning }, "clients should wait for the server to return")
        let second = try h.spawn("server-resumed", serverArguments)
        #expect(await h.waitForExit(second, timeout: 60), "server log:\n\(h.log("server-resumed"))")
        #expect(h.rounds(out).map { $0["round"] as? Int } == Array(1...6))
        #expect(try h.model(h.path("model.safetensors")).allSatisfy { $0 == 6 })
        for client in clients {
            #expect(await h.waitForExit(client, timeout: 10))
            #expect(h.status(client) == 0)
        }
    }
}
