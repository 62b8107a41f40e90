#!/usr/bin/env python3
"""Prints the algorithm-suite table (Markdown) from results/<algorithm>.jsonl."""
import json
import pathlib
import sys

ORDER = ["fedavg", "fedavgm", "fedprox", "scaffold", "fednova", "feddyn", "fedadagrad", "fedadam", "fedyogi", "qffl", "ditto"]


def main(directory: str) -> None:
    print("| algorithm | hyper-parameters | final accuracy | best accuracy (round) | final test loss | personal accuracy | s/round |")
    print("|---|---|---|---|---|---|---|")
    for name in ORDER:
        path = pathlib.Path(directory) / f"{name}.jsonl"
        if not path.exists():
            continue
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        rounds = [r for r in rows if not r.get("final")]
        final = next((r for r in rows if r.get("final")), {})
        config = final.get("config", {})
        keys = {"fedavgm": ["server_momentum"], "fedprox": ["mu"], "feddyn": ["feddyn_alpha"], "qffl": ["q"], "ditto": ["ditto_lambda"],
                "fedadagrad": ["tau"], "fedadam": ["tau", "beta1", "beta2"], "fedyogi": ["tau", "beta1", "beta2"]}.get(name, [])
        params = ", ".join(f"{k}={config.get(k)}" for k in keys)
        if name in ("fedadagrad", "fedadam", "fedyogi"):
            params = f"server_lr={config.get('server_lr', '0.01 (default)')}, " + params
        evaluated = [r for r in rounds if "accuracy" in r]
        best = max(evaluated, key=lambda r: r["accuracy"])
        last = evaluated[-1]
        personal = last.get("personal_accuracy")
        seconds = sum(r["seconds"] for r in rounds) / len(rounds)
        print(f"| {name} | {params or '—'} | {100 * last['accuracy']:.2f}% | {100 * best['accuracy']:.2f}% ({best['round']}) | "
              f"{last['loss']:.4f} | {'—' if personal is None else f'{100 * personal:.2f}%'} | {seconds:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/algorithms/results")
