import FedCore
import FedNet
import Testing

/// PUB/XPUB → SUB behaviour shared by every transport (zguide ch.5 "Pub-Sub Message Envelopes").
@Suite(.timeLimit(.minutes(1)))
struct PubSubTests {
    @Test(arguments: TransportCase.allCases)
    func xpubReportsSubscriptionsAndFiltersByTopicPrefix(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (xpub, endpoint) = try await transport.bound(.xpub, to: transportCase.endpoint("xp"), options: testOptions())
        let sub = try await transport.connected(.sub, to: endpoint, options: testOptions())
        try await sub.subscribe("node-1")
        // The subscription notice doubles as "the subscriber is connected": no slow-joiner loss.
        let notice = try await xpub.receive(timeout: receiveTimeout)
        #expect(notice.map(\.bytes) == [[1] + Array("node-1".utf8)])

        try await xpub.send([Frame("node-2"), Frame("not for you")])
        try await xpub.send([Frame("node-1"), Frame("model v1")])
        try await xpub.send([Frame("node-10"), Frame("prefix match")])
        let first = try await sub.receive(timeout: receiveTimeout)
        let second = try await sub.receive(timeout: receiveTimeout)
        #expect(first.map(\.text) == ["node-1", "model v1"])
        #expect(second.map(\.text) == ["node-10", "prefix match"])

        try await sub.unsubscribe("node-1")
        let goodbye = try await xpub.receive(timeout: receiveTimeout)
        #expect(goodbye.map(\.bytes) == [[0] + Array("node-1".utf8)])
        await sub.close()
        await xpub.close()
    }

    @Test(arguments: TransportCase.allCases)
    func pubDeliversToEverySubscriberOfTheTopic(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (xpub, endpoint) = try await transport.bound(.xpub, to: transportCase.endpoint("fan"),
                                                         options: testOptions { $0.xpubVerbose = true })
        var subs: [any MessageSocket] = []
        for _ in 0..<3 {
            let sub = try await transport.connected(.sub, to: endpoint, options: testOptions())
            try await sub.subscribe("all")
            subs.append(sub)
        }
        // Verbose XPUB passes every subscription up, so three notices mean three ready subscribers.
        for _ in 0..<3 { _ = try await xpub.receive(timeout: receiveTimeout) }
        try await xpub.send([Frame("all"), Frame("round 3")])
        for sub in subs {
            #expect(try await sub.receive(timeout: receiveTimeout).map(\.text) == ["all", "round 3"])
            await sub.close()
        }
        await xpub.close()
    }
}
