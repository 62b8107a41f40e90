#!/usr/bin/env bash
# Validates deploy/compose*.yaml with a compose CLI's `config` (no Docker engine needed): the
# `docker compose` plugin when present, else Debian's docker-compose (scripts/install-deps.sh installs it).
# Also checks the topology the issue asks for in the hierarchical file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else echo "check-compose.sh: no compose CLI; run scripts/install-deps.sh" >&2; exit 1
fi
for file in compose.yaml compose.hierarchical.yaml; do
  timeout 60 "${compose[@]}" -f "$here/$file" config -q
  echo "check-compose.sh: $file valid (${compose[*]} config)"
done
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3  # Debian's, which has python3-yaml (a docker-compose dependency)
timeout 60 "${compose[@]}" -f "$here/compose.hierarchical.yaml" config | "$py" -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
def nets(name): return set(services[name].get("networks") or {})
assert nets("server") == {"wan"}, "the server must be on wan only"
for lan in "ab":
    assert nets("scheduler-" + lan) == {"wan", "lan-" + lan}, "scheduler-%s must be on wan and lan-%s" % (lan, lan)
clients = [n for n in services if n.startswith("client-")]
assert clients and all(nets(n) == {"lan-" + n[7]} for n in clients), "clients must be on their LAN only"
assert all("healthcheck" in s and s.get("restart") for s in services.values()), "every service needs a health check and a restart policy"
print("check-compose.sh: hierarchical topology ok (%d clients)" % len(clients))
'
