import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP relay for security tests: forwards one client's bytes to a server, records what the
/// client sent (for replay) and, once armed, flips one bit of the next client→server chunk (tampering).
///
/// Each direction is pumped by its own blocking thread; ``stop()`` shuts every descriptor so the threads end.
final class TCPProxy: Sendable {
    private struct State {
        var recorded: [[UInt8]] = []
        var tamperArmed = false
        var tampered = 0
        var fds: [Int32] = []
        var stopped = false
    }

    /// The port the proxy listens on (127.0.0.1).
    let port: UInt16
    private let listener: Int32
    private let target: UInt16
    private let state = Mutex(State())

    /// Listens on an ephemeral loopback port and relays every connection to `127.0.0.1:target`.
    init(target: UInt16) throws {
        self.target = target
        let fd = try Self.socket()
        listener = fd
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRNOTAVAIL) }
        port = UInt16(bigEndian: address.sin_port)
        state.withLock { $0.fds.append(listener) }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Every chunk clients sent through the proxy so far, as the proxy read them.
    var recorded: [[UInt8]] { state.withLock { $0.recorded } }
    /// Chunks tampered with so far.
    var tampered: Int { state.withLock { $0.tampered } }

    /// Flips the last bit of the next client→server chunk.
    func armTamper() { state.withLock { $0.tamperArmed = true } }

    /// Closes the listener and every relayed connection.
    func stop() {
        let fds = state.withLock { s -> [Int32] in
            s.stopped = true
            return s.fds
        }
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    /// Opens a fresh connection to `127.0.0.1:port` and writes the recorded `chunks` one by one, 100 ms
    /// apart, reading whatever the server answers in between (ZMTP peers greet in steps); then keeps the
    /// connection open for `seconds`.
    static func replay(_ chunks: [[UInt8]], to port: UInt16, holdFor seconds: Double) throws {
        let fd = try socket()
        defer { close(fd) }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw POSIXError(.ECONNREFUSED) }
        var sink = [UInt8](repeating: 0, count: 65_536)
        for chunk in chunks {
            _ = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Thread.sleep(forTimeInterval: 0.1)
            _ = sink.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        }
        Thread.sleep(forTimeInterval: seconds)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            guard let upstream = try? Self.socket() else { close(client); continue }
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            let stopped = state.withLock { s -> Bool in
                s.fds += [client, upstream]
                return s.stopped
            }
            guard connected, !stopped else { shutdown(client, Int32(SHUT_RDWR)); continue }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, clientSide: true) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, clientSide: false) }
        }
    }

    private func pump(from source: Int32, to sink: Int32, clientSide: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            if clientSide {
                state.withLock { s in
                    s.recorded.append(Array(buffer[0..<n]))
                    if s.tamperArmed {
                        buffer[n - 1] ^= 0x01
                        s.tamperArmed = false
                        s.tampered += 1
                    }
                }
            }
            let sent = buffer.withUnsafeBytes { send(sink, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
            if sent != n { break }
        }
        shutdown(sink, Int32(SHUT_RDWR))
        shutdown(source, Int32(SHUT_RDWR))
    }

    private static func socket() throws -> Int32 {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
