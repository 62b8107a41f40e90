"""Every Swift golden fixture decodes to its JSON twin and re-encodes byte for byte."""
from __future__ import annotations

import numpy as np
import pytest

from fedswift import (Codec, DType, MessageKind, Message, decode_envelope, decode_message, decode_tensor_flat,
                      encode_envelope, encode_message, encode_tensor)
from fedswift._pb import pb
from fixture_files import NAMES, FIXTURES, encoding_from_json, envelope_from_json, float32s, join_frames, load, split_frames


def test_every_kind_and_codec_has_a_fixture() -> None:
    assert {MessageKind.parse(n) for n in NAMES} == set(MessageKind)
    codecs = {Codec.parse(h["codec"]) for n in NAMES for h in load(n)["envelope"]["tensors"]}
    assert codecs == set(Codec)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_decodes_to_its_json_twin(name: str) -> None:
    doc = load(name)
    frames = split_frames((FIXTURES / f"{name}.bin").read_bytes())
    assert len(frames) == doc["frames"]
    assert frames[0].hex() == doc["envelope_hex"]
    message = decode_message(frames)
    env, e = message.envelope, doc["envelope"]
    expected = envelope_from_json(e)
    for field in ("version", "kind", "sender", "session", "round", "task_id", "client_ids", "config", "metrics",
                  "num_examples", "error", "codecs"):
        assert getattr(env, field) == getattr(expected, field), field
    assert env.kind.snake_name == e["kind"] and int(env.kind) == e["kind_number"]
    for key, typed in e["config"].items():  # types survive, not only values (True != 1 here)
        assert type(env.config[key]) is {"f64": float, "i64": int, "str": str, "flag": bool}[next(iter(typed))]
    assert len(env.tensors) == len(e["tensors"]) == len(doc["tensors"])
    for h, jh, jt, frame in zip(env.tensors, e["tensors"], doc["tensors"], message.frames):
        assert h.name == jh["name"] == jt["name"]
        assert list(h.shape) == jh["shape"]
        assert h.dtype == DType.parse(jh["dtype"]) and h.codec == Codec.parse(jh["codec"])
        for field in ("raw_bytes", "encoded_bytes", "scale", "seed", "fraction", "nonzero", "delta", "slice_start", "slice_elements"):
            assert getattr(h, field) == jh[field], field
        assert h.crc32 == jh.get("crc32")
        assert bytes(frame).hex() == jt["frame_hex"]
        decoded = decode_tensor_flat(h, frame)
        assert decoded.dtype == np.float32
        np.testing.assert_array_equal(decoded, float32s(jt["decoded"]))
        if h.codec.is_lossless:
            np.testing.assert_array_equal(decoded, float32s(jt["input"]))


@pytest.mark.parametrize("name", NAMES)
def test_fixture_reencodes_byte_for_byte_from_json(name: str) -> None:
    doc = load(name)
    env = envelope_from_json(doc["envelope"])
    frames = []
    for jh, jt in zip(doc["envelope"]["tensors"], doc["tensors"]):
        header, frame = encode_tensor(jh["name"], jh["shape"], float32s(jt["input"]), encoding_from_json(jh))
        env.tensors.append(header)
        frames.append(frame)
    parts = encode_message(Message(env, frames))
    assert parts[0].hex() == doc["envelope_hex"]
    assert join_frames(parts) == (FIXTURES / f"{name}.bin").read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_decoded_envelope_reencodes_identically(name: str) -> None:
    envelope_bytes = split_frames((FIXTURES / f"{name}.bin").read_bytes())[0]
    assert encode_envelope(decode_envelope(envelope_bytes)) == envelope_bytes


@pytest.mark.parametrize("name", NAMES)
def test_plain_deterministic_protobuf_matches_fixtures(name: str) -> None:
    # The fixtures have no zero map values, so protobuf's own deterministic output matches them too.
    envelope_bytes = split_frames((FIXTURES / f"{name}.bin").read_bytes())[0]
    m = pb.Envelope()
    m.ParseFromString(envelope_bytes)
    assert m.SerializeToString(deterministic=True) == envelope_bytes


def test_zero_map_values_are_written_as_protobuf_c_writes_them() -> None:
    # protobuf-c omits zero fields inside map entries and -0.0 floats; python protobuf writes them.
    env = decode_envelope(split_frames((FIXTURES / "push.bin").read_bytes())[0])
    env.metrics = {"zero": 0.0, "neg": -0.0, "": 1.0}
    env.config = {"i": 0, "s": "", "b": False, "f": 0.0}
    data = encode_envelope(env)
    assert b"\x4a\x06\x0a\x04zero" in data          # entry = key only
    assert b"\x4a\x05\x0a\x03neg" in data
    assert b"\x4a\x09\x11\x00\x00\x00\x00\x00\x00\xf0\x3f" in data  # empty key omitted
    assert b"\x42\x07\x0a\x01i\x12\x02\x10\x00" in data  # oneof members are written even when zero
    back = decode_envelope(data)
    assert back.metrics == {"zero": 0.0, "neg": 0.0, "": 1.0}
    assert back.config == {"i": 0, "s": "", "b": False, "f": 0.0}
    assert [type(back.config[k]) for k in ("i", "s", "b", "f")] == [int, str, bool, float]
