#!/usr/bin/env bash
# Smoke run of the benchmark harness (bench/run.mjs --quick: tiny counts, one round, every contestant
# and workload, the codec and the dashboard included) so the harness cannot rot. Uses pkg/web as built by
# scripts/npm-test.sh and builds pkg/bench (scripts/bench-build.sh). Prints `bench-smoke: N passed,
# M failed` (N = contestants x workloads that completed).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/test-output}/bench"
mkdir -p "$OUT"
[[ -d node_modules/mqtt/dist && -d node_modules/playwright-core ]] || npm ci --no-audit --no-fund --loglevel=error
[[ -n "${IOTMQTT_PREBUILT:-}" ]] || bash scripts/bench-build.sh
log="$OUT/smoke.log"
timeout 180 node bench/run.mjs --quick --out "$OUT/smoke.json" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^bench: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [[ -n "$line" ]]; then
  passed=$(awk '{print $2}' <<<"$line"); failed=$(awk '{print $4}' <<<"$line")
else
  passed=0; failed=1
  echo "bench harness did not finish (exit $rc)"
fi
echo "bench-smoke: $passed passed, $failed failed"
[[ "$failed" == 0 && "$passed" -gt 0 ]]
