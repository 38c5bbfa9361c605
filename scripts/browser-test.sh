#!/usr/bin/env bash
# For development: starts mosquitto and the simulator, then runs browser tests in headless Chromium.
# Usage: bash scripts/browser-test.sh [TEST_FILE_NAME ...]   (e.g. browser_thingsboard; none = all)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
OUT=$(mktemp -d /tmp/iotmqtt-dev-XXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
. scripts/services.sh
start_broker
start_limited_broker
start_sim
start_bridges
start_hostile
args=()
for t in "$@"; do args+=(--test "$t"); done
wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- "${args[@]}"
