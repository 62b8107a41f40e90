import ArgumentParser
import Foundation

/// The `fedswift` command: one binary for every role.
@main
struct FedSwiftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedswift",
        abstract: "Federated learning over ZeroMQ: simulate, serve, train and measure.",
        discussion: "Every subcommand also takes --config FILE.yaml whose keys are its long flag names; flags typed on the command line win.",
        version: "0.1.0",
        subcommands: [SimulateCommand.self, ServerCommand.self, ClientCommand.self, SchedulerCommand.self, ConformanceCommand.self,
                      DemoCommand.self, PartitionCommand.self, BenchCommand.self, KeygenCommand.self, ReportCommand.self, InjectCommand.self]
    )

    /// Expands `--config` files, then parses and runs as usual.
    static func main() async {
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            await main(arguments)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(64)
        }
    }
}
