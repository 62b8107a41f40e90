import ArgumentParser
import FedCore
import FedData
import FedRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fedswift partition`: computes a data partition and writes its per-client class table.
struct PartitionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition",
        abstract: "Split a dataset across clients and report what each client holds.",
        discussion: """
        Computes the same partition that `fedswift simulate` and `fedswift client` compute for the
        same --dataset, --clients, --partition and --seed, writes one CSV row per client
        (client,samples,c0,c1,...), optionally draws it as an SVG stacked bar chart, and prints a
        summary (smallest, median and largest client; classes per client) to stderr. With --indices it
        also writes every client's sample indices and its personal test samples (the test images Ditto's
        personal models are evaluated on) as JSON, so another framework can train on the same clients.
        """
    )

    @Option(help: "Dataset: \(DatasetSpec.validForms).")
    var dataset = "fmnist"

    @Option(help: "Number of clients.")
    var clients = 100

    @Option(help: "Partition: \(PartitionSpec.validForms). Default: natural for synthetic data, iid otherwise.")
    var partition: String?

    @Option(help: "Seed of the partition (and of synthetic data).")
    var seed: UInt64 = 0

    @Option(help: "Where to write the per-client CSV table.", completion: .file(extensions: ["csv"]))
    var out: String

    @Option(help: "Also draw the table as an SVG stacked bar chart here.", completion: .file(extensions: ["svg"]))
    var plot: String?

    @Option(help: ArgumentHelp(
        "Also write the partition as JSON here: \"clients\" (each client's training-sample indices) and \"personal_test\" (each client's personal test-sample indices).",
        valueName: "file"), completion: .file(extensions: ["json"]))
    var indices: String?

    @Option(help: "Directory with MNIST-format IDX files (default: \(FashionMNIST.defaultDirectory)).",
            completion: .directory)
    var dataDir: String?

    func validate() throws {
        guard clients > 0 else { throw ValidationError("--clients must be positive, got \(clients)") }
        do {
            _ = try DatasetSpec(parsing: dataset)
            if let partition { _ = try PartitionSpec(parsing: partition) }
        } catch {
            throw ValidationError(error.detail)
        }
    }

    func run() async throws {
        let datasetSpec = try DatasetSpec(parsing: dataset)
        let spec: PartitionSpec = try partition.map { text throws(FedError) in try PartitionSpec(parsing: text) }
            ?? (datasetSpec == .fashionMNIST ? .iid : .natural)
        let data = try FederatedData.load(datasetSpec, clients: clients, seed: seed, dataDirectory: dataDir)
        let result = try data.partition(spec, clients: clients, seed: seed)
        let report = PartitionReport(labels: data.train.labels, classes: data.train.classes, partition: result)
        try TextFile.write(report.csv, to: out)
        if let indices {
            let personal = (0..<result.count).map {
                PersonalTestSet.indices(client: $0, partition: result, train: data.train, test: data.test, seed: seed)
            }
            try TextFile.write(result.indicesJSON(extra: [(key: "personal_test", lists: personal)]), to: indices)
        }
        if let plot {
            try TextFile.write(report.svg(title: "\(datasetSpec), \(spec), \(clients) clients, seed \(seed)"), to: plot)
        }
        let kl = (report.meanKLToGlobal * 1000).rounded() / 1000
        printToStandardError("\(datasetSpec) \(spec), \(clients) clients, seed \(seed): \(report.summary); mean KL to global \(kl)\n")
    }
}

/// Writes `text` to file descriptor 2 (the `stderr` FILE* global is not concurrency-safe in Swift 6).
private func printToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
