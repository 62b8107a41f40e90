import FedCore

/// A request to a socket thread; each carries the continuation that receives its outcome.
///
/// Typed commands instead of czmq's `"$TERM"` strings (zguide ch.2 "Signaling Between Threads").
enum SocketCommand: Sendable {
    /// Acknowledgement of a control command: the bound endpoint for `bind`, "" otherwise.
    typealias Ack = CheckedContinuation<String, any Error>

    case bind(String, Ack)
    case connect(String, Ack)
    case disconnect(String, Ack)
    case subscribe([UInt8], Ack)
    case unsubscribe([UInt8], Ack)
    case send([Frame], CheckedContinuation<Void, any Error>)
    case close(CheckedContinuation<Void, Never>?)

    /// Completes the command with `error` without running it (the socket is gone).
    func fail(_ error: FedError) {
        switch self {
        case .bind(_, let ack), .connect(_, let ack), .disconnect(_, let ack),
             .subscribe(_, let ack), .unsubscribe(_, let ack):
            ack.resume(throwing: error)
        case .send(_, let done):
            done.resume(throwing: error)
        case .close(let done):
            done?.resume()
        }
    }
}
