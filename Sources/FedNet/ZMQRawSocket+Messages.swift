import CZeroMQ
import FedCore

/// Frames shorter than this are copied: a copy is cheaper than a retain, a callback and a release.
let zeroCopyThreshold = 512

/// libzmq's free callback for zero-copy sends: drops the retain taken on the frame's ``SharedBuffer``.
///
/// Non-capturing so it converts to a C function pointer. It runs on libzmq's I/O thread (tcp) or on the
/// receiver's thread (inproc) once the last reference to the message is gone.
private func releaseRetainedBuffer(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<SharedBuffer>.fromOpaque(hint).release()
}

/// A received `zmq_msg_t`, heap-allocated so its address (and inline small-message bytes) never moves.
private struct ReceivedMessage: @unchecked Sendable {
    // Safe: after the receive, the message is owned by exactly one SharedBuffer, whose release closes
    // it once; libzmq allows closing a message on any thread.
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    func closeAndFree() {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }
}

extension ZMQRawSocket {
    /// Sends `frames[start...]` without blocking; returns how many frames are sent in total
    /// (`frames.count` when done, less when ZeroMQ said EAGAIN: call again from there on POLLOUT).
    func send(_ frames: [Frame], from start: Int) throws(FedError) -> Int {
        var index = start
        while index < frames.count {
            var message = zmq_msg_t()
            try Self.fill(&message, with: frames[index])
            let flags = ZMQ_DONTWAIT | (index + 1 < frames.count ? ZMQ_SNDMORE : 0)
            let outcome: ZMQOutcome
            do {
                outcome = try ZMQCall.run("zmq_msg_send") { zmq_msg_send(&message, handle, flags) }
            } catch {
                zmq_msg_close(&message)
                throw error
            }
            if outcome == .wouldBlock {
                zmq_msg_close(&message)
                return index
            }
            index += 1
        }
        return index
    }

    /// Initializes `message` with a frame: small frames by copy, others pointing into the shared buffer.
    private static func fill(_ message: inout zmq_msg_t, with frame: Frame) throws(FedError) {
        if frame.count < zeroCopyThreshold {
            _ = try ZMQCall.run("zmq_msg_init_size") { zmq_msg_init_size(&message, frame.count) }
            if frame.count > 0 {
                let destination = zmq_msg_data(&message)!
                frame.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
            return
        }
        // The retain keeps the bytes alive until libzmq calls releaseRetainedBuffer.
        let hint = Unmanaged.passRetained(frame.buffer).toOpaque()
        let data = frame.buffer.unsafeBaseAddress! + frame.offset
        do {
            _ = try ZMQCall.run("zmq_msg_init_data") {
                zmq_msg_init_data(&message, data, frame.count, releaseRetainedBuffer, hint)
            }
        } catch {
            Unmanaged<SharedBuffer>.fromOpaque(hint).release()
            throw error
        }
    }

    /// Receives one frame without blocking: `nil` if none is ready, else the frame and whether more follow.
    ///
    /// Large frames adopt libzmq's message (no copy: over inproc they are the sender's own bytes).
    func receiveFrame() throws(FedError) -> (frame: Frame, more: Bool)? {
        let message = ReceivedMessage(pointer: .allocate(capacity: 1))
        zmq_msg_init(message.pointer)
        let outcome: ZMQOutcome
        do {
            outcome = try ZMQCall.run("zmq_msg_recv") { zmq_msg_recv(message.pointer, handle, ZMQ_DONTWAIT) }
        } catch {
            message.closeAndFree()
            throw error
        }
        if outcome == .wouldBlock {
            message.closeAndFree()
            return nil
        }
        let more = zmq_msg_more(message.pointer) != 0
        let size = zmq_msg_size(message.pointer)
        let data = zmq_msg_data(message.pointer)
        if size < zeroCopyThreshold {
            let buffer = SharedBuffer(copying: UnsafeRawBufferPointer(start: data, count: size))
            message.closeAndFree()
            return (Frame(buffer: buffer), more)
        }
        let buffer = SharedBuffer(adopting: data, count: size) { _ in message.closeAndFree() }
        return (Frame(buffer: buffer), more)
    }

    /// Which events to wait for, as `zmq_poll` flags.
    static func pollEvents(read: Bool, write: Bool) -> Int16 {
        Int16((read ? ZMQ_POLLIN : 0) | (write ? ZMQ_POLLOUT : 0))
    }
}
