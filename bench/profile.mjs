#!/usr/bin/env node
// CPU profile of one benchmark run, the way the hot-path fixes in BENCHMARKS.md were found: a build of
// the generic entry that keeps its names (pkg/profile: the release core through wasm-bindgen without
// wasm-opt, the TypeScript shell bundled unminified), the benchmark page (npm contestant unless told
// otherwise) against a mosquitto of its own, DevTools' Profiler at 100 µs, then self time by function
// and the number of WebSocket sends and receives.
//
//   node bench/profile.mjs [npm|mqttjs|raw] [qos0|qos1] [count]     (default: npm qos0 30000)
//
// Builds pkg/profile first (cargo build --release --lib + wasm-bindgen + esbuild); writes the raw profile to
// test-output/profile-<contestant>-<mode>.cpuprofile (open it in Chromium's DevTools).
import { build } from "esbuild";
import { execSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, launchChromium, startBroker, startServer } from "./lib.mjs";
const [contestant = "npm", mode = "qos0", countArg = "30000"] = process.argv.slice(2);
const count = Number(countArg);

execSync("cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features small-alloc,mqtt5", { cwd: ROOT, stdio: "inherit" });
execSync("wasm-bindgen --target web --out-dir pkg/profile --out-name iotmqtt_core target/wasm32-unknown-unknown/release/iotmqtt.wasm", { cwd: ROOT, stdio: "inherit" });
await build({
  entryPoints: [path.join(ROOT, "npm/src/index.ts")],
  outfile: path.join(ROOT, "pkg/profile/iotmqtt.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  logLevel: "warning",
  define: { MQTT5: "true" },
  plugins: [{ name: "core", setup: (b) => b.onResolve({ filter: /^#core$/ }, () => ({ path: path.join(ROOT, "pkg/profile/iotmqtt_core.js") })) }],
});

const server = await startServer();
const broker = await startBroker("iotmqtt-profile-");
const browser = await launchChromium();
try {
  const ports = broker.ports;
  const page = await browser.newPage();
  await page.addInitScript(() => {
    const send = WebSocket.prototype.send;
    window.__sends = 0;
    window.__recvs = 0;
    WebSocket.prototype.send = function (d) { window.__sends++; return send.call(this, d); };
    const add = EventTarget.prototype.addEventListener;
    const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
    Object.defineProperty(WebSocket.prototype, "onmessage", {
      set(f) { onmessage.set.call(this, f && ((e) => { window.__recvs++; return f(e); })); },
      get() { return onmessage.get.call(this); },
    });
    EventTarget.prototype.addEventListener = function (type, f, o) {
      if (this instanceof WebSocket && type === "message") return add.call(this, type, (e) => { window.__recvs++; return f(e); }, o);
      return add.call(this, type, f, o);
    };
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/www/bench/index.html?c=${contestant}&pkg=profile`);
  await page.waitForFunction(() => window.benchReady || window.benchError);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  const p = { url: `ws://127.0.0.1:${ports.ws}`, user: "tester", pass: "secret", topic: `profile/${Date.now()}`, mode, count, size: 64, window: mode === "qos1" ? 100 : 1000 };
  const r = await page.evaluate((p) => window.bench(p), p);
  const { profile } = await cdp.send("Profiler.stop");
  const [sends, recvs] = await page.evaluate(() => [window.__sends, window.__recvs]);
  const rate = mode === "qos1" ? (r.acked / (r.ackMs ?? r.ms)) * 1000 : (r.received / r.ms) * 1000;
  console.log(`${contestant} ${mode}: ${count} messages, ${rate.toFixed(0)} msg/s, ${sends} WebSocket sends, ${recvs} receives`);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = nodes.get(id).callFrame;
    const name = f.functionName || `(anonymous ${f.url.split("/").pop()}:${f.lineNumber + 1})`;
    const dt = profile.timeDeltas[i] || 0;
    self.set(name, (self.get(name) || 0) + dt);
    total += dt;
  });
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name.slice(0, 140)}`);
  }
  const out = path.join(ROOT, "test-output", `profile-${contestant}-${mode}.cpuprofile`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(profile));
  console.log(`profile: ${path.relative(ROOT, out)}`);
} finally {
  await browser.close();
  broker.proc.kill();
  server.close();
  fs.rmSync(broker.dir, { recursive: true, force: true });
}
