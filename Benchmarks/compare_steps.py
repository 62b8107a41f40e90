#!/usr/bin/python3
"""Compares parameter dumps and step losses of two `bench centralized` runs (FedSwift and PyTorch).

For each tag (step1, step10, ..., epoch1, ...) present under both prefixes it prints the largest
absolute parameter difference, that difference relative to the largest parameter magnitude of its
tensor, and the worst per-tensor relative L2 difference ||a-b||/||b||; then it compares the
per-step losses. Usage:
  /usr/bin/python3 Benchmarks/compare_steps.py --a swift --b torch [--losses-a a.txt --losses-b b.txt]
"""
import argparse
import json
import os

import numpy as np

from centralized_torch import read_safetensors


def compare(a: dict, b: dict) -> dict:
    """Max abs, max abs relative to the tensor's scale, worst per-tensor relative L2 (a against b)."""
    if set(a) != set(b):
        raise SystemExit(f"tensor names differ: {sorted(set(a) ^ set(b))}")
    max_abs, max_rel, worst_l2, worst = 0.0, 0.0, 0.0, ""
    for name in sorted(a):
        x, y = a[name].numpy().astype(np.float64), b[name].numpy().astype(np.float64)
        diff = np.abs(x - y).max()
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / max(np.abs(y).max(), 1e-30))
        l2 = np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-30)
        if l2 > worst_l2:
            worst_l2, worst = l2, name
    return {"max_abs": max_abs, "max_rel": max_rel, "rel_l2": worst_l2, "worst_tensor": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="dump prefix of the first run")
    parser.add_argument("--b", required=True, help="dump prefix of the second run (the reference)")
    parser.add_argument("--tags", default="step1,step10,step100,step1000,epoch1,epoch2,epoch3,epoch4,epoch5")
    parser.add_argument("--losses-a")
    parser.add_argument("--losses-b")
    parser.add_argument("--steps-per-epoch", type=int, default=1875, help="60,000 / batch 32 by default")
    args = parser.parse_args()
    for tag in args.tags.split(","):
        pa, pb = f"{args.a}-{tag}.safetensors", f"{args.b}-{tag}.safetensors"
        if os.path.exists(pa) and os.path.exists(pb):
            result = compare(read_safetensors(pa), read_safetensors(pb))
            print(json.dumps({"tag": tag, **result}))
    if args.losses_a and args.losses_b:
        la = np.loadtxt(args.losses_a, dtype=np.float64)
        lb = np.loadtxt(args.losses_b, dtype=np.float64)
        n = min(len(la), len(lb))
        for first, last in [(1, 1), (1, 10), (11, 100), (101, 1000), (1001, args.steps_per_epoch)] + \
                [(1 + args.steps_per_epoch * e, args.steps_per_epoch * (e + 1)) for e in range(1, n // args.steps_per_epoch)]:
            if last > n:
                break
            d = np.abs(la[first - 1:last] - lb[first - 1:last])
            rel = d / np.maximum(np.abs(lb[first - 1:last]), 1e-30)
            print(json.dumps({"steps": f"{first}-{last}", "max_abs_loss_diff": d.max(), "max_rel_loss_diff": rel.max(),
                              "mean_loss_a": la[first - 1:last].mean(), "mean_loss_b": lb[first - 1:last].mean()}))


if __name__ == "__main__":
    main()
