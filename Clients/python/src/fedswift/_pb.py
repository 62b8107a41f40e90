"""Import shim for the generated protobuf module (``Proto/generate.sh`` output, never edited)."""
from ._proto.fedswift.v1 import envelope_pb2 as pb

__all__ = ["pb"]
