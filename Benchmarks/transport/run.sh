#!/usr/bin/env bash
# Transport benchmark: one sync round without training (echo clients return model + 1) on loopback,
# FedSwift next to the minimal pyzmq script, then Flower and FedLab when their venvs exist
# (see README.md). Prints a markdown table of median seconds per round (rounds 2..6).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
configs=${CONFIGS:-"1000000:2 1000000:8 10000000:2 10000000:8"}
declare -A result
run() {  # system params clients command...
  local key="$1:$2:$3"; shift 3
  local line; line=$(timeout 600 "$@" 2>/dev/null | grep '^{' | tail -1)
  result[$key]=$(python3 -c 'import json,sys; print("%.4f" % json.loads(sys.argv[1])["median_seconds"])' "$line" 2>/dev/null || echo "-")
  echo "$key ${result[$key]}" >&2
}
systems=(fedswift pyzmq)
[[ -x "$here/.venv-flower/bin/python" ]] && systems+=(flower)
[[ -x "$here/.venv-fedlab/bin/python" ]] && systems+=(fedlab)
for config in $configs; do
  p=${config%:*}; n=${config#*:}
  run fedswift "$p" "$n" "$here/echo_fedswift.sh" "$p" "$n"
  run pyzmq "$p" "$n" /usr/bin/python3 "$here/echo_pyzmq.py" --params "$p" --clients "$n"
  [[ " ${systems[*]} " == *" flower "* ]] && run flower "$p" "$n" "$here/.venv-flower/bin/python" "$here/echo_flower.py" --params "$p" --clients "$n"
  [[ " ${systems[*]} " == *" fedlab "* ]] && run fedlab "$p" "$n" "$here/.venv-fedlab/bin/python" "$here/echo_fedlab.py" --params "$p" --clients "$n"
done
printf '| system |'; for c in $configs; do printf ' %sM params, N=%s |' $(( ${c%:*} / 1000000 )) "${c#*:}"; done; echo
printf '|---|'; for c in $configs; do printf -- '---|'; done; echo
for s in "${systems[@]}"; do
  printf '| %s |' "$s"; for c in $configs; do printf ' %s |' "${result[$s:${c%:*}:${c#*:}]}"; done; echo
done
