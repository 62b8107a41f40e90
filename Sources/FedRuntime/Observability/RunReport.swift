import FedCore
import Foundation

/// A self-contained HTML page (inline SVG, no scripts or external assets) with the curves of one
/// results file: accuracy, loss, round time and bytes per round. Reads sync files (one row per round)
/// and async files (one row per evaluation, keyed by `updates` or `version`).
public struct RunReport {
    /// Rows of the results file, the final summary excluded.
    public let rows: [[String: Any]]
    /// The `"final": true` row, if the run finished.
    public let summary: [String: Any]?
    /// The file's name, shown as the title.
    public let title: String

    /// Parses a JSON Lines results file; unparsable lines are skipped.
    public init(resultsFile path: String) throws(FedError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FedError(.io, "cannot read results file \(path): \(error.localizedDescription)")
        }
        let all = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        rows = all.filter { ($0["final"] as? Bool) != true }
        summary = all.last { ($0["final"] as? Bool) == true }
        title = URL(fileURLWithPath: path).lastPathComponent
        guard !rows.isEmpty else { throw FedError(.invalidArgument, "\(path) holds no result rows") }
    }

    /// Whether rows are asynchronous evaluations rather than rounds.
    public var isAsync: Bool { rows.first?["round"] == nil && (rows.first?["updates"] != nil || rows.first?["version"] != nil) }

    private var xKey: String { isAsync ? (rows.first?["updates"] != nil ? "updates" : "version") : "round" }

    private func series(_ key: String, scale: Double = 1) -> [(x: Double, y: Double)] {
        rows.enumerated().compactMap { index, row in
            guard let y = Self.number(row[key]) else { return nil }
            return (Self.number(row[xKey]) ?? Double(index + 1), y * scale)
        }
    }

    static func number(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        return nil
    }

    /// The page.
    public func html() -> String {
        let xLabel = isAsync ? xKey : "round"
        let charts = [
            SVGLineChart(title: "Accuracy", xLabel: xLabel, yLabel: "accuracy (%)",
                         series: [.init(name: "test accuracy", color: "#1f77b4", points: series("accuracy", scale: 100))]),
            SVGLineChart(title: "Loss", xLabel: xLabel, yLabel: "loss",
                         series: [.init(name: "test loss", color: "#d62728", points: series("loss")),
                                  .init(name: "train loss", color: "#ff7f0e", points: series("train_loss"))].filter { !$0.points.isEmpty }),
            SVGLineChart(title: isAsync ? "Time" : "Round time", xLabel: xLabel, yLabel: isAsync ? "seconds" : "seconds per round",
                         series: [.init(name: "wall seconds", color: "#2ca02c", points: series("seconds")),
                                  .init(name: "virtual seconds", color: "#9467bd", points: series("sim_time"))].filter { !$0.points.isEmpty }),
            SVGLineChart(title: "Bytes per round", xLabel: xLabel, yLabel: "bytes",
                         series: [.init(name: "up (clients → server)", color: "#8c564b", points: series("bytes_up")),
                                  .init(name: "down (server → clients)", color: "#17becf", points: series("bytes_down"))]),
        ]
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>FedSwift report: \(escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}
            .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}
            table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}</style>
            </head><body><h1>FedSwift run: \(escape(title))</h1>
            <p>\(rows.count) \(isAsync ? "evaluations (async)" : "rounds (sync)")\(lastAccuracy)</p>
            <div class="grid">
            """
        for chart in charts { page += "<div>" + chart.render() + "</div>\n" }
        page += "</div>\n" + summaryTable() + "</body></html>\n"
        return page
    }

    private var lastAccuracy: String {
        guard let accuracy = rows.compactMap({ Self.number($0["accuracy"]) }).last else { return "" }
        return String(format: "; last accuracy %.2f%%", accuracy * 100)
    }

    private func summaryTable() -> String {
        guard let summary else { return "<p>No final summary row: the run did not finish.</p>" }
        var table = "<h2>Summary</h2><table>"
        let flat = summary.filter { $0.key != "final" }.sorted { $0.key < $1.key }
        for (key, value) in flat {
            let text = (value as? [String: Any]).map { dict in dict.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") } ?? "\(value)"
            table += "<tr><th>\(escape(key))</th><td>\(escape(text))</td></tr>"
        }
        return table + "</table>"
    }
}
