/// Element type of a tensor; raw values are the wire `fedswift.v1.DType` numbers.
public enum DType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = 1
    case float64 = 2
    case int32 = 3
    case int64 = 4
    case uint8 = 5

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8: 1
        }
    }

    /// The name used in fixtures and documentation (`float32`, ...).
    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        }
    }

    /// Parses a name produced by ``description``.
    public init?(name: String) {
        guard let match = DType.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
