import FedCore
/// Placeholder.
public struct InProcessTransport: Transport {
    public init() {}
    public func makeSocket(_ kind: SocketKind, options: SocketOptions) async throws -> any MessageSocket { throw FedError(.internal, "todo") }
    public func shutdown() async {}
}
