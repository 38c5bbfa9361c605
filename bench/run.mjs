#!/usr/bin/env node
// Benchmark harness: iotmqtt (npm package and Rust API) against MQTT.js and a raw-WebSocket ceiling,
// side by side in Debian's headless Chromium, against a local mosquitto (no queue caps) it starts and
// always stops. Alternates contestants within each round, a fresh page (and context) per run, and
// reads DevTools Performance.getMetrics (ScriptDuration, TaskDuration) around each workload.
//
//   bash scripts/bench-build.sh             # pkg/web (the npm package) and pkg/bench (with benchRust)
//   node bench/run.mjs                      # full matrix, 5 rounds
//   node bench/run.mjs --quick              # smoke run: tiny counts, 1 round (part of the test command)
//   node bench/run.mjs --runs 5 --workloads qos0-64,latency --contestants raw,mqttjs,npm,rust
//   node bench/run.mjs --workloads qos0-1k --window 100000   # QoS 0 all published at once
//
// Writes bench/results/<name>.json (every run's raw figures plus the summary) and prints the table.
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { entryFiles } from "../npm/size.mjs";
import { ROOT, launchChromium, startBroker, startServer } from "./lib.mjs";
const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const quick = args.includes("--quick");
const ALL_CONTESTANTS = ["raw", "mqttjs", "npm", "rust"];
const contestants = arg("contestants", ALL_CONTESTANTS.join(",")).split(",");
const runs = Number(arg("runs", quick ? 1 : 5));
const n = (full, small) => (quick ? small : full);
const WORKLOADS = {
  "qos0-64": { mode: "qos0", count: n(100000, 300), size: 64, window: 1000 },
  // About 100 KB unanswered, as qos0-64's window keeps 64 KB: MQTT.js in the browser stops writing
  // while the socket holds more than 512 KiB and looks again 1 s later (browserBufferSize and
  // browserBufferTimeout in its lib/connect/ws.ts), so a 1,000-message window of 1 KiB measured its
  // sleep, not its client (BENCHMARKS.md, "MQTT.js at 1 KiB").
  "qos0-1k": { mode: "qos0", count: n(100000, 300), size: 1024, window: 100 },
  "qos1-64": { mode: "qos1", count: n(Number(arg("qos1-count", 20000)), 200), size: 64, window: 100 },
  latency: { mode: "latency", count: n(Number(arg("latency-count", 10000)), 100), size: 64, rate: 500, window: 0, needPayload: true },
  startup: { mode: "startup" },
  // The npm package has no codec entry point of its own: its codec is the Rust API's, in the same wasm.
  "codec-64": { mode: "codec", count: n(100000, 1000), size: 64, contestants: ["raw", "mqttjs", "rust"] },
  "codec-1k": { mode: "codec", count: n(100000, 1000), size: 1024, contestants: ["raw", "mqttjs", "rust"] },
  // The Yew dashboard (Rust API) on its Generic MQTT page while mosquitto delivers `rate` msg/s for
  // `seconds`: tests/e2e/bench-dashboard.mjs on the Trunk release build in test-output/dist.
  dashboard: { mode: "dashboard", seconds: n(60, 3), rate: n(1000, 200), contestants: ["rust"] },
};
const workloads = arg("workloads", Object.keys(WORKLOADS).join(",")).split(",");
// --window N: how many QoS 0 messages may be unanswered (sent, not yet received back) at once;
// a window of the whole count publishes everything at once.
if (arg("window")) for (const w of ["qos0-64", "qos0-1k"]) WORKLOADS[w].window = Number(arg("window"));
const outFile = arg("out", path.join(ROOT, "bench", "results", `${quick ? "quick" : "run"}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`));
const RUN_TIMEOUT_MS = quick ? 20000 : 300000;


// mqtt-packet is CommonJS for Node: bundle it (with the `buffer` polyfill) for the codec workload.
async function bundleMqttPacket() {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [path.join(ROOT, "bench/mqtt-packet-entry.mjs")],
    inject: [path.join(ROOT, "bench/node-shims.mjs")],
    bundle: true, format: "esm", platform: "browser", minify: true, logLevel: "warning",
    outfile: path.join(ROOT, "test-output/bench-assets/mqtt-packet.js"),
  });
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length, q };
};

function sizes() {
  const gz = (files) => files.reduce((t, f) => t + zlib.gzipSync(fs.readFileSync(path.join(ROOT, f)), { level: 9 }).length, 0);
  // The glue, the wasm and the glue's inline_js snippets: everything the page fetches.
  const snippets = (dir) => (fs.existsSync(path.join(ROOT, dir)) ? fs.readdirSync(path.join(ROOT, dir), { recursive: true }).filter((f) => f.endsWith(".js")).map((f) => path.join(dir, f)) : []);
  // The package's generic entry (`MqttClient`): the files npm/size.mjs counts for it.
  const pkgFiles = entryFiles("iotmqtt").map((f) => path.relative(ROOT, f));
  const rustFiles = ["pkg/bench/iotmqtt.js", "pkg/bench/iotmqtt_bg.wasm", ...snippets("pkg/bench/snippets")];
  return {
    npm: { files: pkgFiles, gzipBytes: gz(pkgFiles) },
    rust: { files: rustFiles, gzipBytes: gz(rustFiles), note: "the Rust async client with every platform and the benchmark entry points (pkg/bench)" },
    mqttjs: { files: ["node_modules/mqtt/dist/mqtt.min.js"], gzipBytes: gz(["node_modules/mqtt/dist/mqtt.min.js"]) },
    raw: { files: ["www/bench/bench.js"], gzipBytes: gz(["www/bench/bench.js"]), note: "the whole benchmark page script, all contestants' adapters included: an upper bound" },
  };
}

async function metrics(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { script: m.ScriptDuration * 1000, task: m.TaskDuration * 1000, heap: m.JSHeapUsedSize };
}

const DIST = path.join(ROOT, "test-output/dist");

async function runDashboard(brokerPorts, spec) {
  try {
    process.env.IOTMQTT_TEST_BROKER_WS_PORT = String(brokerPorts.ws);
    process.env.IOTMQTT_TEST_BROKER_TCP_PORT = String(brokerPorts.tcp);
    const { runBench } = await import("../tests/e2e/bench-dashboard.mjs");
    const r = await runBench({ seconds: spec.seconds, rate: spec.rate, dist: DIST });
    return {
      ok: r.received === r.sent && r.sent > 0, sent: r.sent, received: r.received, frames: r.frames, longFrames: r.longFrames,
      frameP50: r.frameMs.p50, frameP95: r.frameMs.p95, frameP99: r.frameMs.p99, frameMax: r.frameMs.max,
      heapGrowthMB: r.heapMB.growth, wasmGrowthMB: r.wasmMB.growth,
      scriptMsPer1k: (r.scriptSeconds * 1e6) / r.sent, taskMsPer1k: (r.taskSeconds * 1e6) / r.sent,
    };
  } catch (e) {
    return { ok: false, error: String(e.message || e) };
  }
}

async function runOne(browser, base, brokerPorts, contestant, workload, runIndex) {
  const spec = WORKLOADS[workload];
  if (spec.mode === "dashboard") return runDashboard(brokerPorts, spec);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    const p = {
      url: `ws://127.0.0.1:${brokerPorts.ws}`, user: "tester", pass: "secret",
      topic: `bench/${contestant}/${workload}/${runIndex}/${Math.random().toString(36).slice(2, 8)}`, ...spec,
    };
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    await page.goto(`${base}/www/bench/index.html?c=${contestant}${spec.mode === "codec" ? "&w=codec" : ""}`);
    await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 30000 });
    const err = await page.evaluate(() => window.benchError);
    if (err) throw new Error(err);
    if (workload === "startup") {
      const r = await page.evaluate((p) => window.startup(p), p);
      return { ok: true, ...r };
    }
    const before = await metrics(cdp);
    // The watchdog is cleared once the run is over: a pending 5-minute timer kept node alive after
    // the last run.
    let watchdog;
    const r = await Promise.race([
      page.evaluate((p) => window.bench(p), p),
      new Promise((_, reject) => {
        watchdog = setTimeout(() => reject(new Error(`timeout after ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(watchdog));
    const after = await metrics(cdp);
    const out = { ok: r.received >= spec.count && r.acked >= spec.count, ...r };
    out.scriptMs = after.script - before.script;
    out.taskMs = after.task - before.task;
    out.scriptMsPer1k = (out.scriptMs / spec.count) * 1000;
    out.taskMsPer1k = (out.taskMs / spec.count) * 1000;
    if (spec.mode === "qos0") out.msgPerSec = (r.received / r.ms) * 1000;
    if (spec.mode === "qos1") out.msgPerSec = (r.acked / (r.ackMs ?? r.ms)) * 1000;
    if (spec.mode === "codec") {
      // Every contestant must have done the same work: count × (frame + decoded topic and payload).
      const expected = spec.count * (r.frameBytes + p.topic.length + spec.size);
      out.ok = r.checksum === expected;
      if (!out.ok) out.error = `checksum ${r.checksum}, expected ${expected}`;
      out.encodePerSec = (spec.count / r.encodeMs) * 1000;
      out.decodePerSec = (spec.count / r.decodeMs) * 1000;
    }
    if (spec.mode === "latency") {
      const s = stats(r.latencies);
      out.p50 = s.q(0.5);
      out.p99 = s.q(0.99);
      out.latencyCount = r.latencies.length;
      delete out.latencies;
    }
    return out;
  } catch (e) {
    return { ok: false, error: String(e.message || e), pageErrors: errors };
  } finally {
    await context.close().catch(() => {});
  }
}

function summarize(results) {
  const FIG = { qos0: ["msgPerSec", "scriptMsPer1k", "taskMsPer1k"], qos1: ["msgPerSec", "scriptMsPer1k", "taskMsPer1k"], latency: ["p50", "p99", "scriptMsPer1k"], startup: ["scriptToConnackMs"], codec: ["encodePerSec", "decodePerSec"], dashboard: ["frameP95", "frameP99", "heapGrowthMB", "wasmGrowthMB", "scriptMsPer1k"] };
  const summary = {};
  for (const w of workloads) {
    summary[w] = {};
    for (const c of contestants) {
      if (WORKLOADS[w].contestants && !WORKLOADS[w].contestants.includes(c)) continue;
      const rs = results.filter((r) => r.workload === w && r.contestant === c && r.ok);
      if (!rs.length) continue;
      summary[w][c] = {};
      for (const f of FIG[WORKLOADS[w].mode]) {
        const s = stats(rs.map((r) => r[f]));
        summary[w][c][f] = { median: s.median, min: s.min, max: s.max, n: s.n };
      }
    }
  }
  return summary;
}

function printTable(summary, size) {
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = [];
  for (const [w, byC] of Object.entries(summary)) {
    for (const [c, figs] of Object.entries(byC)) {
      for (const [f, s] of Object.entries(figs)) {
        const raw = byC.raw?.[f]?.median;
        const mj = byC.mqttjs?.[f]?.median;
        lines.push(`${w.padEnd(8)} ${c.padEnd(7)} ${f.padEnd(18)} median ${fmt(s.median).padStart(8)}  [${fmt(s.min)}–${fmt(s.max)}] n=${s.n}` +
          (raw ? `  ×raw ${(s.median / raw).toFixed(2)}` : "") + (mj ? `  ×mqttjs ${(s.median / mj).toFixed(2)}` : ""));
      }
    }
  }
  for (const [c, s] of Object.entries(size)) if (contestants.includes(c)) lines.push(`size     ${c.padEnd(7)} gzipBytes          ${s.gzipBytes}` + (size.mqttjs ? `  ×mqttjs ${(s.gzipBytes / size.mqttjs.gzipBytes).toFixed(2)}` : ""));
  console.log(lines.join("\n"));
}

async function main() {
  for (const f of ["pkg/web/iotmqtt_core_bg.wasm", "pkg/bench/iotmqtt_bg.wasm"]) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run bash scripts/bench-build.sh`);
  }
  const t0 = Date.now();
  const server = await startServer();
  const base = `http://127.0.0.1:${server.address().port}`;
  let broker;
  let browser;
  const results = [];
  let chromiumVersion = null;
  const loadavgStart = os.loadavg();
  const commitAtStart = execSync("git rev-parse --short HEAD", { cwd: ROOT }).toString().trim();
  const stop = () => { try { broker?.proc.kill("SIGTERM"); } catch {} };
  process.on("SIGINT", () => { stop(); process.exit(130); });
  process.on("SIGTERM", () => { stop(); process.exit(143); });
  try {
    if (workloads.some((w) => WORKLOADS[w].mode === "codec")) await bundleMqttPacket();
    if (workloads.includes("dashboard") && !fs.existsSync(path.join(DIST, "index.html"))) {
      console.error("building the dashboard: trunk build --release --dist test-output/dist");
      execSync(`trunk build --release --dist "${DIST}"`, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    }
    broker = await startBroker("iotmqtt-bench-");
    browser = await launchChromium();
    chromiumVersion = browser.version();
    for (let round = 0; round < runs; round++) {
      for (const w of workloads) {
        // Alternate: rotate the contestants' order each round.
        const order = contestants.map((_, i) => contestants[(i + round) % contestants.length]);
        for (const c of order.filter((c) => !WORKLOADS[w].contestants || WORKLOADS[w].contestants.includes(c))) {
          const r = await runOne(browser, base, broker.ports, c, w, round);
          results.push({ round, workload: w, contestant: c, ...r });
          const brief = r.ok ? (r.frameP95 !== undefined ? `frame p95 ${r.frameP95.toFixed(1)} ms, heap +${r.heapGrowthMB.toFixed(1)} MB` : r.encodePerSec ? `encode ${r.encodePerSec.toFixed(0)}/s, decode ${r.decodePerSec.toFixed(0)}/s` : r.msgPerSec ? `${r.msgPerSec.toFixed(0)} msg/s, ${r.scriptMsPer1k.toFixed(1)} script ms/1k` : r.p50 !== undefined ? `p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms` : `${r.scriptToConnackMs.toFixed(1)} ms to CONNACK`) : `FAILED: ${r.error ?? JSON.stringify(r)}`;
          console.error(`[${((Date.now() - t0) / 1000).toFixed(0)}s] round ${round + 1}/${runs} ${w} ${c}: ${brief}`);
        }
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    stop();
    server.close();
  }
  const size = sizes();
  const summary = summarize(results);
  const meta = {
    date: new Date().toISOString(), commit: commitAtStart,
    pkgWebBuilt: fs.statSync(path.join(ROOT, "pkg/web/iotmqtt_core_bg.wasm")).mtime.toISOString(), pkgBenchBuilt: fs.statSync(path.join(ROOT, "pkg/bench/iotmqtt_bg.wasm")).mtime.toISOString(), quick, runs, workloads: Object.fromEntries(workloads.map((w) => [w, WORKLOADS[w]])), contestants,
    chromium: chromiumVersion, node: process.version, cpus: os.cpus().map((c) => c.model)[0], ncpu: os.cpus().length,
    loadavgStart, loadavgEnd: os.loadavg(), mqttjs: JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/mqtt/package.json"), "utf8")).version, mqttPacket: JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/mqtt-packet/package.json"), "utf8")).version,
    brokerConf: broker?.conf, wallSeconds: (Date.now() - t0) / 1000,
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify({ meta, size, summary, results }, null, 2) + "\n");
  printTable(summary, size);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  for (const r of results.filter((r) => !r.ok)) console.log(`failed: ${r.workload} ${r.contestant}: ${r.error ?? "incomplete counts " + JSON.stringify({ sent: r.sent, received: r.received, acked: r.acked })}`);
  console.log(`results: ${path.relative(ROOT, outFile)}`);
  console.log(`bench: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e); process.exit(1); });
