#!/usr/bin/env bash
# The shared session's files for the dashboard (docs/shared.md): the page's side (`shared.js`), the
# SharedWorker (`shared-worker.js`) and its wasm (`shared_core_bg.wasm`), built as the npm package's
# `iotmqtt/shared` entry is (scripts/npm-build.sh, whose cargo features these are) and put in
# "$1/shared/". Trunk runs it after each build (Trunk.toml's hook, with $TRUNK_STAGING_DIR); the wasm
# is bound and optimised again only when cargo built a new one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
DEST="${1:-${TRUNK_STAGING_DIR:?the directory to put the files in}}/shared"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET_DIR/shared-host"
cargo build -q --release --lib --target wasm32-unknown-unknown --no-default-features --features small-alloc,mqtt5,subscription-options,request,shared
WASM="$TARGET_DIR/wasm32-unknown-unknown/release/iotmqtt.wasm"
mkdir -p "$WORK" "$DEST"
if [[ ! -f "$WORK/shared_core_bg.wasm" || "$WASM" -nt "$WORK/shared_core_bg.wasm" ]]; then
  wasm-bindgen --target web --out-dir "$WORK" --out-name shared_core "$WASM"
  wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue "$WORK/shared_core_bg.wasm" -o "$WORK/shared_core_bg.wasm"
fi
node npm/build.mjs "$WORK" shared shared-worker
cp "$WORK/shared.js" "$WORK/shared-worker.js" "$WORK/shared_core_bg.wasm" "$DEST/"
