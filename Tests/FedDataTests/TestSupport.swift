import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh temporary directory for one test; removed by `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/feddata-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes raw bytes to `name` inside the directory.
    func writeRaw(_ name: String, _ bytes: [UInt8]) {
        let handle = fopen(file(name), "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        fclose(handle)
    }

    func cleanUp() {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(file(name)) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// Labels `0..<classes` repeated `perClass` times, shuffled deterministically.
func makeLabels(classes: Int, perClass: Int, seed: UInt64 = 99) -> [Int32] {
    var labels = (0..<(classes * perClass)).map { Int32($0 % classes) }
    var rng = SplitMix64(seed: seed)
    labels.shuffle(using: &rng)
    return labels
}

/// The FedError thrown by `body`, or nil if it returned normally (lets a test check code and detail separately).
func fedError(_ body: () throws -> Void) -> FedError? {
    do {
        try body()
        return nil
    } catch {
        return error as? FedError
    }
}
