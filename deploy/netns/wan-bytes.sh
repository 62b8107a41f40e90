#!/usr/bin/env bash
# Measures what crosses the WAN, flat vs hierarchical, over network namespaces (issue 8):
#  1. bytes per round on the two LANs' WAN links (veth counters, rx+tx of each scheduler host's wan0),
#     2 LANs x 4 client processes, echo model of $BYTES_PARAMS parameters;
#  2. seconds per round with those links shaped to 100 Mbit/s (tbf, both directions), $TIME_PARAMS params.
# Flat runs route the LAN hosts through their gateway (plain IP forwarding) over the same links;
# hierarchical runs use the schedulers. PULL fallbacks are pushed out to 120 s: on a shaped link a
# broadcast takes seconds, and an early PULL would add model copies to the link being measured. Prints a Markdown table. Root only; ~3-5 minutes.
# Usage: deploy/netns/wan-bytes.sh   (FEDSWIFT=.build/release/fedswift recommended)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "wan-bytes.sh: needs root" >&2; exit 1; }
FEDSWIFT=$(find_fedswift "$repo") || { echo "wan-bytes.sh: no fedswift binary" >&2; exit 1; }
BYTES_PARAMS=${BYTES_PARAMS:-1000000}
TIME_PARAMS=${TIME_PARAMS:-10000000}
ROUNDS=${ROUNDS:-3}
PER_LAN=4
# The measured runs in RESULTS predate heartbeat deadlines sized to the model (--link-floor): a PING queued
# behind a 40 MB model on a shared 100 Mbit link arrives ~13 s later, and with fixed 3 s deadlines either side
# dropped the connection mid-transfer; they used a 20 s heartbeat, kept here for comparable numbers.
HEARTBEAT=${HEARTBEAT:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/fedswift-wan-XXXXXX")
trap 'netns_down; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
netns_up $PER_LAN
netns_route $PER_LAN

wan_bytes() { echo $(( $(iface_bytes sa wan0) + $(iface_bytes sb wan0) )); }

# run MODE PARAMS TAG: one federation (flat|hier), echo trainer; sets BYTES (per round) and SECONDS_PER_ROUND.
# (Runs in this shell, not a subshell, so the EXIT trap sees every process it started.)
run() {
  local mode=$1 params=$2 tag=$3 lan i n=0 ids
  spawn srv 600 "$work/$tag-server.log" server --control 'tcp://*:5555' --broadcast 'tcp://*:5556' --echo-params "$params" \
    --clients $((2 * PER_LAN)) --sample $((2 * PER_LAN)) --rounds "$ROUNDS" --codec raw --round-timeout 300 --out "$work/$tag.jsonl" \
    --heartbeat "$HEARTBEAT"
  local server=$LAST_PID
  for lan in a b; do
    local control="tcp://$WAN_SERVER:5555" broadcast="tcp://$WAN_SERVER:5556"
    if [ "$mode" = hier ]; then
      spawn "s$lan" 600 "$work/$tag-s$lan.log" scheduler --upstream-control "$control" --upstream-broadcast "$broadcast" \
        --control "tcp://$(scheduler_lan_ip $lan):6555" --broadcast "tcp://$(scheduler_lan_ip $lan):6556" --id "s$lan" --pull-after 120 --heartbeat "$HEARTBEAT"
      control="tcp://$(scheduler_lan_ip $lan):6555" broadcast="tcp://$(scheduler_lan_ip $lan):6556"
    fi
    for i in $(seq 1 $PER_LAN); do
      spawn "c$lan$i" 600 "$work/$tag-c$lan$i.log" client --control "$control" --broadcast "$broadcast" --trainer echo --clients $n --id "c$lan$i" \
        --pull-after 120 --socket-heartbeat "$HEARTBEAT"
      n=$((n + 1))
    done
  done
  local before=$(wan_bytes)
  wait_pid "$server" 600 >/dev/null
  local after=$(wan_bytes)
  stop_processes
  BYTES=$(( (after - before) / ROUNDS ))
  SECONDS_PER_ROUND=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if "\"round\"" in l]; print("%.2f" % (sum(x["seconds"] for x in r) / len(r)))' "$work/$tag.jsonl")
}

run flat "$BYTES_PARAMS" bytes-flat; flat_bytes=$BYTES
run hier "$BYTES_PARAMS" bytes-hier; hier_bytes=$BYTES
echo "| WAN bytes per round, $BYTES_PARAMS params, 2 LANs x $PER_LAN clients | flat | hierarchical | ratio |"
echo "|---|---|---|---|"
python3 -c "import sys; f,h=int(sys.argv[1]),int(sys.argv[2]); print('| both LAN links (rx+tx) | %d | %d | %.3f |' % (f, h, h / f))" "$flat_bytes" "$hier_bytes"

for lan in a b; do
  ip netns exec "$(ns s$lan)" tc qdisc add dev wan0 root tbf rate 100mbit burst 32kbit latency 400ms
  ip netns exec "$(ns sw)" tc qdisc add dev "w-s$lan" root tbf rate 100mbit burst 32kbit latency 400ms
done
ROUNDS=${TIME_ROUNDS:-2}
run flat "$TIME_PARAMS" time-flat; flat_s=$SECONDS_PER_ROUND
run hier "$TIME_PARAMS" time-hier; hier_s=$SECONDS_PER_ROUND
echo
echo "| seconds per round, $TIME_PARAMS params, WAN links 100 Mbit/s (tbf) | flat | hierarchical | ratio |"
echo "|---|---|---|---|"
python3 -c "import sys; f,h=float(sys.argv[1]),float(sys.argv[2]); print('| mean of %s rounds | %.2f | %.2f | %.3f |' % (sys.argv[3], f, h, h / f))" "$flat_s" "$hier_s" "$ROUNDS"
