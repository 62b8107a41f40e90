"""Wire value types: the Python mirror of the Swift ``Envelope``, ``TensorHeader`` and enums.

These are plain dataclasses; :mod:`fedswift.envelope` turns them into protobuf bytes and back.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from .errors import ErrorCode

#: The protocol version this package speaks.
WIRE_PROTOCOL_VERSION = 1

#: A typed configuration value (the wire ``Scalar``): f64, i64, str or flag.
ConfigValue = Union[bool, int, float, str]

#: Anything that exposes the buffer protocol: bytes, bytearray, memoryview, numpy arrays, zmq.Frame.
FrameLike = Union[bytes, bytearray, memoryview]


class MessageKind(enum.IntEnum):
    """What a message is; values are the wire ``fedswift.v1.Kind`` numbers."""

    HELLO = 1
    WELCOME = 2
    FIT = 3
    FIT_RESULT = 4
    EVALUATE = 5
    EVALUATE_RESULT = 6
    PULL = 7
    MODEL = 8
    PUSH = 9
    ACK = 10
    HEARTBEAT = 11
    BYE = 12
    ERROR = 13

    @property
    def snake_name(self) -> str:
        """Snake-case name, as fixtures and logs print it (``fit_result``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> "MessageKind":
        """The kind called ``name`` (``fit_result``)."""
        return cls[name.upper()]


class DType(enum.IntEnum):
    """Element type of a tensor before encoding; little-endian on the wire."""

    FLOAT32 = 1
    FLOAT64 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5

    @property
    def size(self) -> int:
        """Bytes per element."""
        return _DTYPE_SIZES[self]

    @property
    def numpy(self) -> np.dtype:
        """The little-endian numpy dtype."""
        return np.dtype(_DTYPE_NUMPY[self])

    @property
    def snake_name(self) -> str:
        """``float32``, ``int64``, ..."""
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> "DType":
        """The dtype called ``name`` (``float32``)."""
        return cls[name.upper()]

    @classmethod
    def of(cls, array: np.ndarray) -> "DType":
        """The wire dtype of a numpy array; raises ``FedError(INVALID_ARGUMENT)`` for others."""
        from .errors import FedError

        found = _DTYPE_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
        if found is None:
            raise FedError(ErrorCode.INVALID_ARGUMENT, f"dtype {array.dtype} has no wire dtype")
        return found


_DTYPE_SIZES = {DType.FLOAT32: 4, DType.FLOAT64: 8, DType.INT32: 4, DType.INT64: 8, DType.UINT8: 1}
_DTYPE_NUMPY = {DType.FLOAT32: "<f4", DType.FLOAT64: "<f8", DType.INT32: "<i4", DType.INT64: "<i8", DType.UINT8: "u1"}
_DTYPE_BY_KIND = {("f", 4): DType.FLOAT32, ("f", 8): DType.FLOAT64, ("i", 4): DType.INT32, ("i", 8): DType.INT64,
                  ("u", 1): DType.UINT8}


class Codec(enum.IntEnum):
    """How a tensor frame's bytes encode its values; values are the wire ``fedswift.v1.Codec`` numbers."""

    RAW = 1
    LZ4 = 2
    SHUFFLE_LZ4 = 3
    Q8 = 4
    Q4 = 5
    TOPK = 6

    @property
    def wire_name(self) -> str:
        """Command-line and fixture name: ``raw``, ``lz4``, ``shuffle-lz4``, ``q8``, ``q4``, ``topk``."""
        return self.name.lower().replace("_", "-")

    @property
    def is_lossless(self) -> bool:
        """True when decoding gives back exactly the encoded values."""
        return self in (Codec.RAW, Codec.LZ4, Codec.SHUFFLE_LZ4)

    @classmethod
    def parse(cls, name: str) -> "Codec":
        """The codec called ``name`` (``shuffle-lz4``)."""
        return cls[name.upper().replace("-", "_")]


@dataclass
class WireError:
    """The reason carried by an ERROR message."""

    code: ErrorCode
    detail: str = ""


@dataclass
class TensorHeader:
    """Describes one tensor frame: what it is and how its bytes are encoded.

    ``raw_bytes`` and ``encoded_bytes`` are byte counts of this frame (one slice), ``shape`` is the
    whole tensor's. ``scale`` and ``fraction`` are float32 on the wire.
    """

    name: str
    shape: Tuple[int, ...]
    dtype: DType
    codec: Codec
    raw_bytes: int
    encoded_bytes: int
    scale: float = 0.0
    seed: int = 0
    fraction: float = 0.0
    nonzero: int = 0
    crc32: Optional[int] = None
    delta: bool = False
    slice_start: int = 0
    slice_elements: int = 0

    @property
    def total_elements(self) -> int:
        """Number of elements in the whole tensor (1 for a scalar)."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def elements(self) -> int:
        """Number of elements this frame carries."""
        return self.slice_elements if self.slice_elements != 0 else self.total_elements

    @property
    def is_slice(self) -> bool:
        """True when the frame carries part of the tensor only."""
        return self.elements != self.total_elements


@dataclass
class Envelope:
    """The first frame of every message: who sent it, what it is, what the tensor frames hold."""

    kind: MessageKind
    version: int = WIRE_PROTOCOL_VERSION
    sender: str = ""
    session: str = ""
    round: int = 0
    task_id: int = 0
    client_ids: List[int] = field(default_factory=list)
    config: Dict[str, ConfigValue] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)
    num_examples: int = 0
    error: Optional[WireError] = None
    tensors: List[TensorHeader] = field(default_factory=list)
    codecs: List[Codec] = field(default_factory=list)


@dataclass
class Message:
    """A whole message: the envelope and its tensor frames (a PUB topic frame is not part of it)."""

    envelope: Envelope
    frames: List[FrameLike] = field(default_factory=list)
