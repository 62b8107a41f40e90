#!/usr/bin/env bash
# FedSwift and FedLab 1.3.0 side by side on the algorithm-suite budget (config.sh), on identical client
# datasets: `fedswift partition --indices` exports FedSwift's partition (and Ditto's personal test sets)
# and fedlab_algorithms.py trains FedLab's handlers and trainers on exactly those clients.
#
#   Benchmarks/algorithms/side-by-side.sh [ALGORITHM ...]
#   ALGORITHM: fedavg fedprox scaffold fednova feddyn qffl ditto pow-d (default: all eight, the ones
#   FedLab 1.3.0 ships; pow-d = FedAvg with power-of-choice picking 3 of 10 clients from 6 candidates)
#
# Environment: SEEDS (default "0"), VARIANTS (FedLab variants, default "matched shipped"; see
# fedlab_algorithms.py), RESULTS_DIR (default Benchmarks/algorithms/results/side-by-side),
# FEDSWIFT (default .build/release/fedswift), FEDSWIFT_WORKERS (default 1), FEDLAB_THREADS (default 1),
# RUN_TIMEOUT (seconds per run, default 1800). Needs Benchmarks/fedlab/setup.sh's venv.
# Writes RESULTS_DIR/seed<S>/{partition.json,fedswift-<A>.jsonl,fedlab-<variant>-<A>.jsonl,*.log}
# and prints the table (summarize.py --side-by-side).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/config.sh"
FEDSWIFT="${FEDSWIFT:-$ROOT/.build/release/fedswift}"
RESULTS_DIR="${RESULTS_DIR:-$HERE/results/side-by-side}"
SEEDS="${SEEDS:-0}"
VARIANTS="${VARIANTS:-matched shipped}"
FEDSWIFT_WORKERS="${FEDSWIFT_WORKERS:-1}"
FEDLAB_THREADS="${FEDLAB_THREADS:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-1800}"
ALGORITHMS=("$@")
[ ${#ALGORITHMS[@]} -gt 0 ] || ALGORITHMS=(fedavg fedprox scaffold fednova feddyn qffl ditto pow-d)

"$ROOT/Benchmarks/fedlab/setup.sh" >&2
[ -x "$FEDSWIFT" ] || (cd "$ROOT" && swift build -c release >&2)
PY="$ROOT/Benchmarks/fedlab/.venv/bin/python"

# The FedLab script's flags for the same budget and hyper-parameters (read from config.sh's flags).
fedlab_flags() {
  local -a flags; read -r -a flags <<<"${COMMON[*]} $(hyperparameters "$1")"
  local out=() i
  for ((i = 0; i < ${#flags[@]}; i += 2)); do
    case ${flags[i]} in
      --sample|--rounds|--epochs|--batch|--lr|--mu|--feddyn-alpha|--q|--ditto-lambda) out+=("${flags[i]}" "${flags[i+1]}") ;;
      --sampler) out+=(--d "${flags[i+1]#power-of-choice:}") ;;
    esac
  done
  echo "${out[*]}"
}

run() {  # run NAME DIR CMD...: bounded in time, stderr to DIR/NAME.log
  local name="$1" dir="$2"; shift 2
  echo "side-by-side: [$(date -u +%H:%M:%S)] $name (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  timeout "$RUN_TIMEOUT" "$@" 2>"$dir/$name.log" || echo "side-by-side: $name failed or timed out (see $dir/$name.log)" >&2
}

for seed in $SEEDS; do
  dir="$RESULTS_DIR/seed$seed"; mkdir -p "$dir"
  { echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"; echo "load: $(cat /proc/loadavg)"; echo "nproc: $(nproc)"
    echo "fedswift: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"; } >> "$dir/machine.txt"
  "$FEDSWIFT" partition --dataset fmnist --clients 10 --partition dirichlet:0.5 --seed "$seed" \
    --out "$dir/partition.csv" --indices "$dir/partition.json" 2>"$dir/partition.log"
  for a in "${ALGORITHMS[@]}"; do
    read -r -a extra <<<"$(hyperparameters "$a")"
    algorithm=$a; [ "$a" = pow-d ] && algorithm=fedavg
    run "fedswift-$a" "$dir" "$FEDSWIFT" simulate "${COMMON[@]}" --seed "$seed" --workers "$FEDSWIFT_WORKERS" \
      --algorithm "$algorithm" "${extra[@]}" --out "$dir/fedswift-$a.jsonl"
    fedlab_algorithm=$a; [ "$a" = pow-d ] && fedlab_algorithm=powerofchoice
    read -r -a flags <<<"$(fedlab_flags "$a")"
    for v in $VARIANTS; do
      run "fedlab-$v-$a" "$dir" "$PY" "$HERE/fedlab_algorithms.py" --algorithm "$fedlab_algorithm" --variant "$v" \
        --indices "$dir/partition.json" --seed "$seed" --threads "$FEDLAB_THREADS" "${flags[@]}" --out "$dir/fedlab-$v-$a.jsonl"
    done
  done
  echo "end: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load $(cat /proc/loadavg)" >> "$dir/machine.txt"
done
python3 "$HERE/summarize.py" --side-by-side "$RESULTS_DIR"
