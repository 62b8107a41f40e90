"""The one error type of the SDK: a wire error code plus a detail for people."""
from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    """Why a message was rejected; values are the wire ``fedswift.v1.ErrorCode`` numbers."""

    UNSPECIFIED = 0
    MALFORMED_ENVELOPE = 1
    UNSUPPORTED_VERSION = 2
    UNKNOWN_KIND = 3
    FRAME_COUNT_MISMATCH = 4
    SHAPE_SIZE_MISMATCH = 5
    ENCODED_SIZE_MISMATCH = 6
    INVALID_CODEC_PARAMS = 7
    MESSAGE_TOO_LARGE = 8
    DUPLICATE_TENSOR = 9
    UNKNOWN_CODEC = 10
    UNKNOWN_DTYPE = 11
    CHECKSUM_MISMATCH = 12
    CORRUPT_PAYLOAD = 13
    NON_FINITE_VALUE = 14
    INVALID_NAME = 15
    TOO_MANY_TENSORS = 16
    INVALID_SHAPE = 17
    MISSING_ENVELOPE = 18
    UNKNOWN_PEER = 19
    MODEL_MISMATCH = 20
    STALE_UPDATE = 21
    SESSION_MISMATCH = 22
    TRANSPORT = 23
    TIMEOUT = 24
    INVALID_ARGUMENT = 25
    IO = 26
    UNAUTHORIZED = 27
    INTERNAL = 28
    SHUTDOWN = 29
    INVALID_SLICE = 30
    UNEXPECTED_MESSAGE = 31

    @property
    def snake_name(self) -> str:
        """The name in snake case (``malformed_envelope``), as the proto enum spells it."""
        return self.name.lower()

    @classmethod
    def from_wire(cls, number: int) -> "ErrorCode":
        """The code for a wire number; numbers this version does not know become ``UNSPECIFIED``."""
        try:
            return cls(number)
        except ValueError:
            return cls.UNSPECIFIED


class FedError(Exception):
    """An error with a wire ``code`` and a human-readable ``detail``.

    Every rejection of network input raises this type and no other.
    """

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(f"{ErrorCode(code).snake_name}: {detail}")
        self.code = ErrorCode(code)
        self.detail = detail

    def __repr__(self) -> str:
        return f"FedError({self.code.name}, {self.detail!r})"
