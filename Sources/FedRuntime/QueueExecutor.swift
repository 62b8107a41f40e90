import Dispatch

/// A serial executor backed by a private dispatch queue, so an actor that uses it runs its CPU work
/// (decoding uploads, aggregation, evaluation, checkpoints) off Swift's cooperative pool.
/// (Linux's Dispatch has no `DispatchSerialQueue` executor conformance; this is the same idea.)
final class QueueExecutor: SerialExecutor {
    /// The queue jobs run on.
    let queue: DispatchQueue

    /// An executor on a new serial queue called `label`.
    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs `job` on the queue.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { unowned.runSynchronously(on: executor) }
    }

    /// This executor as the runtime refers to it.
    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// Runs blocking work on a global dispatch queue and resumes the caller when it is done, so a task never
/// blocks a cooperative-pool thread (training, data loading).
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
        DispatchQueue.global(qos: .userInitiated).async { done.resume(returning: work()) }
    }
}
