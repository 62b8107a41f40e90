import FedCore

/// The protocol version this build speaks.
public let wireProtocolVersion: UInt32 = 1

/// What a message is; raw values are the wire `fedswift.v1.Kind` numbers.
public enum MessageKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1, welcome, fit, fitResult, evaluate, evaluateResult, pull, model, push, ack, heartbeat, bye, error

    /// Snake-case name, as fixtures and logs print it (`fit_result`).
    public var description: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .fit: "fit"
        case .fitResult: "fit_result"
        case .evaluate: "evaluate"
        case .evaluateResult: "evaluate_result"
        case .pull: "pull"
        case .model: "model"
        case .push: "push"
        case .ack: "ack"
        case .heartbeat: "heartbeat"
        case .bye: "bye"
        case .error: "error"
        }
    }
}

/// A typed configuration value (the wire `Scalar`).
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    case double(Double)
    case int(Int64)
    case string(String)
    case bool(Bool)

    /// The value as text.
    public var description: String {
        switch self {
        case .double(let v): "\(v)"
        case .int(let v): "\(v)"
        case .string(let v): v
        case .bool(let v): "\(v)"
        }
    }

    /// The value as an integer, if it is one (or a whole double).
    public var intValue: Int64? {
        switch self {
        case .int(let v): v
        case .double(let v) where v.rounded() == v && abs(v) < 9e15: Int64(v)
        default: nil
        }
    }

    /// The value as a double, if it is numeric.
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }

    /// The value as a string, if it is one.
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }

    /// The value as a flag, if it is one.
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
}

/// The reason carried by an ERROR message.
public struct WireError: Sendable, Hashable {
    /// What went wrong.
    public var code: FedError.Code
    /// Human-readable context.
    public var detail: String

    /// An error reason.
    public init(code: FedError.Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The reason of a thrown ``FedError``.
    public init(_ error: FedError) { self.init(code: error.code, detail: error.detail) }
}

/// Describes one tensor frame: what it is and how its bytes are encoded.
public struct TensorHeader: Sendable, Hashable {
    /// Tensor name, unique per message (slices of one tensor share it).
    public var name: String
    /// Dimensions of the whole tensor.
    public var shape: [Int]
    /// Element type before encoding.
    public var dtype: DType
    /// Encoding of the frame.
    public var codec: Codec
    /// Bytes of this slice's values before encoding.
    public var rawBytes: Int
    /// Bytes of the frame.
    public var encodedBytes: Int
    /// q8/q4: the largest magnitude of the slice.
    public var scale: Float = 0
    /// q8/q4: seed of the stochastic rounding.
    public var seed: UInt64 = 0
    /// topk: requested fraction of entries kept.
    public var fraction: Float = 0
    /// topk: number of (index, value) pairs in the frame.
    public var nonzero: Int = 0
    /// CRC-32 of the frame bytes, when the sender asked for checking.
    public var crc32: UInt32?
    /// True when the values are a difference against the received model.
    public var isDelta: Bool = false
    /// First element of this slice.
    public var sliceStart: Int = 0
    /// Elements in this slice; 0 means the whole tensor.
    public var sliceElements: Int = 0

    /// A header with the required fields; codec parameters default to zero.
    public init(name: String, shape: [Int], dtype: DType, codec: Codec, rawBytes: Int, encodedBytes: Int) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.codec = codec
        self.rawBytes = rawBytes
        self.encodedBytes = encodedBytes
    }

    /// Number of elements in the whole tensor.
    public var totalElements: Int { shape.reduce(1, *) }
    /// Number of elements this frame carries.
    public var elements: Int { sliceElements == 0 ? totalElements : sliceElements }
}

/// The first frame of every message: who sent it, what it is, and what the tensor frames hold.
public struct Envelope: Sendable, Hashable {
    /// Protocol version.
    public var version: UInt32 = wireProtocolVersion
    /// Message kind.
    public var kind: MessageKind
    /// Node id of the sender.
    public var sender: String = ""
    /// Session id given in WELCOME.
    public var session: String = ""
    /// Sync round, or model version in async mode.
    public var round: UInt64 = 0
    /// Correlates a task with its result.
    public var taskID: UInt64 = 0
    /// Virtual clients the message concerns.
    public var clientIDs: [UInt32] = []
    /// Settings: capabilities, experiment configuration, task parameters.
    public var config: [String: ConfigValue] = [:]
    /// Measurements: loss, accuracy, seconds.
    public var metrics: [String: Double] = [:]
    /// Examples behind a result (its aggregation weight).
    public var numExamples: UInt64 = 0
    /// Set on ERROR messages.
    public var error: WireError?
    /// One header per tensor frame, in frame order.
    public var tensors: [TensorHeader] = []
    /// HELLO: codecs the sender can decode; WELCOME: the codec chosen.
    public var codecs: [Codec] = []

    /// An envelope of `kind` with every other field empty.
    public init(kind: MessageKind) { self.kind = kind }
}

/// A whole message: the envelope and its tensor frames (the topic frame of PUB is not part of it).
public struct WireMessage: Sendable {
    /// The envelope.
    public var envelope: Envelope
    /// Tensor frames, one per `envelope.tensors` entry.
    public var frames: [Frame]

    /// A message; `frames` must match `envelope.tensors` one to one.
    public init(envelope: Envelope, frames: [Frame] = []) {
        self.envelope = envelope
        self.frames = frames
    }
}
