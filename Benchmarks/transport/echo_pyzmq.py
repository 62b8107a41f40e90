#!/usr/bin/python3
"""The practical limit for one sync round on loopback: a pyzmq ROUTER sends a float32 model to N DEALER
processes (zero-copy), each returns model + 1, the server gathers the N replies. No envelope parsing,
no aggregation, no validation: the bare minimum a federated round moves.

Prints one JSON line: {"system": "pyzmq-minimal", "params", "clients", "median_seconds", "rounds"} with the
median over rounds 2..R (round 1 includes connection set-up). Use Debian's /usr/bin/python3 (python3-zmq).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time

import numpy as np
import zmq


def client(endpoint: str, ident: bytes, rounds: int) -> None:
    """Receives the model, adds one, sends it back; `rounds` times."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 10_000)  # let the last reply leave before the context ends
    sock.setsockopt(zmq.IDENTITY, ident)
    sock.connect(endpoint)
    sock.send(b"ready")
    for _ in range(rounds):
        frame = sock.recv(copy=False)
        model = np.frombuffer(frame.buffer, dtype=np.float32)
        sock.send(model + 1, copy=False)
    sock.close()
    ctx.term()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind("tcp://127.0.0.1:*")
    endpoint = router.getsockopt(zmq.LAST_ENDPOINT).decode()
    spawn = mp.get_context("spawn")  # forking after zmq.Context() is unsafe
    procs = [spawn.Process(target=client, args=(endpoint, b"c%d" % i, args.rounds)) for i in range(args.clients)]
    for p in procs:
        p.start()
    idents = [router.recv_multipart()[0] for _ in procs]
    model = np.zeros(args.params, dtype=np.float32)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for ident in idents:
            router.send_multipart([ident, model], copy=False)
        replies = [router.recv_multipart(copy=False) for _ in idents]
        times.append(time.perf_counter() - start)
        model = np.frombuffer(replies[0][1].buffer, dtype=np.float32).copy()
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    print(json.dumps({"system": "pyzmq-minimal", "params": args.params, "clients": args.clients,
                      "median_seconds": statistics.median(times[1:]), "rounds": times}))


if __name__ == "__main__":
    main()
