#!/usr/bin/env bash
# The run command: installs what is missing, starts the platform simulator and a local mosquitto,
# and builds and serves the dashboard on http://127.0.0.1:8080 against the simulator. The build's
# and the services' output go to test-output/run/run.log; the terminal gets one line when the page
# is ready. Ctrl-C or SIGTERM stops everything within seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN="$ROOT/test-output/run"
LOG="$RUN/run.log"
mkdir -p "$RUN"
: > "$LOG"
echo "iotmqtt: setting up and building; the details go to $LOG"
. scripts/setup.sh >> "$LOG" 2>&1

pids=()
stopped=0
# Children get SIGTERM, then SIGKILL after 3 s if one still runs. The services run in the
# background and the script waits with `wait`, which a signal interrupts at once (a foreground
# child would hold the trap until it ends).
stop() {
  ((stopped)) && return
  stopped=1
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 30); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
# A second signal while stopping (SIGTERM, then Ctrl-C) must not cut the stop short before its
# SIGKILLs: it is ignored (a nested trap in a function breaks bash's function context).
on_signal() {
  trap '' INT TERM
  stop
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap stop EXIT

# The simulator's debug build: 18 s from a fresh clone against 31 s for the release profile (opt-level
# z, fat LTO, one codegen unit: the wasm's settings), and the very binary the test command builds. It
# serves the dashboard's heaviest demo (500 gateway devices a second) with room to spare.
# IOTMQTT_SIM_BIN: a simulator binary already built.
sim="${IOTMQTT_SIM_BIN:-}"
if [[ -z "$sim" ]]; then
  cargo build -q -p iotmqtt-sim >> "$LOG" 2>&1
  sim="$ROOT/target/debug/iotmqtt-sim"
fi
rm -f "$RUN/sim.json" "$RUN/broker.json"
"$sim" --ready-file "$RUN/sim.json" >> "$LOG" 2>&1 &
pids+=($!)
python3 tests/harness/broker.py --ready-file "$RUN/broker.json" --workdir "$RUN/broker" \
  --tcp-port 18830 --ws-port 19001 --user demo:demo >> "$LOG" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -f "$RUN/broker.json" && -f "$RUN/sim.json" ]] && break; sleep 0.1; done
{
  echo "simulator: ws://127.0.0.1:8088/mqtt/{thingsboard,thethingsstack,cloudplugs}, admin API http://127.0.0.1:8088/api/"
  echo "mosquitto: ws://127.0.0.1:19001 (user demo, password demo), tcp 127.0.0.1:18830"
} >> "$LOG"
echo "iotmqtt: simulator and mosquitto up; building the dashboard (a few minutes the first time)"

trunk serve --release --address 127.0.0.1 --port 8080 >> "$LOG" 2>&1 &
pids+=($!)
trunk_pid=$!
# Ready when the page answers: trunk serves only after its first build.
(
  until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/', timeout=1)" 2>/dev/null; do
    kill -0 "$trunk_pid" 2>/dev/null || exit 1
    sleep 1
  done
  echo "iotmqtt: the dashboard is ready at http://127.0.0.1:8080 (Ctrl-C stops everything; log: $LOG)"
) &
pids+=($!)
wait "$trunk_pid"
