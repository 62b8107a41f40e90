import ArgumentParser
import FedRuntime
import Foundation

/// `fedswift report`: a results file as an HTML page with SVG plots.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a results file (JSON Lines from --out) as a self-contained HTML page with SVG plots.",
        discussion: """
            Plots accuracy, loss, round time and bytes per round (sync runs) or per evaluation (async runs). \
            The page has no scripts and no external files, so it can be mailed or attached to CI results.
            Example: fedswift report run.jsonl -o report.html
            """
    )

    @Argument(help: "The results file (JSON Lines).", completion: .file())
    var results: String

    @Option(name: .shortAndLong, help: "The HTML file to write.", completion: .file())
    var output = "report.html"

    func run() throws {
        let report = try RunReport(resultsFile: results)
        try report.html().write(toFile: output, atomically: true, encoding: .utf8)
        print("report: \(output) (\(report.rows.count) \(report.isAsync ? "evaluations" : "rounds"))")
    }
}
