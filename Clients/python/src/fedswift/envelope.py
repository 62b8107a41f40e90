"""Envelope <-> protobuf bytes, through the generated ``fedswift.v1`` code.

Encoding is byte-identical to the Swift side (protobuf-c). Plain
``SerializeToString(deterministic=True)`` is not: Python's protobuf writes a map entry's key and value
even when they are zero (``metrics["x"] = 0.0`` gives ``0a 01 78 11 00..00``), and writes a float field
holding -0.0, while protobuf-c treats map entries as ordinary proto3 messages and omits zero-valued
fields (and -0.0, which compares equal to zero). So :func:`encode_envelope` writes the fields before
the maps, each map entry, and the fields after the maps as three runs of generated-code output, each
map entry serialized as its own ``ConfigEntry``/``MetricsEntry`` message (zero fields omitted), sorted by
key's UTF-8 bytes, and turns float -0.0 into +0.0 (the value a protobuf-c peer would decode anyway).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ._pb import pb
from .errors import ErrorCode, FedError
from .wire import ConfigValue, Codec, DType, Envelope, MessageKind, TensorHeader, WireError

_MAX_DIMENSION = 2**31 - 1          # Swift: a dimension must fit in Int32
_MAX_SIZE_FIELD = (2**63 - 1) // 2  # Swift: byte and element counts must fit in Int64.max / 2
_INT64 = (-(2**63), 2**63 - 1)


def _tag(field_number: int, wire_type: int) -> bytes:
    return _varint(field_number << 3 | wire_type)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(field_number: int, payload: bytes) -> bytes:
    return _tag(field_number, 2) + _varint(len(payload)) + payload


def _positive_zero(value: float) -> float:
    return 0.0 if value == 0 else float(value)


def _scalar(key: str, value: ConfigValue) -> Any:
    s = pb.Scalar()
    if isinstance(value, bool):
        s.flag = value
    elif isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise FedError(ErrorCode.INVALID_ARGUMENT, f"config '{key}' = {value} does not fit in int64")
        s.i64 = value
    elif isinstance(value, float):
        s.f64 = value
    elif isinstance(value, str):
        s.str = value
    else:
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"config '{key}' has type {type(value).__name__}; use bool, int, float or str")
    return s


def _header(h: TensorHeader, out: Any) -> None:
    out.name = h.name
    out.shape.extend(int(d) for d in h.shape)
    out.dtype = int(h.dtype)
    out.codec = int(h.codec)
    out.raw_bytes = h.raw_bytes
    out.encoded_bytes = h.encoded_bytes
    out.scale = _positive_zero(h.scale)
    out.seed = h.seed
    out.fraction = _positive_zero(h.fraction)
    out.nonzero = h.nonzero
    out.crc32 = h.crc32 or 0
    out.has_crc32 = h.crc32 is not None
    out.delta = h.delta
    out.slice_start = h.slice_start
    out.slice_elements = h.slice_elements


def _sorted_by_utf8(keys: List[str]) -> List[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def encode_envelope(envelope: Envelope) -> bytes:
    """The envelope in protobuf wire format, byte-identical to what the Swift side writes.

    Raises ``FedError(INVALID_ARGUMENT)`` for a config value that is not bool/int/float/str or an
    integer outside int64, and for any value protobuf refuses (a negative count, say).
    """
    try:
        head = pb.Envelope(version=envelope.version, kind=int(envelope.kind), sender=envelope.sender,
                           session=envelope.session, round=envelope.round, task_id=envelope.task_id)
        head.client_ids.extend(envelope.client_ids)
        entries = bytearray()
        for key in _sorted_by_utf8(list(envelope.config)):
            entry = pb.Envelope.ConfigEntry(key=key)
            entry.value.CopyFrom(_scalar(key, envelope.config[key]))
            entries += _length_delimited(8, entry.SerializeToString())
        for key in _sorted_by_utf8(list(envelope.metrics)):
            entry = pb.Envelope.MetricsEntry(key=key, value=_positive_zero(envelope.metrics[key]))
            entries += _length_delimited(9, entry.SerializeToString())
        tail = pb.Envelope(num_examples=envelope.num_examples)
        if envelope.error is not None:
            tail.error.code = int(envelope.error.code)
            tail.error.detail = envelope.error.detail
        for h in envelope.tensors:
            _header(h, tail.tensors.add())
        tail.codecs.extend(int(c) for c in envelope.codecs)
        return head.SerializeToString(deterministic=True) + bytes(entries) + tail.SerializeToString(deterministic=True)
    except FedError:
        raise
    except (ValueError, TypeError, OverflowError) as error:
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"envelope cannot be encoded: {error}") from None


def _config_value(s: Any) -> Optional[ConfigValue]:
    which = s.WhichOneof("value")
    if which == "f64":
        return float(s.f64)
    if which == "i64":
        return int(s.i64)
    if which == "str":
        return str(s.str)
    if which == "flag":
        return bool(s.flag)
    return None


def _size(name: str, value: int, field: str) -> int:
    if value > _MAX_SIZE_FIELD:
        raise FedError(ErrorCode.MESSAGE_TOO_LARGE, f"tensor '{name}' {field} is {value}")
    return int(value)


def _unpack_header(t: Any) -> TensorHeader:
    name = t.name
    try:
        dtype = DType(t.dtype)
    except ValueError:
        raise FedError(ErrorCode.UNKNOWN_DTYPE, f"tensor '{name}' has dtype {t.dtype}, unknown in protocol v1") from None
    try:
        codec = Codec(t.codec)
    except ValueError:
        raise FedError(ErrorCode.UNKNOWN_CODEC, f"tensor '{name}' has codec {t.codec}, unknown in protocol v1") from None
    shape = []
    for i, dim in enumerate(t.shape):
        if dim > _MAX_DIMENSION:
            raise FedError(ErrorCode.INVALID_SHAPE, f"tensor '{name}' dimension {i} is {dim}, too large")
        shape.append(int(dim))
    return TensorHeader(
        name=name, shape=tuple(shape), dtype=dtype, codec=codec,
        raw_bytes=_size(name, t.raw_bytes, "raw_bytes"), encoded_bytes=_size(name, t.encoded_bytes, "encoded_bytes"),
        scale=float(t.scale), seed=int(t.seed), fraction=float(t.fraction),
        nonzero=_size(name, t.nonzero, "nonzero"), crc32=int(t.crc32) if t.has_crc32 else None, delta=bool(t.delta),
        slice_start=_size(name, t.slice_start, "slice_start"), slice_elements=_size(name, t.slice_elements, "slice_elements"))


def decode_envelope(data: bytes) -> Envelope:
    """Unpacks an envelope, rejecting garbage and values protocol v1 does not define.

    Raises ``FedError`` with ``MALFORMED_ENVELOPE`` (not protobuf, or a string that is not UTF-8),
    ``UNKNOWN_KIND``, ``UNKNOWN_DTYPE``, ``UNKNOWN_CODEC``, ``INVALID_SHAPE`` (a dimension above
    2^31-1) or ``MESSAGE_TOO_LARGE`` (a byte or element count above 2^62-1). Unknown codecs in the
    ``codecs`` list are skipped (newer peers may list more); config entries without a value are dropped.
    """
    m = pb.Envelope()
    try:
        m.ParseFromString(bytes(data))
    except Exception as error:  # protobuf raises DecodeError, or RuntimeError/ValueError on some backends
        raise FedError(ErrorCode.MALFORMED_ENVELOPE, f"the first frame ({len(data)} bytes) is not a fedswift.v1.Envelope: {error}") from None
    try:
        kind = MessageKind(m.kind)
    except ValueError:
        raise FedError(ErrorCode.UNKNOWN_KIND, f"message kind {m.kind} is not defined in protocol v1") from None
    config: Dict[str, ConfigValue] = {}
    for key, scalar in m.config.items():
        value = _config_value(scalar)
        if value is not None:
            config[key] = value
    envelope = Envelope(kind=kind, version=m.version, sender=m.sender, session=m.session, round=m.round,
                        task_id=m.task_id, client_ids=list(m.client_ids), config=config,
                        metrics={k: float(v) for k, v in m.metrics.items()}, num_examples=m.num_examples)
    if m.HasField("error"):
        envelope.error = WireError(code=ErrorCode.from_wire(m.error.code), detail=m.error.detail)
    envelope.tensors = [_unpack_header(t) for t in m.tensors]
    envelope.codecs = [Codec(c) for c in m.codecs if c in Codec._value2member_map_]
    return envelope
