"""QSGD-style stochastic quantization (``q8``/``q4``), bit-compatible with the Swift encoder.

With ``s`` levels (127 for q8, 7 for q4) and ``scale = max|x|``, every step is float32:
``inv = float32(s) / scale`` (0 when scale is 0), ``l = |x| * inv``, ``f = floor(l)``,
``u = float32(h >> 40) * 2^-24`` with ``h = mix(seed + (i + 1) * 0x9E3779B97F4A7C15)``,
``q = min(int(f) + (u < l - f), s)``, negated when ``x < 0``. q8 stores one int8 per value; q4 stores
two 4-bit two's-complement codes per byte, element ``2j`` in the low nibble.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from . import splitmix
from .errors import ErrorCode, FedError
from .wire import Codec, FrameLike


def levels(codec: Codec) -> int:
    """Levels per sign: 127 (q8) or 7 (q4)."""
    return 7 if codec == Codec.Q4 else 127


def encoded_bytes(count: int, codec: Codec) -> int:
    """Frame bytes for ``count`` values."""
    return (count + 1) // 2 if codec == Codec.Q4 else count


def codes(values: np.ndarray, codec: Codec, seed: int) -> Tuple[np.ndarray, np.float32]:
    """The signed integer codes (int64) and the scale of float32 ``values``.

    Raises ``FedError(NON_FINITE_VALUE)`` for NaN/inf, and ``FedError(INVALID_ARGUMENT)`` when
    ``levels / scale`` overflows float32 (every |x| below about 3.7e-37 for q8): that input has no
    defined encoding (the Swift encoder refuses it too and sends such tensors raw).
    """
    x = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise FedError(ErrorCode.NON_FINITE_VALUE, "cannot quantize NaN or infinite values")
    s = levels(codec)
    scale = np.float32(np.max(np.abs(x))) if x.size else np.float32(0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        inv = np.float32(s) / scale if scale > 0 else np.float32(0)
    if not np.isfinite(inv):
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"scale {float(scale)!r} is too small to quantize; send these values raw")
    level = np.abs(x) * inv
    floor = np.floor(level)
    u = splitmix.unit_float(splitmix.stream(seed, x.size))
    q = floor.astype(np.int64) + (u < (level - floor))
    q = np.minimum(q, s)
    return np.where(x < 0, -q, q), scale


def encode(values: np.ndarray, codec: Codec, seed: int) -> Tuple[bytes, float]:
    """The q8/q4 frame of float32 ``values`` and its scale (float32 value as a Python float)."""
    q, scale = codes(values, codec, seed)
    if codec == Codec.Q8:
        return q.astype(np.int8).tobytes(), float(scale)
    nibbles = (q & 0xF).astype(np.uint8)
    if nibbles.size % 2:
        nibbles = np.append(nibbles, np.uint8(0))
    packed = nibbles[0::2] | (nibbles[1::2] << np.uint8(4))
    return packed.astype(np.uint8).tobytes(), float(scale)


def decode(frame: FrameLike, codec: Codec, scale: float, count: int) -> np.ndarray:
    """Float32 values ``q * (scale / s)`` (the division in float32) from a q8/q4 frame.

    Raises ``FedError(INVALID_CODEC_PARAMS)`` for a negative or non-finite scale and
    ``FedError(ENCODED_SIZE_MISMATCH)`` for a frame of the wrong size.
    """
    scale32 = np.float32(scale)
    if not np.isfinite(scale32) or scale32 < 0:
        raise FedError(ErrorCode.INVALID_CODEC_PARAMS, f"quantization scale {scale} is not a finite non-negative number")
    raw = np.frombuffer(frame, dtype=np.uint8)
    if raw.size != encoded_bytes(count, codec):
        raise FedError(ErrorCode.ENCODED_SIZE_MISMATCH, f"{count} values take {encoded_bytes(count, codec)} bytes, frame has {raw.size}")
    step = scale32 / np.float32(levels(codec))
    if codec == Codec.Q8:
        q = raw.view(np.int8)
    else:
        nibbles = np.empty(raw.size * 2, dtype=np.uint8)
        nibbles[0::2] = raw & 0xF
        nibbles[1::2] = raw >> 4
        q = (nibbles[:count].astype(np.int8) ^ np.int8(8)) - np.int8(8)
    return q.astype(np.float32) * step
