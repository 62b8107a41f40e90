import FedCore
import FedNet
import Testing

/// A slow consumer makes senders wait (and time out) instead of memory growing without bound.
@Suite(.timeLimit(.minutes(1)))
struct BackPressureTests {
    @Test(arguments: [TransportCase.inProcess, .zmqInproc])
    func slowConsumerPushesBackOnTheSender(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let small = testOptions {
            $0.receiveBufferMessages = 4
            $0.sendHighWaterMark = 4
            $0.receiveHighWaterMark = 4
            $0.sendTimeout = .milliseconds(200)
        }
        let (router, endpoint) = try await transport.bound(.router, to: transportCase.endpoint("bp"), options: small)
        let dealer = try await transport.connected(.dealer, to: endpoint, options: small)
        let payload = Frame(buffer: SharedBuffer(count: 4096) { $0.initializeMemory(as: UInt8.self, repeating: 1) })
        var accepted = 0
        var timedOut = false
        for i in 0..<1000 {
            do {
                try await dealer.send([Frame("\(i)"), payload])
                accepted += 1
            } catch let error as FedError where error.code == .timeout {
                timedOut = true
                break
            }
        }
        #expect(timedOut, "a consumer that never reads must eventually block the sender")
        #expect(accepted < 100)
        #expect(router.messages.bufferedCount <= router.messages.capacity)
        // Nothing was lost: every accepted message is delivered once the consumer reads, in order.
        for i in 0..<accepted {
            let message = try await router.receive(timeout: receiveTimeout)
            #expect(message[1].text == "\(i)")
        }
        await dealer.close()
        await router.close()
    }
}
