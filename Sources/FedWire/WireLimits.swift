/// Size limits applied to every incoming message before anything else touches it.
public struct WireLimits: Sendable, Hashable {
    /// Largest envelope frame in bytes.
    public var maxEnvelopeBytes = 1 << 20
    /// Most tensor frames in one message.
    public var maxTensors = 4096
    /// Largest single tensor frame in bytes (bigger tensors travel as slices).
    public var maxFrameBytes = 1 << 31
    /// Largest whole message (all frames) in bytes.
    public var maxMessageBytes = 1 << 36
    /// Longest tensor name in bytes.
    public var maxNameBytes = 256
    /// Most dimensions of a tensor.
    public var maxDimensions = 8
    /// Most elements of one tensor.
    public var maxElements = 1 << 34
    /// Most virtual client ids in one envelope.
    public var maxClientIDs = 1 << 20

    /// The defaults: 1 MiB envelopes, 2 GiB frames, 64 GiB messages, 4096 tensors.
    public init() {}
}
