import FedCore
import FedRuntime
import FedWire
import Foundation

/// Spawns `fedswift` processes for the multi-process tests, each with a log file, and kills whatever
/// is still running when the test ends (pass or fail).
final class ProcessHarness {
    let directory: URL
    private(set) var processes: [Process] = []

    /// The `fedswift` binary next to the test bundle (`swift build --build-tests` builds both), or
    /// `$FEDSWIFT_BINARY`.
    static var binary: URL? {
        if let path = ProcessInfo.processInfo.environment["FEDSWIFT_BINARY"] { return URL(fileURLWithPath: path) }
        let candidates = [Bundle.main.executableURL, Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0])]
        for candidate in candidates.compactMap({ $0 }) {
            let binary = candidate.deletingLastPathComponent().appendingPathComponent("fedswift")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        return nil
    }

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedswift-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A file path inside the test's directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Starts `fedswift <arguments>` with stderr in `<name>.log`.
    @discardableResult
    func spawn(_ name: String, _ arguments: [String]) throws -> Process {
        guard let binary = Self.binary else { throw FedError(.io, "fedswift binary not found next to the tests; run swift build --build-tests") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }

    /// Waits for `process` to exit; false after `timeout` seconds.
    func waitForExit(_ process: Process, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    /// Polls until `condition` holds; false after `timeout` seconds.
    func waitUntil(timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The exit status, or nil while the process runs (Foundation traps on reading it early).
    func status(_ process: Process) -> Int32? { process.isRunning ? nil : process.terminationStatus }

    /// SIGKILL to every process still running; call from `defer`.
    func killAll() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }

    /// The per-round rows of a results file (the final object excluded).
    func rounds(_ out: String) -> [[String: Any]] {
        rows(out).filter { $0["final"] == nil }
    }

    /// Every row of a results file.
    func rows(_ out: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The text of a process's log.
    func log(_ name: String) -> String { (try? String(contentsOfFile: path("\(name).log"), encoding: .utf8)) ?? "" }

    /// A saved model's values.
    func model(_ path: String) throws -> [Float] { try Safetensors.read(from: URL(fileURLWithPath: path)).values }

    /// Fresh loopback endpoints for a server.
    static func endpoints() -> (control: String, broadcast: String) {
        ("tcp://127.0.0.1:\(LoopbackPort.pick())", "tcp://127.0.0.1:\(LoopbackPort.pick())")
    }
}
