#!/usr/bin/env bash
# Tests that the run command stops: starts scripts/run.sh in a process group of its own (with the
# debug simulator, IOTMQTT_SIM_BIN, so no release build is needed), waits until the simulator and
# mosquitto are up, sends a signal, and checks that every process of the group is gone within 5 s.
# Three ways a user stops it: SIGTERM to the script, Ctrl-C (SIGINT to the group), and SIGTERM to
# the group followed by SIGINT. Ends with a plain line: "run-command: N passed, M failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo build -q -p iotmqtt-sim
export IOTMQTT_SIM_BIN="$ROOT/target/debug/iotmqtt-sim"
RUN="$ROOT/test-output/run"
mkdir -p "$RUN"
passed=0
failed=0

one() {
  local name=$1 signals=$2 target=$3
  rm -f "$RUN/sim.json" "$RUN/broker.json"
  # As a terminal starts it: a process group of its own, and SIGINT not ignored (a background job
  # of this non-interactive script would inherit SIGINT ignored, and bash cannot trap it then).
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp("bash", ["bash", "scripts/run.sh"])' \
    > "$ROOT/test-output/run-stop-$name.out" 2>&1 < /dev/null &
  local pgid=$!
  local up=0
  for _ in $(seq 600); do
    [[ -f "$RUN/sim.json" && -f "$RUN/broker.json" ]] && { up=1; break; }
    sleep 0.1
  done
  local dest=$pgid
  [[ "$target" == group ]] && dest="-$pgid"
  for sig in $signals; do
    kill -"$sig" -- "$dest" 2>/dev/null || true
    sleep 0.2
  done
  local gone=0
  for _ in $(seq 50); do
    if ! pgrep -g "$pgid" > /dev/null; then gone=1; break; fi
    sleep 0.1
  done
  if ((up && gone)); then
    passed=$((passed + 1))
    echo "ok: $name: everything stopped"
  else
    failed=$((failed + 1))
    echo "FAIL: $name: up=$up, still running: $(pgrep -a -g "$pgid" | tr '\n' ';')"
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  wait "$pgid" 2>/dev/null || true
}

one sigterm-to-script "TERM" script
one ctrl-c-to-group "INT" group
one sigterm-then-sigint-to-group "TERM INT" group
echo "run-command: $passed passed, $failed failed"
((failed == 0))
