// Compiles the TypeScript shell (npm/src) into the package: one minified ES module per entry and
// build (pkg/web, pkg/bundler), importing its wasm-bindgen glue, and the entry's declarations.
// Usage: node npm/build.mjs   (after scripts/npm-build.sh has put the glue in pkg/)
//        node npm/build.mjs <dir> <entry>...   (the web build of those entries only, into <dir>,
//        where their glue is; no declarations: scripts/shared-host.sh for the dashboard)
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [only, ...named] = process.argv.slice(2);
const pkg = only ? path.resolve(only) : path.join(root, "pkg");
// Each entry is one bundle over its own wasm core (`core`: the wasm-bindgen output's name), which
// holds the client core and, for a platform, the platform's core: `#core` and the platform's
// `#cloudplugs`, `#things-stack` or `#thingsboard` resolve to it.
// `v5`: the entry can open MQTT 5 connections (The Things Stack and CloudPlugs speak 3.1.1 only).
const ENTRIES = [
  { name: "iotmqtt", source: "index.ts", core: "iotmqtt_core", mqtt5: true, v5: true },
  // The generic client with what its budget has no room for: MQTT 5 subscription options, kept
  // across reconnects (cargo feature `subscription-options`). A page imports one or the other.
  { name: "mqtt5", source: "index.ts", core: "mqtt5_core", mqtt5: true, v5: true },
  { name: "payload", source: "payload/index.ts", core: "payload_core" },
  { name: "cloudplugs", source: "cloudplugs/index.ts", core: "cloudplugs_core" },
  { name: "things-stack", source: "things-stack/index.ts", core: "things-stack_core" },
  { name: "thingsboard", source: "thingsboard/index.ts", core: "thingsboard_core", v5: true },
  // ThingsBoard's gateway and provisioning (`GATEWAY`), without the device's own API (`DEVICE`, the
  // entry above): the device's entry loads it for `provision()` alone.
  { name: "thingsboard-gateway", source: "thingsboard-gateway/index.ts", core: "thingsboard-gateway_core", v5: true },
  // The device's class over a core with the shared connection's rules (`SHARING`, cargo feature
  // `thingsboard-shared`): the device's entry loads it for `shared` alone.
  { name: "thingsboard-shared", source: "thingsboard-shared/index.ts", core: "thingsboard-shared_core", v5: true, types: false },
  // One MQTT session for the tabs of an origin: the page's side (no wasm) and the SharedWorker it
  // starts, whose core is the generic client's with `SharedCore` (cargo feature `shared`).
  { name: "shared", source: "shared/index.ts" },
  { name: "shared-worker", source: "shared/worker.ts", core: "shared_core", mqtt5: true, v5: true, types: false },
  // The same worker with MQTT 5 enhanced authentication (cargo feature `auth`, `AUTH`: 2.7 KB of
  // wasm), which a tab with `authentication` or an `authenticator` starts instead.
  { name: "shared-worker-auth", source: "shared/worker.ts", core: "shared-auth_core", mqtt5: true, v5: true, types: false },
];

/** The shared session's hosts: the SharedWorker (or a leader tab's) module, without and with AUTH. */
const WORKERS = ["shared-worker", "shared-worker-auth"];

for (const target of only ? ["web"] : ["web", "bundler"]) {
  for (const entry of ENTRIES.filter((e) => !only || named.includes(e.name))) {
    await build({
      entryPoints: [path.join(root, "npm/src", entry.source)],
      outfile: only ? path.join(pkg, `${entry.name}.js`) : path.join(pkg, target, `${entry.name}.js`),
      bundle: true,
      format: "esm",
      target: "es2022",
      minify: true,
      // MQTT 5 properties in messages and CONNACKs: the generic entry's core has them (`MQTT5`, client.ts).
      // The words of MQTT 5's reason codes: only where an MQTT 5 connection can bring them (`V5`, errors.ts).
      // A credentials callback: only the `mqtt5` entry's core asks for one (`CREDENTIALS`, client.ts).
      // The broker's Reason String and User Properties on errors: only its core sends them (`SAID`, errors.ts).
      define: { MQTT5: String(entry.mqtt5 === true), V5: String(entry.v5 === true),
        CREDENTIALS: String(["mqtt5", ...WORKERS].includes(entry.name)), REQUEST: String(["mqtt5", ...WORKERS].includes(entry.name)),
        AUTH: String(["mqtt5", "shared-worker-auth"].includes(entry.name)), SAID: String(entry.name === "mqtt5"),
        GENERIC: String(["iotmqtt", "mqtt5", ...WORKERS].includes(entry.name)),
        DURABLE: String(WORKERS.includes(entry.name)),
        DEVICE: String(["thingsboard", "thingsboard-shared"].includes(entry.name)),
        GATEWAY: String(entry.name === "thingsboard-gateway"), SHARING: String(["thingsboard-shared", "thingsboard-gateway"].includes(entry.name)) },
      // Names are not kept (esbuild's keepNames costs 0.6 KB gzipped); the public classes set their own.
      keepNames: false,
      logLevel: "warning",
      // The web build bundles the wasm-bindgen glue in: one module to fetch, and gzip shares its
      // dictionary with the shell's. The bundler build keeps it apart: its wasm imports the glue's
      // module back (WebAssembly ESM integration), which must be the one instance the glue set up.
      plugins: [{
        name: "core",
        setup(b) {
          b.onResolve({ filter: /^#(core|payload|cloudplugs|things-stack|thingsboard|shared)$/ }, () =>
            target === "web"
              ? { path: only ? path.join(pkg, `${entry.core}.js`) : path.join(pkg, target, `${entry.core}.js`) }
              : { path: `./${entry.core}.js`, external: true });
          // Loaded on demand, a module of its own (below): not part of what the entry loads.
          b.onResolve({ filter: /^\.\/(sha2|checksums)\.js$/ }, (a) => ({ path: a.path, external: true }));
          // Provisioning, for the ThingsBoard device's entry: the gateway's entry, loaded when called.
          b.onResolve({ filter: /^\.\.\/thingsboard-gateway\/index\.js$/ }, () => ({ path: "./thingsboard-gateway.js", external: true }));
          // A device's shared connection: the `thingsboard-shared` module, loaded only when asked for.
          b.onResolve({ filter: /^\.\.\/thingsboard-shared\/index\.js$/ }, () => ({ path: "./thingsboard-shared.js", external: true }));
          // A platform class's shared connection: the `shared` entry, loaded only when asked for.
          b.onResolve({ filter: /^\.\.\/shared\/index\.js$/ }, () => ({ path: "./shared.js", external: true }));
        },
      }],
    });
  }
  // SHA-2 in JavaScript, which the ThingsBoard entries import only on a page without SubtleCrypto,
  // and the checksums SubtleCrypto lacks, which they import only for an update that names one.
  for (const module of only ? [] : ["sha2", "checksums"]) await build({
    entryPoints: [path.join(root, `npm/src/thingsboard/${module}.ts`)],
    outfile: path.join(pkg, target, `${module}.js`),
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    logLevel: "warning",
  });
}

if (only) process.exit(0);

// Declarations: tsc over the shell, into types/ beside each build, and the entry's .d.ts on top.
const tsc = path.join(root, "node_modules/.bin/tsc");
const out = path.join(pkg, "web", "types");
rmSync(out, { recursive: true, force: true });
execFileSync(tsc, ["-p", path.join(root, "npm/tsconfig.json"), "--outDir", out], { stdio: "inherit" });
for (const target of ["web", "bundler"]) {
  const dir = path.join(pkg, target, "types");
  if (target !== "web") {
    rmSync(dir, { recursive: true, force: true });
    cpSync(out, dir, { recursive: true });
  }
  for (const entry of ENTRIES.filter((e) => e.types !== false)) {
    const base = entry.source.replace(/\.ts$/, "");
    writeFileSync(path.join(pkg, target, `${entry.name}.d.ts`),
      `export * from "./types/${base}.js";\nexport { default } from "./types/${base}.js";\n`);
  }
}
