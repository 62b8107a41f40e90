import FedCore

/// How a tensor frame's bytes encode its values; raw values are the wire `fedswift.v1.Codec` numbers.
public enum Codec: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// The values, little-endian.
    case raw = 1
    /// Chunked LZ4 blocks of the raw bytes.
    case lz4 = 2
    /// Byte planes of the raw bytes, then chunked LZ4 blocks.
    case shuffleLZ4 = 3
    /// 8-bit stochastic quantization of float32 values.
    case q8 = 4
    /// 4-bit stochastic quantization of float32 values.
    case q4 = 5
    /// Sparse top-k: k uint32 indices then k float32 values.
    case topK = 6

    /// Command-line and fixture name (`raw`, `lz4`, `shuffle-lz4`, `q8`, `q4`, `topk`).
    public var description: String {
        switch self {
        case .raw: "raw"
        case .lz4: "lz4"
        case .shuffleLZ4: "shuffle-lz4"
        case .q8: "q8"
        case .q4: "q4"
        case .topK: "topk"
        }
    }

    /// True when decoding gives back exactly the encoded values.
    public var isLossless: Bool { self == .raw || self == .lz4 || self == .shuffleLZ4 }
}
