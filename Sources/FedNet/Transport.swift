import FedCore

/// Makes message sockets of a given pattern; FedSwift's runtime is written against this protocol so its
/// tests run over ``InProcessTransport`` and production runs over ``ZMQTransport``
/// (grpc-swift-2's transport split: one protocol, an in-process and a network implementation).
public protocol Transport: Sendable {
    /// Creates a socket of `kind` with `options`; it is ready for `bind`/`connect` on return.
    func makeSocket(_ kind: SocketKind, options: SocketOptions) async throws -> any MessageSocket
    /// Closes every socket this transport made: their streams end and pending sends fail with `.shutdown`.
    func shutdown() async
}

extension Transport {
    /// Creates a socket and binds it; returns it with the endpoint actually bound.
    public func bound(
        _ kind: SocketKind, to endpoint: String, options: SocketOptions = SocketOptions()
    ) async throws -> (socket: any MessageSocket, endpoint: String) {
        let socket = try await makeSocket(kind, options: options)
        do {
            return (socket, try await socket.bind(endpoint))
        } catch {
            await socket.close()
            throw error
        }
    }

    /// Creates a socket and connects it to `endpoint`.
    public func connected(
        _ kind: SocketKind, to endpoint: String, options: SocketOptions = SocketOptions()
    ) async throws -> any MessageSocket {
        let socket = try await makeSocket(kind, options: options)
        do {
            try await socket.connect(endpoint)
            return socket
        } catch {
            await socket.close()
            throw error
        }
    }
}
