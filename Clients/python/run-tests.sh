#!/usr/bin/env bash
# Runs the Python SDK's tests in a venv under Clients/python/.venv (created on first use, then reused).
# Needs Debian's python3 (python3-venv) and PyPI for the first install; nothing else from the network.
# Usage: Clients/python/run-tests.sh [pytest arguments]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv" || { echo "run-tests.sh: cannot create $venv (apt-get install python3-venv)" >&2; exit 2; }
fi
if ! "$venv/bin/python" -c "import fedswift, pytest, zmq, lz4, numpy, google.protobuf" >/dev/null 2>&1; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]" \
    || { echo "run-tests.sh: pip install failed" >&2; exit 2; }
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$log" >/dev/null
status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] && tail -80 "$log"
# pytest's summary line ("N passed in Xs", "1 failed, N passed ...").
grep -E '(passed|failed|error|skipped|no tests ran)' "$log" | tail -1
exit "$status"
