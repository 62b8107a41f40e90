"""Golden fixture files: for each frame, a little-endian UInt32 length then the bytes."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from fedswift import Codec, Envelope, ErrorCode, MessageKind, TensorEncoding, WireError

FIXTURES = Path(__file__).resolve().parents[3] / "Proto" / "fixtures"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.bin"))


def split_frames(data: bytes) -> List[bytes]:
    frames, i = [], 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        frames.append(data[i + 4:i + 4 + n])
        i += 4 + n
    assert i == len(data), "trailing bytes in fixture file"
    return frames


def join_frames(frames: List[bytes]) -> bytes:
    return b"".join(struct.pack("<I", len(f)) + bytes(f) for f in frames)


def load(name: str) -> Dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def config_from_json(config: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, typed in config.items():
        ((kind, value),) = typed.items()
        out[key] = {"f64": float, "i64": int, "str": str, "flag": bool}[kind](value)
    return out


def envelope_from_json(e: Dict[str, Any]) -> Envelope:
    """The envelope fields of a fixture, without tensor headers (those come from encoding)."""
    env = Envelope(MessageKind.parse(e["kind"]), version=e["version"], sender=e["sender"], session=e["session"],
                   round=e["round"], task_id=e["task_id"], client_ids=list(e["client_ids"]),
                   config=config_from_json(e["config"]), metrics={k: float(v) for k, v in e["metrics"].items()},
                   num_examples=e["num_examples"], codecs=[Codec.parse(c) for c in e["codecs"]])
    if "error" in e:
        env.error = WireError(ErrorCode(e["error"]["code_number"]), e["error"]["detail"])
    return env


def encoding_from_json(h: Dict[str, Any]) -> TensorEncoding:
    return TensorEncoding(Codec.parse(h["codec"]), seed=h["seed"], fraction=h["fraction"] or 0.01,
                          checksum="crc32" in h, delta=h["delta"])


def float32s(values: List[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64).astype(np.float32)
