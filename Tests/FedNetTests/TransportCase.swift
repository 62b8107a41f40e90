import FedCore
import FedNet
import Foundation

/// One way of running the shared behaviour tests: a transport and the endpoints it binds.
enum TransportCase: String, CaseIterable, Sendable, CustomStringConvertible {
    case inProcess
    case zmqInproc
    case zmqTCP
    case zmqIPC

    var description: String { rawValue }

    /// A fresh transport for one test.
    func makeTransport() throws -> any Transport {
        switch self {
        case .inProcess: return InProcessTransport()
        case .zmqInproc, .zmqTCP, .zmqIPC: return try ZMQTransport()
        }
    }

    /// A bind endpoint unique to this test (tcp uses an ephemeral port on 127.0.0.1).
    func endpoint(_ name: String) -> String {
        let unique = "\(name)-\(UUID().uuidString.prefix(8))"
        switch self {
        case .inProcess, .zmqInproc: return "inproc://\(unique)"
        case .zmqTCP: return "tcp://127.0.0.1:*"
        case .zmqIPC: return "ipc://\(TemporaryDirectory.shared.path)/\(unique)"
        }
    }
}

/// A private directory for ipc:// socket files, removed when the test process exits.
final class TemporaryDirectory: Sendable {
    static let shared = TemporaryDirectory()
    let path: String

    private init() {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("fednet-\(getpid())")
        try? FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory
            .appendingPathComponent("fednet-\(getpid())")) }
    }
}

/// Options for tests: nothing lingers and nothing waits long, so a dead peer fails fast.
func testOptions(_ change: (inout SocketOptions) -> Void = { _ in }) -> SocketOptions {
    var options = SocketOptions()
    options.linger = .zero
    options.sendTimeout = .seconds(5)
    change(&options)
    return options
}

/// How long a test waits for one message before failing.
let receiveTimeout: Duration = .seconds(5)

extension Frame {
    /// A frame holding a UTF-8 string.
    init(_ text: String) { self.init(copying: Array(text.utf8)) }

    /// The frame as UTF-8 text.
    var text: String { String(decoding: bytes, as: UTF8.self) }
}
