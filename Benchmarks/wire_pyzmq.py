#!/usr/bin/python3
"""Side-by-side peer of `fedswift bench wire`: the same DEALER->ROUTER transfer with pyzmq, zero-copy.

Sends [64-byte envelope, B-byte tensor] from a DEALER to a ROUTER, waits for the whole message,
repeats; prints one JSON line with the median of --repeats transfers after one warm-up.
Use Debian's interpreter (/usr/bin/python3), which has python3-zmq.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import zmq


def measure(nbytes: int, transport: str, repeats: int) -> dict[str, object]:
    """Runs the warm-up and the timed transfers; returns the JSON-ready result."""
    ctx = zmq.Context(io_threads=1)
    router = ctx.socket(zmq.ROUTER)
    dealer = ctx.socket(zmq.DEALER)
    for sock in (router, dealer):
        sock.setsockopt(zmq.LINGER, 0)
    if transport == "tcp":
        router.bind("tcp://127.0.0.1:*")
    else:
        router.bind("inproc://wire-pyzmq")
    dealer.connect(router.getsockopt(zmq.LAST_ENDPOINT).decode())

    tensor = memoryview(bytearray(b"\x5a" * nbytes))  # one immutable buffer, sent zero-copy each time
    envelope = b"\x08" * 64
    times: list[float] = []
    for round_index in range(repeats + 1):
        start = time.perf_counter()
        dealer.send_multipart([envelope, tensor], copy=False)
        frames = router.recv_multipart(copy=False)
        elapsed = time.perf_counter() - start
        if len(frames) != 3 or len(frames[2].buffer) != nbytes:
            raise RuntimeError("benchmark message arrived with the wrong shape")
        del frames
        if round_index > 0:
            times.append(elapsed)
    dealer.close()
    router.close()
    ctx.term()
    median = statistics.median(times)
    return {
        "impl": "pyzmq",
        "transport": transport,
        "bytes": nbytes,
        "gbps": round(nbytes / median / 1e9, 3),
        "zero_copy": True,
        "median_seconds": median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=40_000_000)
    parser.add_argument("--transport", choices=["inproc", "tcp"], default="tcp")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(measure(args.bytes, args.transport, args.repeats), separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
