import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes small text outputs (reports, plots) to files.
public enum TextFile {
    /// Writes `text` as UTF-8 to `path`, replacing the file.
    /// - Throws: `.io` with the path and the system's reason.
    public static func write(_ text: String, to path: String) throws(FedError) {
        guard let handle = fopen(path, "wb") else {
            throw FedError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        let closed = fclose(handle)
        guard written == bytes.count, closed == 0 else {
            throw FedError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
