import CZeroMQ
import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a non-failing libzmq call produced: a value, or "would block" (EAGAIN) for a non-blocking call.
enum ZMQOutcome: Equatable {
    /// The call succeeded and returned this non-negative value.
    case done(Int32)
    /// The call would have blocked (EAGAIN): retry when `zmq_poll` says the socket is ready.
    case wouldBlock
}

/// The one gateway from libzmq's `-1/errno` convention to ``FedError`` (swift-nio's SystemCallHelpers
/// pattern): every `zmq_*` call in FedNet goes through here.
///
/// The helpers are `@inline(never)` and read `zmq_errno()` as the very next thing after the call,
/// so no ARC traffic or other libc call can clobber errno in between.
enum ZMQCall {
    /// Runs `body` (an int-returning zmq call), retrying on EINTR; EAGAIN becomes `.wouldBlock`.
    @inline(never)
    static func run(_ name: StaticString, _ body: () -> Int32) throws(FedError) -> ZMQOutcome {
        while true {
            let rc = body()
            if rc >= 0 { return .done(rc) }
            let code = zmq_errno()
            switch classify(code) {
            case .retry: continue
            case .wouldBlock: return .wouldBlock
            case .fail: throw error(for: code, call: name)
            }
        }
    }

    /// Runs `body` (a pointer-returning zmq call such as `zmq_socket`); NULL becomes a thrown error.
    @inline(never)
    static func pointer(_ name: StaticString, _ body: () -> UnsafeMutableRawPointer?) throws(FedError)
        -> UnsafeMutableRawPointer
    {
        while true {
            if let pointer = body() { return pointer }
            let code = zmq_errno()
            if code == EINTR { continue }
            throw error(for: code, call: name)
        }
    }

    /// How the wrapper reacts to an errno value.
    enum Disposition: Equatable {
        /// Interrupted by a signal: call again.
        case retry
        /// EAGAIN: not an error for a non-blocking call.
        case wouldBlock
        /// Anything else: thrown as a ``FedError``.
        case fail
    }

    /// Sorts an errno value into retry / would-block / failure.
    static func classify(_ code: Int32) -> Disposition {
        switch code {
        case EINTR: return .retry
        case EAGAIN: return .wouldBlock
        default: return .fail
        }
    }

    /// The ``FedError`` for a failed call; programmer errors (a bad handle) trap instead.
    static func error(for code: Int32, call: StaticString) -> FedError {
        let name = "\(call)"
        switch code {
        case ETERM:
            return FedError(.shutdown, "\(name): the ZeroMQ context was terminated")
        case EHOSTUNREACH:
            return FedError(.unknownPeer, "\(name): no connected peer has that routing id (ROUTER_MANDATORY)")
        case EFSM:
            return FedError(.invalidArgument, "\(name): operation out of order for this socket's pattern (EFSM)")
        case EMSGSIZE:
            return FedError(.messageTooLarge, "\(name): \(describe(code))")
        case ENOTSOCK, EFAULT:
            // Never caused by the network: a dangling or garbage handle is a bug in FedNet itself.
            preconditionFailure("\(name): invalid ZeroMQ handle (\(describe(code)))")
        default:
            return FedError(.transport, "\(name): \(describe(code)) (errno \(code))")
        }
    }

    /// libzmq's text for an errno value (covers ZeroMQ's own codes such as ETERM and EFSM).
    static func describe(_ code: Int32) -> String {
        String(cString: zmq_strerror(code))
    }
}
