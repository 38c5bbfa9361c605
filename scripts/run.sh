#!/usr/bin/env bash
# The run command: installs what is missing, starts the platform simulator and a local mosquitto,
# and builds and serves the dashboard on http://127.0.0.1:8080 against the simulator. Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

RUN="$ROOT/test-output/run"
mkdir -p "$RUN"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

cargo build -q --release -p iotmqtt-sim
rm -f "$RUN/sim.json"
target/release/iotmqtt-sim --ready-file "$RUN/sim.json" &
pids+=($!)

rm -f "$RUN/broker.json"
python3 tests/harness/broker.py --ready-file "$RUN/broker.json" --workdir "$RUN/broker" \
  --tcp-port 18830 --ws-port 19001 --user demo:demo &
pids+=($!)
for _ in $(seq 100); do [[ -f "$RUN/broker.json" ]] && break; sleep 0.1; done
for _ in $(seq 100); do [[ -f "$RUN/sim.json" ]] && break; sleep 0.1; done
echo "simulator: ws://127.0.0.1:8088/mqtt/{thingsboard,thethingsstack,cloudplugs}, admin API http://127.0.0.1:8088/api/"
echo "mosquitto: ws://127.0.0.1:19001 (user demo, password demo), tcp 127.0.0.1:18830"
echo "dashboard: http://127.0.0.1:8080 (building…)"
trunk serve --release --address 127.0.0.1 --port 8080
