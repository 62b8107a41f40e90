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

    /// The subcommand named by `arguments`, past leading options (`fedswift --config run.yaml server ...`).
    static func subcommand(of arguments: ArraySlice<String>) -> String? {
        var rest = arguments
        while let first = rest.first, first.hasPrefix("-") { rest = rest.dropFirst(first == "--config" ? 2 : 1) }
        return rest.first
    }

    /// Expands `--config` files, then parses and runs as usual.
    static func main() async {
        // Before any other thread allocates: glibc fixes a thread's arena at its first allocation.
        if let role = subcommand(of: CommandLine.arguments.dropFirst()), networkRoles.contains(role) { AllocatorTuning.shareMainArena() }
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            await main(arguments)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(64)
        }
    }
}
