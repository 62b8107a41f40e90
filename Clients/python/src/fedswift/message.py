"""Whole messages: multipart frames <-> :class:`Message`, with the checks of Swift's
``WireMessage(parts:limits:)`` in the same order and with the same error codes."""
from __future__ import annotations

from typing import Dict, List, Sequence, Set, Tuple

from . import lz4chunks, quantize, topk
from .envelope import decode_envelope, encode_envelope
from .errors import ErrorCode, FedError
from .limits import WireLimits
from .wire import WIRE_PROTOCOL_VERSION, Codec, DType, Envelope, FrameLike, Message, TensorHeader


def encode_message(message: Message) -> List[FrameLike]:
    """The multipart frames to send: the packed envelope, then the tensor frames (no topic frame)."""
    parts: List[FrameLike] = [encode_envelope(message.envelope)]
    return parts + list(message.frames)


def decode_message(parts: Sequence[FrameLike], limits: WireLimits = WireLimits()) -> Message:
    """Decodes and validates a received multipart message ``[envelope, tensor_0, ...]`` (no topic).

    Raises ``FedError`` with ``MISSING_ENVELOPE``, ``MESSAGE_TOO_LARGE``, ``MALFORMED_ENVELOPE``,
    ``UNKNOWN_KIND``, ``UNKNOWN_DTYPE``, ``UNKNOWN_CODEC``, ``UNSUPPORTED_VERSION``,
    ``TOO_MANY_TENSORS``, ``FRAME_COUNT_MISMATCH``, ``INVALID_NAME``, ``INVALID_SHAPE``,
    ``INVALID_SLICE``, ``SHAPE_SIZE_MISMATCH``, ``ENCODED_SIZE_MISMATCH``, ``INVALID_CODEC_PARAMS`` or
    ``DUPLICATE_TENSOR``. Payload checks happen when a tensor is decoded.
    """
    if len(parts) == 0:
        raise FedError(ErrorCode.MISSING_ENVELOPE, "empty message: the envelope frame is missing")
    first = memoryview(parts[0]).cast("B")
    if len(first) > limits.max_envelope_bytes:
        raise FedError(ErrorCode.MESSAGE_TOO_LARGE, f"envelope of {len(first)} bytes exceeds the {limits.max_envelope_bytes}-byte limit")
    envelope = decode_envelope(first.tobytes())
    frames = list(parts[1:])
    validate(envelope, frames, limits)
    return Message(envelope=envelope, frames=frames)


def validate(envelope: Envelope, frames: Sequence[FrameLike], limits: WireLimits = WireLimits()) -> None:
    """Checks an envelope against its frames and the limits; see :func:`decode_message`."""
    if envelope.version != WIRE_PROTOCOL_VERSION:
        raise FedError(ErrorCode.UNSUPPORTED_VERSION, f"peer speaks protocol v{envelope.version}; this node speaks v{WIRE_PROTOCOL_VERSION} only")
    if len(envelope.tensors) > limits.max_tensors:
        raise FedError(ErrorCode.TOO_MANY_TENSORS, f"{len(envelope.tensors)} tensors exceed the limit of {limits.max_tensors}")
    if len(envelope.client_ids) > limits.max_client_ids:
        raise FedError(ErrorCode.MESSAGE_TOO_LARGE, f"{len(envelope.client_ids)} client ids exceed the limit of {limits.max_client_ids}")
    if len(frames) != len(envelope.tensors):
        raise FedError(ErrorCode.FRAME_COUNT_MISMATCH, f"envelope describes {len(envelope.tensors)} tensors but {len(frames)} frames follow")
    sizes = [memoryview(f).nbytes for f in frames]
    if sum(sizes) > limits.max_message_bytes:
        raise FedError(ErrorCode.MESSAGE_TOO_LARGE, f"message of {sum(sizes)} bytes exceeds the {limits.max_message_bytes}-byte limit")
    seen: Set[Tuple[str, int]] = set()
    shapes: Dict[str, Tuple[int, ...]] = {}
    for header, size in zip(envelope.tensors, sizes):
        validate_header(header, size, limits)
        key = (header.name, header.slice_start)
        if key in seen:
            raise FedError(ErrorCode.DUPLICATE_TENSOR, f"tensor '{header.name}' (slice at {header.slice_start}) appears twice")
        seen.add(key)
        if header.name in shapes and shapes[header.name] != tuple(header.shape):
            raise FedError(ErrorCode.INVALID_SLICE, f"slices of '{header.name}' disagree on its shape")
        shapes[header.name] = tuple(header.shape)


def _valid_name(name: str, limits: WireLimits) -> bool:
    return (name != "" and len(name.encode("utf-8", "surrogatepass")) <= limits.max_name_bytes
            and all(ord(c) >= 0x20 and ord(c) != 0x7F for c in name))


def validate_header(h: TensorHeader, frame_bytes: int, limits: WireLimits = WireLimits()) -> None:
    """Checks one tensor header against its frame size and the limits."""
    if not _valid_name(h.name, limits):
        raise FedError(ErrorCode.INVALID_NAME, f"tensor name {h.name[:40]!r} is empty, longer than {limits.max_name_bytes} bytes or has control characters")
    if len(h.shape) > limits.max_dimensions:
        raise FedError(ErrorCode.INVALID_SHAPE, f"tensor '{h.name}' has {len(h.shape)} dimensions; at most {limits.max_dimensions}")
    elements = 1
    for dim in h.shape:
        elements *= dim
        if dim < 0 or elements > limits.max_elements:
            raise FedError(ErrorCode.INVALID_SHAPE, f"tensor '{h.name}' shape {list(h.shape)} exceeds {limits.max_elements} elements")
    count = h.slice_elements if h.slice_elements != 0 else elements
    if h.slice_start + count > elements or (h.slice_elements == 0 and h.slice_start != 0):
        raise FedError(ErrorCode.INVALID_SLICE, f"tensor '{h.name}' slice [{h.slice_start}, +{h.slice_elements}) lies outside its {elements} elements")
    if h.raw_bytes != count * h.dtype.size:
        raise FedError(ErrorCode.SHAPE_SIZE_MISMATCH, f"tensor '{h.name}': {count} {h.dtype.snake_name} values need {count * h.dtype.size} bytes, header says {h.raw_bytes}")
    if frame_bytes > limits.max_frame_bytes:
        raise FedError(ErrorCode.MESSAGE_TOO_LARGE, f"tensor '{h.name}' frame of {frame_bytes} bytes exceeds the {limits.max_frame_bytes}-byte limit; send it as slices")
    if frame_bytes != h.encoded_bytes:
        raise FedError(ErrorCode.ENCODED_SIZE_MISMATCH, f"tensor '{h.name}': header says {h.encoded_bytes} encoded bytes, the frame has {frame_bytes}")
    _validate_codec_params(h, count)


def _validate_codec_params(h: TensorHeader, count: int) -> None:
    def fail(why: str) -> FedError:
        return FedError(ErrorCode.INVALID_CODEC_PARAMS, f"tensor '{h.name}' ({h.codec.wire_name}): {why}")

    if not h.codec.is_lossless and h.dtype != DType.FLOAT32:
        raise fail(f"lossy codecs apply to float32 only, not {h.dtype.snake_name}")
    if h.codec == Codec.RAW:
        if h.encoded_bytes != h.raw_bytes:
            raise fail(f"raw frames hold exactly {h.raw_bytes} bytes, not {h.encoded_bytes}")
    elif h.codec in (Codec.LZ4, Codec.SHUFFLE_LZ4):
        if h.encoded_bytes > lz4chunks.max_encoded_size(h.raw_bytes) or (h.raw_bytes != 0 and h.encoded_bytes < 5):
            raise fail(f"{h.encoded_bytes} encoded bytes cannot hold {h.raw_bytes} raw bytes")
        if h.codec == Codec.SHUFFLE_LZ4 and h.raw_bytes % h.dtype.size != 0:
            raise fail("shuffle needs whole elements")
    elif h.codec in (Codec.Q8, Codec.Q4):
        if not (h.scale == h.scale and abs(h.scale) != float("inf") and h.scale >= 0):
            raise fail(f"scale {h.scale} is not a finite non-negative number")
        expected = quantize.encoded_bytes(count, h.codec)
        if h.encoded_bytes != expected:
            raise fail(f"{count} values take {expected} bytes, header says {h.encoded_bytes}")
    else:
        if not 0 < h.fraction <= 1:
            raise fail(f"fraction {h.fraction} is outside (0, 1]")
        if h.nonzero > count or count > 0xFFFFFFFF:
            raise fail(f"{h.nonzero} entries of {count} cannot be indexed")
        if h.encoded_bytes != topk.encoded_bytes(h.nonzero):
            raise fail(f"{h.nonzero} entries take {topk.encoded_bytes(h.nonzero)} bytes, header says {h.encoded_bytes}")
