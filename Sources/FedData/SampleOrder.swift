import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed sample order for each epoch of a training run, so two engines can replay the very same
/// mini-batches (e.g. FedSwift replaying the `torch.randperm` order of a PyTorch run).
///
/// File format: raw little-endian int32 values, one permutation of `0 ..< samples` per epoch, back
/// to back (`numpy.ndarray.astype("<i4").tofile` writes it).
public struct SampleOrder: Sendable, Equatable {
    /// Samples per epoch (the length of each permutation).
    public let samples: Int
    /// The permutations, epoch after epoch.
    public let epochs: [[Int]]

    /// Orders from explicit permutations; each must be a permutation of `0 ..< samples`.
    /// - Throws: `.invalidArgument` naming the first epoch that is not a permutation.
    public init(samples: Int, epochs: [[Int]]) throws(FedError) {
        for (e, order) in epochs.enumerated() {
            var seen = [Bool](repeating: false, count: samples)
            guard order.count == samples else {
                throw FedError(.invalidArgument, "epoch \(e + 1) of the sample order has \(order.count) indices, expected \(samples)")
            }
            for i in order {
                guard i >= 0, i < samples, !seen[i] else {
                    throw FedError(.invalidArgument, "epoch \(e + 1) of the sample order is not a permutation of 0..<\(samples) (index \(i))")
                }
                seen[i] = true
            }
        }
        self.samples = samples
        self.epochs = epochs
    }

    /// Decodes raw little-endian int32 `bytes` holding whole permutations of `0 ..< samples`.
    /// - Throws: `.invalidArgument` when the length is not a positive multiple of `4 · samples` or an
    ///   epoch is not a permutation.
    public init(bytes: [UInt8], samples: Int) throws(FedError) {
        guard samples > 0, !bytes.isEmpty, bytes.count % (4 * samples) == 0 else {
            throw FedError(.invalidArgument, "a sample order file must hold whole epochs of \(samples) int32 indices, got \(bytes.count) bytes")
        }
        var epochs: [[Int]] = []
        for e in 0..<(bytes.count / (4 * samples)) {
            epochs.append((0..<samples).map { i in
                let at = 4 * (e * samples + i)
                return Int(Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
                                 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24))
            })
        }
        try self.init(samples: samples, epochs: epochs)
    }

    /// The orders as raw little-endian int32 values, epoch after epoch (the file format).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 * samples * epochs.count)
        for order in epochs {
            for i in order {
                let v = UInt32(truncatingIfNeeded: i)
                out += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
            }
        }
        return out
    }

    /// Writes the orders to `path` in the format ``read(path:samples:)`` reads.
    /// - Throws: `.io` if the file cannot be written.
    public func write(path: String) throws(FedError) {
        guard let handle = fopen(path, "wb") else {
            throw FedError(.io, "cannot create sample order \(path): \(String(cString: strerror(errno)))")
        }
        let data = bytes
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard fclose(handle) == 0, written == data.count else {
            throw FedError(.io, "cannot write sample order \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the order file at `path` for a dataset of `samples` samples.
    /// - Throws: `.io` if the file cannot be read, `.invalidArgument` as ``init(bytes:samples:)``.
    public static func read(path: String, samples: Int) throws(FedError) -> SampleOrder {
        guard let handle = fopen(path, "rb") else {
            throw FedError(.io, "cannot open sample order \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        guard ferror(handle) == 0 else { throw FedError(.io, "cannot read sample order \(path)") }
        return try SampleOrder(bytes: bytes, samples: samples)
    }
}
