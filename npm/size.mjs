// What each entry point of the npm package costs a page: gzip -9 of every file it loads (its JS,
// the JS that imports, and its wasm), and what a page using all four entries loads. Checks each
// against its limit and prints one JSON line per entry.
// Usage: node npm/size.mjs [--json FILE]     (limits: npm/size-limits.json)
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

/** The files an entry loads: its module, what it imports (relatively), and the wasm it fetches. */
export function entryFiles(entry, web = path.join(root, "pkg/web")) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:import|export)\s*(?:[^"';]*?\bfrom\s*)?["'](\.[^"']+)["']/g)) {
      visit(path.resolve(path.dirname(file), m[1]));
    }
    for (const m of text.matchAll(/new URL\(['"]([^'"]+_bg\.wasm)['"]/g)) seen.add(path.resolve(path.dirname(file), m[1]));
  };
  visit(path.join(web, `${entry}.js`));
  return [...seen];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

function main() {
const limits = JSON.parse(readFileSync(path.join(root, "npm/size-limits.json"), "utf8"));
const entries = Object.keys(limits).filter((k) => k !== "all");
const report = {};
let ok = true;
const all = new Set();
for (const entry of entries) {
  const list = entryFiles(entry);
  // "all": what a page using the client and all three platforms loads (the payload helpers aside, and
  // `mqtt5` and `shared`, which a page imports instead of the generic entry; and ThingsBoard's gateway
  // entry, which a page with a gateway imports instead of the device's).
  if (!["payload", "mqtt5", "shared", "shared-worker", "shared-worker-auth", "thingsboard-gateway"].includes(entry)) list.forEach((f) => all.add(f));
  const wasm = list.filter((f) => f.endsWith(".wasm")).reduce((n, f) => n + gz(f), 0);
  const js = list.filter((f) => f.endsWith(".js")).reduce((n, f) => n + gz(f), 0);
  report[entry] = { wasmGzip: wasm, jsGzip: js, totalGzip: wasm + js, ...limits[entry] };
}
const total = [...all].reduce((n, f) => n + gz(f), 0);
report.all = { totalGzip: total, ...limits.all };
for (const [name, r] of Object.entries(report)) {
  const over = r.totalGzip > r.guard;
  ok &&= !over;
  console.log(`${over ? "FAIL" : "ok"}: ${name} ${r.totalGzip} B gzipped (limit ${r.guard}; goal ${r.goal})${r.totalGzip > r.goal ? " — over the goal" : ""}`);
}
const out = process.argv.indexOf("--json");
if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(report, null, 2) + "\n");
process.exit(ok ? 0 : 1);
}
