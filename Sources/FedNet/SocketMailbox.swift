import CZeroMQ
import FedCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The command queue of one socket thread: a `Mutex`-guarded list plus an eventfd that the thread polls
/// together with its socket, so a posted command wakes `zmq_poll` at once (czmq's zactor pipe, cheaper).
final class SocketMailbox: Sendable {
    private struct State {
        var commands: [SocketCommand] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// The wake-up descriptor; it lives as long as the mailbox, so a late `post` never writes to a
    /// closed (or reused) descriptor.
    let wakeFD: Int32

    /// Creates the mailbox and its eventfd.
    init() throws(FedError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw FedError(.transport, "eventfd: errno \(errno)") }
        wakeFD = fd
    }

    deinit { close(wakeFD) }

    /// Queues a command and wakes the thread; returns `false` (leaving the command untouched) once closed.
    func post(_ command: SocketCommand) -> Bool {
        let accepted = state.withLock { s -> Bool in
            if s.closed { return false }
            s.commands.append(command)
            return true
        }
        if accepted { wake() }
        return accepted
    }

    /// Wakes the thread's `zmq_poll` (also used when the consumer made room in the inbox).
    func wake() {
        var one: UInt64 = 1
        // EAGAIN means the counter is already non-zero: the thread will wake anyway.
        _ = write(wakeFD, &one, MemoryLayout<UInt64>.size)
    }

    /// Clears the wake-up counter; the thread calls it before draining commands.
    func drainWake() {
        var value: UInt64 = 0
        _ = read(wakeFD, &value, MemoryLayout<UInt64>.size)
    }

    /// Takes every queued command, oldest first.
    func take() -> [SocketCommand] {
        state.withLock { s in defer { s.commands = [] }; return s.commands }
    }

    /// Refuses further commands and returns those still queued, for the thread to fail.
    func closeAndTake() -> [SocketCommand] {
        state.withLock { s in
            s.closed = true
            defer { s.commands = [] }
            return s.commands
        }
    }
}
