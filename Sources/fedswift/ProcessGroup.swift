import Foundation

/// Child `fedswift` processes started by `demo`: same executable, bounded waits, all terminated on exit.
final class ProcessGroup {
    private var processes: [Process] = []

    /// Starts `fedswift <arguments>`; stderr goes to `log` (or is inherited when nil), stdout is discarded.
    func spawn(_ arguments: [String], log: URL?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if let resolved = Bundle.main.executableURL { process.executableURL = resolved }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        }
        try process.run()
        processes.append(process)
        return process
    }

    /// Waits until `process` exits or `timeout` seconds pass; true if it exited.
    func wait(for process: Process, timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        return !process.isRunning
    }

    /// SIGTERM to every child still running, then SIGKILL after two seconds.
    func terminateAll() {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(2)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
