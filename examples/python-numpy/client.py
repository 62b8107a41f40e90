"""A FedSwift client in plain NumPy: multinomial logistic regression on Fashion-MNIST.

The model is FedSwift's `lr` (`fc.weight` [10, 784], `fc.bias` [10]); run the server with `--model lr`.
Each virtual client trains on its share of the server's partition (`--partition iid` is computed exactly
like the Swift clients do; other specs need `--local-split`). `--trainer echo` returns model + 1 instead
of training, for exact comparisons with `fedswift client --trainer echo`.
"""
from __future__ import annotations

import argparse
import logging
import sys

import numpy as np

import fedswift
from fedswift.datasets import DEFAULT_DIRECTORY, FederatedFashionMNIST


class LogisticRegression(fedswift.NumPyClient):
    """Softmax regression trained with minibatch SGD (momentum and weight decay as the server asks)."""

    def __init__(self, cid: int, data: FederatedFashionMNIST) -> None:
        self.cid = cid
        self.data = data

    def fit(self, parameters: fedswift.Parameters, config: fedswift.Config) -> fedswift.FitRes:
        x, y = self.data.client(config, self.cid)
        w, b = parameters["fc.weight"].copy(), parameters["fc.bias"].copy()
        lr, batch, epochs = float(config["lr"]), int(config["batch"]), int(config["epochs"])
        decay, momentum = float(config.get("weight_decay", 0.0)), float(config.get("momentum", 0.0))
        vw, vb = np.zeros_like(w), np.zeros_like(b)
        rng = np.random.default_rng([int(config.get("seed", 0)), int(config["round"]), self.cid])
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(y))
            for start in range(0, len(y), batch):
                index = order[start:start + batch]
                xb, yb = x[index], y[index]
                p = softmax(xb @ w.T + b)
                losses.append(float(-np.log(p[np.arange(len(yb)), yb] + 1e-12).mean()))
                p[np.arange(len(yb)), yb] -= 1
                p /= len(yb)
                gw, gb = p.T @ xb + decay * w, p.sum(axis=0)
                vw, vb = momentum * vw + gw, momentum * vb + gb
                w -= np.float32(lr) * vw
                b -= np.float32(lr) * vb
        return fedswift.FitRes({"fc.weight": w, "fc.bias": b}, len(y), {"loss": float(np.mean(losses))})

    def evaluate(self, parameters: fedswift.Parameters, config: fedswift.Config) -> fedswift.EvaluateRes:
        x, y = self.data.client(config, self.cid)
        p = softmax(x @ parameters["fc.weight"].T + parameters["fc.bias"])
        loss = float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())
        return fedswift.EvaluateRes(loss, len(y), {"accuracy": float((p.argmax(axis=1) == y).mean())})


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    fedswift.add_client_arguments(parser)
    parser.add_argument("--local-split", action="store_true", help="use the iid split whatever partition the server announces")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    data = FederatedFashionMNIST(args.data_dir or DEFAULT_DIRECTORY, local_split=args.local_split)

    def client_for(cid: int) -> fedswift.NumPyClient:
        return fedswift.EchoClient() if args.trainer == "echo" else LogisticRegression(cid, data)

    try:
        outcome = fedswift.start_client(client_for, control=args.control, broadcast=args.broadcast, clients=args.clients,
                                        node_id=args.id, trainer=args.trainer, pull_after=args.pull_after,
                                        link_floor=args.link_floor * 1e6)
    except fedswift.FedError as error:
        print(f"client: {error}", file=sys.stderr)
        return 1
    print(f"client stopped: {outcome.value}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
