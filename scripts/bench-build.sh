#!/usr/bin/env bash
# Builds what the benchmark pages load: pkg/web (the npm package, built by scripts/npm-build.sh when
# missing) and pkg/bench (the same library with the `bench` feature: benchRust and benchCodec, the
# Rust-API and codec contestants). Both are release builds with wasm-opt -Oz.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
[[ -f pkg/web/iotmqtt.js ]] || bash scripts/npm-build.sh
wasm-pack --log-level warn build --release --target web --out-dir pkg/bench --out-name iotmqtt --no-pack -- --features bench
echo "benchmark build: pkg/bench"
