# Shared helpers for the network-namespace scripts (sourced, not run). Builds a two-LAN topology:
#
#   [srv] 198.51.100.10 ──┐                       bridge "wan" 198.51.100.0/24
#   [sa]  198.51.100.21 ──┤   [sb] 198.51.100.22 ─┘
#   [sa]  203.0.113.1   ── bridge "lana" 203.0.113.0/26  ── [ca1..caN] 203.0.113.11..
#   [sb]  203.0.113.65  ── bridge "lanb" 203.0.113.64/26 ── [cb1..cbN] 203.0.113.75..
#
# Bridges live in their own namespace ("sw"), so nothing in the host's namespace is touched. Every
# namespace name starts with $NS_PREFIX (unique per run); netns_down deletes them all and kills what
# runs inside. Only documentation ranges are used (RFC 5737), never private ones.

WAN_SERVER=198.51.100.10
NS_PREFIX=${NS_PREFIX:-fs$$}
PIDS=()

ns() { echo "$NS_PREFIX-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# scheduler_wan_ip a|b, scheduler_lan_ip a|b, client_ip a|b INDEX
scheduler_wan_ip() { [ "$1" = a ] && echo 198.51.100.21 || echo 198.51.100.22; }
scheduler_lan_ip() { [ "$1" = a ] && echo 203.0.113.1 || echo 203.0.113.65; }
client_ip() { [ "$1" = a ] && echo "203.0.113.$((10 + $2))" || echo "203.0.113.$((74 + $2))"; }

# attach HOST IFNAME BRIDGE ADDRESS/PREFIX: a veth from HOST's IFNAME to BRIDGE in the switch namespace.
attach() {
  local host=$1 ifname=$2 bridge=$3 address=$4 peer="${3:0:1}-$1"
  ip link add "$ifname" netns "$(ns "$host")" type veth peer name "$peer" netns "$(ns sw)"
  ip -n "$(ns sw)" link set "$peer" master "$bridge" up
  ip -n "$(ns "$host")" addr add "$address" dev "$ifname"
  ip -n "$(ns "$host")" link set "$ifname" up
}

# netns_up CLIENTS_PER_LAN: builds the topology (no routing between LAN and WAN).
netns_up() {
  local per_lan=$1 host bridge
  for host in sw srv sa sb $(seq -f 'ca%g' 1 "$per_lan") $(seq -f 'cb%g' 1 "$per_lan"); do
    ip netns add "$(ns "$host")"
    ip -n "$(ns "$host")" link set lo up
  done
  for bridge in wan lana lanb; do
    ip -n "$(ns sw)" link add "$bridge" type bridge
    ip -n "$(ns sw)" link set "$bridge" up
  done
  attach srv wan0 wan "$WAN_SERVER/24"
  for lan in a b; do
    attach "s$lan" wan0 wan "$(scheduler_wan_ip $lan)/24"
    if [ $lan = a ]; then attach sa lan0 lana 203.0.113.1/26; else attach sb lan0 lanb 203.0.113.65/26; fi
    for i in $(seq 1 "$per_lan"); do
      attach "c$lan$i" lan0 "lan$lan" "$(client_ip $lan "$i")/26"
    done
  done
}

# netns_route CLIENTS_PER_LAN: lets LAN hosts reach the WAN through their scheduler host (plain IP
# forwarding), for flat-federation comparisons over the same links.
netns_route() {
  local per_lan=$1 lan i
  for lan in a b; do
    nsx "s$lan" sysctl -qw net.ipv4.ip_forward=1
    for i in $(seq 1 "$per_lan"); do ip -n "$(ns "c$lan$i")" route add default via "$(scheduler_lan_ip $lan)"; done
  done
  ip -n "$(ns srv)" route add 203.0.113.0/26 via "$(scheduler_wan_ip a)"
  ip -n "$(ns srv)" route add 203.0.113.64/26 via "$(scheduler_wan_ip b)"
}

# netns_down: kills every process in our namespaces and deletes them (safe to call twice).
netns_down() {
  local pid name
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for name in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" || true); do
    for pid in $(ip netns pids "$name" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for name in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" || true); do ip netns del "$name" 2>/dev/null || true; done
}

# stop_processes: ends every process of the previous run in our namespaces (TERM, up to 5 s, then KILL)
# and waits until none is left, so the next run never meets a stale node holding its ZeroMQ identity.
stop_processes() {
  local pid name left deadline=$((SECONDS + 5))
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  while :; do
    left=""
    for name in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" || true); do
      left="$left $(ip netns pids "$name" 2>/dev/null)"
    done
    [ -z "${left// /}" ] && break
    if [ $SECONDS -ge $deadline ]; then
      for pid in $left; do kill -9 "$pid" 2>/dev/null || true; done
    else
      for pid in $left; do kill "$pid" 2>/dev/null || true; done
    fi
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# spawn HOST SECONDS LOG fedswift-arguments...: runs the binary in HOST's namespace, bounded in time.
spawn() {
  local host=$1 seconds=$2 log=$3; shift 3
  ip netns exec "$(ns "$host")" timeout -k 2 "$seconds" "$FEDSWIFT" "$@" 2>"$log" >/dev/null &
  PIDS+=($!)
  LAST_PID=$!
}

# wait_pid PID SECONDS: waits for PID; fails if it is still running after SECONDS or exited non-zero.
wait_pid() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { echo "timed out waiting for pid $pid" >&2; return 1; }
    sleep 0.2
  done
  wait "$pid"
}

# rows FILE: number of per-round rows in a results file.
rows() { if [ -f "$1" ]; then grep -c '"round"' "$1" || true; else echo 0; fi; }

# wait_rows FILE N SECONDS
wait_rows() {
  local deadline=$((SECONDS + $3))
  until [ "$(rows "$1")" -ge "$2" ]; do
    [ $SECONDS -ge $deadline ] && { echo "timed out waiting for $2 rows in $1" >&2; return 1; }
    sleep 0.2
  done
}

# iface_bytes HOST IF: rx+tx bytes of an interface in HOST's namespace.
iface_bytes() {
  nsx "$1" cat "/sys/class/net/$2/statistics/rx_bytes" "/sys/class/net/$2/statistics/tx_bytes" | awk '{s += $1} END {print s}'
}

# find_fedswift REPO: the binary make test built ($FEDSWIFT wins).
find_fedswift() {
  local candidate
  for candidate in "${FEDSWIFT:-}" "$1/.build/debug/fedswift" "$1/.build/release/fedswift"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

# begin_test NAME TAG: the start every namespace test shares. Skips (exit 0) unless root, sets FEDSWIFT
# (see find_fedswift) and $work (a fresh directory), and on exit tears the namespaces down and keeps
# $work with the logs unless the script set ok=1. `step TEXT` then prints progress with elapsed seconds.
begin_test() {
  TEST_NAME=$1
  if [ "$(id -u)" -ne 0 ]; then echo "$TEST_NAME: SKIPPED (needs root for network namespaces)"; exit 0; fi
  FEDSWIFT=$(find_fedswift "$repo") || { echo "$TEST_NAME: no fedswift binary; run swift build first" >&2; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/fedswift-$2-XXXXXX")
  ok=0
  trap end_test EXIT
  trap 'exit 1' INT TERM
  started=$SECONDS
}

end_test() {
  netns_down
  if [ "$ok" -eq 1 ]; then rm -rf "$work"; else echo "$TEST_NAME: FAILED; logs kept in $work" >&2; fi
}

step() { echo "$TEST_NAME: $* ($((SECONDS - started)) s)"; }
