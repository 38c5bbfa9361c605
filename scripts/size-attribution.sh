#!/usr/bin/env bash
# How much of a wasm build of the library (default features) the pure core needs on its own, whatever
# the shell around it is written in: a release build, wasm-bindgen (names kept), twiggy's dominator tree, then
# bench/size_attribution.py. Not part of the test command: about 25 s once the release build is
# there, plus twiggy 0.8.0's install the first time. docs/size.md shows its output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
OUT="$ROOT/target/size-attribution"
mkdir -p "$OUT"

if [[ "$(twiggy --version 2>/dev/null || true)" != "twiggy-opt 0.8.0" ]]; then
  cargo install twiggy --version 0.8.0
fi
cargo build -q --release --lib --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir "$OUT" --out-name m target/wasm32-unknown-unknown/release/iotmqtt.wasm
twiggy dominators -f csv "$OUT/m_bg.wasm" >"$OUT/dominators.csv"
python3 bench/size_attribution.py "$OUT/dominators.csv" "$OUT/m_bg.wasm"
