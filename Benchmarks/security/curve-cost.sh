#!/usr/bin/env bash
# The price of security: a 10M-parameter (40 MB) round, plaintext vs CURVE, one echo client on loopback,
# plus `fedswift bench wire` with and without --curve. Bounded (each run has a timeout); prints JSON lines.
# Usage: Benchmarks/security/curve-cost.sh [BINARY] [ROUNDS]
set -euo pipefail
BIN=${1:-.build/release/fedswift}
ROUNDS=${2:-4}
DIR=$(mktemp -d /tmp/fedswift-curve-cost.XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$BIN" keygen --out "$DIR/keys" --name server >/dev/null
"$BIN" keygen --out "$DIR/keys" --name client >/dev/null
grep -v '^#' "$DIR/keys/client.pub" > "$DIR/allowed.txt"
for mode in plain curve; do
  C="tcp://127.0.0.1:$(port)"; B="tcp://127.0.0.1:$(port)"
  S=(); K=()
  if [ $mode = curve ]; then
    S=(--curve-secret "$DIR/keys/server.key" --allow "$DIR/allowed.txt")
    K=(--curve-secret "$DIR/keys/client.key" --server-key "$DIR/keys/server.pub")
  fi
  timeout 300 "$BIN" server --control "$C" --broadcast "$B" --echo-params 10000000 --codec raw --clients 1 --sample 1 \
    --rounds "$ROUNDS" --round-timeout 120 --out "$DIR/$mode.jsonl" "${S[@]}" 2>"$DIR/$mode-server.log" >/dev/null &
  SP=$!
  timeout 300 "$BIN" client --control "$C" --broadcast "$B" --trainer echo --clients 0 --id c "${K[@]}" 2>"$DIR/$mode-client.log" &
  wait $SP
  python3 - "$DIR/$mode.jsonl" "$mode" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"final"' not in l]
secs = sorted(r["seconds"] for r in rows[1:]) or [rows[0]["seconds"]]  # round 1 includes the join
print(json.dumps({"round_10M": sys.argv[2], "rounds": len(rows), "median_round_seconds": secs[len(secs) // 2],
                  "bytes_per_round": rows[-1]["bytes_down"] + rows[-1]["bytes_up"]}))
PY
done
"$BIN" bench wire --bytes 40000000 --transport tcp --repeats 5
"$BIN" bench wire --bytes 40000000 --transport tcp --repeats 5 --curve
