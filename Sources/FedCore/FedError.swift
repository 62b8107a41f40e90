/// The one error type of FedSwift: a code that says what went wrong and a detail for people.
///
/// Codes share their numbers with `fedswift.v1.ErrorCode` on the wire, so an ERROR reply carries
/// exactly the code that rejected the request.
public struct FedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; the raw value is the wire `ErrorCode` number.
    public enum Code: UInt32, Sendable, CaseIterable {
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

        /// The code's name in snake case (`malformed_envelope`), as logs, metrics and fixtures print it.
        public var name: String {
            var out = ""
            for ch in String(describing: self as Code) {
                if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
            }
            return self == .unknownDType ? "unknown_dtype" : out
        }
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
    public var description: String { "\(code.name): \(detail)" }
}
