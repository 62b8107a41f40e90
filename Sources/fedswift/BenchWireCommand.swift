import ArgumentParser
import FedNet

/// `fedswift bench wire`: how fast one tensor message crosses a ZeroMQ socket pair.
struct BenchWireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Send an envelope frame plus one tensor frame DEALER→ROUTER and print the median throughput.",
        discussion: """
            Each repeat sends the same buffer zero-copy and waits until the whole message has arrived.
            Prints one JSON line: {"transport":..,"bytes":..,"gbps":..,"zero_copy":..,"median_seconds":..}
            """
    )

    @Option(help: "Size of the tensor frame in bytes.")
    var bytes: Int = 40_000_000

    @Option(help: "inproc (threads of one process) or tcp (loopback, ephemeral port).")
    var transport: WireBenchmark.Medium = .tcp

    @Option(help: "Timed repeats after one warm-up; the median is reported.")
    var repeats: Int = 10

    @Flag(help: "Encrypt with CURVE (the price of security; tcp only).")
    var curve = false

    @Flag(inversion: .prefixedNo,
          help: "Keep large allocations on the heap (mallopt) instead of a fresh mmap per receive.")
    var mallocTuning = true

    func validate() throws {
        guard bytes > 0 else { throw ValidationError("--bytes must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        if curve, transport == .inproc { throw ValidationError("--curve needs --transport tcp: libzmq does not encrypt inproc") }
    }

    func run() async throws {
        if mallocTuning { AllocatorTuning.keepLargeAllocationsOnHeap() }
        var benchmark = WireBenchmark(bytes: bytes, medium: transport, repeats: repeats)
        benchmark.curve = curve
        let result = try await benchmark.run()
        print(result.jsonLine)
    }
}

extension WireBenchmark.Medium: ExpressibleByArgument {}
