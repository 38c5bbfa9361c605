#!/usr/bin/env bash
# Builds the npm package `iotmqtt` into pkg/: one wasm per entry point, each for `--target web`
# (pkg/web) and `--target bundler` (pkg/bundler), with package.json, the npm README and .d.ts files
# without `any`. docs/npm.md describes the entries.
#   iotmqtt               the TypeScript shell (npm/src) over the Sans-I/O core `ClientCore`
#   payload               the payload helpers (npm/src/payload), a wasm with no client
#   cloudplugs            the shell and `npm/src/cloudplugs` over `ClientCore` and `CloudPlugsCore`, one wasm
#   things-stack          the shell and `npm/src/things-stack` over `ClientCore` and `ThingsStackCore`
#   thingsboard           the shell and `npm/src/thingsboard` over `ClientCore` and `ThingsBoardCore`
#                         with the device's API (`ThingsBoardDevice`)
#   thingsboard-gateway   the same with the gateway API and provisioning instead (`ThingsBoardGateway`,
#                         `npm/src/thingsboard-gateway`)
#   thingsboard-shared    not an entry: the device's class over a core with the shared connection's
#                         rules, which `ThingsBoardDevice.connect` loads for `shared`
#   shared                `npm/src/shared`: the page's side (no wasm) of one session for all tabs, and
#                         shared-worker.js, the SharedWorker over `ClientCore` and `SharedCore`
#                         (shared-worker-auth.js the same with MQTT 5 enhanced authentication)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# wasm-opt 132 from npm (Debian's 108 cannot read rustc 1.95's output).
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
command -v wasm-opt >/dev/null || { echo "wasm-opt missing: run npm ci"; exit 1; }
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_FLAGS=(--enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-multivalue)

rm -rf pkg
mkdir -p pkg/web pkg/bundler
# entry name, wasm-bindgen output name, cargo features. Cargo.toml's [profile.release] gives
# opt-level z, LTO, one codegen unit and panic=abort.
while read -r entry out features; do
  cargo build -q --release --lib --target wasm32-unknown-unknown --no-default-features --features "$features"
  cp "$TARGET_DIR/wasm32-unknown-unknown/release/iotmqtt.wasm" "pkg/$out.wasm"
  for target in web bundler; do
    wasm-bindgen --target "$target" --out-dir "pkg/$target" --out-name "$out" "pkg/$out.wasm"
  done
  wasm-opt -Oz "${WASM_FLAGS[@]}" "pkg/web/${out}_bg.wasm" -o "pkg/web/${out}_bg.wasm"
  cp "pkg/web/${out}_bg.wasm" "pkg/bundler/${out}_bg.wasm"
  rm "pkg/$out.wasm"
done <<'ENTRIES'
iotmqtt iotmqtt_core small-alloc,mqtt5
mqtt5 mqtt5_core small-alloc,mqtt5,subscription-options,credentials,request,auth,reason-strings
payload payload_core payload,small-alloc
cloudplugs cloudplugs_core cloudplugs,small-alloc
things-stack things-stack_core things-stack,small-alloc
thingsboard thingsboard_core thingsboard,thingsboard-device,small-alloc
thingsboard-gateway thingsboard-gateway_core thingsboard,thingsboard-gateway,thingsboard-provision,thingsboard-shared,small-alloc
thingsboard-shared thingsboard-shared_core thingsboard,thingsboard-device,thingsboard-shared,small-alloc
shared shared_core small-alloc,mqtt5,subscription-options,request,shared
shared-auth shared-auth_core small-alloc,mqtt5,subscription-options,request,shared,auth
ENTRIES

# The TypeScript shell of every entry, and their declarations.
node npm/build.mjs

node - "$ROOT" <<'JS'
const fs = require("fs");
const path = require("path");
const root = process.argv[2];
const pkg = path.join(root, "pkg");
const version = /^version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(root, "Cargo.toml"), "utf8"))[1];

for (const target of ["web", "bundler"]) {
  const dir = path.join(pkg, target);
  fs.rmSync(path.join(dir, ".gitignore"), { force: true });
  // wasm-bindgen's raw export signatures use `any`; they are internal, so make them `unknown`.
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".d.ts")).map((f) => path.join(dir, f))
    .concat(fs.readdirSync(path.join(dir, "types"), { recursive: true }).filter((f) => f.endsWith(".d.ts"))
      .map((f) => path.join(dir, "types", f)));
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8").split("\n").map((line) =>
      /^\s*(readonly \w+|export const \w+)\s*:/.test(line) ? line.replace(/\bany\b/g, "unknown") : line).join("\n");
    fs.writeFileSync(file, text);
    // The core's glue (`iotmqtt_core.d.ts`) is internal: the shell is its only caller.
    if (file.endsWith("_core.d.ts")) continue;
    const typeAny = text.split("\n").filter((l) => !/^\s*(\*|\/\*\*|\/\/)/.test(l) && /\bany\b/.test(l));
    if (typeAny.length) { console.error(`${file} still has \`any\`:\n${typeAny.join("\n")}`); process.exit(1); }
  }
}

const entry = (name, file) => ({
  [name]: { types: `./bundler/${file}.d.ts`, default: `./bundler/${file}.js` },
  [`./web${name === "." ? "" : name.slice(1)}`]: { types: `./web/${file}.d.ts`, default: `./web/${file}.js` },
});
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
    ...entry(".", "iotmqtt"),
    ...entry("./mqtt5", "mqtt5"),
    ...entry("./payload", "payload"),
    ...entry("./thingsboard", "thingsboard"),
    ...entry("./thingsboard-gateway", "thingsboard-gateway"),
    ...entry("./things-stack", "things-stack"),
    ...entry("./cloudplugs", "cloudplugs"),
    ...entry("./shared", "shared"),
    "./web/*": "./web/*",
    "./bundler/*": "./bundler/*",
    "./package.json": "./package.json",
  },
  files: ["web/", "bundler/", "README.md"],
  sideEffects: ["./bundler/*_core.js", "./bundler/thingsboard.js", "./bundler/thingsboard-gateway.js", "./bundler/thingsboard-shared.js", "./bundler/things-stack.js", "./bundler/cloudplugs.js"],
};
fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
fs.copyFileSync(path.join(root, "www", "npm-README.md"), path.join(pkg, "README.md"));
JS

# The glue and its snippets, minified as the package ships them (the shell is minified by esbuild).
find pkg/web pkg/bundler -maxdepth 1 -name '*.js' ! -name iotmqtt.js ! -name mqtt5.js ! -name cloudplugs.js ! -name things-stack.js ! -name thingsboard.js ! -name thingsboard-gateway.js ! -name thingsboard-shared.js ! -name shared.js ! -name shared-worker.js ! -name shared-worker-auth.js -print0 | xargs -0 bash scripts/minify-glue.sh
bash scripts/minify-glue.sh pkg/web/snippets pkg/bundler/snippets 2>/dev/null || true
echo "npm package: pkg/ (web: pkg/web, bundler: pkg/bundler)"
