#!/usr/bin/env bash
# The test command: installs what is missing, checks formatting and lints on both targets, runs the
# native tests, then the headless-Chromium tests against a real mosquitto it starts and always stops.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

START=$SECONDS
step() { printf '\n\033[1m== %s\033[0m (at %d s)\n' "$*" "$((SECONDS - START))"; }
OUT="$ROOT/test-output"
mkdir -p "$OUT"
exec > >(tee "$OUT/test.log") 2>&1
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# A fresh clone (CI) builds everything once: incremental caches would cost time and save none.
[[ "${CI:-}" == true ]] && export CARGO_INCREMENTAL=0

# The release builds of the npm, benchmark and dashboard steps, from the start and at the lowest
# CPU priority: they use what the other steps leave idle (the tail of each cargo run, the browser
# tests waiting on timers), and the timing of those tests is not disturbed.
step "release builds start in the background (log: test-output/release-builds.log)"
nice -n 19 bash scripts/release-builds.sh > "$OUT/release-builds.log" 2>&1 &
builds=$!
pids+=("$builds")
export IOTMQTT_PREBUILT=1

step "cargo fmt --check"
cargo fmt --all --check

step "clippy, native"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy, wasm32 (library, browser tests, dashboard)"
cargo clippy --target wasm32-unknown-unknown --lib --tests --bins --features bench,app -- -D warnings
# Each platform is a cargo feature: the library must build and lint with none, with each alone, and
# as the npm package's generic, mqtt5, payload and shared-session worker entries build it.
for features in "" small-alloc,mqtt5 small-alloc,mqtt5,subscription-options,credentials,request,auth,reason-strings small-alloc,mqtt5,shared \
  small-alloc,mqtt5,subscription-options,request,shared small-alloc,mqtt5,subscription-options,request,shared,auth \
  payload,small-alloc \
  thingsboard things-stack cloudplugs; do
  cargo clippy --target wasm32-unknown-unknown --lib --no-default-features --features "$features" -- -D warnings
done

step "native tests"
cargo test --workspace

step "start mosquitto and the platform simulator for the browser tests"
. scripts/services.sh
start_broker
start_limited_broker
start_sim
start_bridges
start_hostile

step "browser tests (wasm-pack, headless Chromium)"
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver

step "waiting for the release builds"
if ! wait "$builds" || [[ ! -f "$OUT/release-builds.done" ]]; then
  tail -40 "$OUT/release-builds.log"
  echo "npm: 0 passed, 1 failed (the release builds failed)"
  exit 1
fi

step "npm package (size budget, TypeScript, JS API in Chromium)"
bash scripts/npm-test.sh

step "dashboard end-to-end (Playwright, Chromium)"
bash scripts/e2e-test.sh

# After the end-to-end step: its dashboard workload uses the Trunk build in test-output/dist.
step "benchmark harness smoke run"
bash scripts/bench-smoke.sh

step "the run command stops on SIGTERM and Ctrl-C"
bash scripts/run-stop-test.sh

step "summary"
awk '/test result:|^(npm|e2e|bench-smoke|run-command): [0-9]+ passed/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$OUT/test.log"
