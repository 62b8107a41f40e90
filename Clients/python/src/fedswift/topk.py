"""Top-k sparsification with error feedback, bit-compatible with the Swift encoder.

``k = min(n, max(1, floor(float64(fraction) * n + 0.5)))`` with ``fraction`` a float32; the frame holds k
little-endian uint32 indices in ascending order, then the k float32 values. Entries are chosen by
magnitude; ties at the k-th largest magnitude go to the lowest indices.
"""
from __future__ import annotations

import math
from typing import Dict, Optional

import numpy as np

from .errors import ErrorCode, FedError
from .wire import FrameLike


def kept_count(count: int, fraction: float) -> int:
    """Entries kept for ``count`` values at ``fraction`` (float32 fraction, float64 product, rounded half up)."""
    if count <= 0:
        return 0
    return min(count, max(1, math.floor(float(np.float32(fraction)) * float(count) + 0.5)))


def encoded_bytes(kept: int) -> int:
    """Frame bytes for ``kept`` entries."""
    return kept * 8


def select(values: np.ndarray, k: int) -> np.ndarray:
    """Ascending indices of the ``k`` largest magnitudes; ties at the threshold go to the lowest indices."""
    x = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    n = x.size
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    mags = np.abs(x)
    threshold = np.partition(mags, n - k)[n - k]
    above = np.flatnonzero(mags > threshold)
    ties = np.flatnonzero(mags == threshold)[: k - above.size]
    return np.sort(np.concatenate([above, ties]))


def encode(values: np.ndarray, kept: int) -> bytes:
    """The top-k frame of float32 ``values``; raises ``FedError(NON_FINITE_VALUE)`` on NaN/inf."""
    x = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise FedError(ErrorCode.NON_FINITE_VALUE, "cannot sparsify NaN or infinite values")
    index = select(x, kept)
    return index.astype("<u4").tobytes() + x[index].astype("<f4").tobytes()


def decode(frame: FrameLike, kept: int, count: int) -> np.ndarray:
    """Scatters a top-k frame into ``count`` zeros.

    Raises ``FedError(CORRUPT_PAYLOAD)`` if an index is out of range or indices are not strictly
    ascending, ``FedError(ENCODED_SIZE_MISMATCH)`` if the frame is not ``8 * kept`` bytes.
    """
    raw = memoryview(frame).cast("B")
    if len(raw) != encoded_bytes(kept):
        raise FedError(ErrorCode.ENCODED_SIZE_MISMATCH, f"{kept} entries take {encoded_bytes(kept)} bytes, frame has {len(raw)}")
    index = np.frombuffer(raw, dtype="<u4", count=kept).astype(np.int64)
    kept_values = np.frombuffer(raw, dtype="<f4", count=kept, offset=4 * kept)
    if kept and (index[-1] >= count or (kept > 1 and not (np.diff(index) > 0).all())):
        raise FedError(ErrorCode.CORRUPT_PAYLOAD, "top-k indices are out of range or out of order")
    out = np.zeros(count, dtype=np.float32)
    out[index] = kept_values
    return out


class TopKResidual:
    """Error feedback for top-k uploads (Stich et al., NeurIPS 2018): what was not sent is added to
    the next update before sparsifying. Keep one per virtual client."""

    def __init__(self) -> None:
        self._residuals: Dict[str, np.ndarray] = {}

    def residual(self, name: str) -> Optional[np.ndarray]:
        """The residual kept for ``name``, if any."""
        return self._residuals.get(name)

    def compensate(self, name: str, values: np.ndarray) -> np.ndarray:
        """``values`` plus the residual of ``name`` (float32, a new array); unchanged if sizes differ."""
        x = np.asarray(values, dtype=np.float32)
        r = self._residuals.get(name)
        if r is None or r.size != x.size:
            return x.copy()
        return (x.reshape(-1) + r).reshape(x.shape)

    def record(self, name: str, compensated: np.ndarray, decoded: np.ndarray) -> None:
        """Records what was not sent: ``compensated - decoded``."""
        c = np.asarray(compensated, dtype=np.float32).reshape(-1)
        d = np.asarray(decoded, dtype=np.float32).reshape(-1)
        if c.size != d.size:
            raise FedError(ErrorCode.INVALID_ARGUMENT, f"residual sizes disagree: {c.size} vs {d.size}")
        self._residuals[name] = c - d
