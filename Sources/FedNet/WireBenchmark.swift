import FedCore

/// Measures moving one FedSwift-shaped message (a small envelope frame and one tensor frame) from a
/// DEALER to a ROUTER over ZeroMQ, as `fedswift bench wire` reports it.
///
/// Each repeat sends the same immutable ``SharedBuffer`` (zero-copy) and waits until the ROUTER has the
/// whole message, so a repeat is one complete transfer; the figure is the median after one warm-up.
public struct WireBenchmark: Sendable {
    /// Where the bytes travel.
    public enum Medium: String, Sendable, CaseIterable {
        /// Same process: a pointer hand-off between threads.
        case inproc
        /// Loopback TCP on 127.0.0.1 with an ephemeral port.
        case tcp
    }

    /// One benchmark result.
    public struct Result: Sendable {
        /// The medium measured.
        public let medium: Medium
        /// Tensor frame size in bytes.
        public let bytes: Int
        /// Median seconds per transfer.
        public let medianSeconds: Double
        /// Whether no FedSwift layer copied the tensor (inproc: the receiver saw the sender's address).
        public let zeroCopy: Bool
        /// Whether the bytes were CURVE-encrypted.
        public var curve = false

        /// Gigabytes (1e9 bytes) per second at the median.
        public var gigabytesPerSecond: Double { Double(bytes) / medianSeconds / 1e9 }

        /// The one JSON line `fedswift bench wire` prints.
        public var jsonLine: String {
            let gbps = (gigabytesPerSecond * 1000).rounded() / 1000
            return #"{"transport":"\#(medium.rawValue)","bytes":\#(bytes),"gbps":\#(gbps),"#
                + #""zero_copy":\#(zeroCopy),"curve":\#(curve),"median_seconds":\#(medianSeconds)}"#
        }
    }

    /// Tensor frame size in bytes.
    public var bytes: Int
    /// Where the bytes travel.
    public var medium: Medium
    /// Timed transfers after the warm-up.
    public var repeats: Int
    /// Encrypt with CURVE (both ends in one context, admitted by a ``ZAPHandler``).
    public var curve = false

    /// A benchmark of `repeats` transfers of a `bytes`-byte tensor over `medium`.
    public init(bytes: Int, medium: Medium, repeats: Int = 10) {
        self.bytes = bytes
        self.medium = medium
        self.repeats = repeats
    }

    /// Runs the warm-up and the timed transfers.
    public func run() async throws -> Result {
        let base = try ZMQTransport()
        var security = TransportSecurity()
        security.maxMessageBytes = Int64(bytes) + 4096
        var zap: ZAPHandler?
        if curve {
            let keys = try CurveKeyPair.generate()
            security.keyPair = keys
            security.serverKey = keys.publicKey
            zap = try await ZAPHandler(context: base.context, allowlist: [keys.publicKey])
        }
        let transport = SecuredTransport(base: base, security: security)
        var options = SocketOptions()
        options.linger = .zero
        options.heartbeatInterval = nil
        let endpoint = medium == .tcp ? "tcp://127.0.0.1:*" : "inproc://fedswift-bench-wire"
        let (router, bound) = try await transport.bound(.router, to: endpoint, options: options)
        let dealer = try await transport.connected(.dealer, to: bound, options: options)
        defer { Task { await transport.shutdown() } }

        let tensor = SharedBuffer(count: bytes) { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) }
        let envelope = Frame(copying: Array(repeating: 0x08, count: 64))
        var times: [Double] = []
        var sameAddress = true
        let clock = ContinuousClock()
        for round in 0...repeats {
            let start = clock.now
            try await dealer.send([envelope, Frame(buffer: tensor)])
            let message = try await router.receive(timeout: .seconds(60))
            let elapsed = start.duration(to: clock.now)
            guard message.count == 3, message[2].count == bytes else {
                throw FedError(.frameCountMismatch, "benchmark message arrived with the wrong shape")
            }
            sameAddress = sameAddress && message[2].buffer.unsafeBaseAddress == tensor.unsafeBaseAddress
            if round > 0 { times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) }
        }
        await dealer.close()
        await router.close()
        await zap?.stop()
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2]
            : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        var result = Result(medium: medium, bytes: bytes, medianSeconds: median, zeroCopy: medium == .tcp || sameAddress)
        result.curve = curve
        return result
    }
}
