"""Import shim for the generated protobuf module (``Proto/generate.sh`` output, never edited).

The generated module builds its classes at import time, so type checkers see them as ``Any``.
"""
from typing import Any

from ._proto.fedswift.v1 import envelope_pb2

pb: Any = envelope_pb2

__all__ = ["pb"]
