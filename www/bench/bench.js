// Benchmark page: one contestant per page load (?c=npm|rust|mqttjs|raw), driven by bench/run.mjs.
// window.bench(params) runs one workload and resolves with counts and timings; ?w=startup instead
// measures script start -> CONNACK on its own and sets window.startupResult.
const scriptStart = performance.now();
const q = new URLSearchParams(location.search);
const contestant = q.get("c") || "npm";

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

// Reads the 8 ASCII digits at the start of a payload (Uint8Array or Buffer): the sequence number.
function seqOf(bytes, off = 0) {
  let n = 0;
  for (let i = off; i < off + 8; i++) n = n * 10 + (bytes[i] - 48);
  return n;
}
const seqText = (seq, size) => String(seq).padStart(8, "0") + "x".repeat(Math.max(0, size - 8));

// ---- contestants: connect(p) -> { subscribe(qos), publish0(text), publish1(text, done), onMessage(fn(bytes|null)), close() }

async function npmContestant() {
  // ?pkg=profile loads the name-section build of bench/profile.mjs instead of the npm package.
  const { default: init, MqttClient } = await import(`/pkg/${q.get("pkg") === "profile" ? "profile" : "web"}/iotmqtt.js`);
  await init();
  return {
    async connect(p) {
      const client = new MqttClient(p.url, { username: p.user, password: p.pass, keepaliveSecs: 60 });
      await client.connect();
      let handler = () => {};
      client.on("message", (m) => handler(p.needPayload ? m.payload : null));
      return {
        subscribe: (qos) => client.subscribe(p.topic, { qos }),
        publish0: (text) => { client.publish(p.topic, text, { qos: 0 }); },
        publish1: (text, done) => { client.publish(p.topic, text, { qos: 1 }).then(done); },
        onMessage: (fn) => { handler = fn; },
        close: () => client.close(),
      };
    },
  };
}

async function mqttjsContestant() {
  await loadScript("/node_modules/mqtt/dist/mqtt.min.js");
  const mqtt = window.mqtt;
  return {
    connect(p) {
      return new Promise((resolve, reject) => {
        const client = mqtt.connect(p.url, {
          username: p.user, password: p.pass, keepalive: 60, reconnectPeriod: 0, protocolVersion: 4,
        });
        client.once("error", reject);
        let handler = () => {};
        client.on("message", (_t, payload) => handler(payload));
        client.once("connect", () => resolve({
          subscribe: (qos) => new Promise((ok, ko) => client.subscribe(p.topic, { qos }, (e) => (e ? ko(e) : ok()))),
          publish0: (text) => { client.publish(p.topic, text, { qos: 0 }); },
          publish1: (text, done) => { client.publish(p.topic, text, { qos: 1 }, done); },
          onMessage: (fn) => { handler = fn; },
          close: () => client.end(true),
        }));
      });
    },
  };
}

// The ceiling: hand-encoded MQTT 3.1.1 frames straight to a WebSocket; the receive side only reads
// PUBLISH headers (and the packet id for the PUBACK of QoS 1, the first 8 payload bytes for latency).
function rawContestant() {
  const enc = new TextEncoder();
  const str = (s) => { const b = enc.encode(s); return [b.length >> 8, b.length & 255, ...b]; };
  const varint = (n) => { const out = []; do { let d = n & 127; n >>>= 7; if (n) d |= 128; out.push(d); } while (n); return out; };
  const frame = (b1, body) => new Uint8Array([b1, ...varint(body.length), ...body]);
  return {
    connect(p) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(p.url, ["mqtt"]);
        ws.binaryType = "arraybuffer";
        let handler = () => {};
        let onConnack = null, onSuback = null;
        const ackDone = new Map();
        let pid = 1;
        let rest = null;
        ws.onerror = () => reject(new Error("socket error"));
        ws.onopen = () => {
          onConnack = () => resolve(api);
          ws.send(frame(0x10, [...str("MQTT"), 4, 0xc2, 0, 60, ...str("raw" + Math.random().toString(36).slice(2, 10)), ...str(p.user), ...str(p.pass)]));
        };
        ws.onmessage = (ev) => {
          let u8 = new Uint8Array(ev.data);
          if (rest) { const m = new Uint8Array(rest.length + u8.length); m.set(rest); m.set(u8, rest.length); u8 = m; rest = null; }
          let i = 0;
          const len = u8.length;
          while (i + 2 <= len) {
            let rl = 0, mul = 1, j = i + 1, b;
            do { if (j >= len) { rl = -1; break; } b = u8[j++]; rl += (b & 127) * mul; mul *= 128; } while (b & 128);
            if (rl < 0 || j + rl > len) break;
            const b1 = u8[i], type = b1 >> 4;
            if (type === 3) {
              const tl = (u8[j] << 8) | u8[j + 1];
              let off = j + 2 + tl;
              if (b1 & 6) { ws.send(new Uint8Array([0x40, 2, u8[off], u8[off + 1]])); off += 2; }
              handler(p.needPayload ? u8.subarray(off, j + rl) : null);
            } else if (type === 4) {
              const id = (u8[j] << 8) | u8[j + 1];
              const d = ackDone.get(id);
              ackDone.delete(id);
              if (d) d();
            } else if (type === 2) { onConnack?.(); } else if (type === 9) { onSuback?.(); }
            i = j + rl;
          }
          if (i < len) rest = u8.slice(i);
        };
        const topic = str(p.topic);
        const cache = new Map();
        const publishFrame = (text, qos) => {
          // Frames of the same text are encoded once (throughput); latency texts differ per message.
          let f = qos === 0 ? cache.get(text) : null;
          if (!f) {
            const payload = enc.encode(text);
            const body = new Uint8Array(topic.length + (qos ? 2 : 0) + payload.length);
            body.set(topic); body.set(payload, topic.length + (qos ? 2 : 0));
            const head = [qos ? 0x32 : 0x30, ...varint(body.length)];
            f = new Uint8Array(head.length + body.length); f.set(head); f.set(body, head.length);
            if (qos === 0 && !p.needPayload) cache.set(text, f);
          }
          return f;
        };
        const api = {
          subscribe: (qos) => new Promise((ok) => { onSuback = ok; ws.send(frame(0x82, [0, 1, ...topic, qos])); }),
          publish0: (text) => ws.send(publishFrame(text, 0)),
          publish1: (text, done) => {
            const f = publishFrame(text, 1).slice();
            pid = pid >= 65535 ? 2 : pid + 1;
            const at = f.length - enc.encode(text).length - 2;
            f[at] = pid >> 8; f[at + 1] = pid & 255;
            ackDone.set(pid, done);
            ws.send(f);
          },
          onMessage: (fn) => { handler = fn; },
          close: () => ws.close(),
        };
      });
    },
  };
}

async function rustContestant() {
  // pkg/bench: the same library built with the `bench` feature, which adds benchRust/benchCodec.
  const mod = await import("/pkg/bench/iotmqtt.js");
  await mod.default();
  return { benchRust: mod.benchRust, benchCodec: mod.benchCodec };
}

// ---- workloads over the generic interface

async function runGeneric(lib, p) {
  const t0c = performance.now();
  const c = await lib.connect(p);
  const connectMs = performance.now() - t0c;
  await c.subscribe(p.mode === "qos1" ? 1 : 0);
  const res = { connectMs, sent: 0, received: 0, acked: 0 };
  const t0 = performance.now();
  if (p.mode === "qos0" || p.mode === "qos1") {
    const text = "x".repeat(p.size);
    await new Promise((resolve) => {
      let wake = null;
      c.onMessage(() => {
        res.received++;
        if (wake && (p.mode === "qos1" ? res.received >= p.count && res.acked >= p.count : true)) { const w = wake; wake = null; w(); }
      });
      if (p.mode === "qos0") {
        const pump = () => {
          while (res.sent < p.count && res.sent - res.received < p.window) { c.publish0(text); res.sent++; }
          if (res.received >= p.count) { res.acked = res.sent; resolve(); return; }
          wake = pump;
        };
        pump();
      } else {
        let inflight = 0;
        const done = () => {
          res.acked++; inflight--;
          if (res.acked === p.count) res.ackMs = performance.now() - t0;
          fill();
        };
        const fill = () => {
          while (res.sent < p.count && inflight < p.window) { inflight++; res.sent++; c.publish1(text, done); }
          if (res.acked >= p.count) { if (res.received >= p.count) resolve(); else wake = resolve; }
        };
        fill();
      }
    });
  } else {
    const sentAt = new Float64Array(p.count);
    const lat = [];
    await new Promise((resolve) => {
      c.onMessage((bytes) => {
        const t = performance.now();
        lat.push(t - sentAt[seqOf(bytes)]);
        res.received++;
        if (res.received >= p.count) resolve();
      });
      const tick = () => {
        const due = Math.min(p.count, Math.floor(((performance.now() - t0) * p.rate) / 1000) + 1);
        while (res.sent < due) { sentAt[res.sent] = performance.now(); c.publish0(seqText(res.sent, p.size)); res.sent++; }
        if (res.sent < p.count) setTimeout(tick, 1);
      };
      tick();
    });
    res.acked = res.sent;
    res.latencies = lat;
  }
  res.ms = performance.now() - t0;
  c.close();
  return res;
}

// ---- codec workload (?w=codec): encode `count` QoS 0 PUBLISH frames, then decode one frame `count` times.
// codec(topic, payload: Uint8Array) -> { encode() -> Uint8Array, decoder() -> (frame) -> payloadLength }

function rawCodec() {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    encode(topic, payload) {
      const tl = enc.encode(topic).length;
      const rl = 2 + tl + payload.length;
      const hl = rl < 128 ? 2 : rl < 16384 ? 3 : 4;
      const f = new Uint8Array(hl + rl);
      f[0] = 0x30;
      let n = rl, i = 1;
      do { let d = n & 127; n >>>= 7; if (n) d |= 128; f[i++] = d; } while (n);
      f[i] = tl >> 8; f[i + 1] = tl & 255;
      enc.encodeInto(topic, f.subarray(i + 2));
      f.set(payload, i + 2 + tl);
      return f;
    },
    decode(f) {
      let rl = 0, mul = 1, j = 1, b;
      do { b = f[j++]; rl += (b & 127) * mul; mul *= 128; } while (b & 128);
      const tl = (f[j] << 8) | f[j + 1];
      const topic = dec.decode(f.subarray(j + 2, j + 2 + tl));
      const payload = f.subarray(j + 2 + tl, j + rl);
      return topic.length + payload.length;
    },
  };
}

async function mqttPacketCodec() {
  // mqtt-packet 9 (MQTT.js's packet layer), bundled for the browser by bench/run.mjs with esbuild.
  const { mqttPacket, Buffer } = await import("/test-output/bench-assets/mqtt-packet.js");
  let last = 0;
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p) => { last = p.topic.length + p.payload.length; });
  parser.on("error", (e) => { throw e; });
  return {
    encode: (topic, payload) => mqttPacket.generate({ cmd: "publish", topic, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.length), qos: 0, retain: false, dup: false }),
    decode(f) { parser.parse(f); return last; },
  };
}

async function runCodec(lib, p) {
  // Start in a task of its own, so that DevTools' ScriptDuration counts the work.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const payload = new Uint8Array(p.size).fill(120);
  let checksum = 0;
  if (lib.benchCodec) {
    const r = lib.benchCodec(p.topic, p.count, p.size);
    return { encodeMs: r.encodeMs, decodeMs: r.decodeMs, frameBytes: r.frameBytes, checksum: r.checksum, sent: p.count, received: p.count, acked: p.count };
  }
  let frame = null;
  const t0 = performance.now();
  for (let i = 0; i < p.count; i++) { frame = lib.encode(p.topic, payload); checksum += frame.length; }
  const encodeMs = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < p.count; i++) checksum += lib.decode(frame);
  const decodeMs = performance.now() - t1;
  return { encodeMs, decodeMs, frameBytes: frame.length, checksum, sent: p.count, received: p.count, acked: p.count };
}

const CODECS = { raw: rawCodec, mqttjs: mqttPacketCodec, rust: rustContestant };
const libPromise = Promise.resolve().then(() => (q.get("w") === "codec" ? CODECS : { npm: npmContestant, mqttjs: mqttjsContestant, raw: rawContestant, rust: rustContestant })[contestant]());

window.bench = async (p) => {
  const lib = await libPromise;
  if (p.mode === "codec") return runCodec(lib, p);
  if (contestant === "rust") {
    const r = await lib.benchRust(p.url, p.user, p.pass, p.topic, p.mode, p.count, p.size, p.window, p.rate || 0);
    const out = { connectMs: r.connectMs, ms: r.ms, sent: r.sent, received: r.received, acked: r.acked };
    if (r.ackMs !== undefined) out.ackMs = r.ackMs;
    if (r.latencies) out.latencies = Array.from(r.latencies);
    return out;
  }
  return runGeneric(lib, p);
};

window.startup = async (p) => {
  // Script start (this module's first line) -> CONNACK, including loading the library.
  const lib = await libPromise;
  if (contestant === "rust") {
    const tCall = performance.now();
    const r = await lib.benchRust(p.url, p.user, p.pass, p.topic, "qos0", 1, 8, 1, 0);
    return { scriptToConnackMs: tCall - scriptStart + r.connectMs, navToScriptMs: scriptStart };
  }
  const c = await lib.connect(p);
  const t = performance.now();
  c.close();
  return { scriptToConnackMs: t - scriptStart, navToScriptMs: scriptStart };
};

libPromise.then(() => { window.benchReady = true; }, (e) => { window.benchError = String(e); });
