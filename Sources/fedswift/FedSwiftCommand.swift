import ArgumentParser

/// The `fedswift` command: one binary for every role.
@main
struct FedSwiftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedswift",
        abstract: "Federated learning over ZeroMQ: simulate, serve, train and measure.",
        version: "0.1.0",
        subcommands: [BenchCommand.self, PartitionCommand.self]
    )
}
