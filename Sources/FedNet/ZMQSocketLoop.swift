import CZeroMQ
import FedCore
#if canImport(Glibc)
import Glibc
#endif

/// The body of one socket thread (czmq's zactor shape, zguide ch.2 "Multithreading with ZeroMQ"):
/// it creates the socket, then polls the socket and the mailbox's eventfd together until `close`.
///
/// Not `Sendable`: it lives and dies on its thread, with the socket it owns.
final class ZMQSocketLoop {
    /// A send waiting for POLLOUT: the frames, how many are already written, its deadline and caller.
    private struct PendingSend {
        let frames: [Frame]
        var sent: Int
        let deadline: ContinuousClock.Instant?
        let done: CheckedContinuation<Void, any Error>
    }

    private let kind: SocketKind
    private let options: SocketOptions
    private let mailbox: SocketMailbox
    private let inbox: MessageInbox
    private var pending: [PendingSend] = []
    private var partial: [Frame] = []
    /// REQ/REP strictly alternate: libzmq answers EFSM to a receive out of turn, so the loop tracks turns.
    private var receiveTurn: Bool
    private var closeAcks: [CheckedContinuation<Void, Never>] = []
    private var closing = false

    init(kind: SocketKind, options: SocketOptions, mailbox: SocketMailbox, inbox: MessageInbox) {
        self.kind = kind
        self.options = options
        self.mailbox = mailbox
        self.inbox = inbox
        self.receiveTurn = kind != .req
    }

    /// Runs the thread: creates the socket, reports readiness through `ready`, serves until closed.
    func run(context: ZMQContext, ready: CheckedContinuation<Void, any Error>) {
        let socket: ZMQRawSocket
        do {
            socket = try ZMQRawSocket(context: context, kind: kind, options: options)
        } catch {
            finish()
            ready.resume(throwing: error)
            return
        }
        ready.resume()
        serve(socket)
        socket.close()
        finish()
    }

    /// The poll loop; returns when a `close` arrives or the context shuts down.
    private func serve(_ socket: borrowing ZMQRawSocket) {
        while !closing {
            mailbox.drainWake()
            for command in mailbox.take() { handle(command, socket) }
            if closing { break }
            do {
                try flushSends(socket)
                try receiveAvailable(socket)
                try poll(socket)
            } catch {
                // Only ETERM (context shutdown) or an unexpected poll failure gets here: stop serving.
                failPending(error)
                return
            }
        }
        // Sends queued before the close still get their chance; LINGER then bounds their delivery.
        try? flushSends(socket)
        failPending(FedError(.shutdown, "the socket was closed"))
    }

    private func handle(_ command: SocketCommand, _ socket: borrowing ZMQRawSocket) {
        do {
            switch command {
            case .bind(let endpoint, let ack):
                ack.resume(returning: try socket.bind(endpoint))
            case .connect(let endpoint, let ack):
                try socket.connect(endpoint)
                ack.resume(returning: "")
            case .disconnect(let endpoint, let ack):
                try socket.detach(endpoint)
                ack.resume(returning: "")
            case .subscribe(let topic, let ack):
                try socket.options.set(ZMQ_SUBSCRIBE, bytes: topic)
                ack.resume(returning: "")
            case .unsubscribe(let topic, let ack):
                try socket.options.set(ZMQ_UNSUBSCRIBE, bytes: topic)
                ack.resume(returning: "")
            case .send(let frames, let done):
                let deadline = options.sendTimeout.map { ContinuousClock.now.advanced(by: $0) }
                pending.append(PendingSend(frames: frames, sent: 0, deadline: deadline, done: done))
            case .close(let done):
                closing = true
                if let done { closeAcks.append(done) }
            }
        } catch {
            command.fail(error)
        }
    }

    /// Writes queued sends in order until libzmq says EAGAIN; a failed send fails only its caller.
    private func flushSends(_ socket: borrowing ZMQRawSocket) throws(FedError) {
        let now = ContinuousClock.now
        while var head = pending.first {
            do {
                head.sent = try socket.send(head.frames, from: head.sent)
            } catch where error.code == .shutdown {
                throw error
            } catch {
                pending.removeFirst().done.resume(throwing: error)
                continue
            }
            if head.sent == head.frames.count {
                pending.removeFirst()
                if kind == .req || kind == .rep { receiveTurn = true }
                head.done.resume()
                continue
            }
            pending[0] = head
            // A multipart message is atomic in libzmq: EAGAIN only ever comes on its first frame.
            if head.sent == 0, let deadline = head.deadline, now >= deadline {
                pending.removeFirst()
                head.done.resume(throwing: FedError(.timeout, "send waited longer than the send timeout"))
                continue
            }
            return
        }
    }

    /// Reads whole messages while the inbox has room; a full inbox leaves them queued in libzmq (HWM).
    private func receiveAvailable(_ socket: borrowing ZMQRawSocket) throws(FedError) {
        guard kind.canReceive else { return }
        var budget = 256  // bounded so commands and sends are served between bursts
        while receiveTurn, inbox.hasRoom, budget > 0 {
            guard let (frame, more) = try socket.receiveFrame() else { return }
            partial.append(frame)
            if more { continue }
            budget -= 1
            let message = partial
            partial = []
            // REQ and REP strip the envelope themselves; after a receive it is their turn to send.
            if kind == .req || kind == .rep { receiveTurn = false }
            _ = inbox.tryPush(message)
        }
    }

    /// Waits for the socket (POLLIN only while the consumer keeps up) or a command, or a send deadline.
    private func poll(_ socket: borrowing ZMQRawSocket) throws(FedError) {
        let wantRead = kind.canReceive && receiveTurn && inbox.hasRoom
        let wantWrite = !pending.isEmpty
        var items = [
            zmq_pollitem_t(socket: socket.handle, fd: 0,
                           events: ZMQRawSocket.pollEvents(read: wantRead, write: wantWrite), revents: 0),
            zmq_pollitem_t(socket: nil, fd: mailbox.wakeFD, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        var timeout = -1
        if let deadline = pending.first?.deadline {
            let left = ContinuousClock.now.duration(to: deadline)
            timeout = max(0, Int(left.zmqMilliseconds) + 1)
        }
        _ = try ZMQCall.run("zmq_poll") { zmq_poll(&items, 2, timeout) }
    }

    private func failPending(_ error: FedError) {
        for send in pending { send.done.resume(throwing: error) }
        pending = []
    }

    /// Ends the stream, refuses new commands and acknowledges every `close` waiting on this socket.
    private func finish() {
        inbox.finish()
        for command in mailbox.closeAndTake() {
            if case .close(let done) = command { done?.resume() } else {
                command.fail(FedError(.shutdown, "the socket is closed"))
            }
        }
        for ack in closeAcks { ack.resume() }
        closeAcks = []
    }
}
