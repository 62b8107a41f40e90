import FedRuntime
import Foundation
import Metrics
import Prometheus
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `GET /metrics` in Prometheus text format on a plain TCP socket served by one thread.
///
/// Why not swift-nio or an HTTP framework: a scrape endpoint answers one tiny GET every few seconds, and
/// those packages would add minutes to every CI build (CI rebuilds all dependencies). swift-metrics and
/// swift-prometheus (which needs only swift-atomics) provide the metrics and the text format; this type
/// only moves bytes. Requests are read with a 2 s timeout and at most 8 KiB, one at a time.
final class MetricsEndpoint: Sendable {
    /// The port actually bound (useful with port 0).
    let port: UInt16
    private let listener: Int32
    private let registry: PrometheusCollectorRegistry
    private let stopped = Mutex(false)

    /// Bootstraps swift-metrics with a Prometheus registry and serves it on `host:port`.
    init(host: String, port: UInt16) throws {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120].map { .milliseconds(Int64($0 * 1000)) }
        MetricsSystem.bootstrap(factory)
        self.registry = registry
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FedMetricsError.socket("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { close(fd); throw FedMetricsError.socket("address \(host)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else { close(fd); throw FedMetricsError.socket("bind \(host):\(port)") }
        listener = fd
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.name = "fedswift.metrics"
        thread.start()
    }

    /// Stops accepting scrapes.
    func stop() {
        let first = stopped.withLock { s -> Bool in
            defer { s = true }
            return !s
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 8192)
        let n = request.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return }
        let line = String(decoding: request[0..<n].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        var body: [UInt8] = []
        let status: String
        if line.hasPrefix("GET /metrics ") || line == "GET /metrics" {
            registry.emit(into: &body)
            status = "200 OK"
        } else {
            body = Array("try GET /metrics\n".utf8)
            status = "404 Not Found"
        }
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let m = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if m <= 0 { return }
            sent += m
        }
    }
}

/// Why the metrics endpoint could not start.
enum FedMetricsError: Error, CustomStringConvertible {
    case socket(String)
    var description: String {
        switch self { case .socket(let what): "metrics endpoint: \(what) failed (errno \(errno))" }
    }
}
