import CZeroMQ
import FedCore
import Foundation
import Testing
@testable import FedNet

/// The errno wrapper and context shutdown.
@Suite(.timeLimit(.minutes(1)))
struct ZMQCallTests {
    @Test func errnoValuesMapToFedErrors() {
        #expect(ZMQCall.classify(EINTR) == .retry)
        #expect(ZMQCall.classify(EAGAIN) == .wouldBlock)
        #expect(ZMQCall.classify(ETERM) == .fail)
        #expect(ZMQCall.error(for: ETERM, call: "zmq_poll").code == .shutdown)
        #expect(ZMQCall.error(for: EHOSTUNREACH, call: "zmq_msg_send").code == .unknownPeer)
        #expect(ZMQCall.error(for: EMSGSIZE, call: "zmq_msg_send").code == .messageTooLarge)
        let other = ZMQCall.error(for: EPROTONOSUPPORT, call: "zmq_bind")
        #expect(other.code == .transport)
        #expect(other.detail.hasPrefix("zmq_bind: "))
    }

    @Test func realCallsReportWouldBlockAndTermination() throws {
        let context = try ZMQContext()
        let socket = try ZMQCall.pointer("zmq_socket") { zmq_socket(context.handle, ZMQ_DEALER) }
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        var byte: UInt8 = 0
        // Nothing to read: EAGAIN becomes a value, not an error.
        #expect(try ZMQCall.run("zmq_recv") { zmq_recv(socket, &byte, 1, ZMQ_DONTWAIT) } == .wouldBlock)
        context.shutdown()
        #expect(throws: FedError(.shutdown, "zmq_recv: the ZeroMQ context was terminated")) {
            try ZMQCall.run("zmq_recv") { zmq_recv(socket, &byte, 1, ZMQ_DONTWAIT) }
        }
        zmq_close(socket)
    }

    @Test func badEndpointFailsBindWithTheCallName() async throws {
        let transport = try ZMQTransport()
        defer { Task { await transport.shutdown() } }
        let socket = try await transport.makeSocket(.router, options: testOptions())
        await #expect { try await socket.bind("bogus://x") } throws: {
            guard let error = $0 as? FedError else { return false }
            return error.code == .transport && error.detail.hasPrefix("zmq_bind")
        }
        await socket.close()
    }

    @Test func contextShutdownEndsStreamsAndFailsBlockedSends() async throws {
        let transport = try ZMQTransport()
        // A DEALER with no peer queues its send until the send timeout; shutdown must cut that short.
        let dealer = try await transport.connected(.dealer, to: "tcp://127.0.0.1:1",
                                                   options: testOptions { $0.sendTimeout = .seconds(60)
                                                       $0.immediate = true })
        let sending = Task { try await dealer.send([Frame("stuck")]) }
        try await Task.sleep(for: .milliseconds(50))
        await transport.shutdown()
        await #expect { try await sending.value } throws: { ($0 as? FedError)?.code == .shutdown }
        var count = 0
        for await _ in dealer.messages { count += 1 }
        #expect(count == 0)
        await dealer.close()
    }

    @Test func routerSendToADepartedPeerFailsLoudly() async throws {
        let transport = try ZMQTransport()
        defer { Task { await transport.shutdown() } }
        let (router, endpoint) = try await transport.bound(.router, to: "tcp://127.0.0.1:*", options: testOptions())
        let dealer = try await transport.connected(.dealer, to: endpoint, options: testOptions())
        try await dealer.send([Frame("hello")])
        let identity = try await router.receive(timeout: receiveTimeout)[0]
        await dealer.close()
        // The disconnect reaches the ROUTER asynchronously; within a second sends must start failing.
        var failure: FedError?
        for _ in 0..<100 where failure == nil {
            do { try await router.send([identity, Frame("late")]) } catch let error as FedError { failure = error }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(failure?.code == .unknownPeer)
        await router.close()
    }
}
