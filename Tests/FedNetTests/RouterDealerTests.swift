import FedCore
import FedNet
import Testing

/// ROUTER/DEALER behaviour shared by every transport (zguide ch.3 "The DEALER to ROUTER Combination").
@Suite(.timeLimit(.minutes(1)))
struct RouterDealerTests {
    @Test(arguments: TransportCase.allCases)
    func routerSeesDealerIdentityAndRepliesByIt(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (router, endpoint) = try await transport.bound(.router, to: transportCase.endpoint("rd"),
                                                           options: testOptions())
        let dealer = try await transport.connected(.dealer, to: endpoint,
                                                   options: testOptions { $0.routingID = Array("client-7".utf8) })
        try await dealer.send([Frame("hello"), Frame("world")])
        let request = try await router.receive(timeout: receiveTimeout)
        #expect(request.map(\.text) == ["client-7", "hello", "world"])
        try await router.send([request[0], Frame("welcome")])
        let reply = try await dealer.receive(timeout: receiveTimeout)
        #expect(reply.map(\.text) == ["welcome"])
        await dealer.close()
        await router.close()
    }

    @Test(arguments: TransportCase.allCases)
    func routerMandatoryRejectsUnknownPeer(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (router, _) = try await transport.bound(.router, to: transportCase.endpoint("rm"), options: testOptions())
        await #expect { try await router.send([Frame("nobody"), Frame("x")]) } throws: {
            ($0 as? FedError)?.code == .unknownPeer
        }
        await router.close()
    }

    @Test(arguments: TransportCase.allCases)
    func closingASocketEndsItsStream(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (router, _) = try await transport.bound(.router, to: transportCase.endpoint("cl"), options: testOptions())
        let reader = Task { () -> Int in
            var count = 0
            for await _ in router.messages { count += 1 }
            return count
        }
        await router.close()
        #expect(await reader.value == 0)
        await #expect { try await router.send([Frame("late")]) } throws: { ($0 as? FedError)?.code == .shutdown }
        await router.close()  // idempotent
    }
}
