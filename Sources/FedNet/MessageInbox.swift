import FedCore
import Synchronization

/// The bounded hand-off of received messages from a socket to its consumer.
///
/// Unlike an `AsyncStream`, it never drops and never grows past `capacity`: a producer that finds it full
/// stops reading (the ZeroMQ thread stops polling POLLIN; the in-process transport makes the sender
/// wait), so the sender's high-water mark pushes back (zguide ch.2 "High-Water Marks").
final class MessageInbox: Sendable {
    /// Outcome of a non-blocking push.
    enum PushResult { case accepted, full, finished }

    private struct State {
        var queue: [[Frame]] = []
        var head = 0
        var finished = false
        var nextWaiterID = 0
        var readers: [(id: Int, continuation: CheckedContinuation<[Frame]?, Never>)] = []
        var writers: [(id: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var count: Int { queue.count - head }
    }

    /// Most messages held at once.
    let capacity: Int
    private let state = Mutex(State())
    private let onSpace: @Sendable () -> Void

    /// An inbox holding at most `capacity` messages; `onSpace` runs (outside the lock) when a full inbox
    /// gets room again, so a producer thread can resume reading.
    init(capacity: Int, onSpace: @escaping @Sendable () -> Void = {}) {
        self.capacity = max(1, capacity)
        self.onSpace = onSpace
    }

    /// Messages buffered and not yet consumed.
    var count: Int { state.withLock { $0.count } }

    /// Whether a push would be accepted now.
    var hasRoom: Bool { state.withLock { !$0.finished && $0.count < capacity } }

    /// Adds a message unless the inbox is full or finished; hands it straight to a waiting reader.
    func tryPush(_ message: [Frame]) -> PushResult {
        state.withLock { s in
            if s.finished { return .finished }
            if !s.readers.isEmpty {
                // Resuming only schedules the reader; no user code runs under the lock.
                s.readers.removeFirst().continuation.resume(returning: message)
                return .accepted
            }
            if s.count >= capacity { return .full }
            s.queue.append(message)
            return .accepted
        }
    }

    /// Adds a message, waiting for room until `deadline`; throws `.timeout` or `.shutdown`.
    func push(_ message: [Frame], deadline: ContinuousClock.Instant?) async throws(FedError) {
        while true {
            switch tryPush(message) {
            case .accepted: return
            case .finished: throw FedError(.shutdown, "the receiving socket is closed")
            case .full:
                if let deadline, ContinuousClock.now >= deadline {
                    throw FedError(.timeout, "the receiver's buffer stayed full (high-water mark)")
                }
                _ = await Deadline.run(until: deadline) { () async -> Bool? in await self.waitForRoom(); return true }
            }
        }
    }

    /// Takes the next message, suspending until one arrives; `nil` once finished and drained or cancelled.
    func next() async -> [Frame]? {
        let id = state.withLock { s in s.nextWaiterID += 1; return s.nextWaiterID }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Frame]?, Never>) in
                let (message, wake) = state.withLock { s -> ([Frame]??, Bool) in
                    if s.count > 0 {
                        let wasFull = s.count >= capacity
                        let message = s.queue[s.head]
                        s.queue[s.head] = []
                        s.head += 1
                        if s.head > 64 && s.head * 2 > s.queue.count {
                            s.queue.removeFirst(s.head)
                            s.head = 0
                        }
                        return (.some(message), wasFull)
                    }
                    if s.finished || Task.isCancelled { return (.some(nil), false) }
                    s.readers.append((id, continuation))
                    return (nil, false)
                }
                if let message { continuation.resume(returning: message) }
                if wake { roomAppeared() }
            }
        } onCancel: {
            let reader = state.withLock { s -> CheckedContinuation<[Frame]?, Never>? in
                guard let index = s.readers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.readers.remove(at: index).continuation
            }
            reader?.resume(returning: nil)
        }
    }

    /// Ends the stream: readers get `nil` once the buffered messages are consumed; pushes fail.
    func finish() {
        let (readers, writers) = state.withLock { s in
            s.finished = true
            defer { s.readers = []; s.writers = [] }
            return (s.count == 0 ? s.readers : [], s.writers)
        }
        for reader in readers { reader.continuation.resume(returning: nil) }
        for writer in writers { writer.continuation.resume() }
    }

    /// Whether ``finish()`` was called.
    var isFinished: Bool { state.withLock { $0.finished } }

    private func roomAppeared() {
        let writers = state.withLock { s in defer { s.writers = [] }; return s.writers }
        for writer in writers { writer.continuation.resume() }
        onSpace()
    }

    /// Suspends until a consumer makes room (or the inbox finishes, or the task is cancelled).
    private func waitForRoom() async {
        let id = state.withLock { s in s.nextWaiterID += 1; return s.nextWaiterID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.finished || s.count < capacity || Task.isCancelled { return true }
                    s.writers.append((id, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let writer = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let index = s.writers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.writers.remove(at: index).continuation
            }
            writer?.resume()
        }
    }
}
