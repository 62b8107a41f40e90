"""Byte-plane shuffle (Blosc's shuffle filter): byte ``b`` of element ``i`` moves to ``b * n + i``."""
from __future__ import annotations

import numpy as np


def shuffle(data: bytes, element_size: int) -> bytes:
    """The byte planes of ``data`` (``n`` elements of ``element_size`` bytes, little-endian)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size % element_size:
        raise ValueError("shuffle needs whole elements")
    return raw.reshape(-1, element_size).T.tobytes()


def unshuffle(planes: bytes, element_size: int) -> bytes:
    """Inverse of :func:`shuffle`."""
    raw = np.frombuffer(planes, dtype=np.uint8)
    if raw.size % element_size:
        raise ValueError("unshuffle needs whole elements")
    return raw.reshape(element_size, -1).T.tobytes()
