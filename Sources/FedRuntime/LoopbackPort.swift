#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Free TCP ports on 127.0.0.1, for demos and tests that start servers on loopback.
///
/// Ports come from below the kernel's ephemeral range (`net.ipv4.ip_local_port_range`), so the local end
/// of some unrelated outgoing connection cannot take one between `pick()` and the server's bind; and one
/// process never hands out the same port twice.
public enum LoopbackPort {
    /// Ports already handed out by this process.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port that was free a moment ago (a bind to it succeeded), never one this process handed out before.
    /// Another process could still take it before it is used; callers pick it right before binding.
    public static func pick() -> Int {
        let low = 20_000
        let high = max(low + 1_000, ephemeralRangeStart())
        for _ in 0..<200 {
            let port = Int.random(in: low..<high)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh, bindable(port) { return port }
        }
        // The range below the ephemeral ports is crowded: fall back to a port the kernel hands out.
        let port = kernelAssigned()
        handedOut.withLock { _ = $0.insert(port) }
        return port
    }

    /// First port of the kernel's ephemeral range (32768 when it cannot be read).
    static func ephemeralRangeStart() -> Int {
        guard let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") else { return 32_768 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return 32_768 }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap({ Int($0) }),
              first > 1_024 else { return 32_768 }
        return first
    }

    /// Whether a TCP socket can bind 127.0.0.1:`port` right now.
    static func bindable(_ port: Int) -> Bool {
        withBoundSocket(port: port) { _ in true } ?? false
    }

    /// A port the kernel just handed out as free (bind to port 0, read it back, close).
    static func kernelAssigned() -> Int {
        withBoundSocket(port: 0) { address in Int(UInt16(bigEndian: address.sin_port)) } ?? Int.random(in: 20_000..<32_768)
    }

    /// Binds a TCP socket to 127.0.0.1:`port`, hands `body` the bound address, then closes it; nil if the bind fails.
    private static func withBoundSocket<T>(port: Int, _ body: (sockaddr_in) -> T) -> T? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        return ok ? body(address) : nil
    }
}
