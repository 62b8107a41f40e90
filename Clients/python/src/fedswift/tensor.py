"""Encoding and decoding of single tensor frames, mirroring Swift's ``TensorCodec``."""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from . import lz4chunks, quantize, shuffle, topk
from .errors import ErrorCode, FedError
from .wire import Codec, DType, FrameLike, TensorHeader

_SAMPLE_ELEMENTS = 16_384


@dataclass(frozen=True)
class TensorEncoding:
    """How to encode a tensor: codec, q8/q4 seed (change it every upload), top-k fraction,
    whether to attach a CRC-32 of the frame, and whether the values are a delta."""

    codec: Codec
    seed: int = 0
    fraction: float = 0.01
    checksum: bool = False
    delta: bool = False

    @classmethod
    def parse(cls, text: str) -> "TensorEncoding":
        """Parses ``raw``, ``lz4``, ``shuffle-lz4``, ``q8``, ``q4`` or ``topk:<fraction>``."""
        if text.startswith("topk:"):
            try:
                fraction = float(np.float32(text[5:]))
            except ValueError:
                fraction = float("nan")
            if not 0 < fraction <= 1:
                raise FedError(ErrorCode.INVALID_ARGUMENT, f"'{text}': topk needs a fraction in (0, 1], e.g. topk:0.01")
            return cls(Codec.TOPK, fraction=fraction)
        try:
            codec = Codec.parse(text)
        except KeyError:
            codec = Codec.TOPK
        if codec == Codec.TOPK:
            raise FedError(ErrorCode.INVALID_ARGUMENT, f"unknown codec '{text}'; use raw, lz4, shuffle-lz4, q8, q4 or topk:<fraction>")
        return cls(codec)


def crc32(frame: FrameLike) -> int:
    """CRC-32 (zlib's polynomial) of the frame bytes."""
    return zlib.crc32(memoryview(frame).cast("B")) & 0xFFFFFFFF


def _lossless(raw: bytes, codec: Codec, element_size: int) -> bytes:
    if codec == Codec.LZ4:
        return lz4chunks.encode(raw)
    return lz4chunks.encode(shuffle.shuffle(raw, element_size))


def _pays(values: np.ndarray, codec: Codec) -> bool:
    """True when a lossless codec is likely to shrink ``values``; large inputs are judged on a sample
    of 16384 elements from the middle (it must come out below 97 % of its raw size)."""
    if values.size <= 4 * _SAMPLE_ELEMENTS:
        return True
    start = (values.size - _SAMPLE_ELEMENTS) // 2
    sample = values[start:start + _SAMPLE_ELEMENTS].tobytes()
    return len(_lossless(sample, codec, values.itemsize)) < 0.97 * len(sample)


def encode_tensor(name: str, shape: Sequence[int], values: np.ndarray, encoding: TensorEncoding,
                  slice_start: int = 0) -> Tuple[TensorHeader, bytes]:
    """Encodes ``values`` (the whole tensor, or the slice starting at element ``slice_start``).

    Lossy codecs (q8, q4, topk) take float32 only; lossless ones take any wire dtype. Lossless codecs
    fall back to ``raw`` when they would not shrink the data, as the Swift encoder does, so both give
    the same bytes. Raises ``FedError(NON_FINITE_VALUE)`` for NaN/inf with lossy codecs.
    """
    shape = tuple(int(d) for d in shape)
    array = np.asarray(values)
    dtype = DType.of(array)
    flat = np.ascontiguousarray(array, dtype=dtype.numpy).reshape(-1)
    codec = encoding.codec
    if not 0 <= encoding.seed < 2**64:
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"seed {encoding.seed} is not a uint64")
    if not codec.is_lossless and dtype != DType.FLOAT32:
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"tensor '{name}': {codec.wire_name} applies to float32 only, not {dtype.snake_name}")
    raw = flat.tobytes()
    header = TensorHeader(name=name, shape=shape, dtype=dtype, codec=codec, raw_bytes=len(raw), encoded_bytes=0,
                          delta=encoding.delta)
    if codec.is_lossless:
        frame = raw
        header.codec = Codec.RAW
        if codec != Codec.RAW and _pays(flat, codec):
            packed = _lossless(raw, codec, dtype.size)
            if len(packed) < len(raw):
                frame, header.codec = packed, codec
    elif codec in (Codec.Q8, Codec.Q4):
        frame, header.scale = quantize.encode(flat, codec, encoding.seed)
        header.seed = encoding.seed
    else:
        header.nonzero = topk.kept_count(flat.size, encoding.fraction)
        frame = topk.encode(flat, header.nonzero)
        header.fraction = float(np.float32(encoding.fraction))
    header.encoded_bytes = len(frame)
    if slice_start != 0 or flat.size != header.total_elements:
        header.slice_start = slice_start
        header.slice_elements = flat.size
    if encoding.checksum:
        header.crc32 = crc32(frame)
    return header, frame


def decode_tensor(header: TensorHeader, frame: FrameLike, reshape: bool = True) -> np.ndarray:
    """Decodes one frame into a new (or read-only, for raw) numpy array of ``header.dtype``.

    The result has the tensor's shape when the frame holds the whole tensor and ``reshape`` is set,
    else it is flat with ``header.elements`` values. Raises ``FedError`` with ``CHECKSUM_MISMATCH``,
    ``ENCODED_SIZE_MISMATCH``, ``CORRUPT_PAYLOAD`` or ``INVALID_CODEC_PARAMS``; values are not checked
    for NaN here (:func:`fedswift.model.decode_model` does).
    """
    data = memoryview(frame).cast("B")
    if header.crc32 is not None:
        actual = crc32(data)
        if actual != header.crc32:
            raise FedError(ErrorCode.CHECKSUM_MISMATCH, f"tensor '{header.name}': CRC-32 {actual} differs from the header's {header.crc32}")
    count = header.elements
    dtype = header.dtype.numpy
    if header.raw_bytes != count * header.dtype.size:
        raise FedError(ErrorCode.SHAPE_SIZE_MISMATCH, f"tensor '{header.name}': {count} values need {count * header.dtype.size} bytes, header says {header.raw_bytes}")
    codec = header.codec
    if not codec.is_lossless and header.dtype != DType.FLOAT32:
        raise FedError(ErrorCode.INVALID_CODEC_PARAMS, f"tensor '{header.name}': lossy codecs apply to float32 only")
    if codec == Codec.RAW:
        if len(data) != header.raw_bytes:
            raise FedError(ErrorCode.ENCODED_SIZE_MISMATCH, f"raw frame of '{header.name}' has {len(data)} bytes, expected {header.raw_bytes}")
        out = np.frombuffer(data, dtype=dtype)
    elif codec == Codec.LZ4:
        out = np.frombuffer(lz4chunks.decode(data, header.raw_bytes), dtype=dtype)
    elif codec == Codec.SHUFFLE_LZ4:
        planes = lz4chunks.decode(data, header.raw_bytes)
        out = np.frombuffer(shuffle.unshuffle(planes, header.dtype.size), dtype=dtype)
    elif codec in (Codec.Q8, Codec.Q4):
        out = quantize.decode(data, codec, header.scale, count)
    else:
        out = topk.decode(data, header.nonzero, count)
    if reshape and not header.is_slice:
        return out.reshape(header.shape)
    return out


def decode_tensor_flat(header: TensorHeader, frame: FrameLike) -> np.ndarray:
    """:func:`decode_tensor` without reshaping: ``header.elements`` values."""
    return decode_tensor(header, frame, reshape=False)


def frame_length(frame: FrameLike) -> int:
    """Bytes in a frame (any buffer-protocol object)."""
    return memoryview(frame).nbytes

