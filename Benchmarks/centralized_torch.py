#!/usr/bin/python3
"""PyTorch twin of `fedswift bench centralized`: same models, preprocessing, SGD and JSON lines.

Trains on all 60,000 Fashion-MNIST training images (x/255, then (x-0.2860)/0.3530) with plain
mini-batch SGD, reshuffling every epoch, and prints the test accuracy after each epoch.
Usage: /usr/bin/python3 Benchmarks/centralized_torch.py --model cnn [--epochs 5 --batch 32 --lr 0.05 --seed 0]
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
from torch import nn

from train_torch import make_model


def load(directory: str, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of an MNIST-format IDX set, standardized as FedSwift does."""
    with gzip.open(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    x = torch.tensor((images / 255.0 - 0.2860) / 0.3530, dtype=torch.float32)
    return x, torch.tensor(labels, dtype=torch.long)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data_dir, "train")
    x_test, y_test = load(args.data_dir, "t10k")
    model = make_model(args.model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), args.batch):
            idx = order[start:start + args.batch]
            optimizer.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            optimizer.step()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(json.dumps({"model": args.model, "epoch": epoch, "test_accuracy": round(accuracy, 4),
                          "impl": "torch"}), flush=True)


if __name__ == "__main__":
    main()
