"""Whole models: slicing, exact tiling, per-frame seeds, and a message round trip."""
from __future__ import annotations

from typing import Dict

import numpy as np
import pytest

from fedswift import (Codec, Envelope, ErrorCode, FedError, Message, MessageKind, TensorEncoding, decode_message,
                      decode_model, encode_message, encode_model, tensor_seed)
from fedswift.splitmix import mix_int


def sample_model() -> Dict[str, np.ndarray]:
    values = ((np.arange(70 + 7 + 1000) * 37) % 101).astype(np.float32) / 50 - 1
    return {"a": values[:70].reshape(10, 7), "b": values[70:77], "c": values[77:]}


def layout(model: Dict[str, np.ndarray]) -> Dict[str, tuple]:
    return {k: v.shape for k, v in model.items()}


def send(headers: list, frames: list) -> Message:
    return decode_message(encode_message(Message(Envelope(MessageKind.MODEL, tensors=headers), frames)))


@pytest.mark.parametrize("codec", ["raw", "lz4", "shuffle-lz4"])
def test_model_round_trips_losslessly(codec: str) -> None:
    model = sample_model()
    encoding = TensorEncoding.parse(codec)
    headers, frames = encode_model(model, TensorEncoding(encoding.codec, checksum=True))
    assert all(h.slice_start == 0 and h.slice_elements == 0 for h in headers)
    decoded = decode_model(send(headers, frames), layout(model))
    for name in model:
        np.testing.assert_array_equal(decoded[name], model[name])


@pytest.mark.parametrize("codec", ["raw", "q8", "shuffle-lz4", "topk:1"])
def test_big_tensors_travel_as_slices_that_tile_exactly(codec: str) -> None:
    model = sample_model()
    headers, frames = encode_model(model, TensorEncoding.parse(codec), max_frame_elements=64)
    assert len(headers) == 2 + 1 + 16  # a: 70 = 64 + 6, b: 7, c: 1000 = 15 * 64 + 40
    assert all(h.elements <= 64 for h in headers)
    assert [(h.slice_start, h.slice_elements) for h in headers[:3]] == [(0, 64), (64, 6), (0, 0)]
    decoded = decode_model(send(headers, frames), layout(model))
    tolerance = 1 / 127 + 1e-6 if codec == "q8" else 0
    for name in model:
        assert np.all(np.abs(decoded[name] - model[name]) <= tolerance)
    with pytest.raises(FedError) as caught:
        decode_model(send(headers[:-1], frames[:-1]), layout(model))
    assert caught.value.code == ErrorCode.MODEL_MISMATCH


def test_overlapping_slices_are_a_model_mismatch() -> None:
    model = {"c": np.arange(10, dtype=np.float32)}
    headers, frames = encode_model(model, TensorEncoding(Codec.RAW), max_frame_elements=4)
    headers[1].slice_start = 2  # [2, 6) overlaps [0, 4) and leaves 6..7 uncovered
    with pytest.raises(FedError) as caught:
        decode_model(send(headers, frames), layout(model))
    assert caught.value.code == ErrorCode.MODEL_MISMATCH


def test_each_frame_gets_its_own_rounding_stream() -> None:
    model = sample_model()
    headers, _ = encode_model(model, TensorEncoding(Codec.Q8, seed=42), max_frame_elements=64)
    assert [h.seed for h in headers[:3]] == [mix_int(42), mix_int(43), mix_int(44)]
    assert tensor_seed(42, 2) == mix_int(44)


def test_unknown_tensor_and_wrong_shape_are_model_mismatches() -> None:
    model = sample_model()
    headers, frames = encode_model(model, TensorEncoding(Codec.RAW))
    with pytest.raises(FedError) as caught:
        decode_model(send(headers, frames), {"a": (10, 7), "b": (7,)})
    assert caught.value.code == ErrorCode.MODEL_MISMATCH
    with pytest.raises(FedError) as caught:
        decode_model(send(headers, frames), {"a": (7, 10), "b": (7,), "c": (1000,)})
    assert caught.value.code == ErrorCode.MODEL_MISMATCH
