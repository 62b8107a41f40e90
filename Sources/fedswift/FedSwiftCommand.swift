import ArgumentParser
import FedNet
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

    /// Roles that move model-sized frames every round (see ``AllocatorTuning/shareMainArena()``).
    static let networkRoles: Set<String> = ["server", "client", "scheduler"]

    /// Expands `--config` files, then parses and runs as usual.
    static func main() async {
        // Before any other thread allocates: glibc fixes a thread's arena at its first allocation.
        if let role = CommandLine.arguments.dropFirst().first, networkRoles.contains(role) { AllocatorTuning.shareMainArena() }
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            await main(arguments)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(64)
        }
    }
}
