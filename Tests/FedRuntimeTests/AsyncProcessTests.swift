import FedCore
import Foundation
import Testing

/// Real processes over tcp loopback in async mode: one server, three clients with different delays,
/// a server killed and resumed, a client killed for good.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct AsyncProcessTests {
    static let small = ["--dataset", "synthetic:0.5,0.5", "--partition", "natural", "--model", "lr", "--clients", "6", "--seed", "3"]

    private func updates(_ h: ProcessHarness, _ out: String) -> Int { h.rounds(out).last?["updates"] as? Int ?? 0 }

    /// The counters of the server's last checkpoint (a row is written just before its checkpoint, so a
    /// server killed between the two redoes those updates; only the checkpoint says what survives).
    private func checkpointed(_ h: ProcessHarness) -> [String: Int] {
        guard let data = FileManager.default.contents(atPath: h.path("checkpoint/state.json")),
              let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return state["counters"] as? [String: Int] ?? [:]
    }

    @Test func fastClientsContributeMoreAndKilledClientsOrServersStallNothing() async throws {
        let h = try ProcessHarness("async")
        defer { h.killAll() }
        let control = ProcessHarness.endpoints().control
        let out = h.path("run.jsonl")
        // Clients 2-5 (mid and slow) complete the federation; the fast client joins late.
        let server = ["server", "--mode", "async", "--control", control, "--min-clients", "4", "--updates", "40", "--eval-updates", "2",
                      "--heartbeat", "0.5", "--codec", "raw", "--out", out, "--checkpoint", h.path("checkpoint"), "--resume",
                      "--save-model", h.path("model.safetensors")] + Self.small
        let first = try h.spawn("server", server)
        let client = ["client", "--control", control, "--workers", "1", "--request-timeout", "1"]
        let mid = try h.spawn("mid", client + ["--clients", "2-3", "--id", "mid", "--delay", "0.2"])
        let slow = try h.spawn("slow", client + ["--clients", "4-5", "--id", "slow", "--delay", "1.0", "--mode", "async"])
        let progressed = await h.waitUntil(timeout: 30) {
            let counters = checkpointed(h)
            return counters["received", default: 0] >= 6 && counters["applied:slow", default: 0] >= 1
        }
        #expect(progressed, "server log:\n\(h.log("server"))")

        // The server dies and comes back from its checkpoint: both clients must find it again.
        kill(first.processIdentifier, SIGKILL)
        _ = await h.waitForExit(first, timeout: 5)
        let resumed = try h.spawn("server-resumed", server)
        let rejoined = await h.waitUntil(timeout: 30) {
            let log = h.log("server-resumed")
            return log.contains("client joined id=mid") && log.contains("client joined id=slow") && log.contains("federation complete")
        }
        #expect(rejoined, "resumed server log:\n\(h.log("server-resumed"))\nmid log:\n\(h.log("mid"))")

        // The slow client dies holding a model: the server goes on with the others.
        kill(slow.processIdentifier, SIGKILL)
        let atKill = updates(h, out)
        #expect(await h.waitUntil(timeout: 20) { updates(h, out) >= atKill + 2 }, "resumed server log:\n\(h.log("server-resumed"))")
        let fast = try h.spawn("fast", client + ["--clients", "0-1", "--id", "fast", "--delay", "0"])
        #expect(await h.waitForExit(resumed, timeout: 40), "resumed server log:\n\(h.log("server-resumed"))")
        #expect(resumed.terminationStatus == 0)

        let rows = h.rounds(out)
        let counted = rows.compactMap { $0["updates"] as? Int }
        #expect(counted == Array(stride(from: 2, through: 40, by: 2)), "every evaluation row once, across the restart")
        #expect(rows.allSatisfy { $0["staleness_mean"] is Double && $0["accuracy"] is Double && $0["seconds"] is Double })
        let final = try #require(h.rows(out).last)
        #expect(final["final"] as? Bool == true && final["updates"] as? Int == 40)
        let perNode = try #require(final["updates_by_node"] as? [String: Int])
        let (f, m, s) = (perNode["fast"] ?? 0, perNode["mid"] ?? 0, perNode["slow"] ?? 0)
        #expect(f > m && m > s && s >= 1, "updates per node: \(perNode)")
        #expect(f + m + s == 40)
        #expect((final["staleness_max"] as? Int ?? 0) >= 1, "staleness must be recorded: \(final)")
        #expect(FileManager.default.fileExists(atPath: h.path("model.safetensors")))
        for survivor in [mid, fast] { #expect(await h.waitForExit(survivor, timeout: 10), "clients stop on the server's BYE") }
        #expect(mid.terminationStatus == 0 && fast.terminationStatus == 0)
    }
    @Test func autoModeClientsTrainThroughASchedulerUnderAnAsyncServer() async throws {
        let h = try ProcessHarness("async-scheduler")
        defer { h.killAll() }
        let upstream = ProcessHarness.endpoints().control
        let lan = ProcessHarness.endpoints()
        let out = h.path("run.jsonl")
        let server = try h.spawn("server", ["server", "--mode", "async", "--control", upstream, "--updates", "30", "--eval-updates", "10",
                                            "--async-algorithm", "fedbuff", "--buffer", "5", "--heartbeat", "0.5", "--codec", "raw",
                                            "--out", out] + Self.small)
        // No --upstream-broadcast: an async server has none. The clients start in the default auto mode and
        // switch to request/reply when the scheduler relays the server's WELCOME (mode=async).
        let scheduler = try h.spawn("scheduler", ["scheduler", "--upstream-control", upstream, "--control", lan.control,
                                                  "--broadcast", lan.broadcast, "--id", "lan-a"])
        let clients = try (0..<3).map { n in
            try h.spawn("c\(n)", ["client", "--control", lan.control, "--broadcast", lan.broadcast, "--clients", "\(2 * n)-\(2 * n + 1)",
                                  "--workers", "1", "--id", "c\(n)"])
        }
        #expect(await h.waitForExit(server, timeout: 60), "server log:\n\(h.log("server"))\nscheduler log:\n\(h.log("scheduler"))")
        #expect(await h.waitForExit(scheduler, timeout: 30), "scheduler log:\n\(h.log("scheduler"))")
        for client in clients { #expect(await h.waitForExit(client, timeout: 30)) }
        #expect(server.terminationStatus == 0 && scheduler.terminationStatus == 0)
        #expect(clients.allSatisfy { $0.terminationStatus == 0 })
        let final = try #require(h.rows(out).last)
        #expect(final["final"] as? Bool == true && final["updates"] as? Int == 30)
        #expect(final["updates_by_node"] as? [String: Int] == ["lan-a": 30])
        let log = h.log("scheduler")
        #expect(log.contains("mode=async") && log.contains("socket=req"), "scheduler log:\n\(log)")
        let cached = log.split(separator: " ").first { $0.hasPrefix("pulls_cached=") }.flatMap { Int($0.dropFirst("pulls_cached=".count)) }
        #expect((cached ?? 0) >= 1, "FedBuff keeps the version for 5 updates, so PULLs in between hit the cache:\n\(log)")
    }
}
