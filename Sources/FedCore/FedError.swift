/// The one error type of FedSwift: a code that says what went wrong and a detail for people.
///
/// Codes share their numbers with `fedswift.v1.ErrorCode` on the wire, so an ERROR reply carries
/// exactly the code that rejected the request.
public struct FedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; the raw value is the wire `ErrorCode` number.
    public enum Code: UInt32, Sendable, CaseIterable, CustomStringConvertible {
        case unspecified = 0
        case malformedEnvelope = 1
        case unsupportedVersion = 2
        case unknownKind = 3
        case frameCountMismatch = 4
        case shapeSizeMismatch = 5
        case encodedSizeMismatch = 6
        case invalidCodecParams = 7
        case messageTooLarge = 8
        case duplicateTensor = 9
        case unknownCodec = 10
        case unknownDType = 11
        case checksumMismatch = 12
        case corruptPayload = 13
        case nonFiniteValue = 14
        case invalidName = 15
        case tooManyTensors = 16
        case invalidShape = 17
        case missingEnvelope = 18
        case unknownPeer = 19
        case modelMismatch = 20
        case staleUpdate = 21
        case sessionMismatch = 22
        case transport = 23
        case timeout = 24
        case invalidArgument = 25
        case io = 26
        case unauthorized = 27
        case `internal` = 28
        case shutdown = 29
        case invalidSlice = 30
        case unexpectedMessage = 31

        /// The code's name in snake case, as logs and metrics print it.
        public var description: String { Code.names[Int(rawValue)] }

        // Spelled out: deriving them with String(describing:) would call `description` and recurse forever.
        private static let names = [
            "unspecified", "malformed_envelope", "unsupported_version", "unknown_kind", "frame_count_mismatch",
            "shape_size_mismatch", "encoded_size_mismatch", "invalid_codec_params", "message_too_large",
            "duplicate_tensor", "unknown_codec", "unknown_d_type", "checksum_mismatch", "corrupt_payload",
            "non_finite_value", "invalid_name", "too_many_tensors", "invalid_shape", "missing_envelope",
            "unknown_peer", "model_mismatch", "stale_update", "session_mismatch", "transport", "timeout",
            "invalid_argument", "io", "unauthorized", "internal", "shutdown", "invalid_slice", "unexpected_message",
        ]
    }

    /// What went wrong.
    public var code: Code
    /// Human-readable context: what was expected, what arrived, what to do.
    public var detail: String

    /// Creates an error with a code and a detail for people.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `code: detail`, as shown to users.
    public var description: String { "\(code): \(detail)" }
}
