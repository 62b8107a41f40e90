import CZlib
import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IDX array of unsigned bytes: its dimensions (outermost first) and its values in row-major order.
public struct IDXArray: Sendable, Equatable {
    /// Dimensions, outermost first (`[60000, 28, 28]` for Fashion-MNIST's training images).
    public let dimensions: [Int]
    /// The values, `dimensions.reduce(1, *)` bytes.
    public let bytes: [UInt8]

    /// An array of `bytes` shaped `dimensions`; the sizes must agree.
    public init(dimensions: [Int], bytes: [UInt8]) throws(FedError) {
        guard (1...255).contains(dimensions.count), dimensions.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }),
              dimensions.reduce(1, *) == bytes.count else {
            throw FedError(.shapeSizeMismatch, "IDX dimensions \(dimensions) do not hold \(bytes.count) bytes")
        }
        self.dimensions = dimensions
        self.bytes = bytes
    }
}

/// Reads and writes IDX files, the format of LeCun's MNIST and of Fashion-MNIST
/// (http://yann.lecun.com/exdb/mnist/): magic `00 00 <type> <rank>`, `rank` big-endian UInt32
/// dimensions, then the values. Only the unsigned-byte type (0x08) is supported.
///
/// Files may be gzip-compressed or plain: zlib's `gzread` reads both. The payload is decoded straight
/// into one buffer allocated from the header's dimensions, so a 47 MB image file costs one allocation.
public enum IDX {
    /// The IDX type byte of unsigned 8-bit values.
    public static let unsignedByteType: UInt8 = 0x08
    /// Largest payload accepted (2 GiB), so a corrupt header cannot ask for an absurd allocation.
    public static let maximumPayload = 1 << 31

    /// Reads the IDX file at `path` (gzip or plain), checking that it holds unsigned bytes of `rank`
    /// dimensions and exactly as many values as the header announces.
    /// - Throws: `.io` if the file cannot be opened or read; `.corruptPayload` for a wrong magic
    ///   number, a wrong rank, a truncated payload or trailing bytes.
    public static func read(path: String, rank: Int) throws(FedError) -> IDXArray {
        guard let file = gzopen(path, "rb") else {
            throw FedError(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, 1 << 20)

        var magic = [UInt8](repeating: 0, count: 4)
        let got = try readFully(file, into: &magic, path: path)
        guard got == 4 else {
            throw FedError(.corruptPayload, "\(path): truncated IDX header (\(got) of 4 magic bytes)")
        }
        let magicValue = magic.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let expected = UInt32(unsignedByteType) << 8 | UInt32(rank)
        guard magicValue == expected else {
            throw FedError(.corruptPayload, "\(path): IDX magic number is 0x\(hex(magicValue)), expected 0x\(hex(expected)) "
                + "(unsigned bytes, \(rank) dimensions); is this the right file?")
        }
        var header = [UInt8](repeating: 0, count: 4 * rank)
        let headerBytes = try readFully(file, into: &header, path: path)
        guard headerBytes == header.count else {
            throw FedError(.corruptPayload, "\(path): truncated IDX header (\(headerBytes) of \(header.count) dimension bytes)")
        }
        let dimensions = (0..<rank).map { d in header[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) } }
        var payload = 1
        for dimension in dimensions {
            let (product, overflow) = payload.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maximumPayload else {
                throw FedError(.corruptPayload, "\(path): IDX dimensions \(dimensions) exceed \(maximumPayload) bytes")
            }
            payload = product
        }
        var bytes = [UInt8](repeating: 0, count: payload)
        let read = try readFully(file, into: &bytes, path: path)
        guard read == payload else {
            throw FedError(.corruptPayload, "\(path): truncated IDX file: dimensions \(dimensions) need \(payload) bytes, found \(read)")
        }
        var probe: UInt8 = 0
        guard gzread(file, &probe, 1) == 0 else {
            throw FedError(.corruptPayload, "\(path): trailing bytes after the \(payload) values announced by dimensions \(dimensions)")
        }
        return try IDXArray(dimensions: dimensions, bytes: bytes)
    }

    /// Writes `array` to `path` as an IDX file, gzip-compressed when `gzip` is true.
    /// - Throws: `.io` if the file cannot be written.
    public static func write(_ array: IDXArray, to path: String, gzip: Bool) throws(FedError) {
        var out: [UInt8] = [0, 0, unsignedByteType, UInt8(array.dimensions.count)]
        for dimension in array.dimensions {
            let value = UInt32(dimension)
            out += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        out += array.bytes
        guard let file = gzopen(path, gzip ? "wb6" : "wbT") else {
            throw FedError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let written = out.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose(file)
        guard written == Int32(out.count), closed == Z_OK else {
            throw FedError(.io, "cannot write \(path): wrote \(written) of \(out.count) bytes")
        }
    }

    /// Reads up to `buffer.count` bytes, looping because `gzread` takes a 32-bit length; returns the count.
    private static func readFully(_ file: gzFile, into buffer: inout [UInt8], path: String) throws(FedError) -> Int {
        let total = buffer.count
        let result: Result<Int, FedError> = buffer.withUnsafeMutableBytes { raw in
            var done = 0
            while done < total {
                let chunk = UInt32(min(total - done, 1 << 30))
                let n = gzread(file, raw.baseAddress! + done, chunk)
                if n < 0 {
                    var code: Int32 = 0
                    let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
                    return .failure(code == Z_ERRNO
                        ? FedError(.io, "\(path): read failed: \(message)")
                        : FedError(.corruptPayload, "\(path): \(message) (truncated or corrupt gzip data)"))
                }
                if n == 0 { break }
                done += Int(n)
            }
            return .success(done)
        }
        return try result.get()
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
