#!/usr/bin/env bash
# Real multi-LAN test of the hierarchical federation (issue 8), built from network namespaces:
# a server host on the WAN, one dual-homed scheduler host per LAN, client hosts with no route to the WAN.
# Checks: a client host cannot reach the server; the federation completes through the schedulers and
# its FedAvg model equals the flat federation's (max abs diff <= 1e-5); a scheduler killed and restarted
# mid-run leaves a note in the rows that lacked it and the run completes; a LAN's WAN link down for 10 s
# mid-round, then up: the group rejoins by itself and the run completes.
# Needs root and iproute2; bounded (every process under `timeout`); tears everything down on exit.
# Usage: deploy/netns/hierarchical.sh   (FEDSWIFT=path/to/fedswift to pick the binary)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"

begin_test hierarchical.sh netns

netns_up 2
step "topology up: server $WAN_SERVER, schedulers $(scheduler_wan_ip a)/$(scheduler_wan_ip b), 4 client hosts"

EXP=(--dataset synthetic:0.5,0.5 --partition natural --model lr --clients 8 --seed 3)
CLIENT_RANGES=(0-1 2-3 4-5 6-7)

# start_federation TAG SERVER-ARGS...: server, both schedulers and the four client hosts.
start_federation() {
  local tag=$1; shift
  spawn srv 120 "$work/$tag-server.log" server --control 'tcp://*:5555' --broadcast 'tcp://*:5556' "${EXP[@]}" \
    --out "$work/$tag.jsonl" --codec raw --heartbeat 0.5 "$@"
  SERVER_PID=$LAST_PID
  for lan in a b; do start_scheduler "$tag" $lan; done
  local n=0
  for lan in a b; do
    for i in 1 2; do
      spawn "c$lan$i" 120 "$work/$tag-c$lan$i.log" client --control "tcp://$(scheduler_lan_ip $lan):6555" \
        --broadcast "tcp://$(scheduler_lan_ip $lan):6556" --clients "${CLIENT_RANGES[$n]}" --workers 1 --id "c$lan$i" $CLIENT_EXTRA
      n=$((n + 1))
    done
  done
}
start_scheduler() {
  spawn "s$2" 120 "$work/$1-s$2.log" scheduler --upstream-control "tcp://$WAN_SERVER:5555" --upstream-broadcast "tcp://$WAN_SERVER:5556" \
    --control "tcp://$(scheduler_lan_ip "$2"):6555" --broadcast "tcp://$(scheduler_lan_ip "$2"):6556" --id "s$2" --heartbeat 0.5
  eval "SCHED_$2=$LAST_PID"
}
# check_rows FILE PYTHON-CONDITION MESSAGE: asserts over the per-round rows (`rows`, a list of dicts).
check_rows() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if not r.get("final")]
if not eval(sys.argv[2]):
    print("check failed: " + sys.argv[3])
    for r in rows: print("  ", {k: r.get(k) for k in ("round", "completed", "failed", "note")})
    sys.exit(1)
print("  ok: " + sys.argv[3])
notes = {r["round"]: r["note"] for r in rows if r.get("note")}
if notes: print("     notes:", notes)
PY
}

# 1. Equality with the flat federation, and no route from a client host to the server.
CLIENT_EXTRA=""
start_federation eq --sample 8 --rounds 5 --round-timeout 30 --save-model "$work/hier.safetensors"
probe() { nsx "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
for _ in $(seq 50); do probe ca1 "$(scheduler_lan_ip a)" 6555 && break; sleep 0.2; done
probe ca1 "$(scheduler_lan_ip a)" 6555 || { echo "ca1 cannot reach its scheduler" >&2; exit 1; }
# The server binds after loading its data, which can take seconds on a loaded machine.
for _ in $(seq 50); do probe sa "$WAN_SERVER" 5555 && break; sleep 0.2; done
probe sa "$WAN_SERVER" 5555 || { echo "the scheduler host cannot reach the server" >&2; exit 1; }
if probe ca1 "$WAN_SERVER" 5555; then echo "client host ca1 reached the server directly" >&2; exit 1; fi
step "ca1 -> server $WAN_SERVER:5555 unreachable; ca1 -> its scheduler and scheduler -> server reachable"
wait_pid "$SERVER_PID" 60
spawn srv 60 "$work/flat-server.log" server --control tcp://127.0.0.1:5565 --broadcast tcp://127.0.0.1:5566 "${EXP[@]}" \
  --sample 8 --rounds 5 --codec raw --save-model "$work/flat.safetensors"
flat=$LAST_PID
for r in 0-3 4-7; do spawn srv 60 /dev/null client --control tcp://127.0.0.1:5565 --broadcast tcp://127.0.0.1:5566 --clients $r --workers 1; done
wait_pid "$flat" 60
python3 - "$work/hier.safetensors" "$work/flat.safetensors" <<'PY'
import json, struct, sys
def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header, body = json.loads(data[8:8 + n]), data[8 + n:]
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            s, e = t["data_offsets"]; out[name] = struct.unpack("<%df" % ((e - s) // 4), body[s:e])
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), "different tensors"
diff = max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))
print("  hierarchical vs flat FedAvg: max abs diff %.3g" % diff)
sys.exit(0 if diff <= 1e-5 else 1)
PY
check_rows "$work/eq.jsonl" 'len(rows) == 5 and all(r["completed"] == 8 for r in rows)' "5 rounds, 8/8 clients each, through the schedulers"
step "equality run done"
stop_processes

# 2. A scheduler killed and restarted mid-run.
CLIENT_EXTRA="--task-delay 0.3"
start_federation kill --sample 8 --rounds 10 --round-timeout 4 --min-clients 4
wait_rows "$work/kill.jsonl" 2 60
kill -9 "$(pgrep -P "$SCHED_a" || echo "$SCHED_a")" 2>/dev/null || true
step "scheduler sa killed after round 2"
sleep 2
start_scheduler kill2 a
wait_pid "$SERVER_PID" 90
check_rows "$work/kill.jsonl" 'len(rows) == 10 and any("lacked sa" in (r.get("note") or "") for r in rows) and rows[-1]["completed"] == 8' \
  "10 rounds; rows note 'lacked sa' while it was away; last round 8/8 after its restart"
step "scheduler restart run done"
stop_processes

# 3. LAN a's WAN link down for 10 s mid-round, then up again.
CLIENT_EXTRA="--task-delay 0.6"
start_federation link --sample 8 --rounds 30 --round-timeout 4 --min-clients 4
wait_rows "$work/link.jsonl" 2 60
ip -n "$(ns sa)" link set wan0 down
step "sa's WAN link down"
sleep 10
ip -n "$(ns sa)" link set wan0 up
step "sa's WAN link up"
wait_pid "$SERVER_PID" 100
check_rows "$work/link.jsonl" 'len(rows) == 30 and any("lacked sa" in (r.get("note") or "") for r in rows) and rows[-1]["completed"] == 8' \
  "30 rounds; rows note 'lacked sa' during the outage; the group rejoined by itself (last round 8/8)"
step "link outage run done"
ok=1
step "PASSED"
