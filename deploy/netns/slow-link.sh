#!/usr/bin/env bash
# A flat federation over one slow link, with default heartbeat settings: a server host and a client host
# joined by a veth pair shaped to $RATE (tbf, both directions), echo model of $PARAMS float32 parameters
# (default 20 MB at 20 Mbit/s: ~8 s per transfer, longer than the 3 s ZMTP heartbeat deadline of the
# default 1 s heartbeat). Passes when every round completes with its client's result, the client never
# PULLs the model again nor rejoins, and neither side's connection dropped (the server saw one HELLO).
# Needs root and iproute2; bounded (every process under `timeout`); tears everything down on exit.
# ~35 s. Usage: deploy/netns/slow-link.sh   (FEDSWIFT=path/to/fedswift to pick the binary; EXTRA_SERVER and
# EXTRA_CLIENT add flags: EXTRA_SERVER="--link-floor 0" EXTRA_CLIENT="--link-floor 0" restores the fixed
# 3-heartbeat deadlines and shows the failure: connections dropped mid-transfer, PULLs, no round completes)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"

begin_test slow-link.sh slow
PARAMS=${PARAMS:-5000000}
RATE=${RATE:-20mbit}
ROUNDS=${ROUNDS:-2}

for host in srv c1; do
  ip netns add "$(ns $host)"
  ip -n "$(ns $host)" link set lo up
done
ip link add wan0 netns "$(ns srv)" type veth peer name wan0 netns "$(ns c1)"
ip -n "$(ns srv)" addr add "$WAN_SERVER/24" dev wan0
ip -n "$(ns c1)" addr add 198.51.100.11/24 dev wan0
for host in srv c1; do
  ip -n "$(ns $host)" link set wan0 up
  nsx $host tc qdisc add dev wan0 root tbf rate "$RATE" burst 32kbit latency 400ms
done
step "link up: $WAN_SERVER <-> 198.51.100.11, $RATE each way, $PARAMS params ($((PARAMS * 4 / 1000000)) MB)"

# shellcheck disable=SC2086
spawn srv 100 "$work/server.log" server --control 'tcp://*:5555' --broadcast 'tcp://*:5556' --echo-params "$PARAMS" \
  --clients 1 --sample 1 --rounds "$ROUNDS" --codec raw --round-timeout 40 --out "$work/run.jsonl" ${EXTRA_SERVER:-}
server=$LAST_PID
# shellcheck disable=SC2086
spawn c1 100 "$work/client.log" client --control "tcp://$WAN_SERVER:5555" --broadcast "tcp://$WAN_SERVER:5556" \
  --trainer echo --clients 0 --id c1 ${EXTRA_CLIENT:-}
status=0
wait_pid "$server" 100 || status=$?
stop_processes
step "server exited ($status)"

python3 - "$work/run.jsonl" "$ROUNDS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()] if __import__("os").path.exists(sys.argv[1]) else []
rows = [r for r in rows if "round" in r and not r.get("final")]
for r in rows:
    print("  round %d: %.1f s, completed %d, failed %d%s" % (r["round"], r["seconds"], r["completed"], r["failed"],
          ", note: " + r["note"] if r.get("note") else ""))
PY
fail() { echo "slow-link.sh: $*" >&2; exit 1; }
[ "$status" -eq 0 ] || fail "the server failed"
python3 - "$work/run.jsonl" "$ROUNDS" <<'PY' || fail "a round lost its client's result"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if "round" in r and not r.get("final")]
assert len(rows) == int(sys.argv[2]) and all(r["completed"] == 1 and r["failed"] == 0 for r in rows)
PY
pulls=$(grep -c 'pulling' "$work/client.log" || true)
rejoins=$(grep -c 'joining again' "$work/client.log" || true)
[ "$pulls" -eq 0 ] || fail "the client PULLed the model $pulls time(s): a broadcast was cut"
[ "$rejoins" -eq 0 ] || fail "the client rejoined $rejoins time(s)"
for what in 'child lost' 'round retried' 'model pulled'; do
  ! grep -q "$what" "$work/server.log" || fail "server log: $what"
done
joins=$(grep -c 'child joined' "$work/server.log" || true)
[ "$joins" -eq 1 ] || fail "the client joined $joins times (a dropped connection)"
step "PASSED: $ROUNDS rounds over $RATE, no PULL, no rejoin"
ok=1
