// Shared by bench/run.mjs and bench/profile.mjs: the static server for the benchmark pages, the
// benchmark broker (tests/harness/broker.py: mosquitto with a websockets listener, no queue caps) and
// Debian's headless Chromium.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const MIME = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".css": "text/css", ".json": "application/json" };
// www/, the builds in pkg/ (web, bench, profile), MQTT.js's browser bundle and the mqtt-packet bundle.
const ALLOWED = ["/www/", "/pkg/", "/node_modules/mqtt/dist/", "/test-output/bench-assets/"];

/** Serves ALLOWED below the repository on 127.0.0.1 (a free port). */
export function startServer() {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.join(ROOT, path.normalize(url));
    if (!ALLOWED.some((p) => url.startsWith(p)) || !file.startsWith(ROOT) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": MIME[path.extname(file)] || "application/octet-stream", "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Starts the benchmark broker; resolves with its process, ports, folder and configuration. */
export async function startBroker(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const ready = path.join(dir, "ready.json");
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  const proc = spawn("python3", [path.join(ROOT, "tests/harness/broker.py"), "--ready-file", ready, "--workdir", work], { stdio: ["ignore", "ignore", "inherit"] });
  const t0 = Date.now();
  while (!fs.existsSync(ready) || !fs.readFileSync(ready, "utf8").trim()) {
    if (proc.exitCode !== null) throw new Error(`broker exited with ${proc.exitCode}`);
    if (Date.now() - t0 > 20000) throw new Error("broker not ready after 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const ports = JSON.parse(fs.readFileSync(ready, "utf8"));
  const conf = fs.readdirSync(work).filter((f) => f.endsWith(".conf")).map((f) => fs.readFileSync(path.join(work, f), "utf8")).join("\n");
  return { proc, ports, dir, conf };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
