"""Flower's side of the transport benchmark: a real gRPC server process and N client processes
(legacy `start_server` / `start_client`), each client returning the received model + 1 without
training; FedAvg aggregates. Round time = configure_fit → aggregate_fit done, as FedSwift measures it.

Prints one JSON line like echo_pyzmq.py. Run with the venv's python (`pip install flwr`, see README.md).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import socket
import statistics
import time

import numpy as np
import flwr as fl

MAX_MESSAGE = (1 << 31) - 1


class EchoClient(fl.client.NumPyClient):
    """Returns the model + 1 with one example, no training."""

    def fit(self, parameters, config):
        return [p + 1 for p in parameters], 1, {}

    def evaluate(self, parameters, config):
        return 0.0, 1, {}


def run_client(address: str) -> None:
    """One client process; Flower retries the connection until the server is up."""
    time.sleep(1.0)
    fl.client.start_client(server_address=address, client=EchoClient().to_client(),
                           grpc_max_message_length=MAX_MESSAGE, max_retries=30, max_wait_time=60)


class TimedFedAvg(fl.server.strategy.FedAvg):
    """FedAvg that records each round's wall time from configure_fit to the aggregated model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.started = 0.0
        self.times: list[float] = []

    def configure_fit(self, server_round, parameters, client_manager):
        self.started = time.perf_counter()
        return super().configure_fit(server_round, parameters, client_manager)

    def aggregate_fit(self, server_round, results, failures):
        out = super().aggregate_fit(server_round, results, failures)
        self.times.append(time.perf_counter() - self.started)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    spawn = mp.get_context("spawn")
    procs = [spawn.Process(target=run_client, args=(address,)) for _ in range(args.clients)]
    for p in procs:
        p.start()
    strategy = TimedFedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=args.clients,
                           min_available_clients=args.clients, min_evaluate_clients=0,
                           initial_parameters=fl.common.ndarrays_to_parameters([np.zeros(args.params, np.float32)]))
    fl.server.start_server(server_address=address, config=fl.server.ServerConfig(num_rounds=args.rounds),
                           strategy=strategy, grpc_max_message_length=MAX_MESSAGE)
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
    print(json.dumps({"system": "flower", "params": args.params, "clients": args.clients,
                      "median_seconds": statistics.median(strategy.times[1:]), "rounds": strategy.times}))


if __name__ == "__main__":
    main()
