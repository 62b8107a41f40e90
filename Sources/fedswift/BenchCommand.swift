import ArgumentParser

/// `fedswift bench`: micro-benchmarks that print JSON Lines to stdout.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure codecs, the wire and training; prints one JSON object per row.",
        subcommands: [BenchCodecCommand.self, BenchWireCommand.self, BenchTrainCommand.self, BenchCentralizedCommand.self]
    )
}
