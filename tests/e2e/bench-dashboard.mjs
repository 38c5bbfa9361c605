// Benchmark: the Generic MQTT page receiving N messages/s (default 1,000) for S seconds (default
// 60) from mosquitto, in headless Chromium. Prints frame-time percentiles (requestAnimationFrame
// deltas) and JS heap growth (CDP Performance.getMetrics after a forced GC at start and end).
//
//   node tests/e2e/bench-dashboard.mjs [--seconds 60] [--rate 1000] [--dist test-output/dist]
//
// Starts its own mosquitto (tests/harness/broker.py) unless IOTMQTT_TEST_BROKER_* are set.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, OUT, DIST, serveDist, launch, openPage, connect, waitConnected } from './lib.mjs';
import { mqttConnect, publishAtRate } from './mqtt-publisher.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', 60));
const rate = Number(arg('rate', 1000));
const dist = arg('dist', DIST);

async function startBroker() {
  if (process.env.IOTMQTT_TEST_BROKER_WS_PORT && process.env.IOTMQTT_TEST_BROKER_TCP_PORT) return null;
  const dir = join(OUT, 'bench', 'broker');
  await mkdir(dir, { recursive: true });
  const ready = join(OUT, 'bench', 'broker.json');
  await rm(ready, { force: true });
  const proc = spawn('python3', [join(ROOT, 'tests/harness/broker.py'), '--ready-file', ready, '--workdir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      const ports = JSON.parse(await readFile(ready, 'utf8'));
      process.env.IOTMQTT_TEST_BROKER_WS_PORT = String(ports.ws);
      process.env.IOTMQTT_TEST_BROKER_TCP_PORT = String(ports.tcp);
      return proc;
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  proc.kill();
  throw new Error('mosquitto did not start');
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

export async function runBench({ seconds, rate, dist }) {
  const broker = await startBroker();
  const { server, base } = await serveDist(dist);
  const browser = await launch();
  try {
    const { page } = await openPage(browser, base, 'mqtt');
    await connect(page, 'generic');
    await waitConnected(page);
    await page.fill('#sub-filter', 'bench/#');
    await page.selectOption('#sub-qos', '0');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByText('granted QoS 0').waitFor();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    };
    const wasmMB = async () => Number((await page.locator('[data-testid=wasm-memory]').innerText()).split(' ')[0]);
    const before = await heap();
    const wasmBefore = await wasmMB();
    await page.evaluate(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    const client = await mqttConnect({ port: Number(process.env.IOTMQTT_TEST_BROKER_TCP_PORT), username: 'tester', password: 'secret' });
    const sent = await publishAtRate(client, { topic: 'bench/load', rate, seconds });
    await new Promise((r) => setTimeout(r, 1000));
    const frames = await page.evaluate(() => { window.__stop = true; return window.__frames.slice(1); });
    // QoS 0 from a local mosquitto to a connected subscriber is not dropped: wait (up to 10 s) for
    // the page to count every message, so the count can be compared exactly.
    const receivedNow = async () => Number((await page.locator('[data-testid=received]').innerText()).split(' ')[0]);
    let received = await receivedNow();
    for (let i = 0; i < 100 && received < sent; i++) {
      await new Promise((r) => setTimeout(r, 100));
      received = await receivedNow();
    }
    const after = await heap();
    const wasmAfter = await wasmMB();
    client.close();
    const sorted = [...frames].sort((a, b) => a - b);
    const result = {
      seconds, rate, sent, received,
      frames: frames.length,
      frameMs: { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1] },
      longFrames: frames.filter((f) => f > 50).length,
      heapMB: { start: before.JSHeapUsedSize / 1e6, end: after.JSHeapUsedSize / 1e6, growth: (after.JSHeapUsedSize - before.JSHeapUsedSize) / 1e6 },
      wasmMB: { start: wasmBefore, end: wasmAfter, growth: wasmAfter - wasmBefore },
      scriptSeconds: after.ScriptDuration - before.ScriptDuration,
      taskSeconds: after.TaskDuration - before.TaskDuration,
    };
    await mkdir(join(OUT, 'bench'), { recursive: true });
    await writeFile(join(OUT, 'bench', `dashboard-${seconds}s.json`), JSON.stringify(result, null, 2));
    return result;
  } finally {
    await browser.close();
    server.close();
    broker?.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runBench({ seconds, rate, dist });
  const f = (n) => n.toFixed(1);
  console.log(`dashboard bench: ${r.sent} messages at ${rate}/s for ${seconds} s, ${r.received} received`);
  console.log(`frame time: p50 ${f(r.frameMs.p50)} ms, p95 ${f(r.frameMs.p95)} ms, p99 ${f(r.frameMs.p99)} ms, max ${f(r.frameMs.max)} ms; ${r.longFrames} frames over 50 ms of ${r.frames}`);
  console.log(`JS heap: ${f(r.heapMB.start)} MB -> ${f(r.heapMB.end)} MB (growth ${f(r.heapMB.growth)} MB); wasm memory: ${f(r.wasmMB.start)} MB -> ${f(r.wasmMB.end)} MB`);
  console.log(`main thread: script ${f(r.scriptSeconds)} s, tasks ${f(r.taskSeconds)} s in ${seconds} s`);
}
