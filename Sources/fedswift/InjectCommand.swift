import ArgumentParser
import FedCore
import FedNet
import FedWire
import Foundation

/// `fedswift inject`: fault injection for soak tests — sends malformed messages to a server's control port.
struct InjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Send malformed messages to a server's control endpoint (fault injection for soak tests).",
        discussion: """
            Each message is one of: random bytes, a truncated envelope, a valid HELLO with flipped bits, a HELLO \
            of an unknown protocol version, a FIT_RESULT whose header lies about its frame, and a FIT_RESULT from \
            a node that never joined. Prints one JSON line with the count sent and ERROR replies received.
            """,
        shouldDisplay: false
    )

    @Option(help: "The server's control endpoint (ROUTER).")
    var control = "tcp://127.0.0.1:5555"

    @Option(help: "Messages to send.")
    var count = 10

    @Option(help: "Seed of the garbage generator.")
    var seed: UInt64 = 1

    @OptionGroup(title: "Security and limits") var security: SecurityOptions

    func run() async throws {
        var rng = SplitMix64(seed: seed)
        let (transport, _) = try await security.makeTransport()
        var options = SocketOptions()
        options.linger = .zero
        options.sendTimeout = .seconds(2)
        options.routingID = Array("injector-\(seed)".utf8)
        let dealer = try await transport.connected(.dealer, to: control, options: options)
        var errors = 0
        for i in 0..<count {
            try? await dealer.send(Self.garbage(kind: i % 6, rng: &rng))
            if let reply = try? await dealer.receive(timeout: .milliseconds(500)),
               let first = reply.first, (try? Envelope(decoding: first.bytes))?.kind == .error { errors += 1 }
        }
        await dealer.close()
        await transport.shutdown()
        print(#"{"sent":\#(count),"error_replies":\#(errors)}"#)
    }

    static func garbage(kind: Int, rng: inout SplitMix64) -> [Frame] {
        var hello = Envelope(kind: .hello)
        hello.sender = "injector"
        hello.clientIDs = [0]
        hello.codecs = Codec.allCases
        let helloBytes = hello.encoded()
        switch kind {
        case 0:
            return [Frame(copying: (0..<Int(rng.next() % 512 + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })]
        case 1:
            return [Frame(copying: Array(helloBytes.prefix(max(1, helloBytes.count / 2))))]
        case 2:
            var flipped = helloBytes
            for _ in 0..<3 { flipped[Int(rng.next() % UInt64(flipped.count))] ^= UInt8(1 << (rng.next() % 8)) }
            return [Frame(copying: flipped)]
        case 3:
            hello.version = 99
            return [Frame(copying: hello.encoded())]
        case 4:
            var result = Envelope(kind: .fitResult)
            result.tensors = [TensorHeader(name: "w", shape: [1 << 30], dtype: .float32, codec: .raw, rawBytes: 1 << 32, encodedBytes: 16)]
            return [Frame(copying: result.encoded()), Frame(copying: [UInt8](repeating: 0, count: 16))]
        default:
            var result = Envelope(kind: .fitResult)
            result.session = "forged"
            result.clientIDs = [0]
            return [Frame(copying: result.encoded())]
        }
    }
}
