/// Races an async operation against a deadline without losing a result that arrives just in time.
enum Deadline {
    private enum Outcome<T: Sendable>: Sendable { case value(T?), timedOut }

    /// Runs `operation` until `deadline` (forever if `nil`); `nil` if time ran out first.
    ///
    /// The operation must return `nil` promptly when its task is cancelled. If it completes with a value
    /// while the timer fires, the value wins: a received message is never dropped by a timeout.
    static func run<T: Sendable>(
        until deadline: ContinuousClock.Instant?,
        _ operation: @escaping @Sendable () async -> T?
    ) async -> T? {
        guard let deadline else { return await operation() }
        return await withTaskGroup(of: Outcome<T>.self) { group in
            group.addTask { .value(await operation()) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            if case .value(let value) = first { return value }
            for await outcome in group {
                if case .value(let value) = outcome { return value }
            }
            return nil
        }
    }
}
