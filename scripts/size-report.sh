#!/usr/bin/env bash
# What each part of the npm package weighs: release builds (the package's profile, wasm-bindgen
# --target web, wasm-opt -Oz, the glue minified by scripts/minify-glue.sh, gzip -9 of wasm + JS glue) of
#   floor          bench/size-floor: mqtt-protocol-core's Connection behind the thinnest facade
#   floor-packets  bench/size-floor-packets: its packet builders and parsers only, no Connection
#   core           the library alone (--no-default-features): `ClientCore`
#   thingsboard, things-stack, cloudplugs   `ClientCore` with one platform's core (as the entries ship it, without talc)
#   all            `ClientCore` with every platform's core (default features; no entry ships this)
# Not part of the test command (about 90 s once built); docs/size.md shows the output of the builds
# before issue 20 moved the platform entries, and `node npm/size.mjs` the entries as they ship.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
OUT="$ROOT/target/size-report"
mkdir -p "$OUT"
FEATURES="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue"

measure() { # name wasm
  local name=$1 wasm=$2
  wasm-bindgen --target web --out-dir "$OUT/$name" --out-name m "$wasm"
  wasm-opt -Oz $FEATURES "$OUT/$name/m_bg.wasm" -o "$OUT/$name/m_opt.wasm"
  bash scripts/minify-glue.sh "$OUT/$name" # as the package ships it
  local w j s=0
  w=$(gzip -9c "$OUT/$name/m_opt.wasm" | wc -c)
  j=$(gzip -9c "$OUT/$name/m.js" | wc -c)
  if [[ -d "$OUT/$name/snippets" ]]; then s=$(find "$OUT/$name/snippets" -name '*.js' -exec cat {} + | gzip -9c | wc -c); fi
  printf '| %-13s | %9d | %8d | %8d | %9d |\n' "$name" "$(stat -c%s "$OUT/$name/m_opt.wasm")" "$w" "$((j + s))" "$((w + j + s))"
}

echo "| build         | wasm raw  | wasm gz  | JS gz    | total gz  |"
echo "| ---           | ---:      | ---:     | ---:     | ---:      |"
cargo build -q --release --target wasm32-unknown-unknown --manifest-path bench/size-floor/Cargo.toml --target-dir target
measure floor target/wasm32-unknown-unknown/release/iotmqtt_size_floor.wasm
cargo build -q --release --target wasm32-unknown-unknown --manifest-path bench/size-floor-packets/Cargo.toml --target-dir target
measure floor-packets target/wasm32-unknown-unknown/release/iotmqtt_size_floor_packets.wasm
for variant in core thingsboard things-stack cloudplugs all; do
  case $variant in
    core) flags=(--no-default-features) ;;
    all) flags=() ;;
    *) flags=(--no-default-features --features "$variant") ;;
  esac
  cargo build -q --release --lib --target wasm32-unknown-unknown "${flags[@]}"
  measure "$variant" target/wasm32-unknown-unknown/release/iotmqtt.wasm
done
