#!/usr/bin/env bash
# Minifies wasm-bindgen's JS glue and snippets in place, as the npm package ships them (and as MQTT.js
# ships dist/mqtt.min.js): whitespace, comments and syntax with esbuild's transform (no bundling).
# Names stay, so classes and stack frames read `MqttClient` (mangling them too would save another
# 1 KB gz), and so does wasm-bindgen's `@ts-self-types` pointer to the .d.ts.
# Usage: bash scripts/minify-glue.sh DIR...   (esbuild from node_modules/.bin on PATH)
set -euo pipefail
find "$@" -name '*.js' -print0 | while IFS= read -r -d '' js; do
  banner=$(head -1 "$js" | grep '^/\* @ts-self-types=' || true)
  esbuild "$js" --minify-whitespace --minify-syntax --format=esm --log-level=warning --banner:js="$banner" \
    --outfile="$js" --allow-overwrite
done
