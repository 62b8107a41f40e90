#!/usr/bin/env bash
# Side-by-side standalone FedAvg: FedLab 1.3.0 (1 thread, then 2 threads) and `fedswift simulate`
# (default workers, then --workers 1) on the same configuration, then a table on stdout.
#
#   Benchmarks/fedlab/run.sh [CONFIG...]      CONFIG: mlp-dir mlp-iid lr-scale (default: all three)
#
# Environment: RESULTS_DIR (default Benchmarks/fedlab/results/<UTC timestamp>, gitignored),
# FEDSWIFT (default <repo>/.build/release/fedswift, built if missing), RUN_TIMEOUT (seconds per run,
# default 1800), SEED (default 0), FEDLAB_THREADS (default "1 2"), FEDSWIFT_WORKERS (default
# "default 1"; "default" omits --workers). Raw JSON Lines, `/usr/bin/time -v` reports and logs go to RESULTS_DIR/<config>/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS_DIR="${RESULTS_DIR:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}"
FEDSWIFT="${FEDSWIFT:-$ROOT/.build/release/fedswift}"
RUN_TIMEOUT="${RUN_TIMEOUT:-1800}"
SEED="${SEED:-0}"
FEDLAB_THREADS="${FEDLAB_THREADS:-1 2}"
FEDSWIFT_WORKERS="${FEDSWIFT_WORKERS:-default 1}"
CONFIGS=("$@")
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(mlp-dir mlp-iid lr-scale)

config_flags() {  # the flags shared by both systems
    case "$1" in
        mlp-dir)  echo "--model mlp --clients 100 --partition dirichlet:0.5 --sample 10 --epochs 2 --batch 32 --lr 0.05 --rounds 50" ;;
        mlp-iid)  echo "--model mlp --clients 100 --partition iid --sample 10 --epochs 2 --batch 32 --lr 0.05 --rounds 50" ;;
        lr-scale) echo "--model lr --clients 1000 --partition dirichlet:0.5 --sample 100 --epochs 1 --batch 10 --lr 0.05 --rounds 10" ;;
        *) echo "unknown configuration '$1' (mlp-dir, mlp-iid, lr-scale)" >&2; return 1 ;;
    esac
}
for c in "${CONFIGS[@]}"; do config_flags "$c" >/dev/null; done

"$HERE/setup.sh" >&2
if [ ! -x "$FEDSWIFT" ]; then
    echo "run.sh: building fedswift (release)" >&2
    (cd "$ROOT" && swift build -c release >&2)
fi
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y time >/dev/null; }
PY="$HERE/.venv/bin/python"

timed() {  # timed NAME DIR CMD...: runs CMD bounded in time, /usr/bin/time -v report in DIR/NAME.time
    local name="$1" dir="$2"; shift 2
    echo "run.sh: [$(date -u +%H:%M:%S)] $name: $*" >&2
    if ! timeout "$RUN_TIMEOUT" /usr/bin/time -v -o "$dir/$name.time" "$@" 2>"$dir/$name.log"; then
        echo "run.sh: $name failed or timed out (see $dir/$name.log)" >&2
    fi
}

mkdir -p "$RESULTS_DIR"
{ echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"; echo "uptime before: $(uptime)"; echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "seed: $SEED"; echo "fedswift: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"; } > "$RESULTS_DIR/machine.txt"

for config in "${CONFIGS[@]}"; do
    dir="$RESULTS_DIR/$config"; mkdir -p "$dir"
    read -r -a flags <<<"$(config_flags "$config")"
    common=(--dataset fmnist --seed "$SEED" "${flags[@]}")
    clients=$(echo "${flags[@]}" | sed -E 's/.*--clients ([0-9]+).*/\1/')
    part=$(echo "${flags[@]}" | sed -E 's/.*--partition ([^ ]+).*/\1/')
    echo "uptime $config start: $(uptime)" >> "$RESULTS_DIR/machine.txt"

    "$FEDSWIFT" partition --dataset fmnist --clients "$clients" --partition "$part" --seed "$SEED" \
        --out "$dir/partition-fedswift.csv" 2>"$dir/partition-fedswift.log" || true
    for t in $FEDLAB_THREADS; do
        report=(); [ -e "$dir/partition-fedlab.csv" ] || report=(--partition-report "$dir/partition-fedlab.csv")
        timed "fedlab-t$t" "$dir" "$PY" "$HERE/fedlab_standalone.py" "${common[@]}" --threads "$t" \
            --out "$dir/fedlab-t$t.jsonl" "${report[@]}"
    done
    for w in $FEDSWIFT_WORKERS; do
        if [ "$w" = default ]; then
            timed fedswift-wN "$dir" "$FEDSWIFT" simulate "${common[@]}" --out "$dir/fedswift-wN.jsonl"
        else
            timed "fedswift-w$w" "$dir" "$FEDSWIFT" simulate "${common[@]}" --workers "$w" --out "$dir/fedswift-w$w.jsonl"
        fi
    done
    echo "uptime $config end: $(uptime)" >> "$RESULTS_DIR/machine.txt"
done

echo "results: $RESULTS_DIR" >&2
cat "$RESULTS_DIR/machine.txt"
echo
"$PY" "$HERE/summarize.py" "$RESULTS_DIR" "${CONFIGS[@]}"
