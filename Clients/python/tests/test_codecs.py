"""Codec round trips, the exact arithmetic of q8/q4 and top-k, and chunked LZ4."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from fedswift import Codec, DType, ErrorCode, FedError, TensorEncoding, TopKResidual, crc32, decode_tensor, encode_tensor
from fedswift import lz4chunks, quantize, shuffle, splitmix, topk


def wiggle(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


@pytest.mark.parametrize("codec", ["raw", "lz4", "shuffle-lz4"])
@pytest.mark.parametrize("dtype", ["<f4", "<f8", "<i4", "<i8", "u1"])
def test_lossless_codecs_round_trip_every_dtype(codec: str, dtype: str) -> None:
    values = (np.arange(3000) % 17).astype(dtype).reshape(30, 100)
    header, frame = encode_tensor("t", values.shape, values, TensorEncoding.parse(codec))
    assert header.codec == Codec.parse(codec)  # compressible, so no fallback to raw
    assert header.dtype == DType.of(values) and header.raw_bytes == values.nbytes
    out = decode_tensor(header, frame)
    assert out.dtype == values.dtype and out.shape == values.shape
    np.testing.assert_array_equal(out, values)


def test_incompressible_data_falls_back_to_raw() -> None:
    values = wiggle(1000)
    header, frame = encode_tensor("t", (1000,), values, TensorEncoding(Codec.LZ4))
    assert header.codec == Codec.RAW and frame == values.tobytes()
    noise = np.random.default_rng(1).integers(0, 2**32, 100_000, dtype=np.uint32).view(np.float32)
    header, _ = encode_tensor("t", noise.shape, noise, TensorEncoding(Codec.SHUFFLE_LZ4))  # judged on a sample
    assert header.codec == Codec.RAW


def test_lz4_multi_chunk_round_trip() -> None:
    values = (np.arange(1_500_000) % 251).astype(np.float32)  # 6 MB: two chunks
    raw = values.tobytes()
    frame = lz4chunks.encode(raw)
    (first,) = struct.unpack_from("<I", frame, 0)
    assert first & (1 << 31) == 0
    second_at = 4 + first
    (second,) = struct.unpack_from("<I", frame, second_at)
    assert second_at + 4 + second == len(frame)
    assert lz4chunks.decode(frame, len(raw)) == raw
    header, tframe = encode_tensor("big", values.shape, values, TensorEncoding(Codec.SHUFFLE_LZ4, checksum=True))
    assert header.codec == Codec.SHUFFLE_LZ4 and header.encoded_bytes == len(tframe) < len(raw) // 10
    np.testing.assert_array_equal(decode_tensor(header, tframe), values)


def test_lz4_stored_chunks_decode() -> None:
    raw = bytes(range(256)) * 20
    frame = lz4chunks.encode(raw, store_incompressible=True)
    assert lz4chunks.decode(frame, len(raw)) == raw
    stored = struct.pack("<I", len(raw) | 1 << 31) + raw
    assert lz4chunks.decode(stored, len(raw)) == raw
    with pytest.raises(FedError) as caught:
        lz4chunks.decode(stored + b"x", len(raw))
    assert caught.value.code == ErrorCode.CORRUPT_PAYLOAD


def test_lz4_bound_matches_liblz4() -> None:
    assert lz4chunks.max_encoded_size(0) == 20
    assert lz4chunks.max_encoded_size(256) == 4 + 256 + 1 + 16
    four = 1 << 22
    assert lz4chunks.max_encoded_size(four + 1) == 4 + four + four // 255 + 16 + 4 + 1 + 16


def test_shuffle_writes_byte_planes() -> None:
    data = bytes([0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13])
    assert shuffle.shuffle(data, 4) == bytes([0x00, 0x10, 0x01, 0x11, 0x02, 0x12, 0x03, 0x13])
    assert shuffle.unshuffle(shuffle.shuffle(data, 4), 4) == data


def test_splitmix_matches_the_reference_sequence() -> None:
    # SplitMix64 seeded with 0: first outputs of the published reference generator.
    assert [int(v) for v in splitmix.stream(0, 3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert float(splitmix.unit_float(np.array([2**64 - 1], dtype=np.uint64))[0]) == 1 - 2**-24


def reference_codes(x: np.ndarray, codec: Codec, seed: int) -> list:
    """Scalar reference of the quantizer, one float32 operation at a time."""
    s = quantize.levels(codec)
    scale = np.float32(max(abs(v) for v in x))
    inv = np.float32(s) / scale if scale > 0 else np.float32(0)
    out = []
    for i, v in enumerate(x):
        level = np.float32(abs(v)) * inv
        floor = np.float32(np.floor(level))
        h = splitmix.mix_int((seed + (i + 1) * 0x9E3779B97F4A7C15) & (2**64 - 1))
        u = np.float32(h >> 40) * np.float32(2**-24)
        q = min(int(floor) + (1 if u < level - floor else 0), s)
        out.append(-q if v < 0 else q)
    return out


@pytest.mark.parametrize("codec", [Codec.Q8, Codec.Q4])
def test_quantizer_matches_the_scalar_reference(codec: Codec) -> None:
    x = wiggle(257, seed=3)
    q, _ = quantize.codes(x, codec, seed=99)
    assert list(q) == reference_codes(x, codec, 99)


def test_q4_packs_element_2j_in_the_low_nibble() -> None:
    x = np.array([1.0, -1.0, 0.0], dtype=np.float32)  # exact levels: codes 7, -7, 0
    frame, scale = quantize.encode(x, Codec.Q4, seed=5)
    assert scale == 1.0 and frame == bytes([0x97, 0x00])
    np.testing.assert_array_equal(quantize.decode(frame, Codec.Q4, scale, 3), x)


@pytest.mark.parametrize("codec", [Codec.Q8, Codec.Q4])
def test_quantization_is_unbiased_and_bounded(codec: Codec) -> None:
    x = wiggle(64, seed=1)
    s = quantize.levels(codec)
    scale = float(np.max(np.abs(x)))
    total = np.zeros_like(x, dtype=np.float64)
    seeds = 4000
    for seed in range(seeds):
        header, frame = encode_tensor("q", x.shape, x, TensorEncoding(codec, seed=seed))
        y = decode_tensor(header, frame)
        assert np.all(np.abs(y - x) <= scale / s * (1 + 1e-6))
        total += y
    mean = total / seeds
    # Each estimate has variance at most (scale/s)^2 / 4; allow 5 standard errors.
    assert np.all(np.abs(mean - x) <= 5 * (scale / s) / 2 / np.sqrt(seeds))


def test_quantizer_rejects_non_finite_and_unencodable_scales() -> None:
    with pytest.raises(FedError) as caught:
        encode_tensor("q", (2,), np.array([1, np.nan], dtype=np.float32), TensorEncoding(Codec.Q8))
    assert caught.value.code == ErrorCode.NON_FINITE_VALUE
    with pytest.raises(FedError) as caught:
        encode_tensor("q", (2,), np.array([1e-38, 0], dtype=np.float32), TensorEncoding(Codec.Q8))
    assert caught.value.code == ErrorCode.INVALID_ARGUMENT


def test_zero_tensor_quantizes_to_zero() -> None:
    header, frame = encode_tensor("z", (5,), np.zeros(5, dtype=np.float32), TensorEncoding(Codec.Q4, seed=1))
    assert header.scale == 0 and frame == bytes(3)
    np.testing.assert_array_equal(decode_tensor(header, frame), np.zeros(5, dtype=np.float32))


def test_topk_count_rounds_half_up() -> None:
    assert topk.kept_count(10, 0.3) == 3  # float32(0.3) * 10 = 3.0000001..., rounded to 3
    assert topk.kept_count(10, 0.25) == 3  # 2.5 rounds half up
    assert topk.kept_count(100, 0.1) == 10
    assert topk.kept_count(100, 0.125) == 13
    assert topk.kept_count(1000, 1e-9) == 1
    assert topk.kept_count(7, 1.0) == 7
    assert topk.kept_count(0, 0.5) == 0


def test_topk_ties_go_to_the_lowest_indices() -> None:
    x = np.array([1, -3, 2, 3, -2, 3, 0.5], dtype=np.float32)
    frame = topk.encode(x, 4)
    index = np.frombuffer(frame[:16], dtype="<u4")
    values = np.frombuffer(frame[16:], dtype="<f4")
    assert list(index) == [1, 2, 3, 5]
    assert list(values) == [-3, 2, 3, 3]
    x = np.array([2, -2, 2, -2], dtype=np.float32)
    assert list(np.frombuffer(topk.encode(x, 3)[:12], dtype="<u4")) == [0, 1, 2]


def test_topk_round_trip_and_error_feedback() -> None:
    x = wiggle(100, seed=4)
    residual = TopKResidual()
    sent_total = np.zeros_like(x)
    for _ in range(10):
        compensated = residual.compensate("w", x)
        header, frame = encode_tensor("w", x.shape, compensated, TensorEncoding(Codec.TOPK, fraction=0.125))
        assert header.nonzero == 13 and header.encoded_bytes == 104
        decoded = decode_tensor(header, frame)
        assert np.count_nonzero(decoded) <= 13
        residual.record("w", compensated, decoded)
        sent_total += decoded
    # Everything not sent is in the residual: sent + residual == 10 * x.
    np.testing.assert_allclose(sent_total + residual.residual("w"), 10 * x, rtol=1e-5, atol=1e-5)


def test_crc32_is_zlibs() -> None:
    assert crc32(b"123456789") == 0xCBF43926 == zlib.crc32(b"123456789")
    values = wiggle(10)
    header, frame = encode_tensor("c", (10,), values, TensorEncoding(Codec.RAW, checksum=True))
    assert header.crc32 == zlib.crc32(frame)


def test_encoding_parse() -> None:
    assert TensorEncoding.parse("shuffle-lz4").codec == Codec.SHUFFLE_LZ4
    assert TensorEncoding.parse("topk:0.05").fraction == pytest.approx(0.05)
    for bad in ("topk", "topk:0", "topk:1.5", "zstd", "topk:x"):
        with pytest.raises(FedError) as caught:
            TensorEncoding.parse(bad)
        assert caught.value.code == ErrorCode.INVALID_ARGUMENT
