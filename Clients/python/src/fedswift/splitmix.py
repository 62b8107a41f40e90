"""SplitMix64's output function as a counter-based hash, vectorised with numpy uint64 (wrapping)."""
from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S40 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40)
_TWO_TO_MINUS_24 = np.float32(1.0 / 16777216.0)


def mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's bijective mixer on a uint64 array (multiplications wrap modulo 2^64)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def mix_int(value: int) -> int:
    """:func:`mix` of one Python integer (taken modulo 2^64)."""
    return int(mix(np.array([value & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0])


def stream(seed: int, count: int, first_index: int = 0) -> np.ndarray:
    """``mix(seed + (i + 1) * GOLDEN)`` for ``i`` in ``[first_index, first_index + count)``."""
    i = np.arange(first_index + 1, first_index + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + i * GOLDEN)


def unit_float(bits: np.ndarray) -> np.ndarray:
    """Uniform float32 in [0, 1) from the top 24 bits: ``float32(bits >> 40) * 2^-24``."""
    return (np.asarray(bits, dtype=np.uint64) >> _S40).astype(np.float32) * _TWO_TO_MINUS_24
