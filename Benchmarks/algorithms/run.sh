#!/usr/bin/env bash
# NIID-Bench-style comparison of the algorithm suite on Fashion-MNIST (see Benchmarks/RESULTS.md,
# "Algorithm suite"): one budget for every algorithm, results in results/<algorithm>.jsonl.
# Usage: Benchmarks/algorithms/run.sh [algorithm ...]   (default: all; pow-d = fedavg with 3 of 10
# clients per round picked by power-of-choice from 6 candidates)
# The FedLab 1.3.0 side-by-side runs are side-by-side.sh's.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/algorithms/config.sh
BIN=${FEDSWIFT:-.build/release/fedswift}
OUT=Benchmarks/algorithms/results
mkdir -p "$OUT"
ALGORITHMS=${*:-fedavg fedavgm fedprox scaffold fednova feddyn fedadagrad fedadam fedyogi qffl ditto}
for a in $ALGORITHMS; do
  read -r -a extra <<<"$(hyperparameters "$a")"
  algorithm=$a; [ "$a" = pow-d ] && algorithm=fedavg
  echo "== $a ${extra[*]}" >&2
  "$BIN" simulate "${COMMON[@]}" --seed 0 --workers 2 --algorithm "$algorithm" "${extra[@]}" --out "$OUT/$a.jsonl" 2>/dev/null
done
python3 Benchmarks/algorithms/summarize.py "$OUT"
