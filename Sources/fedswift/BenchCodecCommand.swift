import ArgumentParser
import CLZ4Reference
import FedCore
import FedWire
import Foundation

/// `fedswift bench codec`: throughput and ratio of every codec on three kinds of input.
struct BenchCodecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Measure each tensor codec's encode/decode speed, ratio and error.",
        discussion: """
            Inputs: 'normal' (N floats from normal(0, 0.05)), 'delta10' (a delta in which 10% of entries \
            changed, the rest exactly 0) and 'zeros'. Codecs encode into buffers allocated before timing. \
            Rows named lz4-c-reference time liblz4 called directly from C on the same data. \
            ratio = encoded bytes / raw bytes; gbps = raw bytes / median seconds / 1e9.
            """
    )

    @Option(help: "Number of float32 values per input.")
    var params: Int = 10_000_000

    @Option(help: "Timed repetitions per measurement (the median is reported).")
    var repeats: Int = 7

    @Option(help: "Comma-separated codecs to measure.")
    var codecs: String = "raw,lz4,shuffle-lz4,q8,q4,topk:0.01"

    func validate() throws {
        guard params > 0, params <= 500_000_000 else { throw ValidationError("--params must be in 1...500000000") }
        guard repeats > 0, repeats <= 1000 else { throw ValidationError("--repeats must be in 1...1000") }
        for name in codecs.split(separator: ",") {
            do { _ = try TensorEncoding(parsing: String(name)) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let encodings = try codecs.split(separator: ",").map { try TensorEncoding(parsing: String($0)) }
        for (inputName, values) in CodecBenchInputs.make(count: params) {
            for encoding in encodings {
                let row = try CodecBenchmark.measure(values, encoding: encoding, repeats: repeats)
                emit(["codec": label(encoding), "input": inputName] .merging(row) { a, _ in a })
            }
            let reference = values.withUnsafeBytes { fedswift_lz4_reference($0.baseAddress, $0.count, Int32(repeats)) }
            let bytes = Double(params * 4)
            emit(["codec": "lz4-c-reference", "input": inputName,
                  "encode_gbps": bytes / reference.encode_seconds / 1e9, "decode_gbps": bytes / reference.decode_seconds / 1e9,
                  "ratio": Double(reference.encoded_bytes) / bytes, "max_abs_error": 0.0, "ok": reference.ok == 1])
        }
    }

    private func label(_ e: TensorEncoding) -> String { e.codec == .topK ? "topk:\(e.fraction)" : e.codec.description }
}

/// Prints one JSON object per line to stdout, keys sorted, and flushes.
func emit(_ row: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), let line = String(data: data, encoding: .utf8) {
        print(line)
        fflush(nil)
    }
}
