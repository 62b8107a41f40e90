import FedCore
import Foundation
import Testing

/// CURVE end to end with real processes: keys from `fedswift keygen`, an allowlisting server, and
/// peers it must refuse while the run goes on.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecureFederationTests {
    @Test func allowlistedClientCompletesRoundsWhileStrangersAndPlaintextAreRefused() async throws {
        let h = try ProcessHarness("curve")
        defer { h.killAll() }
        let keys = h.path("keys")
        for name in ["server", "friend", "stranger"] {
            let keygen = try h.spawn("keygen-\(name)", ["keygen", "--out", keys, "--name", name])
            #expect(await h.waitForExit(keygen, timeout: 20))
        }
        let friendKey = try String(contentsOfFile: "\(keys)/friend.pub", encoding: .utf8)
        try ("# admitted clients\n" + friendKey).write(toFile: h.path("allowed.txt"), atomically: true, encoding: .utf8)
        let (control, broadcast) = ProcessHarness.endpoints()
        let out = h.path("run.jsonl")
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "100",
                                            "--clients", "1", "--sample", "1", "--rounds", "4", "--codec", "raw", "--heartbeat", "0.5",
                                            "--round-timeout", "10", "--out", out, "--save-model", h.path("model.safetensors"),
                                            "--curve-secret", "\(keys)/server.key", "--allow", h.path("allowed.txt")])
        let common = ["client", "--control", control, "--broadcast", broadcast, "--trainer", "echo", "--clients", "0"]
        // Strangers first: they announce the only client id, so if either got in it would take rounds.
        try h.spawn("stranger", common + ["--id", "stranger", "--curve-secret", "\(keys)/stranger.key", "--server-key", "\(keys)/server.pub"])
        try h.spawn("plaintext", common + ["--id", "plaintext"])
        try await Task.sleep(for: .seconds(2))
        #expect(h.rounds(out).isEmpty, "a refused peer took part in a round")
        try h.spawn("friend", common + ["--id", "friend", "--task-delay", "0.2",
                                        "--curve-secret", "\(keys)/friend.key", "--server-key", "\(keys)/server.pub"])
        #expect(await h.waitForExit(server, timeout: 60), "server log:\n\(h.log("server"))")
        #expect(server.terminationStatus == 0)
        #expect(h.rounds(out).map { $0["round"] as? Int } == [1, 2, 3, 4])
        #expect(try h.model(h.path("model.safetensors")).allSatisfy { $0 == 4 })  // only the friend's +1 per round
        let log = h.log("server")
        #expect(log.contains("[zap] refused") && log.contains("reason=unknown_key"))
        #expect(!log.contains("child joined id=stranger") && !log.contains("child joined id=plaintext"))
        #expect(log.contains("child joined id=friend"))
    }

    @Test func serverWithCurveButNoAllowlistRefusesToStart() async throws {
        let h = try ProcessHarness("curve-no-allow")
        defer { h.killAll() }
        let keygen = try h.spawn("keygen", ["keygen", "--out", h.path("keys"), "--name", "server"])
        #expect(await h.waitForExit(keygen, timeout: 20))
        let server = try h.spawn("server", ["server", "--echo-params", "10", "--clients", "1", "--curve-secret", h.path("keys/server.key")])
        #expect(await h.waitForExit(server, timeout: 20))
        #expect(server.terminationStatus != 0)
        #expect(h.log("server").contains("--allow"))
    }
}
