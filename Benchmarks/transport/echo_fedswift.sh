#!/usr/bin/env bash
# One FedSwift sync federation of echo clients on loopback: prints a JSON line with the median round
# time over rounds 2..R (round 1 includes joining). Usage: echo_fedswift.sh PARAMS CLIENTS [ROUNDS] [CODEC]
set -euo pipefail
params=$1; clients=$2; rounds=${3:-6}; codec=${4:-raw}
bin=${FEDSWIFT:-$(dirname "$0")/../../.build/release/fedswift}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
control=tcp://127.0.0.1:$(port); broadcast=tcp://127.0.0.1:$(port)
timeout 300 "$bin" server --control "$control" --broadcast "$broadcast" --echo-params "$params" --clients "$clients" \
  --sample "$clients" --rounds "$rounds" --codec "$codec" --out "$dir/run.jsonl" >/dev/null 2>"$dir/server.log" &
server=$!
for ((i = 0; i < clients; i++)); do
  timeout 300 "$bin" client --control "$control" --broadcast "$broadcast" --clients "$i" --trainer echo --id "echo-$i" \
    2>"$dir/client-$i.log" &
done
wait "$server"
python3 - "$dir/run.jsonl" "$params" "$clients" "$codec" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"final"' not in l]
times = [r["seconds"] for r in rows]
print(json.dumps({"system": "fedswift", "codec": sys.argv[4], "params": int(sys.argv[2]), "clients": int(sys.argv[3]),
                  "median_seconds": statistics.median(times[1:]), "bytes_per_round": rows[-1]["bytes_down"] + rows[-1]["bytes_up"],
                  "rounds": times}))
PY
