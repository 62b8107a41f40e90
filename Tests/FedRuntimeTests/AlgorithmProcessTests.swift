import FedAlgorithms
import FedCore
import Foundation
import Testing

/// Every algorithm over real processes: a `fedswift server` and one `fedswift client` on tcp loopback.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct AlgorithmProcessTests {
    static let small = ["--dataset", "synthetic:0.5,0.5", "--partition", "natural", "--model", "lr", "--clients", "6",
                        "--sample", "4", "--rounds", "3", "--seed", "3", "--mu", "0.01"]

    /// The algorithms plus the sampler and robust-aggregation options, four federations at a time.
    @Test func everyAlgorithmFinishesAThreeRoundTwoProcessFederation() async throws {
        let runs = StrategyRegistry.names.map { ($0, ["--algorithm", $0]) } + [
            ("median-poc", ["--algorithm", "fedavg", "--aggregation", "median", "--sampler", "power-of-choice:5"]),
            ("clip", ["--algorithm", "fedadam", "--aggregation", "clip:1"]),
        ]
        let h = try ProcessHarness("algorithms")
        defer { h.killAll() }
        for batch in stride(from: 0, to: runs.count, by: 4).map({ Array(runs[$0..<min($0 + 4, runs.count)]) }) {
            var servers: [(String, Process)] = []
            for (name, flags) in batch {
                let (control, broadcast) = ProcessHarness.endpoints()
                let server = try h.spawn("server-\(name)", ["server", "--control", control, "--broadcast", broadcast, "--codec", "raw",
                                                            "--out", h.path("\(name).jsonl")] + Self.small + flags)
                try h.spawn("client-\(name)", ["client", "--control", control, "--broadcast", broadcast, "--clients", "0-5",
                                               "--workers", "1", "--id", name])
                servers.append((name, server))
            }
            for (name, server) in servers {
                #expect(await h.waitForExit(server, timeout: 60), "\(name) server log:\n\(h.log("server-\(name)"))")
                #expect(server.terminationStatus == 0, "\(name) server log:\n\(h.log("server-\(name)"))\nclient log:\n\(h.log("client-\(name)"))")
                let rounds = h.rounds(h.path("\(name).jsonl"))
                #expect(rounds.count == 3, "\(name): \(rounds)")
                #expect(rounds.allSatisfy { $0["completed"] as? Int == 4 }, "\(name): \(rounds)")
                if name == "ditto" { #expect(rounds.allSatisfy { $0["personal_accuracy"] is Double }) }
            }
        }
    }

    /// SCAFFOLD's control variates cross the wire (c down with MODEL, Δc_i up with FIT_RESULT) and c_i stays
    /// in the client process: the federation's model equals the simulation's.
    @Test func scaffoldFederationEqualsSimulation() async throws {
        let h = try ProcessHarness("scaffold-equivalence")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let flags = Self.small + ["--algorithm", "scaffold"]
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--codec", "raw",
                                            "--save-model", h.path("federated.safetensors")] + flags)
        try h.spawn("client", ["client", "--control", control, "--broadcast", broadcast, "--clients", "0-5", "--workers", "2", "--id", "c"])
        let simulate = try h.spawn("simulate", ["simulate", "--save-model", h.path("simulated.safetensors")] + flags)
        #expect(await h.waitForExit(server, timeout: 60), "server log:\n\(h.log("server"))")
        #expect(await h.waitForExit(simulate, timeout: 60))
        let federated = try h.model(h.path("federated.safetensors"))
        let simulated = try h.model(h.path("simulated.safetensors"))
        let diff = zip(federated, simulated).map { abs($0 - $1) }.max() ?? .infinity
        #expect(federated.count == simulated.count && diff <= 1e-6, "max abs difference \(diff)")
    }
}
