import FedCore
import FedNet
import Testing

/// 40 MB tensor frames: bytes arrive intact, and inproc hands over the sender's own memory.
@Suite(.timeLimit(.minutes(2)))
struct LargeFrameTests {
    static let tensorBytes = 40_000_000

    /// A deterministic 40 MB pattern (not all zeros, so a misplaced page shows up).
    static let tensor = SharedBuffer(count: tensorBytes) { bytes in
        let words = bytes.bindMemory(to: UInt64.self)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in words.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = state
        }
    }

    static func checksum(_ frame: Frame) -> UInt64 {
        frame.withUnsafeBytes { bytes in
            var sum: UInt64 = 0
            for (i, word) in bytes.bindMemory(to: UInt64.self).enumerated() { sum = sum &+ word &* UInt64(i | 1) }
            return sum
        }
    }

    @Test(arguments: [TransportCase.zmqTCP, .zmqInproc, .inProcess])
    func fortyMegabyteTensorArrivesIntact(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (router, endpoint) = try await transport.bound(.router, to: transportCase.endpoint("big"),
                                                           options: testOptions())
        let dealer = try await transport.connected(.dealer, to: endpoint, options: testOptions())
        let tensor = Frame(buffer: Self.tensor)
        try await dealer.send([Frame("envelope"), tensor])
        let received = try await router.receive(timeout: .seconds(30))
        #expect(received.count == 3)
        #expect(received[2].count == Self.tensorBytes)
        #expect(Self.checksum(received[2]) == Self.checksum(tensor))
        if transportCase != .zmqTCP {
            // Zero-copy: the receiver reads the very bytes the sender owns.
            #expect(received[2].buffer.unsafeBaseAddress == Self.tensor.unsafeBaseAddress)
        }
        await dealer.close()
        await router.close()
    }

    @Test func zeroCopySendReleasesTheBufferAfterDelivery() async throws {
        let transport = try ZMQTransport()
        defer { Task { await transport.shutdown() } }
        let endpoint = TransportCase.zmqInproc.endpoint("release")
        let (router, _) = try await transport.bound(.router, to: endpoint, options: testOptions())
        let dealer = try await transport.connected(.dealer, to: endpoint, options: testOptions())
        weak var watched: SharedBuffer?
        do {
            let buffer = SharedBuffer(count: 1 << 20) { $0.initializeMemory(as: UInt8.self, repeating: 7) }
            watched = buffer
            try await dealer.send([Frame(buffer: buffer)])
        }
        // libzmq holds the only reference now (the retained Unmanaged), so the buffer is still alive.
        #expect(watched != nil)
        var received: [Frame]? = try await router.receive(timeout: receiveTimeout)
        #expect(received?[1].buffer.unsafeBaseAddress == watched?.unsafeBaseAddress)
        received = nil
        // Dropping the received frame closes the zmq message, whose free callback releases the buffer.
        #expect(watched == nil)
        _ = received
        await dealer.close()
        await router.close()
    }
}
