import FedCore
import FedProtoC
#if canImport(Glibc)
import Glibc
#endif

/// Packs and unpacks envelopes with protobuf-c.
///
/// Swift values stay at the API; the C message tree lives only inside `encoded()` (every allocation
/// freed by one `defer`) and `init(decoding:)` (copied out, then `free_unpacked`). Map entries are
/// written sorted by the keys' UTF-8 bytes, so equal envelopes always give equal bytes.
extension Envelope {
    /// The envelope in protobuf wire format.
    public func encoded() -> [UInt8] {
        var arena = CArena()
        defer { arena.release() }
        var msg = Fedswift__V1__Envelope()
        fedswift__v1__envelope__init(&msg)
        msg.version = version
        msg.kind = Fedswift__V1__Kind(rawValue: kind.rawValue)
        msg.sender = arena.string(sender)
        msg.session = arena.string(session)
        msg.round = round
        msg.task_id = taskID
        msg.n_client_ids = clientIDs.count
        msg.client_ids = arena.array(clientIDs)
        msg.n_config = config.count
        msg.config = arena.pointers(config.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { entry, arena in
            let e = arena.allocate(Fedswift__V1__Envelope__ConfigEntry.self)
            fedswift__v1__envelope__config_entry__init(e)
            e.pointee.key = arena.string(entry.key)
            e.pointee.value = Self.packScalar(entry.value, into: &arena)
            return e
        }
        msg.n_metrics = metrics.count
        msg.metrics = arena.pointers(metrics.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { entry, arena in
            let e = arena.allocate(Fedswift__V1__Envelope__MetricsEntry.self)
            fedswift__v1__envelope__metrics_entry__init(e)
            e.pointee.key = arena.string(entry.key)
            e.pointee.value = entry.value
            return e
        }
        msg.num_examples = numExamples
        if let error {
            let e = arena.allocate(Fedswift__V1__Error.self)
            fedswift__v1__error__init(e)
            e.pointee.code = Fedswift__V1__ErrorCode(rawValue: error.code.rawValue)
            e.pointee.detail = arena.string(error.detail)
            msg.error = e
        }
        msg.n_tensors = tensors.count
        msg.tensors = arena.pointers(tensors) { header, arena in Self.packHeader(header, into: &arena) }
        msg.n_codecs = codecs.count
        msg.codecs = arena.array(codecs.map { Fedswift__V1__Codec(rawValue: $0.rawValue) })

        return withUnsafePointer(to: &msg) { message in
            let size = fedswift__v1__envelope__get_packed_size(message)
            var out = [UInt8](repeating: 0, count: size)
            out.withUnsafeMutableBufferPointer { buf in _ = fedswift__v1__envelope__pack(message, buf.baseAddress) }
            return out
        }
    }

    private static func packScalar(_ value: ConfigValue, into arena: inout CArena) -> UnsafeMutablePointer<Fedswift__V1__Scalar> {
        let s = arena.allocate(Fedswift__V1__Scalar.self)
        fedswift__v1__scalar__init(s)
        switch value {
        case .double(let v): s.pointee.value_case = FEDSWIFT__V1__SCALAR__VALUE_F64; s.pointee.f64 = v
        case .int(let v): s.pointee.value_case = FEDSWIFT__V1__SCALAR__VALUE_I64; s.pointee.i64 = v
        case .string(let v): s.pointee.value_case = FEDSWIFT__V1__SCALAR__VALUE_STR; s.pointee.str = arena.string(v)
        case .bool(let v): s.pointee.value_case = FEDSWIFT__V1__SCALAR__VALUE_FLAG; s.pointee.flag = v ? 1 : 0
        }
        return s
    }

    private static func packHeader(_ h: TensorHeader, into arena: inout CArena) -> UnsafeMutablePointer<Fedswift__V1__TensorHeader> {
        let t = arena.allocate(Fedswift__V1__TensorHeader.self)
        fedswift__v1__tensor_header__init(t)
        t.pointee.name = arena.string(h.name)
        t.pointee.n_shape = h.shape.count
        t.pointee.shape = arena.array(h.shape.map { UInt64(clamping: $0) })
        t.pointee.dtype = Fedswift__V1__DType(rawValue: h.dtype.rawValue)
        t.pointee.codec = Fedswift__V1__Codec(rawValue: h.codec.rawValue)
        t.pointee.raw_bytes = UInt64(clamping: h.rawBytes)
        t.pointee.encoded_bytes = UInt64(clamping: h.encodedBytes)
        t.pointee.scale = h.scale
        t.pointee.seed = h.seed
        t.pointee.fraction = h.fraction
        t.pointee.nonzero = UInt64(clamping: h.nonzero)
        t.pointee.crc32 = h.crc32 ?? 0
        t.pointee.has_crc32 = h.crc32 == nil ? 0 : 1
        t.pointee.delta = h.isDelta ? 1 : 0
        t.pointee.slice_start = UInt64(clamping: h.sliceStart)
        t.pointee.slice_elements = UInt64(clamping: h.sliceElements)
        return t
    }
}

/// Tracks every C allocation made while building one message tree, to free them all at once.
private struct CArena {
    private var blocks: [UnsafeMutableRawPointer] = []   // from Swift's allocate
    private var cStrings: [UnsafeMutablePointer<CChar>] = []  // from strdup

    mutating func allocate<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    mutating func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return p
    }

    mutating func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    mutating func pointers<S, T>(_ items: [S], _ make: (S, inout CArena) -> UnsafeMutablePointer<T>) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        guard !items.isEmpty else { return nil }
        let list = UnsafeMutablePointer<UnsafeMutablePointer<T>?>.allocate(capacity: items.count)
        blocks.append(UnsafeMutableRawPointer(list))
        for (i, item) in items.enumerated() { list[i] = make(item, &self) }
        return list
    }

    func release() {
        for block in blocks { block.deallocate() }
        for string in cStrings { free(string) }
    }
}
