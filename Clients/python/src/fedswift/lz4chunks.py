"""Chunked LZ4 block format of the ``lz4`` and ``shuffle-lz4`` codecs.

The input is cut into 4 MiB chunks (the last may be shorter). Each chunk is a little-endian UInt32
word then its payload: bits 0-30 give the payload length, bit 31 set means the payload is the chunk
stored as is, clear means an LZ4 block (no size prefix) that decodes to exactly the chunk.
"""
from __future__ import annotations

import struct

import lz4.block

from .errors import ErrorCode, FedError
from .wire import FrameLike

#: Raw bytes per chunk.
CHUNK_BYTES = 1 << 22
_STORED = 1 << 31
_LZ4_MAX_INPUT = 0x7E000000


def compress_bound(n: int) -> int:
    """liblz4's ``LZ4_COMPRESSBOUND``: the largest block ``n`` input bytes can compress to."""
    return 0 if n > _LZ4_MAX_INPUT else n + n // 255 + 16


def max_encoded_size(raw_bytes: int) -> int:
    """Largest encoded size for ``raw_bytes`` input bytes (20 for an empty input)."""
    chunks = max(1, (raw_bytes + CHUNK_BYTES - 1) // CHUNK_BYTES)
    last = raw_bytes - (chunks - 1) * CHUNK_BYTES
    return (chunks - 1) * (4 + compress_bound(CHUNK_BYTES)) + 4 + compress_bound(last)


def encode(data: bytes, store_incompressible: bool = False) -> bytes:
    """Compresses ``data`` chunk by chunk, as the Swift encoder does (always LZ4 blocks).

    With ``store_incompressible`` a chunk whose block would not be shorter is stored instead; both
    forms are valid and every decoder accepts them, but only the default reproduces Swift's bytes.
    """
    view = memoryview(data).cast("B")
    out = bytearray()
    for start in range(0, len(view), CHUNK_BYTES):
        chunk = view[start:start + CHUNK_BYTES]
        block = lz4.block.compress(chunk, mode="default", store_size=False)
        if store_incompressible and len(block) >= len(chunk):
            out += struct.pack("<I", len(chunk) | _STORED)
            out += chunk
        else:
            out += struct.pack("<I", len(block))
            out += block
    return bytes(out)


def decode(data: FrameLike, raw_bytes: int) -> bytes:
    """Decompresses a chunked frame into exactly ``raw_bytes`` bytes.

    Raises ``FedError(CORRUPT_PAYLOAD)`` when a chunk is truncated, inconsistent, not valid LZ4, or
    bytes trail the last chunk.
    """
    view = memoryview(data).cast("B")
    out = bytearray()
    read = 0
    index = 0
    while len(out) < raw_bytes:
        chunk = min(CHUNK_BYTES, raw_bytes - len(out))
        if read + 4 > len(view):
            raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"lz4 frame ends before chunk {index}")
        (word,) = struct.unpack_from("<I", view, read)
        length = word & ~_STORED
        read += 4
        if read + length > len(view):
            raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"lz4 chunk {index} claims {length} bytes, only {len(view) - read} left")
        payload = view[read:read + length]
        if word & _STORED:
            if length != chunk:
                raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"stored chunk holds {length} bytes, expected {chunk}")
            out += payload
        else:
            try:
                block = lz4.block.decompress(payload, uncompressed_size=chunk)
            except Exception as error:  # lz4.block.LZ4BlockError, or ValueError on odd sizes
                raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"lz4 chunk {index} is not valid LZ4: {error}") from None
            if len(block) != chunk:
                raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"lz4 chunk {index} decodes to {len(block)} bytes, expected {chunk}")
            out += block
        read += length
        index += 1
    if read != len(view):
        raise FedError(ErrorCode.CORRUPT_PAYLOAD, f"lz4 frame has {len(view) - read} trailing bytes")
    return bytes(out)
