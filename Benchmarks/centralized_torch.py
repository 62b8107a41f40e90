#!/usr/bin/python3
"""PyTorch twin of `fedswift bench centralized`: same models, preprocessing, SGD and JSON lines.

Trains on all 60,000 Fashion-MNIST training images (x/255, then (x-0.2860)/0.3530) with plain
mini-batch SGD, reshuffling every epoch, and prints the test accuracy after each epoch.
Usage: /usr/bin/python3 Benchmarks/centralized_torch.py --model cnn [--epochs 5 --batch 32 --lr 0.05 --seed 0]

Step-by-step comparison with FedSwift: `--export-init F.safetensors --export-order F.i32` write the
initial weights (FedSwift's tensor names) and every epoch's `torch.randperm` order before training;
`fedswift bench centralized --init F.safetensors --order F.i32` then replays the same run, and
`--init`/`--order` here do the same in PyTorch. `--dump-after-steps 1,10 --dump-epochs
--dump-prefix P` write the parameters to P-step<K>.safetensors / P-epoch<E>.safetensors, and
`--step-losses FILE` the loss of every step, as the FedSwift options of the same names do.
`--max-steps N` stops early. Two controls measure what float32 rounding alone does: `--native-conv`
turns oneDNN off (PyTorch's own convolution: the same math in another summation order), and
`--float64` trains in double precision from the same float32 start.
"""
import argparse
import gzip
import json
import os
import struct

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


def write_safetensors(path: str, tensors: dict[str, torch.Tensor]) -> None:
    """Float32 tensors in the safetensors format, in the given order (FedSwift's layout order)."""
    header, offset, blobs = {}, 0, []
    for name, value in tensors.items():
        data = value.detach().cpu().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    """The float32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    body = raw[8 + length:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(body[start:end], "<f4").copy()).reshape(info["shape"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--init", help="start from the tensors of this safetensors file")
    parser.add_argument("--order", help="per-epoch sample order: raw little-endian int32 permutations")
    parser.add_argument("--export-init", help="write the initial weights to this safetensors file")
    parser.add_argument("--export-order", help="write every epoch's sample order to this file")
    parser.add_argument("--dump-after-steps", default="", help="comma-separated steps (from 1) to dump")
    parser.add_argument("--dump-epochs", action="store_true", help="dump the parameters after every epoch")
    parser.add_argument("--dump-prefix", default="centralized", help="path prefix of the dumps")
    parser.add_argument("--step-losses", help="write every step's training loss here, one per line")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    parser.add_argument("--native-conv", action="store_true",
                        help="disable oneDNN, so convolutions take PyTorch's own path (another summation order)")
    parser.add_argument("--float64", action="store_true",
                        help="train in double precision (a rounding-free reference; dumps stay float32)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = not args.native_conv
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data_dir, "train")
    x_test, y_test = load(args.data_dir, "t10k")
    model = make_model(args.model)
    if args.float64:
        model, x_train, x_test = model.double(), x_train.double(), x_test.double()
    # Drawn up front: nothing else uses the generator (no dropout), so these are the per-epoch draws.
    orders = [torch.randperm(len(x_train)) for _ in range(args.epochs)]
    if args.init:
        saved = read_safetensors(args.init)
        if set(saved) != set(model.state_dict()):
            raise SystemExit(f"{args.init} holds {sorted(saved)}, the model has {sorted(model.state_dict())}")
        model.load_state_dict(saved)
    if args.order:
        flat = torch.from_numpy(np.fromfile(args.order, "<i4").astype(np.int64))
        if len(flat) < args.epochs * len(x_train):
            raise SystemExit(f"{args.order} holds {len(flat) // len(x_train)} epochs, --epochs is {args.epochs}")
        orders = list(flat[:args.epochs * len(x_train)].reshape(args.epochs, len(x_train)))
    if args.export_init:
        write_safetensors(args.export_init, model.state_dict())
    if args.export_order:
        torch.stack(orders).numpy().astype("<i4").tofile(args.export_order)
    dump_steps = {int(k) for k in args.dump_after_steps.split(",") if k.strip()}

    def dump(tag: str) -> None:
        write_safetensors(f"{args.dump_prefix}-{tag}.safetensors", model.state_dict())

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    losses, step = [], 0
    for epoch in range(1, args.epochs + 1):
        order, total, seen = orders[epoch - 1], 0.0, 0
        for start in range(0, len(x_train), args.batch):
            if args.max_steps and step >= args.max_steps:
                break
            idx = order[start:start + args.batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            step += 1
            total += loss.item() * len(idx)
            seen += len(idx)
            losses.append(loss.item())
            if step in dump_steps:
                dump(f"step{step}")
        if args.dump_epochs:
            dump(f"epoch{epoch}")
        with torch.no_grad():
            logits = model(x_test)
            test_loss = loss_fn(logits, y_test).item()
            accuracy = (logits.argmax(1) == y_test).float().mean().item()
        print(json.dumps({"model": args.model, "epoch": epoch, "train_loss": total / max(seen, 1),
                          "test_loss": test_loss, "test_accuracy": round(accuracy, 4), "impl": "torch"}),
              flush=True)
        if args.max_steps and step >= args.max_steps:
            break
    if args.step_losses:
        with open(args.step_losses, "w") as f:
            f.writelines(f"{v!r}\n" for v in losses)


if __name__ == "__main__":
    main()
