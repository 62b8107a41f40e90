"""FedLab 1.3.0's side of the transport benchmark: a cross-process federation over torch.distributed
(gloo) with one server process (SynchronousServerManager + SyncServerHandler) and N client processes
(PassiveClientManager), each client returning the received model + 1 without training.
Round time = client sampling (activation) → aggregated model, as FedSwift measures it.

Prints one JSON line like echo_pyzmq.py. Run with the FedLab venv's python (see README.md); torch
threads are pinned to one, FedLab's fastest setting.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import socket
import statistics
import time

import torch
from fedlab.contrib.algorithm.basic_server import SyncServerHandler
from fedlab.core.client.manager import PassiveClientManager
from fedlab.core.client.trainer import ClientTrainer
from fedlab.core.network import DistNetwork
from fedlab.core.server.manager import SynchronousServerManager


class EchoModel(torch.nn.Module):
    """A single float32 tensor of `params` zeros."""

    def __init__(self, params: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(params))


class EchoTrainer(ClientTrainer):
    """Returns the received model + 1, no training."""

    def __init__(self, params: int):
        super().__init__(EchoModel(params), cuda=False)
        self.result = None

    @property
    def uplink_package(self):
        return [self.result]

    def local_process(self, payload, id):
        self.result = payload[0] + 1


class TimedHandler(SyncServerHandler):
    """SyncServerHandler that records each round's wall time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = 0.0
        self.times: list[float] = []

    def sample_clients(self):
        self.started = time.perf_counter()
        return super().sample_clients()

    def load(self, payload):
        done = super().load(payload)
        if done:
            self.times.append(time.perf_counter() - self.started)
        return done


def run_client(port: int, world: int, rank: int, params: int) -> None:
    torch.set_num_threads(1)
    network = DistNetwork(address=("127.0.0.1", port), world_size=world, rank=rank)
    PassiveClientManager(network=network, trainer=EchoTrainer(params)).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world = args.clients + 1
    spawn = mp.get_context("spawn")
    procs = [spawn.Process(target=run_client, args=(port, world, rank, args.params)) for rank in range(1, world)]
    for p in procs:
        p.start()
    handler = TimedHandler(EchoModel(args.params), global_round=args.rounds, sample_ratio=1.0)
    network = DistNetwork(address=("127.0.0.1", port), world_size=world, rank=0)
    SynchronousServerManager(network=network, handler=handler).run()
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
    print(json.dumps({"system": "fedlab", "params": args.params, "clients": args.clients,
                      "median_seconds": statistics.median(handler.times[1:]), "rounds": handler.times}))


if __name__ == "__main__":
    main()
