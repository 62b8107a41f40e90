#!/usr/bin/env bash
# Runs the FedWire fuzzer for a bounded time: Fuzz/run.sh [SECONDS] (default 60).
# Seeds: Proto/fixtures/*.bin (same framing as the harness input) plus Fuzz/regressions/ (past crashes).
# The growing corpus lives in $FUZZ_BUILD/corpus (not committed); crashes land in $FUZZ_BUILD/crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${FUZZ_BUILD:-$PWD/.build-fuzz}
SECONDS_BUDGET=${1:-60}
[ -x "$OUT/fuzz-wire" ] || Fuzz/build.sh
mkdir -p "$OUT/corpus" "$OUT/crashes"
cp -n Proto/fixtures/*.bin "$OUT/corpus/" 2>/dev/null || true
[ -d Fuzz/regressions ] && cp -n Fuzz/regressions/* "$OUT/corpus/" 2>/dev/null || true
# -rss_limit_mb bounds memory (a decode that allocates from untrusted sizes is a finding, not an OOM).
# Swift's own crash backtracer trips ASan while it reads memory; libFuzzer prints the stack instead.
SWIFT_BACKTRACE=enable=no "$OUT/fuzz-wire" "$OUT/corpus" -max_total_time="$SECONDS_BUDGET" -max_len=4096 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$OUT/crashes/" ${FUZZ_FLAGS:-} 2>&1 | tee "$OUT/last-run.log" | grep -E "^#|DONE|ERROR|SUMMARY|stat::" | tail -n 25
test "${PIPESTATUS[0]}" -eq 0
