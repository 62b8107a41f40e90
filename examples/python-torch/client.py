"""A FedSwift client in PyTorch: FedSwift's `mlp` (784-200-200-10, ReLU) on Fashion-MNIST.

Tensor names and shapes are Swift's exactly: `fc1.weight` [200, 784], `fc1.bias` [200], `fc2.weight`
[200, 200], `fc2.bias` [200], `fc3.weight` [10, 200], `fc3.bias` [10] (PyTorch's `nn.Linear` layout).
Run the server with `--model mlp`. Each virtual client trains on its share of the server's partition
(`--partition iid` is computed exactly like the Swift clients do; other specs need `--local-split`).
`--trainer echo` returns model + 1 instead of training (no torch needed then).
"""
from __future__ import annotations

import argparse
import logging
import sys

import numpy as np

import fedswift
from fedswift.datasets import DEFAULT_DIRECTORY, FederatedFashionMNIST


def make_model():  # imported lazily so --trainer echo runs without torch
    import torch.nn as nn

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(784, 200), nn.Linear(200, 200), nn.Linear(200, 10)

        def forward(self, x):
            x = x.flatten(1)
            return self.fc3(self.fc2(self.fc1(x).relu()).relu())

    return MLP()


class TorchClient(fedswift.NumPyClient):
    """Local SGD (lr, momentum, weight decay, epochs, batch from the server's FIT config)."""

    def __init__(self, cid: int, data: FederatedFashionMNIST) -> None:
        from fedswift.torch_state import numpy_to_state_dict, state_dict_to_numpy

        self.cid, self.data = cid, data
        self.model = make_model()
        self.to_numpy, self.from_numpy = state_dict_to_numpy, numpy_to_state_dict

    def get_parameters(self, config: fedswift.Config) -> fedswift.Parameters:
        return self.to_numpy(self.model.state_dict())

    def _load(self, parameters: fedswift.Parameters) -> None:
        self.model.load_state_dict(self.from_numpy(parameters, self.model.state_dict()))

    def fit(self, parameters: fedswift.Parameters, config: fedswift.Config) -> fedswift.FitRes:
        import torch

        self._load(parameters)
        x, y = self.data.client(config, self.cid)
        features, labels = torch.from_numpy(x), torch.from_numpy(y)
        optimizer = torch.optim.SGD(self.model.parameters(), lr=float(config["lr"]), momentum=float(config.get("momentum", 0.0)),
                                    weight_decay=float(config.get("weight_decay", 0.0)))
        generator = torch.Generator().manual_seed(int(config.get("seed", 0)) * 1_000_003 + int(config["round"]) * 1009 + self.cid)
        batch, losses = int(config["batch"]), []
        self.model.train()
        for _ in range(int(config["epochs"])):
            order = torch.randperm(len(labels), generator=generator)
            for start in range(0, len(labels), batch):
                index = order[start:start + batch]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(self.model(features[index]), labels[index])
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return fedswift.FitRes(self.get_parameters(config), len(y), {"loss": float(np.mean(losses))})

    def evaluate(self, parameters: fedswift.Parameters, config: fedswift.Config) -> fedswift.EvaluateRes:
        import torch

        self._load(parameters)
        x, y = self.data.client(config, self.cid)
        self.model.eval()
        with torch.no_grad():
            logits = self.model(torch.from_numpy(x))
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
            accuracy = (logits.argmax(dim=1).numpy() == y).mean()
        return fedswift.EvaluateRes(loss, len(y), {"accuracy": float(accuracy)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    fedswift.add_client_arguments(parser)
    parser.add_argument("--local-split", action="store_true", help="use the iid split whatever partition the server announces")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads per process")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if args.trainer != "echo":
        import torch

        torch.set_num_threads(args.threads)
    data = FederatedFashionMNIST(args.data_dir or DEFAULT_DIRECTORY, local_split=args.local_split)

    def client_for(cid: int) -> fedswift.NumPyClient:
        return fedswift.EchoClient() if args.trainer == "echo" else TorchClient(cid, data)

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
