import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM delivered as a callback through `DispatchSource`, so a node can shut down
/// gracefully (finish or abandon the round, send BYE, flush results, close sockets) instead of dying.
public final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    /// Installs handlers that call `handler` with the signal number; the default action is disabled
    /// while this object lives. A second signal of the same kind calls `handler` again.
    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
