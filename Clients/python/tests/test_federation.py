"""Real processes on 127.0.0.1: a Swift server with Swift and Python clients, and the conformance harness.

Needs the `fedswift` binary at `.build/debug/fedswift` or `.build/release/fedswift` under the repository
root (`make test` builds it first); `$FEDSWIFT_BINARY` overrides.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "python-numpy" / "client.py"


def binary() -> str:
    override = os.environ.get("FEDSWIFT_BINARY")
    candidates = [Path(override)] if override else [ROOT / ".build" / "debug" / "fedswift", ROOT / ".build" / "release" / "fedswift"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(f"fedswift binary not found at {', '.join(map(str, candidates))}; run `swift build` in {ROOT} first", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoints() -> List[str]:
    return [f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"]


class Processes:
    """Spawned processes with logs in a temporary directory; every one is killed at the end of the test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.running: List[subprocess.Popen] = []

    def spawn(self, name: str, command: List[str]) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "wb")
        stdout = open(self.directory / f"{name}.out", "wb")
        process = subprocess.Popen(command, stdout=stdout, stderr=log, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.running.append(process)
        return process

    def wait(self, process: subprocess.Popen, timeout: float) -> int:
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{process.args[:3]} still running after {timeout} s")

    def text(self, name: str, suffix: str = "log") -> str:
        return (self.directory / f"{name}.{suffix}").read_text(errors="replace")

    def kill_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    p = Processes(tmp_path)
    yield p
    p.kill_all()


def read_safetensors(path: Path) -> Dict[str, np.ndarray]:
    """8-byte LE header length, JSON header, raw little-endian float32 data."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32"
        lo, hi = entry["data_offsets"]
        out[name] = np.frombuffer(body[lo:hi], dtype="<f4").reshape(entry["shape"])
    return out


def federation(procs: Processes, name: str, python_client: bool) -> Dict[str, np.ndarray]:
    control, broadcast = endpoints()
    model = procs.directory / f"{name}.safetensors"
    out = procs.directory / f"{name}.jsonl"
    server = procs.spawn(f"{name}-server", [binary(), "server", "--control", control, "--broadcast", broadcast,
                                            "--echo-params", "1000", "--clients", "4", "--sample", "4", "--rounds", "3",
                                            "--codec", "raw", "--heartbeat", "0.5", "--round-timeout", "20",
                                            "--save-model", str(model), "--out", str(out)])
    link = ["--control", control, "--broadcast", broadcast, "--trainer", "echo"]
    swift = procs.spawn(f"{name}-swift", [binary(), "client", "--clients", "0-1", "--id", "swift"] + link)
    if python_client:
        other = procs.spawn(f"{name}-python", [sys.executable, str(EXAMPLE), "--clients", "2-3", "--id", "python"] + link)
    else:
        other = procs.spawn(f"{name}-swift2", [binary(), "client", "--clients", "2-3", "--id", "swift2"] + link)
    assert procs.wait(server, 60) == 0, procs.text(f"{name}-server")
    assert procs.wait(other, 15) == 0, procs.text(f"{name}-python" if python_client else f"{name}-swift2")
    assert procs.wait(swift, 15) == 0, procs.text(f"{name}-swift")
    rounds = [json.loads(line) for line in out.read_text().splitlines() if '"final"' not in line]
    assert [r["round"] for r in rounds] == [1, 2, 3] and all(r["completed"] == 4 for r in rounds)
    return read_safetensors(model)


def test_mixed_federation_equals_all_swift(procs: Processes) -> None:
    swift_only = federation(procs, "swift", python_client=False)
    mixed = federation(procs, "mixed", python_client=True)
    assert list(mixed) == list(swift_only) == ["echo.weight"]
    assert np.abs(mixed["echo.weight"] - swift_only["echo.weight"]).max() <= 1e-5
    np.testing.assert_allclose(mixed["echo.weight"], 3.0, atol=1e-5)  # three rounds of +1


def conformance(procs: Processes, name: str, client: List[str]) -> str:
    control, broadcast = endpoints()
    harness = procs.spawn(f"{name}-harness", [binary(), "conformance", "--control", control, "--broadcast", broadcast,
                                              "--join-timeout", "30", "--timeout", "10"])
    time.sleep(0.2)
    process = procs.spawn(f"{name}-client", client + ["--control", control, "--broadcast", broadcast, "--clients", "0-1",
                                                      "--trainer", "echo", "--id", name])
    status = procs.wait(harness, 150)
    report = procs.text(f"{name}-harness", "out")
    assert status == 0, report + procs.text(f"{name}-client")
    assert procs.wait(process, 15) == 0, "the client did not exit cleanly after BYE:\n" + procs.text(f"{name}-client")
    return report


def test_conformance_python_client(procs: Processes) -> None:
    report = conformance(procs, "python", [sys.executable, "-m", "fedswift"])
    assert report.splitlines()[-1] == "13 passed, 0 failed", report
    assert "delta" in report


def test_conformance_python_numpy_example(procs: Processes) -> None:
    report = conformance(procs, "example", [sys.executable, str(EXAMPLE)])
    assert report.splitlines()[-1] == "13 passed, 0 failed", report


def test_conformance_swift_client(procs: Processes) -> None:
    report = conformance(procs, "swift", [binary(), "client"])
    assert report.splitlines()[-1] == "13 passed, 0 failed", report


def test_conformance_fails_a_broken_client(procs: Processes) -> None:
    control, broadcast = endpoints()
    harness = procs.spawn("broken-harness", [binary(), "conformance", "--control", control, "--broadcast", broadcast,
                                             "--join-timeout", "30", "--timeout", "3"])
    client = procs.spawn("broken-client", [sys.executable, str(Path(__file__).with_name("broken_client.py")), control, broadcast])
    assert procs.wait(harness, 120) == 1
    lines = procs.text("broken-harness", "out").splitlines()
    verdicts = {line.split(":")[0] for line in lines}
    assert {"PASS join", "FAIL fit-raw", "FAIL fit-q8", "FAIL missed-broadcast-pull"} <= verdicts, lines
    assert lines[-1].endswith("failed") and not lines[-1].endswith(" 0 failed")
    client.kill()
