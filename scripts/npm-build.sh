#!/usr/bin/env bash
# Builds the npm package `iotmqtt` into pkg/: the library only (no Yew), for `--target web` (pkg/web)
# and `--target bundler` (pkg/bundler), with package.json metadata, the npm README and a .d.ts without `any`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# wasm-opt 132 from npm (Debian's 108 cannot read rustc 1.95's output); wasm-pack must find it, not download one.
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
command -v wasm-opt >/dev/null || { echo "wasm-opt missing: run npm ci"; exit 1; }

rm -rf pkg
for target in web bundler; do
  # Cargo.toml's [profile.release] gives opt-level z, LTO, one codegen unit and panic=abort;
  # [package.metadata.wasm-pack.profile.release] runs wasm-opt -Oz.
  wasm-pack --log-level warn build --release --target "$target" --out-dir "pkg/$target" --out-name iotmqtt --no-pack
done

node - "$ROOT" <<'JS'
const fs = require("fs");
const path = require("path");
const root = process.argv[2];
const pkg = path.join(root, "pkg");
const version = /^version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(root, "Cargo.toml"), "utf8"))[1];

for (const target of ["web", "bundler"]) {
  const dir = path.join(pkg, target);
  for (const f of [".gitignore", "package.json", "README.md"]) fs.rmSync(path.join(dir, f), { force: true });
  // wasm-bindgen's raw export signatures use `any`; they are internal, so make them `unknown`.
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".d.ts"))) {
    const file = path.join(dir, f);
    const text = fs.readFileSync(file, "utf8").split("\n").map((line) =>
      /^\s*(readonly \w+|export const \w+)\s*:/.test(line) ? line.replace(/\bany\b/g, "unknown") : line).join("\n");
    fs.writeFileSync(file, text);
    const typeAny = text.split("\n").filter((l) => !/^\s*(\*|\/\*\*|\/\/)/.test(l) && /\bany\b/.test(l));
    if (typeAny.length) { console.error(`${f} still has \`any\`:\n${typeAny.join("\n")}`); process.exit(1); }
  }
}

const manifest = {
  name: "iotmqtt",
  version,
  description: "MQTT 3.1.1/5 over a browser WebSocket for ThingsBoard, The Things Stack and CloudPlugs: a Rust/WebAssembly client with a typed JavaScript API",
  license: "MIT OR Apache-2.0",
  repository: { type: "git", url: "git+https://github.com/iotmqtt/iotmqtt.git" },
  homepage: "https://github.com/iotmqtt/iotmqtt#readme",
  keywords: ["mqtt", "websocket", "wasm", "webassembly", "iot", "thingsboard", "the-things-stack", "ttn", "lorawan", "cloudplugs"],
  type: "module",
  module: "./bundler/iotmqtt.js",
  types: "./bundler/iotmqtt.d.ts",
  exports: {
    ".": { types: "./bundler/iotmqtt.d.ts", default: "./bundler/iotmqtt.js" },
    "./web": { types: "./web/iotmqtt.d.ts", default: "./web/iotmqtt.js" },
    "./web/iotmqtt_bg.wasm": "./web/iotmqtt_bg.wasm",
    "./bundler/iotmqtt_bg.wasm": "./bundler/iotmqtt_bg.wasm",
    "./package.json": "./package.json",
  },
  files: ["web/", "bundler/", "README.md"],
  sideEffects: ["./bundler/iotmqtt.js", "./web/snippets/*", "./bundler/snippets/*"],
};
fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
fs.copyFileSync(path.join(root, "www", "npm-README.md"), path.join(pkg, "README.md"));
JS

# The glue and its snippets, minified as the package ships them.
bash scripts/minify-glue.sh pkg/web pkg/bundler
echo "npm package: pkg/ (web: pkg/web, bundler: pkg/bundler)"
