import FedCore
import FedNet
import Testing

/// REQ/REP strict alternation shared by every transport (zguide ch.1 "Ask and Ye Shall Receive").
@Suite(.timeLimit(.minutes(1)))
struct ReqRepTests {
    @Test(arguments: TransportCase.allCases)
    func requestAndReplyAlternate(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (rep, endpoint) = try await transport.bound(.rep, to: transportCase.endpoint("rr"), options: testOptions())
        let req = try await transport.connected(.req, to: endpoint, options: testOptions())
        for round in 0..<3 {
            try await req.send([Frame("pull"), Frame("\(round)")])
            #expect(try await rep.receive(timeout: receiveTimeout).map(\.text) == ["pull", "\(round)"])
            try await rep.send([Frame("model \(round)")])
            #expect(try await req.receive(timeout: receiveTimeout).map(\.text) == ["model \(round)"])
        }
        await req.close()
        await rep.close()
    }

    @Test(arguments: TransportCase.allCases)
    func outOfTurnSendsFail(_ transportCase: TransportCase) async throws {
        let transport = try transportCase.makeTransport()
        defer { Task { await transport.shutdown() } }
        let (rep, endpoint) = try await transport.bound(.rep, to: transportCase.endpoint("fsm"), options: testOptions())
        let req = try await transport.connected(.req, to: endpoint, options: testOptions())
        await #expect { try await rep.send([Frame("unasked")]) } throws: { ($0 as? FedError)?.code == .invalidArgument }
        try await req.send([Frame("one")])
        await #expect { try await req.send([Frame("two")]) } throws: { ($0 as? FedError)?.code == .invalidArgument }
        #expect(try await rep.receive(timeout: receiveTimeout).map(\.text) == ["one"])
        await req.close()
        await rep.close()
    }
}
