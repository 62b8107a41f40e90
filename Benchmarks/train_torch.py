#!/usr/bin/python3
"""PyTorch twin of `fedswift bench train`: same models, data shape, loop and JSON line.

Trains on random Fashion-MNIST-shaped data ([1,28,28], 10 classes, 4096 samples): each pass shuffles,
gathers mini-batches by index and runs forward + cross-entropy + backward + SGD step (lr 0.01). Passes
last about 0.25 s; the median samples per second over the passes is printed as one JSON line.
Usage: /usr/bin/python3 Benchmarks/train_torch.py --model mlp --batch 32 --threads 1 [--seconds 5]
"""
import argparse
import json
import time
from collections import OrderedDict

import torch
from torch import nn


def make_model(name: str) -> nn.Module:
    """The built-in models of FedSwift's ModelZoo, for [1,28,28] inputs and 10 classes.

    Modules carry FedSwift's layer names, so `state_dict()` names (`fc1.weight`, ...) are FedSwift's
    tensor names; parameter order and initialization are those of an unnamed `nn.Sequential`.
    """
    def named(*layers: tuple[str, nn.Module]) -> nn.Module:
        return nn.Sequential(OrderedDict(layers))
    if name == "lr":
        return named(("flatten", nn.Flatten()), ("fc", nn.Linear(784, 10)))
    if name == "mlp":
        return named(("flatten", nn.Flatten()), ("fc1", nn.Linear(784, 200)), ("relu1", nn.ReLU()),
                     ("fc2", nn.Linear(200, 200)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(200, 10)))
    if name == "cnn":
        return named(("conv1", nn.Conv2d(1, 32, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                     ("conv2", nn.Conv2d(32, 64, 5, padding=2)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
                     ("flatten", nn.Flatten()), ("fc1", nn.Linear(3136, 512)), ("relu3", nn.ReLU()),
                     ("fc2", nn.Linear(512, 10)))
    if name == "simple-cnn":
        return named(("conv1", nn.Conv2d(1, 6, 5)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                     ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
                     ("flatten", nn.Flatten()), ("fc1", nn.Linear(256, 120)), ("relu3", nn.ReLU()),
                     ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()), ("fc3", nn.Linear(84, 10)))
    raise SystemExit(f"unknown model {name!r}; valid: lr, mlp, cnn, simple-cnn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    samples = 4096
    x = torch.rand(samples, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (samples,))
    model = make_model(args.model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def one_pass(count: int) -> float:
        start = time.perf_counter()
        order = torch.randperm(count)
        for s in range(0, count, args.batch):
            idx = order[s:s + args.batch]
            xb, yb = x[idx], y[idx]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        return count / (time.perf_counter() - start)

    one_pass(min(samples, args.batch * 8))
    warm = one_pass(min(samples, args.batch * 8))
    per_pass = min(samples, max(args.batch, int(warm * 0.25) // args.batch * args.batch))
    rates = []
    begin = time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - begin < args.seconds:
        rates.append(one_pass(per_pass))
    rates.sort()
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"model": args.model, "batch": args.batch, "threads": args.threads,
                      "samples_per_s": round(rates[len(rates) // 2]), "params": params, "impl": "torch",
                      "passes": len(rates)}, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
