import FedCore
import FedProtoC

extension Envelope {
    /// Unpacks an envelope, rejecting garbage and values this version does not know.
    ///
    /// - Throws: `FedError` with `.malformedEnvelope` (not protobuf), `.unknownKind`, `.unknownDType`,
    ///   `.unknownCodec` or `.invalidShape` (a dimension that does not fit in `Int`).
    public init(decoding bytes: UnsafeRawBufferPointer) throws(FedError) {
        guard let msg = fedswift__v1__envelope__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            throw FedError(.malformedEnvelope, "the first frame (\(bytes.count) bytes) is not a fedswift.v1.Envelope")
        }
        defer { fedswift__v1__envelope__free_unpacked(msg, nil) }
        let m = msg.pointee
        guard let kind = MessageKind(rawValue: m.kind.rawValue) else {
            throw FedError(.unknownKind, "message kind \(m.kind.rawValue) is not defined in protocol v\(wireProtocolVersion)")
        }
        self.init(kind: kind)
        version = m.version
        sender = try text(m.sender, "sender")
        session = try text(m.session, "session")
        round = m.round
        taskID = m.task_id
        clientIDs = Array(UnsafeBufferPointer(start: m.client_ids, count: m.n_client_ids))
        for i in 0..<m.n_config {
            guard let entry = m.config[i] else { continue }
            let key = try text(entry.pointee.key, "config key")
            config[key] = try entry.pointee.value.flatMap { (v) throws(FedError) in try Self.unpackScalar(v.pointee) }
        }
        for i in 0..<m.n_metrics {
            guard let entry = m.metrics[i] else { continue }
            metrics[try text(entry.pointee.key, "metrics key")] = entry.pointee.value
        }
        numExamples = m.num_examples
        if let e = m.error {
            let code = FedError.Code(rawValue: e.pointee.code.rawValue) ?? .unspecified
            error = WireError(code: code, detail: try text(e.pointee.detail, "error detail"))
        }
        var headers: [TensorHeader] = []
        headers.reserveCapacity(m.n_tensors)
        for i in 0..<m.n_tensors {
            guard let t = m.tensors[i] else { throw FedError(.malformedEnvelope, "tensor header \(i) is missing") }
            headers.append(try Self.unpackHeader(t.pointee, index: i))
        }
        tensors = headers
        var known: [Codec] = []
        for i in 0..<m.n_codecs {
            guard let codec = Codec(rawValue: m.codecs[i].rawValue) else { continue }  // newer peers may list more
            known.append(codec)
        }
        codecs = known
    }

    /// Unpacks an envelope from an array of bytes.
    public init(decoding bytes: [UInt8]) throws(FedError) {
        let result: Result<Envelope, FedError> = bytes.withUnsafeBytes { raw in
            do throws(FedError) { return .success(try Envelope(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    private static func unpackScalar(_ s: Fedswift__V1__Scalar) throws(FedError) -> ConfigValue? {
        switch s.value_case {
        case FEDSWIFT__V1__SCALAR__VALUE_F64: .double(s.f64)
        case FEDSWIFT__V1__SCALAR__VALUE_I64: .int(s.i64)
        case FEDSWIFT__V1__SCALAR__VALUE_STR: .string(try text(s.str, "config value"))
        case FEDSWIFT__V1__SCALAR__VALUE_FLAG: .bool(s.flag != 0)
        default: nil
        }
    }

    private static func unpackHeader(_ t: Fedswift__V1__TensorHeader, index: Int) throws(FedError) -> TensorHeader {
        let name = try text(t.name, "tensor name")
        guard let dtype = DType(rawValue: t.dtype.rawValue) else {
            throw FedError(.unknownDType, "tensor '\(name)' has dtype \(t.dtype.rawValue), unknown in protocol v\(wireProtocolVersion)")
        }
        guard let codec = Codec(rawValue: t.codec.rawValue) else {
            throw FedError(.unknownCodec, "tensor '\(name)' has codec \(t.codec.rawValue), unknown in protocol v\(wireProtocolVersion)")
        }
        var shape: [Int] = []
        for d in 0..<t.n_shape {
            guard let dim = Int(exactly: t.shape[d]), dim <= Int(Int32.max) else {
                throw FedError(.invalidShape, "tensor '\(name)' dimension \(d) is \(t.shape[d]), too large")
            }
            shape.append(dim)
        }
        func size(_ v: UInt64, _ field: String) throws(FedError) -> Int {
            guard let n = Int(exactly: v), n <= Int(Int64.max / 2) else {
                throw FedError(.messageTooLarge, "tensor '\(name)' \(field) is \(v)")
            }
            return n
        }
        var h = TensorHeader(name: name, shape: shape, dtype: dtype, codec: codec,
                             rawBytes: try size(t.raw_bytes, "raw_bytes"), encodedBytes: try size(t.encoded_bytes, "encoded_bytes"))
        h.scale = t.scale
        h.seed = t.seed
        h.fraction = t.fraction
        h.nonzero = try size(t.nonzero, "nonzero")
        h.crc32 = t.has_crc32 != 0 ? t.crc32 : nil
        h.isDelta = t.delta != 0
        h.sliceStart = try size(t.slice_start, "slice_start")
        h.sliceElements = try size(t.slice_elements, "slice_elements")
        return h
    }
}

/// A protobuf-c string as Swift text; invalid UTF-8 is a malformed envelope (proto3 strings are UTF-8).
private func text(_ pointer: UnsafePointer<CChar>?, _ field: String) throws(FedError) -> String {
    guard let pointer else { return "" }
    guard let string = String(validatingCString: pointer) else {
        throw FedError(.malformedEnvelope, "\(field) is not valid UTF-8")
    }
    return string
}
