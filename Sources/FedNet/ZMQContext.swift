import CZeroMQ
import FedCore
import Foundation

/// A ZeroMQ context: the I/O threads and the inproc namespace shared by sockets (one per process,
/// zguide ch.2 "Multithreading with ZeroMQ").
///
/// Every socket thread keeps its context alive until its socket is closed, so the context is terminated
/// (`zmq_ctx_term`) only after the last socket closed, on a short-lived thread of its own because it
/// may wait up to the longest LINGER.
public final class ZMQContext: @unchecked Sendable {
    // Safe to share: a libzmq context is thread-safe (unlike its sockets), and `handle` never changes.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with `ioThreads` background I/O threads.
    public init(ioThreads: Int32 = 1) throws(FedError) {
        let raw = try ZMQCall.pointer("zmq_ctx_new") { zmq_ctx_new() }
        self.handle = raw
        do {
            _ = try ZMQCall.run("zmq_ctx_set") { zmq_ctx_set(raw, ZMQ_IO_THREADS, ioThreads) }
            // Non-blocky: a socket without an explicit LINGER can never make zmq_ctx_term wait forever.
            _ = try ZMQCall.run("zmq_ctx_set") { zmq_ctx_set(raw, ZMQ_BLOCKY, 0) }
        } catch {
            zmq_ctx_term(raw)
            throw error
        }
    }

    /// Makes every socket of this context stop: blocked calls fail with ETERM, the socket threads close
    /// their sockets and finish their message streams. Safe to call more than once, from any thread.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        // Reached only after every socket closed; zmq_ctx_term still waits for lingering messages,
        // so it runs on its own thread instead of whichever (possibly cooperative) thread let go last.
        let box = ContextHandle(pointer: handle)
        Thread.detachNewThread { _ = zmq_ctx_term(box.pointer) }
    }
}

/// A context pointer carried to the terminating thread.
private struct ContextHandle: @unchecked Sendable {
    // Safe: libzmq contexts may be used from any thread, and nothing else uses this one any more.
    let pointer: UnsafeMutableRawPointer
}
