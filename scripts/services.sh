#!/usr/bin/env bash
# Sourced by the test scripts: starts the test mosquitto (tests/harness/broker.py) and the platform
# simulator on free loopback ports, exports their ports for the browser tests, and stops both on exit.
# Needs: ROOT, OUT, and a `pids` array that the caller's EXIT trap kills.

# Long reliability tests (outages, backoff over minutes) need more than the runner's default timeout.
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-900}

port() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
wait_file() { for _ in $(seq 150); do [[ -f "$1" ]] && return 0; sleep 0.1; done; return 1; }

# Arguments go to tests/harness/broker.py (`--user NAME:PASSWORD` for one more user).
start_broker() {
  rm -f "$OUT/broker.json"
  python3 "$ROOT/tests/harness/broker.py" --ready-file "$OUT/broker.json" --workdir "$OUT/broker" "$@" > "$OUT/broker.log" 2>&1 &
  pids+=($!)
  wait_file "$OUT/broker.json" || { echo "mosquitto did not start"; cat "$OUT/broker.log"; return 1; }
  export IOTMQTT_TEST_BROKER_WS_PORT=$(port "$OUT/broker.json" ws)
  export IOTMQTT_TEST_BROKER_TCP_PORT=$(port "$OUT/broker.json" tcp)
  export IOTMQTT_TEST_BROKER_CONTROL_PORT=$(port "$OUT/broker.json" control)
  # Its log names each connection, SUBSCRIBE and UNSUBSCRIBE with the client id: the shared
  # session's tests count them there.
  export IOTMQTT_TEST_BROKER_LOG="$(port "$OUT/broker.json" workdir)/mosquitto.log"
}

# A second mosquitto whose max_inflight_messages (announced to MQTT 5 clients as Receive Maximum) is
# 5: the browser tests check that publishes beyond it wait for a slot instead of failing.
start_limited_broker() {
  rm -f "$OUT/broker-limited.json"
  python3 "$ROOT/tests/harness/broker.py" --ready-file "$OUT/broker-limited.json" --workdir "$OUT/broker-limited" \
    --extra-config "max_inflight_messages 5" &
  pids+=($!)
  wait_file "$OUT/broker-limited.json" || { echo "the limited mosquitto did not start"; return 1; }
  export IOTMQTT_TEST_LIMITED_BROKER_WS_PORT=$(port "$OUT/broker-limited.json" ws)
}

start_sim() {
  cargo build -q -p iotmqtt-sim
  rm -f "$OUT/sim.json"
  "$ROOT/target/debug/iotmqtt-sim" --http-port 0 --thingsboard-port 0 --thethingsstack-port 0 --cloudplugs-port 0 \
    --uplink-period-ms 300 --downlink-event-delay-ms 100 --provision-close-delay-ms 1000 --rpc-timeout-ms 5000 \
    --ready-file "$OUT/sim.json" > "$OUT/sim.log" 2>&1 &
  pids+=($!)
  wait_file "$OUT/sim.json" || { echo "the simulator did not start"; cat "$OUT/sim.log"; return 1; }
  export IOTMQTT_TEST_SIM_HTTP_PORT=$(port "$OUT/sim.json" http)
  export IOTMQTT_TEST_SIM_THINGSBOARD_TCP_PORT=$(port "$OUT/sim.json" thingsboard_tcp)
  export IOTMQTT_TEST_SIM_THETHINGSSTACK_TCP_PORT=$(port "$OUT/sim.json" thethingsstack_tcp)
  export IOTMQTT_TEST_SIM_CLOUDPLUGS_TCP_PORT=$(port "$OUT/sim.json" cloudplugs_tcp)
}

# The scripted server of tests/js/hostile.mjs: what a broker must not send, and the broker's side of
# an MQTT 5 enhanced authentication, by URL path.
start_hostile() {
  rm -f "$OUT/hostile.json"
  node "$ROOT/tests/js/hostile.mjs" --ready-file "$OUT/hostile.json" > "$OUT/hostile.log" 2>&1 &
  pids+=($!)
  wait_file "$OUT/hostile.json" || { echo "the scripted server did not start"; cat "$OUT/hostile.log"; return 1; }
  export IOTMQTT_TEST_HOSTILE_PORT=$(port "$OUT/hostile.json" port)
}

# websockify bridges to the simulator's plain-TCP MQTT ports, as the README tells users to reach the
# real platforms (which serve no WebSocket). Needs start_sim first.
start_bridges() {
  free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
  local name target port
  for name in THINGSBOARD THETHINGSSTACK CLOUDPLUGS; do
    target_var="IOTMQTT_TEST_SIM_${name}_TCP_PORT"
    port=$(free_port)
    websockify "127.0.0.1:$port" "127.0.0.1:${!target_var}" > "$OUT/bridge-$name.log" 2>&1 &
    pids+=($!)
    export "IOTMQTT_TEST_BRIDGE_${name}_PORT=$port"
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  done
}
