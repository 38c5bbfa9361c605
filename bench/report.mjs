#!/usr/bin/env node
// Renders a results file of bench/run.mjs as the Markdown table of BENCHMARKS.md:
//   node bench/report.mjs bench/results/full-5-rounds.json
// Each cell: median [min–max] over the successful runs (n), and the ratio of the medians to the raw
// ceiling and to MQTT.js.
import fs from "node:fs";

const file = process.argv[2];
const { meta, size, summary, results } = JSON.parse(fs.readFileSync(file, "utf8"));
const NAMES = { raw: "raw WebSocket ceiling", mqttjs: `MQTT.js ${meta.mqttjs}`, npm: "iotmqtt npm package", rust: "iotmqtt Rust API" };
const FIGS = {
  msgPerSec: "msg/s",
  scriptMsPer1k: "script ms / 1k msgs",
  taskMsPer1k: "task ms / 1k msgs",
  p50: "RTT p50 ms",
  p99: "RTT p99 ms",
  scriptToConnackMs: "script start → CONNACK, ms",
  encodePerSec: "PUBLISH encoded / s",
  decodePerSec: "PUBLISH decoded / s",
  frameP95: "frame time p95, ms",
  frameP99: "frame time p99, ms",
  heapGrowthMB: "JS heap growth, MB",
  wasmGrowthMB: "wasm memory growth, MB",
};
const fmt = (x) => (x >= 1000 ? Math.round(x).toLocaleString("en-US") : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a !== undefined && b ? (a / b).toFixed(2) : "–");

const out = [];
out.push(`| workload | figure | contestant | median | spread (min–max) | runs | × raw | × MQTT.js |`);
out.push(`| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [w, byC] of Object.entries(summary)) {
  const figs = [...new Set(Object.values(byC).flatMap((f) => Object.keys(f)))];
  for (const f of figs) {
    for (const c of ["raw", "mqttjs", "npm", "rust"]) {
      const s = byC[c]?.[f];
      if (!s) continue;
      const fails = results.filter((r) => r.workload === w && r.contestant === c && !r.ok).length;
      out.push(`| ${w} | ${FIGS[f] ?? f} | ${w === "dashboard" ? "iotmqtt dashboard (Yew)" : w.startsWith("codec") && c === "mqttjs" ? `mqtt-packet ${meta.mqttPacket} (MQTT.js's codec)` : NAMES[c]} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${s.n}${fails ? ` (+${fails} failed)` : ""} | ${ratio(s.median, byC.raw?.[f]?.median)} | ${ratio(s.median, byC.mqttjs?.[f]?.median)} |`);
    }
  }
}
for (const c of ["raw", "mqttjs", "npm", "rust"]) {
  if (!size[c]) continue;
  out.push(`| size | gzip -9 bytes downloaded | ${NAMES[c]} | ${size[c].gzipBytes.toLocaleString("en-US")} | – | 1 | ${ratio(size[c].gzipBytes, size.raw.gzipBytes)} | ${ratio(size[c].gzipBytes, size.mqttjs.gzipBytes)} |`);
}
console.log(out.join("\n"));
console.log(`\nFrom \`${file}\`: commit ${meta.commit}, ${meta.date}, Chromium ${meta.chromium}, node ${meta.node}, ${meta.ncpu} × ${meta.cpus}, load average at start ${meta.loadavgStart?.map((x) => x.toFixed(2)).join(" ")}, at end ${meta.loadavgEnd.map((x) => x.toFixed(2)).join(" ")}, ${meta.runs} rounds, wall ${Math.round(meta.wallSeconds)} s.`);
