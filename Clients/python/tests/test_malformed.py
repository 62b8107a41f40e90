"""Broken messages are rejected with their own codes, and random bytes only ever raise FedError."""
from __future__ import annotations

import dataclasses
import random
from typing import Callable, List, Optional

import numpy as np
import pytest

from fedswift import (Codec, DType, Envelope, ErrorCode, FedError, Message, MessageKind, TensorHeader, WireLimits,
                      decode_message, decode_model, decode_tensor, encode_envelope, encode_message)
from fixture_files import FIXTURES, NAMES, split_frames

Mutation = Callable[[Envelope, List[bytes]], None]


def valid_parts(mutate: Optional[Mutation] = None) -> List[bytes]:
    """A FIT_RESULT with one raw float32 [2, 2] tensor of ones; ``mutate`` breaks one thing."""
    env = Envelope(MessageKind.FIT_RESULT, sender="c1",
                   tensors=[TensorHeader("w", (2, 2), DType.FLOAT32, Codec.RAW, raw_bytes=16, encoded_bytes=16)])
    frames = [np.ones(4, dtype=np.float32).tobytes()]
    if mutate:
        mutate(env, frames)
    return [encode_envelope(env)] + frames


def code_of(parts: List[bytes], limits: WireLimits = WireLimits()) -> Optional[ErrorCode]:
    try:
        message = decode_message(parts, limits)
        decode_model(message, {"w": (2, 2)})
        return None
    except FedError as error:
        return error.code


def header(e: Envelope, **changes: object) -> None:
    e.tensors[0] = dataclasses.replace(e.tensors[0], **changes)


def patch_header_byte(parts: List[bytes], tag: int, value: int) -> List[bytes]:
    data = bytearray(parts[0])
    start = data.index(0x62)  # field 12, the first tensor header
    data[data.index(tag, start) + 1] = value
    return [bytes(data)] + parts[1:]


def q8_with_scale(scale: float) -> Mutation:
    def mutate(e: Envelope, f: List[bytes]) -> None:
        header(e, codec=Codec.Q8, scale=scale, encoded_bytes=4)
        f[0] = bytes([1, 2, 3, 4])
    return mutate


CASES = [
    (ErrorCode.MISSING_ENVELOPE, [], WireLimits()),
    (ErrorCode.MALFORMED_ENVELOPE, [bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])], WireLimits()),
    (ErrorCode.UNSUPPORTED_VERSION, valid_parts(lambda e, f: setattr(e, "version", 2)), WireLimits()),
    (ErrorCode.MESSAGE_TOO_LARGE, valid_parts(), WireLimits(max_envelope_bytes=8)),
    (ErrorCode.FRAME_COUNT_MISMATCH, valid_parts(lambda e, f: f.append(f[0])), WireLimits()),
    (ErrorCode.SHAPE_SIZE_MISMATCH, valid_parts(lambda e, f: header(e, raw_bytes=12)), WireLimits()),
    (ErrorCode.ENCODED_SIZE_MISMATCH, valid_parts(lambda e, f: f.__setitem__(0, bytes(12))), WireLimits()),
    (ErrorCode.INVALID_CODEC_PARAMS, valid_parts(q8_with_scale(-1.0)), WireLimits()),
    (ErrorCode.DUPLICATE_TENSOR, valid_parts(lambda e, f: (e.tensors.append(e.tensors[0]), f.append(f[0]))), WireLimits()),
    (ErrorCode.INVALID_NAME, valid_parts(lambda e, f: header(e, name="")), WireLimits()),
    (ErrorCode.TOO_MANY_TENSORS, valid_parts(), WireLimits(max_tensors=0)),
    (ErrorCode.INVALID_SHAPE, valid_parts(lambda e, f: header(e, shape=(1,) * 9)), WireLimits()),
    (ErrorCode.INVALID_SLICE, valid_parts(lambda e, f: header(e, slice_start=2, slice_elements=4)), WireLimits()),
    (ErrorCode.CHECKSUM_MISMATCH, valid_parts(lambda e, f: header(e, crc32=12345)), WireLimits()),
    (ErrorCode.NON_FINITE_VALUE, valid_parts(lambda e, f: f.__setitem__(0, np.array([np.nan, 1, 1, 1], dtype=np.float32).tobytes())), WireLimits()),
    (ErrorCode.MODEL_MISMATCH, valid_parts(lambda e, f: header(e, shape=(4,))), WireLimits()),
    (ErrorCode.CORRUPT_PAYLOAD, valid_parts(lambda e, f: (header(e, codec=Codec.LZ4, encoded_bytes=8),
                                                          f.__setitem__(0, bytes([4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])))), WireLimits()),
    (ErrorCode.UNKNOWN_KIND, [bytes([0x10, 0x63])], WireLimits()),  # field 2 (kind) = 99
    (ErrorCode.UNKNOWN_DTYPE, patch_header_byte(valid_parts(), 0x18, 99), WireLimits()),
    (ErrorCode.UNKNOWN_CODEC, patch_header_byte(valid_parts(), 0x20, 99), WireLimits()),
]


def test_the_valid_message_is_accepted() -> None:
    assert code_of(valid_parts()) is None


@pytest.mark.parametrize("expected,parts,limits", CASES, ids=[c[0].snake_name for c in CASES])
def test_each_malformed_input_has_its_own_code(expected: ErrorCode, parts: List[bytes], limits: WireLimits) -> None:
    assert code_of(parts, limits) == expected


def test_the_cases_cover_twenty_distinct_codes() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) == 20


@pytest.mark.parametrize("mutate,expected", [
    (lambda e, f: header(e, shape=(2**31, 1)), ErrorCode.INVALID_SHAPE),          # dimension above Int32.max
    (lambda e, f: header(e, raw_bytes=2**62), ErrorCode.MESSAGE_TOO_LARGE),        # count above Int64.max / 2
    (lambda e, f: header(e, shape=(2**20, 2**20)), ErrorCode.INVALID_SHAPE),       # above 2^34 elements
    (lambda e, f: header(e, name="a\x00b"), ErrorCode.INVALID_NAME),
    (lambda e, f: header(e, name="x" * 257), ErrorCode.INVALID_NAME),
    (lambda e, f: header(e, slice_start=1), ErrorCode.INVALID_SLICE),               # start without a count
    (lambda e, f: (header(e, codec=Codec.TOPK, fraction=0.0, nonzero=2, encoded_bytes=16), f.__setitem__(0, bytes(16))),
     ErrorCode.INVALID_CODEC_PARAMS),
    (lambda e, f: (header(e, codec=Codec.TOPK, fraction=0.5, nonzero=2, encoded_bytes=16),
                   f.__setitem__(0, np.array([3, 1], "<u4").tobytes() + bytes(8))), ErrorCode.CORRUPT_PAYLOAD),
    (lambda e, f: (header(e, codec=Codec.TOPK, fraction=0.5, nonzero=1, encoded_bytes=8),
                   f.__setitem__(0, np.array([4], "<u4").tobytes() + bytes(4))), ErrorCode.CORRUPT_PAYLOAD),
    (lambda e, f: (header(e, dtype=DType.INT32, codec=Codec.Q8, encoded_bytes=4), f.__setitem__(0, bytes(4))),
     ErrorCode.INVALID_CODEC_PARAMS),
    (lambda e, f: (header(e, codec=Codec.LZ4, encoded_bytes=300), f.__setitem__(0, bytes(300))), ErrorCode.INVALID_CODEC_PARAMS),
    (q8_with_scale(float("inf")), ErrorCode.INVALID_CODEC_PARAMS),
    (lambda e, f: header(e, slice_start=2, slice_elements=2, raw_bytes=8, encoded_bytes=8), ErrorCode.ENCODED_SIZE_MISMATCH),
])
def test_more_rejections(mutate: Mutation, expected: ErrorCode) -> None:
    assert code_of(valid_parts(mutate)) == expected


def test_invalid_utf8_is_a_malformed_envelope() -> None:
    data = bytearray(valid_parts()[0])
    at = data.index(b"c1")
    data[at] = 0xC3  # a lone lead byte: not UTF-8
    assert code_of([bytes(data), valid_parts()[1]]) == ErrorCode.MALFORMED_ENVELOPE


def test_unknown_codecs_in_the_codec_list_are_skipped() -> None:
    data = encode_envelope(Envelope(MessageKind.HELLO, codecs=[Codec.RAW])) + bytes([0x6A, 0x02, 0x01, 0x63])
    assert decode_message([data]).envelope.codecs == [Codec.RAW, Codec.RAW]


def test_random_and_mutated_bytes_only_raise_fed_error() -> None:
    rng = random.Random(2024)
    seeds = [split_frames((FIXTURES / f"{n}.bin").read_bytes()) for n in NAMES]
    rejected = 0
    for i in range(6000):
        if i % 2 == 0:
            parts = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(200)))]
        else:
            seed = rng.choice(seeds)
            envelope = bytearray(seed[0])
            for _ in range(1 + rng.randrange(4)):
                envelope[rng.randrange(len(envelope))] = rng.getrandbits(8)
            if rng.randrange(5) == 0:
                del envelope[len(envelope) - rng.randrange(len(envelope)):]
            frames = [bytearray(f) for f in seed[1:]]
            if frames and rng.randrange(3) == 0:
                frame = rng.choice(frames)
                if frame:
                    frame[rng.randrange(len(frame))] = rng.getrandbits(8)
            parts = [bytes(envelope)] + [bytes(f) for f in frames]
        try:
            message = decode_message(parts)
            for h, frame in zip(message.envelope.tensors, message.frames):
                decode_tensor(h, frame)
        except FedError:
            rejected += 1
    assert rejected > 3000


def test_encoding_refuses_values_protobuf_cannot_hold() -> None:
    with pytest.raises(FedError) as caught:
        encode_message(Message(Envelope(MessageKind.FIT, config={"x": [1, 2]})))  # type: ignore[dict-item]
    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    with pytest.raises(FedError) as caught:
        encode_envelope(Envelope(MessageKind.FIT, config={"big": 2**63}))
    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    with pytest.raises(FedError) as caught:
        encode_envelope(Envelope(MessageKind.FIT, round=-1))
    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
