#!/usr/bin/env bash
# Each npm entry's parts (docs/size.md, "Each entry's parts"): for the generic entry and the three
# platforms, the wasm built as scripts/npm-build.sh builds it but with names kept, then twiggy and
# bench/entry_parts.py; and the entry's JavaScript, gzipped. Run after scripts/npm-build.sh (its
# pkg/web holds the shipped files). Not part of the test command: about 3 minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
OUT="$ROOT/target/size-parts"
mkdir -p "$OUT"
while read -r entry core features; do
  cargo build -q --release --lib --target wasm32-unknown-unknown --no-default-features --features "$features"
  wasm-bindgen --keep-debug --target web --out-dir "$OUT" --out-name "$core" target/wasm32-unknown-unknown/release/iotmqtt.wasm
  twiggy top -n 100000 -f csv "$OUT/${core}_bg.wasm" > "$OUT/$core.csv"
  wasm_gz=$(gzip -9 -c "pkg/web/${core}_bg.wasm" | wc -c)
  js_gz=$(gzip -9 -c "pkg/web/$entry.js" | wc -c)
  echo "== $entry: wasm $wasm_gz B gzipped, JavaScript (shell and glue) $js_gz B gzipped; the wasm by part (raw bytes, gzipped share):"
  python3 bench/entry_parts.py "$OUT/$core.csv" "$wasm_gz"
done <<'ENTRIES'
iotmqtt iotmqtt_core small-alloc,mqtt5
thingsboard thingsboard_core thingsboard,thingsboard-device,small-alloc
thingsboard-gateway thingsboard-gateway_core thingsboard,thingsboard-gateway,thingsboard-provision,small-alloc
things-stack things-stack_core things-stack,small-alloc
cloudplugs cloudplugs_core cloudplugs,small-alloc
ENTRIES
