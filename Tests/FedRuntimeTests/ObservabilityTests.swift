import FedCore
import FedRuntime
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `/metrics` during a real run, and the HTML report of results files.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ObservabilityTests {
    /// `name{labels} value` lines of a Prometheus text page, by series.
    static func samples(_ page: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in page.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { out[String(parts[0])] = value }
        }
        return out
    }

    static func scrape(_ port: Int) async -> String? {
        guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"),
              let (data, response) = try? await URLSession.shared.data(from: url),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func metricsEndpointShowsCountersMovingDuringARun() async throws {
        let h = try ProcessHarness("metrics")
        defer { h.killAll() }
        let (control, broadcast) = ProcessHarness.endpoints()
        let port = LoopbackPort.pick()
        let out = h.path("run.jsonl")
        let server = try h.spawn("server", ["server", "--control", control, "--broadcast", broadcast, "--echo-params", "1000",
                                            "--clients", "2", "--sample", "2", "--rounds", "8", "--codec", "lz4", "--heartbeat", "0.5",
                                            "--out", out, "--metrics-port", "\(port)"])
        try h.spawn("client", ["client", "--control", control, "--broadcast", broadcast, "--trainer", "echo", "--clients", "0-1",
                               "--id", "c", "--task-delay", "0.4"])
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 2 })
        let first = Self.samples(try #require(await Self.scrape(port), "no scrape; server log:\n\(h.log("server"))"))
        #expect(await h.waitUntil(timeout: 30) { h.rounds(out).count >= 5 })
        let page = try #require(await Self.scrape(port))
        let second = Self.samples(page)
        let rounds = (first["fedswift_rounds_total"] ?? 0, second["fedswift_rounds_total"] ?? 0)
        #expect(rounds.0 >= 2 && rounds.1 > rounds.0, "rounds_total \(rounds)")
        let up = #"fedswift_bytes_up_total{codec="lz4"}"#
        #expect((second[up] ?? 0) > (first[up] ?? 0), "page:\n\(page)")
        #expect(second["fedswift_connected_peers"] == 1)
        #expect(page.contains("fedswift_round_seconds_bucket"))
        #expect(await h.waitForExit(server, timeout: 30))
    }

    @Test func reportRendersSyncAndAsyncResultsAsSelfContainedSVG() throws {
        let h = try ProcessHarness("report")
        let sync = (1...5).map { r in
            #"{"round":\#(r),"accuracy":\#(0.5 + Double(r) * 0.05),"loss":\#(1.0 / Double(r)),"seconds":0.2,"bytes_down":4000,"bytes_up":\#(1000 * r)}"#
        }.joined(separator: "\n") + "\n" + #"{"final":true,"rounds":5,"config":{"model":"lr"}}"# + "\n"
        try sync.write(toFile: h.path("sync.jsonl"), atomically: true, encoding: .utf8)
        let asyncRows = (1...4).map { u in #"{"updates":\#(u * 10),"version":\#(u * 10),"accuracy":0.6,"loss":0.9,"sim_time":\#(u)}"# }
        try asyncRows.joined(separator: "\n").write(toFile: h.path("async.jsonl"), atomically: true, encoding: .utf8)
        for (name, isAsync) in [("sync", false), ("async", true)] {
            let report = try RunReport(resultsFile: h.path("\(name).jsonl"))
            #expect(report.isAsync == isAsync)
            let html = report.html()
            #expect(html.components(separatedBy: "<svg").count - 1 == 4)
            #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))  // nothing external
            #expect(html.contains("<polyline"))
        }
        #expect(try RunReport(resultsFile: h.path("sync.jsonl")).html().contains("last accuracy 75.00%"))
        try? FileManager.default.removeItem(at: h.directory)
    }
}
