"""Whole models: named float32 tensors <-> tensor headers and frames, slicing large tensors.

A model is an ordered mapping ``name -> numpy array``; its layout is the ordered ``name -> shape``.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

from . import splitmix
from .errors import ErrorCode, FedError
from .tensor import TensorEncoding, decode_tensor_flat, encode_tensor
from .wire import DType, Message, TensorHeader

#: Default most float32 elements per frame (2^28, i.e. 1 GiB); larger tensors become slices.
DEFAULT_MAX_FRAME_ELEMENTS = 1 << 28


def tensor_seed(seed: int, frame_index: int) -> int:
    """The q8/q4 seed of the ``frame_index``-th frame of a model: ``mix(seed + frame_index)``."""
    return splitmix.mix_int(seed + frame_index)


def encode_model(tensors: Mapping[str, np.ndarray], encoding: TensorEncoding,
                 max_frame_elements: int = DEFAULT_MAX_FRAME_ELEMENTS) -> Tuple[List[TensorHeader], List[bytes]]:
    """Encodes every tensor, in mapping order, as float32 frames.

    A tensor above ``max_frame_elements`` travels as consecutive slices (``slice_start``,
    ``slice_elements``) that tile it exactly; a frame holding a whole tensor has both fields 0. Every
    frame gets its own q8/q4 rounding stream, seeded with :func:`tensor_seed`.
    """
    if max_frame_elements <= 0:
        raise FedError(ErrorCode.INVALID_ARGUMENT, "max_frame_elements must be positive")
    headers: List[TensorHeader] = []
    frames: List[bytes] = []
    for name, array in tensors.items():
        values = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
        shape = tuple(np.shape(array))
        start = 0
        while True:
            count = min(max_frame_elements, values.size - start)
            per_frame = TensorEncoding(encoding.codec, seed=tensor_seed(encoding.seed, len(headers)),
                                       fraction=encoding.fraction, checksum=encoding.checksum, delta=encoding.delta)
            header, frame = encode_tensor(name, shape, values[start:start + count], per_frame, slice_start=start)
            headers.append(header)
            frames.append(frame)
            start += count
            if start >= values.size:
                break
    return headers, frames


def decode_model(message: Message, layout: Mapping[str, Sequence[int]]) -> Dict[str, np.ndarray]:
    """Decodes the tensors of a validated message into arrays of ``layout`` (name -> shape).

    Raises ``FedError(MODEL_MISMATCH)`` if a name or shape differs from the layout or a tensor is
    missing or covered twice, ``FedError(NON_FINITE_VALUE)`` if a value is NaN or infinite, and codec
    errors from decoding.
    """
    out = {name: np.zeros(tuple(shape), dtype=np.float32) for name, shape in layout.items()}
    covered: Dict[str, List[Tuple[int, int]]] = {name: [] for name in layout}
    for header, frame in zip(message.envelope.tensors, message.frames):
        if header.name not in out:
            raise FedError(ErrorCode.MODEL_MISMATCH, f"tensor '{header.name}' is not part of the model")
        target = out[header.name]
        if tuple(header.shape) != target.shape or header.dtype != DType.FLOAT32:
            raise FedError(ErrorCode.MODEL_MISMATCH, f"tensor '{header.name}' is {header.dtype.snake_name}{list(header.shape)}, the model has float32{list(target.shape)}")
        values = decode_tensor_flat(header, frame)
        target.reshape(-1)[header.slice_start:header.slice_start + header.elements] = values
        covered[header.name].append((header.slice_start, header.slice_start + header.elements))
    for name, ranges in covered.items():
        position = 0
        for lo, hi in sorted(ranges):
            if lo != position:
                break
            position = hi
        if position != out[name].size or sum(hi - lo for lo, hi in ranges) != out[name].size:
            raise FedError(ErrorCode.MODEL_MISMATCH, f"tensor '{name}' is missing or not covered exactly once")
    for name, array in out.items():
        if not np.isfinite(array).all():
            raise FedError(ErrorCode.NON_FINITE_VALUE, f"tensor '{name}' holds NaN or infinite values")
    return out
