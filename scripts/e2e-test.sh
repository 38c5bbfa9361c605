#!/usr/bin/env bash
# The dashboard's end-to-end tests: a Trunk release build, its own mosquitto and platform
# simulator on free loopback ports, then `node --test tests/e2e/` driving Debian's Chromium with
# playwright-core (each test file serves the build on 127.0.0.1). Screenshots go to
# test-output/screenshots/. Ends with a plain line: "e2e: N passed, M failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TOP="$ROOT/test-output"
OUT="$TOP/e2e"
mkdir -p "$OUT" "$TOP/screenshots"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

if [[ -n "${IOTMQTT_PREBUILT:-}" ]]; then
  echo "the dashboard from scripts/release-builds.sh (trunk build --release --dist test-output/dist)"
elif ! { echo "trunk build --release --dist test-output/dist"; trunk build --release --dist "$TOP/dist" >"$OUT/trunk.log" 2>&1; }; then
  tail -40 "$OUT/trunk.log"
  echo "e2e: 0 passed, 1 failed (the dashboard did not build)"
  exit 1
fi
echo "built: $(du -sh "$TOP/dist" | cut -f1) ($(gzip -c "$TOP"/dist/*.wasm | wc -c | awk '{printf "%d KB", $1/1024}') of wasm gzipped)"

# Services of our own (OUT is this script's folder), so the browser tests' state cannot leak in.
. scripts/services.sh
start_broker
start_sim
start_hostile
export IOTMQTT_DASHBOARD_DIST="$TOP/dist" IOTMQTT_E2E_OUT="$TOP"

# Every test at a desktop width and at 800 px (issue 22): `IOTMQTT_E2E_WIDTH` sets openPage's window.
status=0
rm -f "$OUT"/results-*.tap
for width in 1366 800; do
  echo "== at $width px"
  IOTMQTT_E2E_WIDTH=$width node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$OUT/results-$width.tap" tests/e2e/ || status=$?
done
passed=$(awk '/^# pass /{n += $3} END {print n + 0}' "$OUT"/results-*.tap)
failed=$(awk '/^# fail /{n += $3} END {print n + 0}' "$OUT"/results-*.tap)
echo "screenshots: $(ls "$TOP"/screenshots/*.png 2>/dev/null | wc -l) in test-output/screenshots/"
echo "e2e: ${passed:-0} passed, ${failed:-0} failed"
if [[ $status -ne 0 || "${failed:-1}" != 0 || "${passed:-0}" == 0 ]]; then exit 1; fi
