import ArgumentParser
import FedCore
import FedNet
import FedRuntime
import Foundation

/// `fedswift conformance`: a scripted server that checks a client under test against the protocol.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Drive a client under test through the protocol's scenarios and print PASS/FAIL per scenario.",
        discussion: """
            Binds --control and --broadcast, waits for one client (started with --trainer echo, pointed at \
            these endpoints) and runs: version-mismatch, join, heartbeat, fit-raw, fit-lz4, fit-shuffle-lz4, \
            fit-q8, fit-q4, fit-topk, missed-broadcast-pull, malformed-task, server-restart, bye. Prints one \
            'PASS|FAIL scenario: detail' line each and 'N passed, N failed'; exits 1 if any failed.
            Example:
              fedswift conformance --control tcp://127.0.0.1:5555 --broadcast tcp://127.0.0.1:5556 &
              fedswift client --control tcp://127.0.0.1:5555 --broadcast tcp://127.0.0.1:5556 --clients 0-1 --trainer echo
            """
    )

    @Option(help: "ROUTER endpoint the client under test connects to.")
    var control = "tcp://127.0.0.1:5555"

    @Option(help: "XPUB endpoint the client under test subscribes to.")
    var broadcast = "tcp://127.0.0.1:5556"

    @Option(help: "Seconds to wait for the client's first HELLO.")
    var joinTimeout = 60.0

    @Option(help: "Seconds each scenario waits for an expected message.")
    var timeout = 10.0

    @Option(help: "float32 elements of the echo model.")
    var parameters = 4096

    func validate() throws {
        guard joinTimeout > 0, timeout > 0 else { throw ValidationError("--join-timeout and --timeout must be positive") }
        guard parameters >= 16 else { throw ValidationError("--parameters must be at least 16") }
    }

    func run() async throws {
        var settings = ConformanceSettings()
        settings.control = control
        settings.broadcast = broadcast
        settings.joinTimeout = joinTimeout
        settings.timeout = timeout
        settings.parameters = parameters
        let transport = try ZMQTransport()
        let harness = ConformanceHarness(settings: settings, transport: transport)
        FileHandle.standardError.write(Data("[conformance] listening on \(control) / \(broadcast)\n".utf8))
        let results = try await harness.run { result in
            FileHandle.standardOutput.write(Data((result.line + "\n").utf8))
        }
        await transport.shutdown()
        let failed = results.filter { !$0.passed }.count
        FileHandle.standardOutput.write(Data("\(results.count - failed) passed, \(failed) failed\n".utf8))
        if failed > 0 { throw ExitCode(1) }
    }
}
