import ArgumentParser
import FedCore
import FedNet
import Foundation

/// Security and resource-limit flags shared by every role that opens sockets.
///
/// CURVE is on when `--curve-secret` is given. A node that accepts connections (server, scheduler
/// downstream) then needs `--allow`: an encrypted server that admits any key would let in strangers.
/// A node that connects out needs `--server-key`.
struct SecurityOptions: ParsableArguments {
    @Option(help: "This node's CURVE secret key file (from fedswift keygen); turns on encryption.", completion: .file())
    var curveSecret: String?

    @Option(help: "The server's CURVE public key file (its NAME.pub); needed by clients with --curve-secret.", completion: .file())
    var serverKey: String?

    @Option(help: "Allowlist of client CURVE public keys, one Z85 key per line, # comments; needed by servers with --curve-secret.",
            completion: .file())
    var allow: String?

    @Option(help: "Largest accepted incoming frame in bytes (ZMQ_MAXMSGSIZE); a bigger one drops the sender's connection.")
    var maxMessageBytes: Int64 = 1 << 30

    @Option(help: "Most incoming messages queued per socket before ZeroMQ stops reading from peers (ZMQ_RCVHWM).")
    var maxPending: Int32 = 1000

    /// Checks the flags a role needs; `accepts` / `connects` say which socket roles the command has.
    func check(accepts: Bool, connects: Bool) throws {
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        guard maxPending >= 1 else { throw ValidationError("--max-pending must be at least 1") }
        if curveSecret == nil {
            if serverKey != nil || allow != nil { throw ValidationError("--server-key and --allow need --curve-secret") }
            return
        }
        if accepts, allow == nil { throw ValidationError("--curve-secret on a server needs --allow FILE (the client keys it admits)") }
        if connects, serverKey == nil { throw ValidationError("--curve-secret on a client needs --server-key FILE (the server's NAME.pub)") }
    }

    /// The keys and limits for ``SecuredTransport``.
    func security() throws -> TransportSecurity {
        var security = TransportSecurity()
        security.maxMessageBytes = maxMessageBytes
        security.maxPendingMessages = maxPending
        if let curveSecret { security.keyPair = try CurveKeyPair(secretKeyFile: curveSecret) }
        if let serverKey { security.serverKey = try CurveKeyPair.readKey(serverKey) }
        return security
    }

    /// A secured transport and, with `--allow`, the ZAP handler that enforces the allowlist in its context.
    /// Start it before any socket binds.
    func makeTransport(observer: @escaping @Sendable (ZAPHandler.Decision) -> Void = { _ in }) async throws
        -> (transport: SecuredTransport, zap: ZAPHandler?)
    {
        let transport = SecuredTransport(base: try ZMQTransport(), security: try security())
        guard let allow, transport.security.isEncrypted else { return (transport, nil) }
        let keys = try CurveKeyPair.readKeys(allow)
        let zap = try await ZAPHandler(context: transport.base.context, allowlist: keys, observer: observer)
        FileHandle.standardError.write(Data("[zap] allowlist loaded keys=\(keys.count) file=\(allow)\n".utf8))
        return (transport, zap)
    }
}
