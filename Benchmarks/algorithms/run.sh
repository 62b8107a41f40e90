#!/usr/bin/env bash
# NIID-Bench-style comparison of the algorithm suite on Fashion-MNIST (see Benchmarks/RESULTS.md,
# "Algorithm suite"): one budget for every algorithm, results in results/<algorithm>.jsonl.
# Usage: Benchmarks/algorithms/run.sh [algorithm ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${FEDSWIFT:-.build/release/fedswift}
OUT=Benchmarks/algorithms/results
mkdir -p "$OUT"
ALGORITHMS=${*:-fedavg fedavgm fedprox scaffold fednova feddyn fedadagrad fedadam fedyogi qffl ditto}
COMMON=(--dataset fmnist --model mlp --clients 10 --partition dirichlet:0.5 --sample 10 --rounds 20
        --epochs 1 --batch 32 --lr 0.05 --seed 0 --workers 2)
for a in $ALGORITHMS; do
  extra=()
  case $a in
    fedprox) extra=(--mu 0.01) ;;
    fedavgm) extra=(--server-momentum 0.9) ;;
    feddyn) extra=(--feddyn-alpha 0.01) ;;
    qffl) extra=(--q 1) ;;
    ditto) extra=(--ditto-lambda 0.1) ;;
  esac
  echo "== $a ${extra[*]}" >&2
  "$BIN" simulate "${COMMON[@]}" --algorithm "$a" "${extra[@]}" --out "$OUT/$a.jsonl" 2>/dev/null
done
python3 Benchmarks/algorithms/summarize.py "$OUT"
