#!/usr/bin/env bash
# Side-by-side training throughput: FedSwift vs PyTorch, back to back, REPEATS rounds, medians.
# Usage: Benchmarks/run_train_bench.sh [REPEATS] [SECONDS]   (build first: swift build -c release)
# Prints every JSON line it measures, then a Markdown table of medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
SECONDS_PER_RUN=${2:-4}
BIN=.build/release/fedswift
OUT=$(mktemp)
for rep in $(seq "$REPEATS"); do
  for config in "lr 10" "mlp 32" "cnn 64"; do
    set -- $config
    for threads in 1 2; do
      "$BIN" bench train --model "$1" --batch "$2" --threads "$threads" --seconds "$SECONDS_PER_RUN" | tee -a "$OUT"
      /usr/bin/python3 Benchmarks/train_torch.py --model "$1" --batch "$2" --threads "$threads" \
        --seconds "$SECONDS_PER_RUN" | tee -a "$OUT"
    done
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
groups = {}
for r in rows:
    groups.setdefault((r["model"], r["batch"], r["threads"]), {}).setdefault(r["impl"], []).append(r["samples_per_s"])
print("| model | batch | threads | FedSwift samples/s (runs) | PyTorch samples/s (runs) | ratio of medians | median of paired ratios |")
print("|---|---|---|---|---|---|---|")
for (model, batch, threads), impls in groups.items():
    f, t = impls.get("fedswift", []), impls.get("torch", [])
    mf, mt = statistics.median(f), statistics.median(t)
    print(f"| {model} | {batch} | {threads} | **{mf:,.0f}** ({', '.join(f'{x:,}' for x in f)}) | "
          f"**{mt:,.0f}** ({', '.join(f'{x:,}' for x in t)}) | **{mf / mt:.2f}×** | "
          f"{statistics.median(a / b for a, b in zip(f, t)):.2f}× |")
PY
rm -f "$OUT"
