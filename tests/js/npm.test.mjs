// The npm package as a user meets it: headless Chromium loads pkg/web from a page served on loopback,
// runs the www/examples flows against the simulator and mosquitto, and checks the JS API from JavaScript.
// Needs: bash scripts/npm-build.sh, and the ports that scripts/npm-test.sh exports.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { env, start, stop } from "./chromium.mjs";
import { hostileServer } from "./hostile.mjs";
import { aedesServer } from "../harness/aedes.mjs";
import mqtt from "mqtt";

const BROKER_WS = `ws://127.0.0.1:${env("IOTMQTT_TEST_BROKER_WS_PORT")}/mqtt`;
const SIM_HTTP = `http://127.0.0.1:${env("IOTMQTT_TEST_SIM_HTTP_PORT")}`;
const SIM_WS = `ws://127.0.0.1:${env("IOTMQTT_TEST_SIM_HTTP_PORT")}/mqtt`;
const TB_URL = `${SIM_WS}/thingsboard`;
const TTS_URL = `${SIM_WS}/thethingsstack`;
const CP_URL = `${SIM_WS}/cloudplugs`;

let server, browser, base;
before(async () => ({ server, browser, base } = await start()));
after(() => stop({ server, browser }));

/** A page with timers and WebSockets tracked, so leak checks see what the library left behind. */
async function openPage(path = "/www/examples/index.html") {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.addInitScript(() => {
    const pending = new Set();
    const sockets = [];
    const { setTimeout: set, clearTimeout: clear, WebSocket: Socket } = window;
    window.setTimeout = (fn, ms, ...args) => {
      const id = set(() => { pending.delete(id); typeof fn === "function" ? fn(...args) : undefined; }, ms);
      pending.add(id);
      return id;
    };
    window.clearTimeout = (id) => { pending.delete(id); clear(id); };
    window.WebSocket = class extends Socket {
      constructor(...args) { super(...args); sockets.push(this); }
    };
    window.__tracked = {
      pendingTimers: () => pending.size,
      openSockets: () => sockets.filter((s) => s.readyState === Socket.CONNECTING || s.readyState === Socket.OPEN).length,
      sockets: () => sockets.length,
    };
  });
  await page.goto(base + path);
  return page;
}

/** Runs `fn(lib, arg)` in a fresh page with the package loaded (ES module, as a user imports it). */
async function inPage(fn, arg) {
  const page = await openPage();
  try {
    return await page.evaluate(async ({ source, arg }) => {
      // Each entry point has its own wasm, loaded by its own init(). ThingsBoardGateway is the gateway
      // entry's; ThingsBoardDevice the device entry's, whose provision() loads the gateway entry.
      const lib = {};
      for (const entry of ["thingsboard-gateway", "thingsboard", "things-stack", "cloudplugs", "payload", "iotmqtt"]) {
        const { default: init, ...exports } = await import(`/pkg/web/${entry}.js`);
        await init();
        Object.assign(lib, exports);
      }
      const f = new Function(`return (${source})`)();
      return await f(lib, arg);
    }, { source: fn.toString(), arg });
  } finally {
    await page.close();
  }
}

async function waitFor(page, predicate, arg, timeout = 15000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
}

async function admin(method, path, body) {
  const res = await fetch(SIM_HTTP + path, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe("examples against the simulator", () => {
  test("ThingsBoard example answers an RPC started through the admin API", async () => {
    const page = await openPage(`/www/examples/thingsboard-rpc.html?url=${TB_URL}&token=demo-thermostat-token&autostart=1`);
    await waitFor(page, () => window.example?.connected || window.example?.errors.length);
    assert.deepEqual(await page.evaluate(() => window.example.errors), []);
    const get = await admin("POST", "/api/rpc/twoway/Demo%20Thermostat", { method: "getTemperature", params: {} });
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, { temperature: 21.5 });
    const set = await admin("POST", "/api/rpc/twoway/Demo%20Thermostat", { method: "setSetpoint", params: { value: 23 } });
    assert.deepEqual(set.body, { setpoint: 23 });
    const bad = await admin("POST", "/api/rpc/twoway/Demo%20Thermostat", { method: "setSetpoint", params: "warm" });
    assert.deepEqual(bad.body, { error: "setSetpoint needs a number" });
    assert.deepEqual(await page.evaluate(() => window.example.rpcs), ["getTemperature", "setSetpoint", "setSetpoint"]);
    const live = await page.evaluate(() => { window.example.close(); return window.example.live; });
    assert.deepEqual(live, { timers: 0, socket: false, listeners: 0 });
    await page.close();
  });

  test("TTN example pushes a hex downlink and tracks it to acked", async () => {
    const page = await openPage(`/www/examples/ttn-downlink.html?url=${TTS_URL}&application=demo-app@ttn&apiKey=NNSXS.DEMOKEY.SIMULATOR&device=demo-sensor-1&hex=BE%20EF&autostart=1`);
    await waitFor(page, () => window.example?.outcome || window.example?.errors.length, undefined, 20000);
    const ex = await page.evaluate(() => window.example);
    assert.deepEqual(ex.errors, []);
    assert.deepEqual(ex.statuses, ["queued", "sent", "acked"]);
    const queue = await admin("GET", "/api/sim/thethingsstack");
    assert.equal(queue.status, 200);
    await page.evaluate(() => window.example.close());
    await page.close();
  });

  test("pub/sub example round trip on the simulator (CloudPlugs data channel)", async () => {
    const plug = "dev-000000000000000000000001";
    const q = new URLSearchParams({ url: CP_URL, username: plug, password: "demo-auth", topic: `${plug}/data/npm-test`,
      message: JSON.stringify({ data: 42 }), autostart: "1" });
    const page = await openPage(`/www/examples/pubsub.html?${q}`);
    await waitFor(page, () => window.example?.received?.length || window.example?.errors.length);
    const ex = await page.evaluate(() => window.example);
    assert.deepEqual(ex.errors, []);
    assert.equal(ex.received[0].topic, `${plug}/data/npm-test`);
    assert.equal(JSON.parse(ex.received[0].text).data, 42);
    await page.close();
  });
});

describe("examples against mosquitto", () => {
  test("pub/sub example round trip", async () => {
    const q = new URLSearchParams({ url: BROKER_WS, username: "tester", password: "secret", topic: "npm/pubsub", message: "hello", autostart: "1" });
    const page = await openPage(`/www/examples/pubsub.html?${q}`);
    await waitFor(page, () => window.example?.received?.length || window.example?.errors.length);
    const ex = await page.evaluate(() => window.example);
    assert.deepEqual(ex.errors, []);
    assert.deepEqual(ex.received, [{ topic: "npm/pubsub", text: "hello", qos: 1 }]);
    await page.close();
  });

  test("ThingsBoard example answers an RPC that a second client sends as the server would", async () => {
    const q = new URLSearchParams({ url: BROKER_WS, clientId: "npm-tb-device", username: "tester", password: "secret", limits: "0", autostart: "1" });
    const page = await openPage(`/www/examples/thingsboard-rpc.html?${q}`);
    await waitFor(page, () => window.example?.connected || window.example?.errors.length);
    const reply = await page.evaluate(async (url) => {
      const { default: init, MqttClient } = await import("/pkg/web/iotmqtt.js");
      await init();
      const server = new MqttClient(url, { username: "tester", password: "secret" });
      await server.connect();
      const got = new Promise((ok) => server.onMessage("v1/devices/me/rpc/response/+", (m) => ok({ topic: m.topic, text: m.text })));
      await server.subscribe("v1/devices/me/rpc/response/+", { qos: 1 });
      await server.publish("v1/devices/me/rpc/request/7", { method: "echo", params: { n: 1 } }, { qos: 1 });
      const r = await got;
      server.close();
      return r;
    }, BROKER_WS);
    assert.deepEqual(reply, { topic: "v1/devices/me/rpc/response/7", text: '{"n":1}' });
    await page.close();
  });

  test("TTN example tracks a downlink whose events a second client publishes as the server would", async () => {
    const q = new URLSearchParams({ url: BROKER_WS, application: "demo-app@ttn", apiKey: "NNSXS.DEMOKEY.SIMULATOR", device: "demo-sensor-1", hex: "01 02", confirmed: "1" });
    const page = await openPage(`/www/examples/ttn-downlink.html?${q}`);
    await waitFor(page, () => window.example?.ready);
    const statuses = await page.evaluate(async (url) => {
      const { default: init, MqttClient } = await import("/pkg/web/iotmqtt.js");
      await init();
      const server = new MqttClient(url, { username: "tester", password: "secret" });
      await server.connect();
      const base = "v3/demo-app@ttn/devices/demo-sensor-1";
      server.onMessage(`${base}/down/push`, async (m) => {
        const { downlinks: [d] } = JSON.parse(m.text);
        const up = (body) => ({ end_device_ids: { device_id: "demo-sensor-1", application_ids: { application_id: "demo-app" } }, correlation_ids: d.correlation_ids, ...body });
        for (const [kind, key] of [["queued", "downlink_queued"], ["sent", "downlink_sent"], ["ack", "downlink_ack"]]) {
          await server.publish(`${base}/down/${kind}`, up({ [key]: { ...d, f_cnt: 3 } }));
        }
      });
      await server.subscribe(`${base}/down/push`, { qos: 1 });
      document.getElementById("connect").click();
      while (!window.example.connected && !window.example.errors.length) await new Promise((r) => setTimeout(r, 20));
      document.getElementById("send").click();
      while (!window.example.outcome && !window.example.errors.length) await new Promise((r) => setTimeout(r, 20));
      server.close();
      return { statuses: window.example.statuses, errors: window.example.errors };
    }, BROKER_WS);
    assert.deepEqual(statuses, { statuses: ["queued", "sent", "acked"], errors: [] });
    await page.close();
  });
});

describe("brokers other than mosquitto (issue 21)", () => {
  test("a RabbitMQ cluster's Web MQTT, a client on each node with default options: 200 QoS 1 messages across the nodes once each", async () => {
    const { nodes } = JSON.parse(readFileSync(env("IOTMQTT_TEST_RABBITMQ"), "utf8"));
    const urls = nodes.map((n) => `ws://127.0.0.1:${n.ws}/ws`);
    const result = await inPage(async (lib, urls) => {
      const sockets = window.__tracked.sockets();
      const sub = new lib.MqttClient(urls[1]);
      const pub = new lib.MqttClient(urls[0]);
      const got = [];
      sub.onMessage("rabbit/#", (m) => got.push(`${m.topic} ${m.text} ${m.qos}`));
      await sub.connect();
      await pub.connect();
      // RabbitMQ 3.10's MQTT has no QoS 2: a QoS 2 subscription is granted QoS 1.
      const granted = await sub.subscribe("rabbit/#", { qos: 2 });
      const sends = [];
      for (let i = 0; i < 200; i++) sends.push(pub.publish("rabbit/q1", `m${i}`, { qos: 1 }));
      await Promise.all(sends);
      while (got.length < 200) await new Promise((r) => setTimeout(r, 20));
      // Anything sent twice would arrive within this.
      await new Promise((r) => setTimeout(r, 500));
      const opened = window.__tracked.sockets() - sockets;
      sub.close();
      pub.close();
      return { granted, got: got.sort(), opened };
    }, urls);
    assert.equal(result.granted, 1);
    assert.deepEqual(result.got, Array.from({ length: 200 }, (_, i) => `rabbit/q1 m${i} 1`).sort());
    // Each client's first socket offered ["binary", "mqtt"], which RabbitMQ 3.10 answers with the whole
    // list and Chromium refuses; the second offered "mqtt" alone and opened.
    assert.equal(result.opened, 4);
  });

  // Kills a node: the last RabbitMQ test.
  test("RabbitMQ failover with servers: the node a publisher is on is killed mid-stream, 2,000 QoS 1 messages all arrive", async () => {
    const { nodes } = JSON.parse(readFileSync(env("IOTMQTT_TEST_RABBITMQ"), "utf8"));
    const urls = nodes.map((n) => `ws://127.0.0.1:${n.ws}/ws`);
    const page = await openPage();
    try {
      await page.evaluate(async (urls) => {
        const { default: init, MqttClient } = await import("/pkg/web/iotmqtt.js");
        await init();
        const f = (window.failover = { got: [], acked: 0, failed: [], states: [] });
        const sub = new MqttClient(urls[1]);
        sub.onMessage("failover/#", (m) => f.got.push(m.text));
        await sub.connect();
        await sub.subscribe("failover/#", { qos: 1 });
        const pub = new MqttClient(urls[0], { servers: [urls[1]], reconnect: { initialDelayMs: 100 } });
        pub.on("state", (s) => f.states.push(s.type === "connected" || s.type === "connecting" ? `${s.type} ${s.server}` : s.type));
        await pub.connect();
        f.pub = pub;
        // 20 every 10 ms: the stream is still flowing when the node dies.
        f.done = (async () => {
          const sends = [];
          for (let i = 0; i < 2000; i++) {
            sends.push(pub.publish("failover/q1", `m${i}`, { qos: 1 }).then(() => f.acked++, (e) => f.failed.push(e.code)));
            if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
          }
          await Promise.all(sends);
        })();
      }, urls);
      await waitFor(page, () => window.failover.acked >= 500);
      process.kill(nodes[0].pid, "SIGKILL");
      const result = await page.evaluate(async () => {
        const f = window.failover;
        await f.done;
        while (new Set(f.got).size < 2000) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 500));
        return { acked: f.acked, failed: f.failed, distinct: new Set(f.got).size, received: f.got.length, server: f.pub.server, states: f.states };
      });
      console.log(`RabbitMQ failover: ${result.received} received for 2,000 distinct (${result.received - 2000} duplicates, as QoS 1 allows)`);
      assert.equal(result.acked, 2000);
      assert.deepEqual(result.failed, []);
      assert.equal(result.distinct, 2000, "nothing lost");
      assert.equal(result.server, urls[1]);
      assert.deepEqual(result.states.slice(0, 2), [`connecting ${urls[0]}`, `connected ${urls[0]}`]);
      assert.equal(result.states.at(-1), `connected ${urls[1]}`);
      assert.ok(result.states.includes("reconnecting"), result.states.join(", "));
    } finally {
      await page.close();
    }
  });

  test("aedes over WebSocket: default options, 100 messages at each QoS once each, retained, MQTT 5 refused", async () => {
    const aedes = await aedesServer();
    const seen = [];
    let watcher;
    try {
      // An independent subscriber (MQTT.js) counts what the broker delivered.
      watcher = await mqtt.connectAsync(aedes.url, { clientId: "aedes-watcher" });
      watcher.on("message", (topic, payload, packet) => seen.push(`${topic} ${payload} ${packet.qos}`));
      await watcher.subscribeAsync("interop/#", { qos: 2 });
      const result = await inPage(async (lib, url) => {
        const client = new lib.MqttClient(url);
        const got = [];
        client.onMessage("interop/#", (m) => got.push(`${m.topic} ${m.text} ${m.qos}`));
        const ack = await client.connect();
        const granted = await client.subscribe("interop/#", { qos: 2 });
        const sends = [];
        for (const qos of [0, 1, 2]) for (let i = 0; i < 100; i++) sends.push(client.publish(`interop/q${qos}`, `m${i}`, { qos }));
        await Promise.all(sends);
        await client.publish("retained/aedes", "kept", { qos: 1, retain: true });
        while (got.length < 300) await new Promise((r) => setTimeout(r, 20));
        client.close();
        // A later client gets the retained message, flagged.
        const late = new lib.MqttClient(url);
        await late.connect();
        const retained = new Promise((ok) => late.onMessage("retained/aedes", (m) => ok([m.text, m.retain])));
        await late.subscribe("retained/aedes", { qos: 1 });
        const kept = await retained;
        late.close();
        const v5 = new lib.MqttClient(url, { version: "5", reconnect: { enabled: false } });
        const refused = await v5.connect().then(() => "connected", (e) => [e.code, e.message]);
        v5.close();
        return { session: ack.sessionPresent, granted, got: got.sort(), kept, refused };
      }, aedes.url);
      const expected = [0, 1, 2].flatMap((qos) => Array.from({ length: 100 }, (_, i) => `interop/q${qos} m${i} ${qos}`)).sort();
      assert.equal(result.session, false);
      assert.equal(result.granted, 2);
      assert.deepEqual(result.got, expected, "each message once, at its QoS");
      assert.deepEqual(result.kept, ["kept", true]);
      for (let t = 0; t < 250 && seen.length < 300; t++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen.sort(), expected, "the independent subscriber saw each once");
      assert.deepEqual(result.refused, ["CONNACK_UNSUPPORTED_PROTOCOL_VERSION",
        "the broker refused the connection (CONNACK 0x84, MQTT 5): the broker does not speak this MQTT version: try 3.1.1 instead of 5 (or the other way round)"]);
    } finally {
      await watcher?.endAsync();
      await aedes.close();
    }
  });
});

describe("JS API", () => {
  test("close() leaves no live timers, sockets or listeners (MqttClient, mosquitto)", async () => {
    const page = await openPage();
    const result = await page.evaluate(async (url) => {
      const { default: init, MqttClient } = await import("/pkg/web/iotmqtt.js");
      await init();
      const before = window.__tracked.pendingTimers();
      const client = new MqttClient(url, { username: "tester", password: "secret", keepaliveSecs: 5 });
      const offs = [client.on("message", () => {}), client.on("state", () => {}), client.on("error", () => {})];
      client.onMessage("npm/leak/#", () => {});
      await client.connect();
      await client.subscribe("npm/leak/#", { qos: 1 });
      await client.publish("npm/leak/a", new Uint8Array([1, 2, 3]), { qos: 1 });
      const during = { live: client.liveResources(), sockets: window.__tracked.openSockets() };
      offs[0]();
      offs[0]();
      const afterOff = client.liveResources().listeners;
      client.close();
      await new Promise((r) => requestAnimationFrame(() => r()));
      await new Promise((r) => queueMicrotask(r));
      return {
        during, afterOff, live: client.liveResources(), state: client.state.type,
        openSockets: window.__tracked.openSockets(), timersLeft: window.__tracked.pendingTimers() - before,
      };
    }, BROKER_WS);
    assert.equal(result.during.live.socket, true);
    assert.ok(result.during.live.timers >= 1, "keepalive armed while connected");
    assert.equal(result.during.live.listeners, 4);
    assert.equal(result.afterOff, 3, "an unsubscribe function removes its listener once");
    assert.deepEqual(result.live, { timers: 0, socket: false, listeners: 0 });
    assert.equal(result.state, "closed");
    assert.equal(result.openSockets, 0);
    assert.equal(result.timersLeft, 0, "no setTimeout left pending");
    await page.close();
  });

  test("close() frees a ThingsBoardDevice, a ThingsStackApp and a CloudPlugsDevice", async () => {
    const live = await inPage(async (lib, urls) => {
      const tb = await lib.ThingsBoardDevice.connect(urls.tb, { token: "demo-thermostat-token" });
      tb.on("sharedAttributes", () => {});
      tb.onRpc("x", () => 1);
      await tb.subscribeSharedAttributes();
      const tts = await lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn", apiKey: "NNSXS.DEMOKEY.SIMULATOR" });
      tts.on("event", () => {});
      await tts.subscribe();
      const cp = await lib.CloudPlugsDevice.login(urls.cp, { username: "dev-000000000000000000000001", auth: "demo-auth", hwid: "DEMO-HWID-1" });
      cp.on("data", () => {});
      await cp.subscribe("x");
      for (const o of [tb, tts, cp]) o.close();
      // Sockets are closed from a microtask after close(), outside any callback of their own.
      await new Promise((r) => requestAnimationFrame(() => r()));
      return { tb: tb.liveResources(), tts: tts.liveResources(), cp: cp.liveResources(), sockets: window.__tracked.openSockets(), timers: window.__tracked.pendingTimers() };
    }, { tb: TB_URL, tts: TTS_URL, cp: CP_URL });
    const none = { timers: 0, socket: false, listeners: 0 };
    assert.deepEqual(live, { tb: none, tts: none, cp: none, sockets: 0, timers: 0 });
  });

  test("a text frame, a byte that starts no packet and a packet over maximumPacketSize end the connect at once (issue 21)", async () => {
    const hostile = await hostileServer();
    try {
      const result = await inPage(async (lib, url) => {
        // A connect timeout far beyond the test's: only the refusal itself can end these connects.
        const attempt = async (path, options) => {
          let client;
          try {
            client = new lib.MqttClient(url + path, { reconnect: { enabled: false }, connectTimeoutMs: 600000, ...options });
            await client.connect();
            return "connected";
          } catch (e) {
            return [e.code, e.message];
          } finally {
            client?.close();
          }
        };
        return {
          text: await attempt("/text", {}),
          http: await attempt("/http", {}),
          huge: await attempt("/huge", {}),
          hugeV5: await attempt("/huge", { version: "5", maximumPacketSize: 1024 }),
          zero: await attempt("/huge", { version: "5", maximumPacketSize: 0 }),
          tooBig: await attempt("/huge", { maximumPacketSize: 2 ** 32 }),
        };
      }, hostile.url);
      const protocol = (detail) => ["PROTOCOL_ERROR", `the bytes from the broker are not valid MQTT (${detail}); the connection was closed`];
      assert.deepEqual(result, {
        text: protocol("a WebSocket text frame"),
        http: protocol("reserved fixed-header flags are set"),
        huge: ["INCOMING_PACKET_TOO_LARGE", "the broker sent a packet of 268435460 bytes, over maximumPacketSize (16777216)"],
        hugeV5: ["INCOMING_PACKET_TOO_LARGE", "the broker sent a packet of 268435460 bytes, over maximumPacketSize (1024)"],
        zero: ["INVALID_OPTION", "invalid option maximumPacketSize: must be at least 1"],
        tooBig: ["INVALID_OPTION", "invalid option maximumPacketSize: expected a whole number from 0 to 4294967295, got a number"],
      });
      // What reached the server on /huge: the 3.1.1 CONNECT; the MQTT 5 CONNECT announcing 1024 bytes
      // (property 0x27), then DISCONNECT 0x95 "packet too large". The refused option sent nothing.
      const huge = hostile.received["/huge"].map((m) => Buffer.from(m).toString("hex"));
      assert.equal(huge.length, 3, huge.join(" "));
      assert.match(huge[0], /^10..00044d5154540402/, "an MQTT 3.1.1 CONNECT");
      assert.match(huge[1], /^10..00044d5154540502003c05270000040000/, "an MQTT 5 CONNECT with Maximum Packet Size 1024");
      assert.equal(huge[2], "e00195");
    } finally {
      hostile.close();
    }
  });

  test("bad options give typed errors (missing token, wrong type, unknown enum value, unknown key)", async () => {
    const errors = await inPage(async (lib, urls) => {
      const grab = async (f) => {
        try { await f(); return null; } catch (e) { return { code: e.code, field: e.field ?? null, isError: e instanceof Error, name: e.name, message: e.message }; }
      };
      return {
        missingToken: await grab(() => lib.ThingsBoardDevice.connect(urls.tb, {})),
        tokenWrongType: await grab(() => lib.ThingsBoardDevice.connect(urls.tb, { token: 42 })),
        deviceQos: await grab(() => lib.ThingsBoardDevice.connect(urls.tb, { token: "t", qos: 3 })),
        wrongType: await grab(() => new lib.MqttClient(urls.broker, { keepaliveSecs: "sixty" })),
        unknownEnum: await grab(() => new lib.MqttClient(urls.broker, { version: "6" })),
        unknownKey: await grab(() => new lib.MqttClient(urls.broker, { keepAliveSecs: 30 })),
        nestedWrongType: await grab(() => new lib.MqttClient(urls.broker, { reconnect: { factor: "x" } })),
        badUrl: await grab(() => new lib.MqttClient("http://x")),
        willQos: await grab(() => new lib.MqttClient(urls.broker, { will: { topic: "w", qos: 7 } })),
        notAnObject: await grab(() => new lib.MqttClient(urls.broker, "fast")),
        missingApiKey: await grab(() => lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn" })),
        missingAuth: await grab(() => lib.CloudPlugsDevice.login(urls.cp, { username: "dev-000000000000000000000001", hwid: "H" })),
        unknownEvent: await grab(() => new lib.MqttClient(urls.broker).on("messages", () => {})),
        publishQos: await grab(() => new lib.MqttClient(urls.broker).publish("t", "x", { qos: 3 })),
        publishTypo: await grab(() => new lib.MqttClient(urls.broker).publish("t", "x", { qos: 1, retian: true })),
        subscribeNotAnObject: await grab(() => new lib.MqttClient(urls.broker).subscribe("t", 1)),
        nestedUnknownKey: await grab(() => new lib.MqttClient(urls.broker, { reconnect: { enabeld: false } })),
        willUnknownKey: await grab(() => new lib.MqttClient(urls.broker, { will: { topic: "w", retian: true } })),
        notConnected: await grab(() => new lib.MqttClient(urls.broker, { reconnect: { enabled: false } }).subscribe("t")),
        proxyKeysThrow: await grab(() => new lib.MqttClient(urls.broker, new Proxy({}, { ownKeys() { throw new Error("no keys"); } }))),
        getterThrows: await grab(() => new lib.MqttClient(urls.broker, { get keepaliveSecs() { throw new Error("boom"); } })),
        nestedGetterThrows: await grab(() => new lib.MqttClient(urls.broker, { reconnect: { get factor() { throw new Error("deep boom"); } } })),
        notANumber: await grab(() => new lib.MqttClient(urls.broker, { keepaliveSecs: NaN })),
        aFunction: await grab(() => new lib.MqttClient(urls.broker, { clientId: () => "c" })),
        cycle: await grab(() => { const o = {}; o.self = o; return new lib.MqttClient(urls.broker, { reconnect: o }); }),
        protoKey: await grab(() => new lib.MqttClient(urls.broker, JSON.parse('{"__proto__": {"keepaliveSecs": 5}}'))),
        willGetterThrows: await grab(() => new lib.MqttClient(urls.broker, { will: { topic: "w", get qos() { throw new Error("will boom"); } } })),
        willNoTopic: await grab(() => new lib.MqttClient(urls.broker, { will: { payload: new Uint8Array([1]) } })),
        hugeArray: await grab(() => new lib.MqttClient(urls.broker, { websocketProtocols: new Array(2 ** 32 - 1) })),
        arrayGetterThrows: await grab(() => new lib.MqttClient(urls.broker, { websocketProtocols: Object.defineProperty(["mqtt"], 0, { get() { throw new Error("item boom"); } }) })),
        publishGetterThrows: await grab(() => new lib.MqttClient(urls.broker).publish("t", "x", { get qos() { throw new Error("qos boom"); } })),
        revokedFilters: await grab(() => { const r = Proxy.revocable([], {}); r.revoke(); return new lib.MqttClient(urls.broker).unsubscribe(r.proxy); }),
        bytesAsOptions: await grab(() => new lib.MqttClient(urls.broker, new Uint8Array(1e6))),
        provisionNotAnObject: await grab(() => lib.ThingsBoardDevice.provision(urls.tb, "x")),
        provisionTypo: await grab(() => lib.ThingsBoardDevice.provision(urls.tb, { provisionDeviceKey: "k", provisionDeviceSecret: "s", credentialType: "MQTT_BASIC" })),
        loginTypo: await grab(() => lib.CloudPlugsDevice.login(urls.cp, { username: "dev-000000000000000000000001", auth: "a", hwid: "H", keepAlive: 60 })),
        ttsTypo: await grab(() => lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn", apiKey: "k", version: "5" })),
        // A trap that throws inside a method must not leave the client borrowed: close() still works.
        proxyPublish: await grab(async () => {
          const c = new lib.MqttClient(urls.broker);
          try { await c.publish("t", "x", new Proxy({}, { ownKeys() { throw new Error("no keys"); } })); } finally { c.close(); }
        }),
        publishAfterClose: await grab(() => {
          const c = new lib.MqttClient(urls.broker, { offlineQueue: { maxMessages: 10 } });
          c.close();
          const pending = new Promise((resolve) => setTimeout(() => resolve("still pending after 2 s"), 2000));
          return Promise.race([c.publish("t", "x", { qos: 1 }), pending.then((m) => { throw Object.assign(new Error(m), { name: "IotMqttError", code: "PENDING" }); })]);
        }),
      };
    }, { tb: TB_URL, tts: TTS_URL, cp: CP_URL, broker: BROKER_WS });
    for (const [name, e] of Object.entries(errors)) {
      assert.ok(e, `${name} was accepted`);
      assert.ok(e.isError && e.name === "IotMqttError", `${name} is not an IotMqttError: ${JSON.stringify(e)}`);
    }
    const codes = Object.fromEntries(Object.entries(errors).map(([k, e]) => [k, [e.code, e.field]]));
    assert.deepEqual(codes, {
      missingToken: ["TB_INVALID_OPTION", null],
      tokenWrongType: ["INVALID_OPTION", "token"],
      deviceQos: ["INVALID_OPTION", "qos"],
      wrongType: ["INVALID_OPTION", "keepaliveSecs"],
      unknownEnum: ["INVALID_OPTION", "version"],
      unknownKey: ["INVALID_OPTION", "keepAliveSecs"],
      nestedWrongType: ["INVALID_OPTION", "reconnect.factor"],
      badUrl: ["INVALID_OPTION", "url"],
      willQos: ["INVALID_OPTION", "will.qos"],
      notAnObject: ["INVALID_OPTION", "options"],
      missingApiKey: ["TTS_MISSING_API_KEY", null],
      missingAuth: ["CLOUDPLUGS_MISSING_AUTH", null],
      unknownEvent: ["UNKNOWN_EVENT", null],
      publishQos: ["INVALID_OPTION", "qos"],
      publishTypo: ["INVALID_OPTION", "retian"],
      subscribeNotAnObject: ["INVALID_OPTION", "options"],
      nestedUnknownKey: ["INVALID_OPTION", "reconnect.enabeld"],
      willUnknownKey: ["INVALID_OPTION", "will.retian"],
      proxyKeysThrow: ["INVALID_OPTION", "options"],
      getterThrows: ["INVALID_OPTION", "options"],
      nestedGetterThrows: ["INVALID_OPTION", "reconnect"],
      notANumber: ["INVALID_OPTION", "keepaliveSecs"],
      aFunction: ["INVALID_OPTION", "clientId"],
      // The path runs down the cycle to the nesting limit: reconnect.self.self...
      cycle: ["INVALID_OPTION", errors.cycle.field.startsWith("reconnect.self.self") ? errors.cycle.field : "reconnect.self..."],
      protoKey: ["INVALID_OPTION", "__proto__"],
      willGetterThrows: ["INVALID_OPTION", "will"],
      willNoTopic: ["INVALID_OPTION", "will.topic"],
      hugeArray: ["INVALID_OPTION", "websocketProtocols"],
      arrayGetterThrows: ["INVALID_OPTION", "websocketProtocols[0]"],
      publishGetterThrows: ["INVALID_OPTION", "qos"],
      revokedFilters: ["INVALID_OPTION", "filters"],
      bytesAsOptions: ["INVALID_OPTION", "options"],
      provisionNotAnObject: ["INVALID_OPTION", "request"],
      provisionTypo: ["INVALID_OPTION", "credentialType"],
      loginTypo: ["INVALID_OPTION", "keepAlive"],
      ttsTypo: ["INVALID_OPTION", "version"],
      proxyPublish: ["INVALID_OPTION", "options"],
      publishAfterClose: ["CLIENT_CLOSED", null],
      notConnected: errors.notConnected.code === "NOT_CONNECTED" ? ["NOT_CONNECTED", null] : [errors.notConnected.code, null],
    });
    assert.match(errors.unknownEnum.message, /6/);
    assert.match(errors.nestedUnknownKey.message, /enabeld/);
    assert.match(errors.getterThrows.message, /boom/);
    assert.match(errors.nestedGetterThrows.message, /deep boom/);
    assert.match(errors.willGetterThrows.message, /will boom/);
    assert.match(errors.arrayGetterThrows.message, /item boom/);
    assert.match(errors.hugeArray.message, /more than the 100000 values/);
    assert.match(errors.publishGetterThrows.message, /qos boom/);
    assert.match(errors.notANumber.message, /NaN/);
    assert.match(errors.aFunction.message, /function/);
    assert.match(errors.cycle.message, /recursion limit/);
    assert.match(errors.nestedWrongType.message, /expected a number, got a string/);
    assert.match(errors.ttsTypo.message, /the known ones are application, apiKey, clientId, keepaliveSecs, connectTimeoutMs/);
    assert.match(errors.missingToken.message, /access token is empty/);
  });

  test("refusals and downlink mistakes keep their platform codes", async () => {
    const codes = await inPage(async (lib, urls) => {
      const code = async (f) => { try { await f(); return "accepted"; } catch (e) { return e.code; } };
      const tts = await lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn", apiKey: "NNSXS.DEMOKEY.SIMULATOR" });
      const out = {
        wrongPassword: await code(() => new lib.MqttClient(urls.broker, { username: "tester", password: "nope", reconnect: { enabled: false } }).connect()),
        tbToken: await code(() => lib.ThingsBoardDevice.connect(urls.tb, { token: "no-such-token" })),
        ttsKey: await code(() => lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn", apiKey: "NNSXS.WRONG" })),
        fPort: await code(() => tts.push("demo-sensor-1", [{ fPort: 0, hex: "01" }])),
        priority: await code(() => tts.push("demo-sensor-1", [{ fPort: 1, hex: "01", priority: "URGENT" }])),
        tooLong: await code(() => tts.push("demo-sensor-1", [{ fPort: 1, bytes: new Uint8Array(256) }])),
        conflict: await code(() => tts.push("demo-sensor-1", [{ fPort: 1, hex: "01", text: "x" }])),
        badHex: await code(() => tts.push("demo-sensor-1", [{ fPort: 1, hex: "XYZ" }])),
        badDevice: await code(() => tts.push("Bad Device", [{ fPort: 1, hex: "01" }])),
        decoderTargetTypo: await code(() => tts.setUplinkDecoder({ fport: 2 }, "cayenne-lpp")),
        decoderFPort: await code(() => tts.setUplinkDecoder({ fPort: 2.5 }, "cayenne-lpp")),
      };
      tts.close();
      return out;
    }, { tb: TB_URL, tts: TTS_URL, broker: BROKER_WS });
    assert.deepEqual(codes, {
      wrongPassword: "CONNACK_NOT_AUTHORIZED", tbToken: "TB_TOKEN_REJECTED", ttsKey: "TTS_NOT_AUTHORIZED",
      fPort: "TTS_INVALID_FPORT", priority: "TTS_INVALID_PRIORITY", tooLong: "TTS_PAYLOAD_TOO_LONG",
      conflict: "TTS_PAYLOAD_CONFLICT", badHex: "TTS_INVALID_HEX", badDevice: "TTS_INVALID_ID",
      decoderTargetTypo: "INVALID_OPTION", decoderFPort: "INVALID_OPTION",
    });
  });

  test("platform methods reject instead of throwing, and refuse what JSON cannot hold", async () => {
    const r = await inPage(async (lib, urls) => {
      const code = async (f) => { try { await f(); return "accepted"; } catch (e) { return e.code; } };
      const cp = await lib.CloudPlugsDevice.login(urls.cp, { username: "dev-000000000000000000000001", auth: "demo-auth", hwid: "DEMO-HWID-1" });
      const tts = await lib.ThingsStackApp.connect(urls.tts, { application: "demo-app@ttn", apiKey: "NNSXS.DEMOKEY.SIMULATOR" });
      const [tracker] = await tts.push("demo-sensor-1", [{ fPort: 1, hex: "01" }]);
      const outcome = tracker.outcome(15000);
      const second = tracker.next(100);
      const out = {
        secondIsPromise: second instanceof Promise,
        second: await code(() => second),
        functionData: await code(() => cp.publish("npm/x", () => 1)),
        bigintProperty: await code(() => cp.setProperties({ a: 1n })),
        outcome: (await outcome).status,
        history: tracker.history.map((s) => s.status),
      };
      cp.close();
      tts.close();
      return out;
    }, { cp: CP_URL, tts: TTS_URL });
    assert.deepEqual(r, {
      secondIsPromise: true, second: "INVALID_OPTION", functionData: "INVALID_PAYLOAD", bigintProperty: "INVALID_PAYLOAD",
      outcome: "sent", history: ["queued", "sent"],
    });
  });

  test("a listener that throws breaks neither the client nor the other listeners; payloads are their own copies", async () => {
    const got = await inPage(async (lib, url) => {
      const c = new lib.MqttClient(url, { username: "tester", password: "secret" });
      const seen = [];
      const errors = [];
      const logged = console.error;
      console.error = (...args) => errors.push(String(args[0]));
      c.on("message", () => { throw new Error("listener bug"); });
      c.onMessage("npm/throw/#", () => { throw new Error("route bug"); });
      c.on("message", (m) => seen.push([m.topic, m.text, m.payload.byteOffset, m.payload.buffer.byteLength]));
      await c.connect();
      await c.subscribe("npm/throw/#", { qos: 1 });
      await c.publish("npm/throw/a", "one", { qos: 1 });
      await c.publish("npm/throw/b", "two", { qos: 1 });
      while (seen.length < 2) await new Promise((r) => setTimeout(r, 20));
      console.error = logged;
      const state = c.state.type;
      c.close();
      return { seen, errors, state, live: c.liveResources() };
    }, BROKER_WS);
    assert.deepEqual(got.seen, [["npm/throw/a", "one", 0, 3], ["npm/throw/b", "two", 0, 3]]);
    assert.deepEqual(got.errors, ["iotmqtt: a listener threw", "iotmqtt: a listener threw", "iotmqtt: a listener threw", "iotmqtt: a listener threw"]);
    assert.equal(got.state, "connected");
    assert.deepEqual(got.live, { timers: 0, socket: false, listeners: 0 });
  });

  test("payloads: string, Uint8Array and JSON objects arrive as the right bytes; MQTT 5 subscribeMany", async () => {
    const got = await inPage(async (lib, url) => {
      const c = new lib.MqttClient(url, { username: "tester", password: "secret", version: "5" });
      const seen = [];
      // `text` is a getter decoded on read; JSON.stringify keeps it.
      c.on("message", (m) => seen.push([m.topic, Array.from(m.payload), m.text, JSON.parse(JSON.stringify(m)).text]));
      const ack = await c.connect();
      const subs = await c.subscribeMany([{ filter: "npm/p/#", qos: 2 }, { filter: "npm/q", qos: 1 }]);
      await c.publish("npm/p/s", "hé", { qos: 2 });
      await c.publish("npm/p/b", new Uint8Array([0, 255]), { qos: 1 });
      await c.publish("npm/p/j", { a: [1, true, null] });
      await c.publish("npm/p/e");
      await c.publish("npm/p/m", new Uint8Array([0xef, 0xbb, 0xbf, 0x41]));
      while (seen.length < 5) await new Promise((r) => setTimeout(r, 20));
      await c.unsubscribe(["npm/p/#", "npm/q"]);
      c.close();
      return { ack: typeof ack.sessionPresent, subs, seen: seen.sort() };
    }, BROKER_WS);
    assert.equal(got.ack, "boolean");
    assert.deepEqual(got.subs, [{ filter: "npm/p/#", qos: 2 }, { filter: "npm/q", qos: 1 }]);
    assert.deepEqual(got.seen, [
      ["npm/p/b", [0, 255], null, null],
      ["npm/p/e", [], "", ""],
      ["npm/p/j", [...new TextEncoder().encode('{"a":[1,true,null]}')], '{"a":[1,true,null]}', '{"a":[1,true,null]}'],
      ["npm/p/m", [0xef, 0xbb, 0xbf, 0x41], "\ufeffA", "\ufeffA"],
      ["npm/p/s", [104, 195, 169], "hé", "hé"],
    ]);
  });

  test("MQTT 5 properties both ways with MQTT.js over mosquitto: a request and its response (issue 21)", async () => {
    // MQTT.js answers each request on its response topic, with its correlation data and properties of its own.
    const requests = [];
    const responder = await mqtt.connectAsync(BROKER_WS, { username: "tester", password: "secret", protocolVersion: 5 });
    try {
      responder.on("message", (topic, payload, packet) => {
        const p = packet.properties ?? {};
        // MQTT.js gives user properties as an object without a prototype: copied into a plain one.
        requests.push({ topic, text: payload.toString(), ...p, correlationData: p.correlationData && [...p.correlationData],
          userProperties: { ...p.userProperties } });
        responder.publish(p.responseTopic, "pong", {
          qos: 1,
          properties: {
            correlationData: p.correlationData,
            contentType: "text/plain",
            messageExpiryInterval: 900,
            userProperties: { from: "mqtt.js", n: ["1", "2"] },
          },
        });
      });
      await responder.subscribeAsync("npm/props/request", { qos: 1 });
      const got = await inPage(async (lib, url) => {
        const c = new lib.MqttClient(url, { username: "tester", password: "secret", version: "5" });
        await c.connect();
        await c.subscribe("npm/props/response", { qos: 1 });
        const answer = new Promise((resolve) => c.onMessage("npm/props/response", resolve));
        await c.publish("npm/props/request", "ping", {
          qos: 1,
          properties: {
            payloadFormatIndicator: true,
            messageExpiryInterval: 600,
            contentType: "text/plain; charset=utf-8",
            responseTopic: "npm/props/response",
            correlationData: new Uint8Array([1, 2, 255]),
            userProperties: { a: "1", b: ["2", "3"] },
          },
        });
        const m = await answer;
        // Properties on an MQTT 3.1.1 connection are refused, not dropped.
        const v3 = new lib.MqttClient(url, { username: "tester", password: "secret" });
        await v3.connect();
        const refused = await v3.publish("npm/props/x", "x", { properties: { contentType: "a" } }).catch((e) => [e.code, e.field]);
        v3.close();
        c.close();
        const p = m.properties;
        return { text: m.text, ...p, correlationData: Array.from(p.correlationData), refused };
      }, BROKER_WS);
      assert.equal(requests.length, 1);
      const [request] = requests;
      assert.ok([599, 600].includes(request.messageExpiryInterval), `${request.messageExpiryInterval}`);
      assert.deepEqual({ ...request, messageExpiryInterval: 600 }, {
        topic: "npm/props/request", text: "ping", payloadFormatIndicator: true, messageExpiryInterval: 600,
        contentType: "text/plain; charset=utf-8", responseTopic: "npm/props/response", correlationData: [1, 2, 255],
        userProperties: { a: "1", b: ["2", "3"] },
      });
      assert.ok([899, 900].includes(got.messageExpiryInterval), `${got.messageExpiryInterval}`);
      assert.deepEqual({ ...got, messageExpiryInterval: 900 }, {
        text: "pong", contentType: "text/plain", messageExpiryInterval: 900, correlationData: [1, 2, 255],
        userProperties: { from: "mqtt.js", n: ["1", "2"] }, refused: ["INVALID_OPTION", "properties"],
      });
    } finally {
      await responder.endAsync();
    }
  });

  test("topic aliases both ways with MQTT.js over mosquitto, and a broker's alias resolved or refused (issue 21)", async () => {
    // This client publishes six messages over three topics with aliases of its own, within the Topic
    // Alias Maximum of mosquitto's CONNACK (max_topic_alias, 10 by default). MQTT.js, with aliases it
    // assigns itself, answers the sixth with six of its own on the same topics under npm/alias/out/.
    const topics = ["a", "b/c", "a", "d", "b/c", "a"];
    const seen = [];
    const peer = await mqtt.connectAsync(BROKER_WS, { username: "tester", password: "secret", protocolVersion: 5,
      autoAssignTopicAlias: true });
    const hostile = await hostileServer();
    try {
      peer.on("message", (topic, payload) => {
        seen.push(`${topic} ${payload}`);
        if (seen.length === topics.length) {
          topics.forEach((t, i) => peer.publish(`npm/alias/out/${t}`, `m${i}`, { qos: 1 }));
        }
      });
      await peer.subscribeAsync("npm/alias/in/#", { qos: 1 });
      const got = await inPage(async (lib, { url, hostileUrl, topics }) => {
        const c = new lib.MqttClient(url, { username: "tester", password: "secret", version: "5" });
        const received = [];
        const all = new Promise((resolve) => c.on("message", (m) => {
          received.push(`${m.topic} ${m.text}`);
          if (received.length === topics.length) resolve();
        }));
        await c.connect();
        const brokerMaximum = c.state.connack.topicAliasMaximum;
        await c.subscribe("npm/alias/out/#", { qos: 1 });
        for (const [i, t] of topics.entries()) await c.publish(`npm/alias/in/${t}`, `n${i}`, { qos: 1 });
        await all;
        c.close();
        // A broker's aliases, within the maximum this client announced (2); alias 3 ends the connection.
        const h = new lib.MqttClient(`${hostileUrl}/aliases`, { version: "5", topicAliasMaximum: 2, reconnect: { enabled: false } });
        const fromBroker = [];
        h.on("message", (m) => fromBroker.push(`${m.topic} ${m.text}`));
        const lost = new Promise((resolve) => h.on("state", (s) => s.type === "disconnected" && resolve(s.error.code)));
        await h.connect();
        const code = await lost;
        h.close();
        return { brokerMaximum, received, fromBroker, code };
      }, { url: BROKER_WS, hostileUrl: hostile.url, topics });
      assert.deepEqual(seen, topics.map((t, i) => `npm/alias/in/${t} n${i}`));
      assert.deepEqual(got, {
        brokerMaximum: 10,
        received: topics.map((t, i) => `npm/alias/out/${t} m${i}`),
        fromBroker: ["x/y a", "x/y b"],
        code: "PROTOCOL_ERROR",
      });
      // What the client told the broker before it closed: DISCONNECT 0x94 "Topic Alias invalid".
      const said = hostile.received["/aliases"].map((m) => Buffer.from(m).toString("hex"));
      assert.equal(said.length, 2, said.join(" "));
      assert.match(said[0], /^10..00044d5154540502003c082701000000220002/, "an MQTT 5 CONNECT with Topic Alias Maximum 2");
      assert.equal(said[1], "e00194");
    } finally {
      hostile.close();
      await peer.endAsync();
    }
  });

  test("MQTT 5 subscription options in iotmqtt/mqtt5 with MQTT.js over mosquitto: retain handling on re-subscribes, no local, retain as published, an identifier (issue 21)", async () => {
    const base = `npm/subopts/${Date.now()}`;
    const peer = await mqtt.connectAsync(BROKER_WS, { username: "tester", password: "secret", protocolVersion: 5 });
    const page = await openPage();
    try {
      await peer.publishAsync(`${base}/r`, "kept", { qos: 1, retain: true });
      // The page's client, with a marker: what arrived before marker n (markers left out).
      const generic = await page.evaluate(async ({ url, base }) => {
        const { default: init, MqttClient } = await import("/pkg/web/mqtt5.js");
        await init();
        const c = new MqttClient(url, { username: "tester", password: "secret", version: "5" });
        const received = [];
        c.on("message", (m) => received.push(
          `${m.topic.slice(base.length + 1)} ${m.text} ${m.retain ? "R" : "-"} [${m.properties?.subscriptionIdentifiers ?? []}]`));
        await c.connect();
        await c.subscribe(`${base}/mark/#`, { qos: 1 });
        window.t = {
          c,
          async until(n) {
            await c.publish(`${base}/mark/${n}`, "", { qos: 1 });
            while (!received.some((r) => r.startsWith(`mark/${n} `))) await new Promise((r) => setTimeout(r, 20));
            return received.splice(0).filter((r) => !r.startsWith("mark/"));
          },
        };
        // The generic entry takes a QoS alone.
        const g = await import("/pkg/web/iotmqtt.js");
        await g.default();
        const plain = new g.MqttClient(url);
        const refused = await plain.subscribe("x", { qos: 1, noLocal: true }).catch((e) => `${e.code} ${e.field}`);
        plain.close();
        return refused;
      }, { url: BROKER_WS, base });
      assert.equal(generic, "INVALID_OPTION noLocal");
      const step = (fn, arg) => page.evaluate(fn, arg);
      // Retain handling 2: nothing retained; 1 on a re-subscribe: nothing; 0: the retained message.
      const handling = [];
      for (const [n, rh] of [[1, 2], [2, 1], [3, 0]]) {
        handling.push(await step(async ({ base, n, rh }) => {
          await window.t.c.subscribe(`${base}/r`, { qos: 1, retainHandling: rh });
          return window.t.until(n);
        }, { base, n, rh }));
      }
      assert.deepEqual(handling, [[], [], ["r kept R []"]]);
      // No Local with Subscription Identifier 9, and Retain As Published.
      await step(async ({ base }) => {
        await window.t.c.subscribe(`${base}/nl/#`, { qos: 1, noLocal: true, subscriptionIdentifier: 9 });
        await window.t.c.subscribeMany([{ filter: `${base}/rap/#`, qos: 1, retainAsPublished: true }]);
        await window.t.c.publish(`${base}/nl/own`, "o", { qos: 1 });
      }, { base });
      await peer.publishAsync(`${base}/nl/other`, "x", { qos: 1 });
      await peer.publishAsync(`${base}/rap/t`, "v", { qos: 1, retain: true });
      const rest = await step(() => window.t.until(4));
      assert.deepEqual(rest, ["nl/other x - [9]", "rap/t v R []"]);
      await step(() => window.t.c.close());
    } finally {
      await peer.publishAsync(`${base}/r`, "", { qos: 1, retain: true });
      await peer.publishAsync(`${base}/rap/t`, "", { qos: 1, retain: true });
      await page.close();
      await peer.endAsync();
    }
  });

  test("a credentials callback in iotmqtt/mqtt5 is asked before every connect; a failing one fails it (issue 21)", async () => {
    const page = await openPage();
    try {
      const got = await page.evaluate(async (url) => {
        const { default: init, MqttClient } = await import("/pkg/web/mqtt5.js");
        await init();
        let calls = 0;
        const c = new MqttClient(url, {
          reconnect: { enabled: false },
          credentials: async () => {
            calls += 1;
            return { username: "tester", password: "secret" };
          },
        });
        await c.connect();
        const first = calls;
        c.disconnect();
        await c.connect();
        const second = calls;
        c.close();
        const failing = new MqttClient(url, { reconnect: { enabled: false }, credentials: () => { throw new Error("the token expired"); } });
        const failed = await failing.connect().catch((e) => `${e.code}: ${e.message}`);
        failing.close();
        const wrong = new MqttClient(url, { reconnect: { enabled: false }, credentials: () => ({ username: 7 }) });
        const refused = await wrong.connect().catch((e) => `${e.code}: ${e.message}`);
        wrong.close();
        const g = await import("/pkg/web/iotmqtt.js");
        await g.default();
        let generic;
        try {
          new g.MqttClient(url, { credentials: () => ({}) });
        } catch (e) {
          generic = `${e.code} ${e.field}`;
        }
        return { first, second, failed, refused, generic };
      }, BROKER_WS);
      assert.deepEqual(got, {
        first: 1,
        second: 2,
        failed: "CREDENTIALS_FAILED: the credentials callback failed: the token expired",
        refused: "CREDENTIALS_FAILED: the credentials callback failed: it answered something else than {username, password} strings",
        generic: "INVALID_OPTION credentials",
      });
    } finally {
      await page.close();
    }
  });

  test("request() in iotmqtt/mqtt5 with an MQTT.js responder: each reply to its own request, a timeout, typed refusals (issue 21)", async () => {
    const base = `npm/request/${Date.now()}`;
    const responder = await mqtt.connectAsync(BROKER_WS, { username: "tester", password: "secret", protocolVersion: 5 });
    const page = await openPage();
    try {
      responder.on("message", (topic, payload, packet) => {
        const { responseTopic, correlationData } = packet.properties ?? {};
        responder.publish(responseTopic, `re: ${payload}`, { qos: 1, properties: { correlationData } });
      });
      await responder.subscribeAsync(`${base}/cmd/#`, { qos: 1 });
      const got = await page.evaluate(async ({ url, base }) => {
        const { default: init, MqttClient } = await import("/pkg/web/mqtt5.js");
        await init();
        const c = new MqttClient(url, { username: "tester", password: "secret", version: "5" });
        await c.connect();
        const replies = await Promise.all(["a", "b", "c"].map((p) => c.request(`${base}/cmd/${p}`, p).then((m) => m.text)));
        const timedOut = await c.request(`${base}/nobody`, "x", { timeoutMs: 300 }).catch((e) => `${e.code}: ${e.message}`);
        c.close();
        const v3 = new MqttClient(url, { username: "tester", password: "secret" });
        await v3.connect();
        const refused = await v3.request(`${base}/cmd/x`, "x").catch((e) => `${e.code} ${e.field}`);
        v3.close();
        const g = await import("/pkg/web/iotmqtt.js");
        await g.default();
        const plain = new g.MqttClient(url);
        const generic = await plain.request("t", "x").catch((e) => `${e.code} ${e.field}`);
        plain.close();
        return { replies, timedOut, refused, generic, timers: window.__tracked.pendingTimers() };
      }, { url: BROKER_WS, base });
      assert.deepEqual(got, {
        replies: ["re: a", "re: b", "re: c"],
        timedOut: `REQUEST_TIMEOUT: no reply to the request on "${base}/nobody" came within 300 ms`,
        refused: "INVALID_OPTION request",
        generic: "INVALID_OPTION request",
        timers: 0,
      });
    } finally {
      await page.close();
      await responder.endAsync();
    }
  });

  test("MQTT 5 enhanced authentication in iotmqtt/mqtt5: challenges answered at the connect and in a re-authentication (issue 21)", async () => {
    const hostile = await hostileServer();
    const page = await openPage();
    try {
      const got = await page.evaluate(async (url) => {
        const { default: init, MqttClient } = await import("/pkg/web/mqtt5.js");
        await init();
        const text = (d) => (d ? new TextDecoder().decode(d) : null);
        const challenges = [];
        const answers = { s1: "c2", s2: new TextEncoder().encode("r2") };
        const c = new MqttClient(`${url}/auth`, {
          version: "5",
          reconnect: { enabled: false },
          authentication: { method: "DEMO", data: "c1" },
          authenticator: async (data) => {
            challenges.push(text(data));
            return answers[text(data)];
          },
        });
        const ack = await c.connect();
        const last = await c.reauthenticate("r1");
        const connected = c.connected;
        c.close();
        const failing = new MqttClient(`${url}/auth`, {
          version: "5",
          reconnect: { enabled: false },
          authentication: { method: "DEMO", data: "c1" },
          authenticator: () => Promise.reject(new Error("no token")),
        });
        const failed = await failing.connect().catch((e) => `${e.code}: ${e.message}`);
        failing.close();
        return { atConnect: text(ack.authenticationData), last: text(last), connected, challenges, failed };
      }, hostile.url);
      assert.deepEqual(got, {
        atConnect: "ok",
        last: "ok2",
        connected: true,
        challenges: ["s1", "s2"],
        failed: "CREDENTIALS_FAILED: the credentials callback failed: no token",
      });
      // The AUTH packets the client sent the broker, in order, for the first connection.
      const sent = hostile.received["/auth"].map((m) => Buffer.from(m).toString("latin1"));
      assert.match(sent[1], /^\xf0\x0e\x18\x0c\x15\x00\x04DEMO\x16\x00\x02c2$/);
      assert.match(sent[2], /^\xf0\x0e\x19\x0c\x15\x00\x04DEMO\x16\x00\x02r1$/);
      assert.match(sent[3], /^\xf0\x0e\x18\x0c\x15\x00\x04DEMO\x16\x00\x02r2$/);
    } finally {
      await page.close();
      hostile.close();
    }
  });

  test("the broker's Reason String and User Properties reach the error in iotmqtt/mqtt5, not in iotmqtt (issue 21)", async () => {
    const hostile = await hostileServer();
    const page = await openPage();
    try {
      const got = await page.evaluate(async (url) => {
        const ended = async (entry) => {
          const { default: init, MqttClient } = await import(`/pkg/web/${entry}.js`);
          await init();
          const c = new MqttClient(`${url}/words`, { version: "5", reconnect: { enabled: false } });
          const error = new Promise((resolve) => c.on("state", (s) => s.type === "disconnected" && resolve(s.error)));
          await c.connect();
          const e = await error;
          c.close();
          return { code: e.code, message: e.message, reasonString: e.reasonString ?? null,
            userProperties: e.userProperties ? { ...e.userProperties } : null };
        };
        return { mqtt5: await ended("mqtt5"), generic: await ended("iotmqtt") };
      }, hostile.url);
      assert.deepEqual(got, {
        mqtt5: {
          code: "SERVER_DISCONNECTED",
          message: 'the broker disconnected: 0x98 Administrative action ("maintenance")',
          reasonString: "maintenance",
          userProperties: { shift: ["night", "day"] },
        },
        generic: {
          code: "SERVER_DISCONNECTED",
          message: "the broker disconnected: 0x98 Administrative action",
          reasonString: null,
          userProperties: null,
        },
      });
    } finally {
      await page.close();
      hostile.close();
    }
  });

  test("a successful acknowledgement's words reach the acknowledged event in iotmqtt/mqtt5: mosquitto's 0x10 and 0x11 (issue 21)", async () => {
    const page = await openPage();
    try {
      const got = await page.evaluate(async (url) => {
        const { default: init, MqttClient } = await import("/pkg/web/mqtt5.js");
        await init();
        const c = new MqttClient(url, { version: "5", username: "tester", password: "secret", reconnect: { enabled: false } });
        const heard = [];
        c.on("acknowledged", (a) => heard.push({ ...a, at: heard.length }));
        await c.connect();
        const topic = `npm/nobody/${Math.random().toString(36).slice(2)}`;
        // mosquitto answers a QoS 1 publish nobody hears with PUBACK 0x10 "No matching
        // subscribers" (its PUBREC says 0x00), and an unsubscribe from a filter never subscribed
        // with 0x11. The PUBREC's and PUBCOMP's words are specified byte by byte in tests/session.rs.
        await c.publish(topic, "1", { qos: 1 });
        const afterPuback = heard.length;
        await c.publish(topic, "2", { qos: 2 });
        await c.subscribe(`${topic}/sub`, { qos: 1 });
        await c.unsubscribe([`${topic}/sub`, `${topic}/never`]);
        c.close();
        const generic = await import("/pkg/web/iotmqtt.js");
        await generic.default();
        const g = new generic.MqttClient(url);
        let unknown;
        try { g.on("acknowledged", () => {}); } catch (e) { unknown = e.code; }
        g.close();
        return { heard, afterPuback, topic, unknown };
      }, BROKER_WS);
      const { heard, afterPuback, topic, unknown } = got;
      // Heard before the publish resolved; the QoS 2 flow and the plain SUBACK say nothing more.
      assert.equal(afterPuback, 1);
      assert.deepEqual(heard, [
        { packet: "puback", subjects: [topic], reasonCodes: [0x10], at: 0 },
        { packet: "unsuback", subjects: [`${topic}/sub`, `${topic}/never`], reasonCodes: [0x00, 0x11], at: 1 },
      ]);
      assert.equal(unknown, "UNKNOWN_EVENT");
    } finally {
      await page.close();
    }
  });

  test("persistence keeps a publish's MQTT 5 properties: stored unacknowledged, restored by the next page's client", async () => {
    const hostile = await hostileServer();
    const watcher = await mqtt.connectAsync(BROKER_WS, { username: "tester", password: "secret", protocolVersion: 5 });
    const seen = [];
    try {
      watcher.on("message", (topic, payload, packet) => seen.push({ topic, text: payload.toString(), ...packet.properties,
        userProperties: { ...packet.properties?.userProperties } }));
      await watcher.subscribeAsync("npm/persist/#", { qos: 1 });
      await inPage(async (lib, { silent, broker }) => {
        const store = "npm-props-store";
        // The first page's broker never acknowledges: the publish stays in the store when the page goes.
        const first = new lib.MqttClient(silent, { version: "5", persistence: store, reconnect: { enabled: false } });
        await first.connect();
        first.publish("npm/persist/props", "kept", {
          qos: 1,
          properties: { contentType: "text/plain", correlationData: "c-7", userProperties: { n: ["1", "2"] } },
        }).catch(() => {});
        const count = () => new Promise((resolve) => {
          const open = indexedDB.open(store, 1);
          open.onsuccess = () => {
            const request = open.result.transaction("unsent", "readonly").objectStore("unsent").count();
            request.onsuccess = () => { open.result.close(); resolve(request.result); };
          };
        });
        for (let i = 0; i < 500 && (await count()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
        first.close();
        const next = new lib.MqttClient(broker, { version: "5", username: "tester", password: "secret", persistence: store });
        await next.connect();
        for (let i = 0; i < 500 && (await count()) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
        next.close();
      }, { silent: `${hostile.url}/silent`, broker: BROKER_WS });
      for (let i = 0; i < 500 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(seen, [{
        topic: "npm/persist/props", text: "kept", contentType: "text/plain", correlationData: Buffer.from("c-7"),
        userProperties: { n: ["1", "2"] },
      }]);
      // What the first page sent its silent broker: the PUBLISH with those properties.
      const publish = hostile.received["/silent"].find((m) => m[0] >> 4 === 3);
      assert.ok(Buffer.from(publish).includes(Buffer.from("text/plain")), `${publish}`);
    } finally {
      await watcher.endAsync();
      hostile.close();
    }
  });

  test("a will payload is any payload (text, bytes, JSON); unsendable wills and too many filters are refused", async () => {
    const got = await inPage(async (lib, url) => {
      const grab = async (f) => {
        try { await f(); return "accepted"; } catch (e) { return [e.code, e.field ?? null]; }
      };
      const login = { username: "tester", password: "secret" };
      const connects = async (payload) => grab(async () => {
        const c = new lib.MqttClient(url, { ...login, will: { topic: "npm/will", payload, qos: 1 } });
        try { await c.connect(); } finally { c.close(); }
      });
      return {
        json: await connects({ status: "offline", n: [1, 2] }),
        number: await connects(0),
        bytes: await connects(new Uint8Array([1, 2])),
        text: await connects("offline"),
        bigint: await grab(() => new lib.MqttClient(url, { will: { topic: "w", payload: 1n } })),
        nulClientId: await grab(async () => {
          const c = new lib.MqttClient(url, { ...login, clientId: "a\0b", reconnect: { enabled: false } });
          try { await c.connect(); } finally { c.close(); }
        }),
        tooManyFilters: await grab(() => {
          const c = new lib.MqttClient(url);
          const all = Array.from({ length: 65_536 }, (_, i) => `f/${i}`);
          return c.unsubscribe(all).finally(() => c.close());
        }),
      };
    }, BROKER_WS);
    assert.deepEqual(got, {
      json: "accepted", number: "accepted", bytes: "accepted", text: "accepted",
      bigint: ["INVALID_OPTION", "will.payload"],
      nulClientId: ["INVALID_OPTION", "clientId"],
      tooManyFilters: ["INVALID_OPTION", "filters"],
    });
  });

  test("ThingsBoard device and gateway reach the simulator; provisioning returns credentials", async () => {
    const r = await inPage(async (lib, url) => {
      const d = await lib.ThingsBoardDevice.connect(url, { token: "demo-thermostat-token" });
      await d.sendTelemetry({ npmTemp: 30.5 });
      await d.sendAttributes({ npmAttr: "on" });
      const time = await d.call("getTime");
      const attrs = await d.requestAttributes({ client: ["npmAttr"] });
      const limits = d.sessionLimits;
      d.close();
      const g = await lib.ThingsBoardGateway.connect(url, { token: "demo-gateway-token" });
      await g.connectDevice("NPM Pump", "pump");
      await g.sendTelemetry("NPM Pump", { rpm: 1200 });
      const devices = g.devices;
      g.close();
      const creds = await lib.ThingsBoardDevice.provision(url, { deviceName: `npm-${Date.now()}`, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
      return { timeType: typeof time.ts, attrs, maxPayload: limits.maxPayloadSize, devices, creds: creds.credentialsType };
    }, TB_URL);
    assert.equal(r.timeType, "number");
    assert.deepEqual(r.attrs, { client: { npmAttr: "on" }, shared: {} });
    assert.ok(r.maxPayload > 0);
    assert.deepEqual(r.devices, ["NPM Pump"]);
    assert.equal(r.creds, "ACCESS_TOKEN");
    const t = await admin("GET", "/api/plugins/telemetry/DEVICE/Demo%20Thermostat/values/timeseries?keys=npmTemp&useStrictDataTypes=true");
    assert.equal(t.body.npmTemp[0].value, 30.5);
    const pump = await admin("GET", "/api/plugins/telemetry/DEVICE/NPM%20Pump/values/timeseries?keys=rpm&useStrictDataTypes=true");
    assert.equal(pump.body.rpm[0].value, 1200);
  });

  test("the ThingsBoard device entry loads no gateway wasm until provision() asks for it, then once", async () => {
    const page = await openPage();
    try {
      const r = await page.evaluate(async (url) => {
        const wasm = () => performance.getEntriesByType("resource").map((e) => e.name.split("/").pop()).filter((n) => n.endsWith(".wasm")).sort();
        const { default: init, ThingsBoardDevice } = await import("/pkg/web/thingsboard.js");
        await init();
        const d = await ThingsBoardDevice.connect(url, { token: "demo-thermostat-token" });
        await d.sendTelemetry({ npmLazy: 1 });
        d.close();
        const before = wasm();
        const request = { provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" };
        const first = await ThingsBoardDevice.provision(url, { deviceName: `npm-lazy-${Date.now()}`, ...request });
        const second = await ThingsBoardDevice.provision(url, { deviceName: `npm-lazy2-${Date.now()}`, ...request });
        const typo = await ThingsBoardDevice.provision(url, { ...request, credentialType: "x" }).then(() => null, (e) => [e.name, e.code, e.field]);
        return { before, after: wasm(), creds: [first.credentialsType, second.credentialsType], typo };
      }, TB_URL);
      assert.deepEqual(r.before, ["thingsboard_core_bg.wasm"]);
      assert.deepEqual(r.after, ["thingsboard-gateway_core_bg.wasm", "thingsboard_core_bg.wasm"]);
      assert.deepEqual(r.creds, ["ACCESS_TOKEN", "ACCESS_TOKEN"]);
      assert.deepEqual(r.typo, ["IotMqttError", "INVALID_OPTION", "credentialType"]);
    } finally {
      await page.close();
    }
  });

  test("ThingsBoard gateway: a sub-device's RPC is answered by the handler, its attributes read back", async () => {
    const name = `npm-gw-${Date.now()}`;
    const r = await inPage(async (lib, { url, http, name }) => {
      const g = await lib.ThingsBoardGateway.connect(url, { token: "demo-gateway-token" });
      await g.connectDevice(name, "pump");
      await g.sendAttributes(name, { model: "P-7" });
      const seen = [];
      await g.onRpc((req) => { seen.push([req.device, req.method]); return req.method === "boom" ? Promise.reject(new Error("no boom")) : { ok: req.params }; });
      const call = async (method, params) => {
        const res = await fetch(`${http}/api/rpc/twoway/${encodeURIComponent(name)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method, params }) });
        return { status: res.status, body: await res.json() };
      };
      const ping = await call("ping", { n: 1 });
      const boom = await call("boom", {});
      const attrs = await g.requestAttributes(name, ["model"], true);
      const live = g.liveResources().listeners;
      g.close();
      return { ping, boom, seen, attrs, live, after: g.liveResources() };
    }, { url: TB_URL, http: SIM_HTTP, name });
    assert.deepEqual(r.ping, { status: 200, body: { ok: { n: 1 } } });
    assert.equal(r.boom.status, 200);
    assert.deepEqual(r.boom.body, { error: "no boom" });
    assert.deepEqual(r.seen, [[name, "ping"], [name, "boom"]]);
    assert.deepEqual(r.attrs, { model: "P-7" });
    assert.equal(r.live, 1, "the RPC handler is held");
    assert.deepEqual(r.after, { timers: 0, socket: false, listeners: 0 });
  });

  test("ThingsBoard firmware update: downloaded in chunks, verified, installed, reported UPDATED", async () => {
    const name = `npm-fw-${Date.now()}`;
    const r = await inPage(async (lib, { url, http, name }) => {
      const creds = await lib.ThingsBoardDevice.provision(url, { deviceName: name, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
      const image = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
      const upload = await fetch(`${http}/api/sim/thingsboard/devices/${encodeURIComponent(name)}/firmware?title=npm-fw&version=2.0.0&algorithm=SHA256&kind=fw`, { method: "POST", body: image });
      const device = await lib.ThingsBoardDevice.connect(url, { token: creds.token });
      const states = [];
      let installed = null;
      device.on("firmware", (e) => { if (e.type === "state") states.push(e.state); });
      await device.startFirmwareUpdates({ currentTitle: "npm-fw", currentVersion: "1.0.0", chunkSize: 1024 }, (pkg, bytes) => {
        installed = { version: pkg.version, same: bytes.length === image.length && bytes.every((b, i) => b === image[i]) };
      });
      for (let i = 0; i < 200 && !states.includes("UPDATED"); i++) await new Promise((res) => setTimeout(res, 25));
      device.close();
      return { upload: upload.status, installed, states, live: device.liveResources() };
    }, { url: TB_URL, http: SIM_HTTP, name });
    assert.equal(r.upload, 200);
    assert.deepEqual(r.installed, { version: "2.0.0", same: true });
    assert.deepEqual(r.states, ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"]);
    assert.deepEqual(r.live, { timers: 0, socket: false, listeners: 0 });
  });

  // A page outside a secure context has no SubtleCrypto: the shell loads sha2.js for the digest.
  test("ThingsBoard firmware update on a page without SubtleCrypto: SHA-384 from sha2.js, verified, UPDATED", async () => {
    const name = `npm-fw-nosubtle-${Date.now()}`;
    const r = await inPage(async (lib, { url, http, name }) => {
      Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined, configurable: true });
      const creds = await lib.ThingsBoardDevice.provision(url, { deviceName: name, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
      const image = new Uint8Array(4000).map((_, i) => (i * 11) & 0xff);
      const upload = await fetch(`${http}/api/sim/thingsboard/devices/${encodeURIComponent(name)}/firmware?title=npm-fw&version=2.0.0&algorithm=SHA384&kind=fw`, { method: "POST", body: image });
      const device = await lib.ThingsBoardDevice.connect(url, { token: creds.token });
      const states = [];
      let installed = 0;
      device.on("firmware", (e) => { if (e.type === "state") states.push(e.state); });
      await device.startFirmwareUpdates({ currentTitle: "npm-fw", currentVersion: "1.0.0", chunkSize: 1024 }, () => { installed++; });
      for (let i = 0; i < 200 && !states.includes("UPDATED") && !states.includes("FAILED"); i++) await new Promise((res) => setTimeout(res, 25));
      device.close();
      const loaded = performance.getEntriesByType("resource").some((e) => e.name.endsWith("/sha2.js"));
      return { upload: upload.status, states, installed, loaded, subtle: globalThis.crypto.subtle === undefined };
    }, { url: TB_URL, http: SIM_HTTP, name });
    assert.equal(r.upload, 200);
    assert.deepEqual(r.states, ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"]);
    assert.deepEqual([r.installed, r.loaded, r.subtle], [1, true, true]);
  });

  test("sha2.js gives SubtleCrypto's digests", async () => {
    const { sha2 } = await import(new URL("../../pkg/web/sha2.js", import.meta.url).href);
    const lengths = [...Array(260).keys(), 1000, 65_537];
    let checked = 0;
    for (const [name, node] of [["SHA-256", "sha256"], ["SHA-384", "sha384"], ["SHA-512", "sha512"]]) {
      for (const length of lengths) {
        const data = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
        assert.equal(Buffer.from(sha2(name, data)).toString("hex"), createHash(node).update(data).digest("hex"), `${name} of ${length} bytes`);
        checked++;
      }
    }
    assert.equal(checked, 3 * 262);
    assert.throws(() => sha2("SHA-1", new Uint8Array(0)), /no SHA-2 called SHA-1/);
  });

  // MD5, CRC32 and Murmur3 are the shell's too: checksums.js, loaded for an update that names one. Its
  // digests against Node's MD5 and CRC32 and the simulator's Murmur3 (Rust), every tail length.
  test("checksums.js gives ThingsBoard's MD5, CRC32 and Murmur3 checksums", async () => {
    const { checksum } = await import(new URL("../../pkg/web/checksums.js", import.meta.url).href);
    const hex = (bytes) => Buffer.from(bytes).toString("hex");
    const data = (length) => new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
    const lengths = [...Array(70).keys(), 1000, 65_537];
    for (const length of lengths) {
      assert.equal(hex(checksum("MD5", data(length))), createHash("md5").update(data(length)).digest("hex"), `MD5 of ${length} bytes`);
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(crc32(data(length)));
      assert.equal(hex(checksum("CRC32", data(length))), crc.toString("hex"), `CRC32 of ${length} bytes`);
    }
    const fox = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
    assert.deepEqual(["MD5", "CRC32", "MURMUR3_32", "MURMUR3_128"].map((n) => hex(checksum(n, fox))),
      ["9e107d9d372bb6826bd81d3542a419d6", "39a34f41", "23f74f2e", "6c1b07bc7bbc4be347939ac4a93c437a"]);
    // The simulator's own Murmur3 (sim/src/thingsboard/checksum.rs) writes fw_checksum on an upload.
    const name = `npm-murmur-${Date.now()}`;
    await inPage(async (lib, { url, name }) => {
      await lib.ThingsBoardDevice.provision(url, { deviceName: name, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
    }, { url: TB_URL, name });
    let checked = 0;
    for (const algorithm of ["MURMUR3_32", "MURMUR3_128"]) {
      for (const length of [...Array(40).keys(), 1000]) {
        const res = await fetch(`${SIM_HTTP}/api/sim/thingsboard/devices/${name}/firmware?title=m&version=${length}&algorithm=${algorithm}`, { method: "POST", body: data(length) });
        const { fw_checksum } = await res.json();
        assert.equal(hex(checksum(algorithm, data(length))), fw_checksum, `${algorithm} of ${length} bytes`);
        checked++;
      }
    }
    assert.equal(checked, 82);
    assert.throws(() => checksum("SHA1", fox), /no checksum called SHA1/);
  });

  test("ThingsBoard firmware updates checked by MD5, CRC32 and Murmur3 from checksums.js: each verified, UPDATED", async () => {
    const name = `npm-fw-sums-${Date.now()}`;
    const r = await inPage(async (lib, { url, http, name }) => {
      const loaded = () => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/checksums.js")).length;
      const creds = await lib.ThingsBoardDevice.provision(url, { deviceName: name, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
      const device = await lib.ThingsBoardDevice.connect(url, { token: creds.token });
      const before = loaded();
      const runs = [];
      let installed = null;
      await device.startFirmwareUpdates({ currentTitle: "npm-fw", currentVersion: "0", chunkSize: 1024 }, (pkg, bytes) => {
        installed = [pkg.version, bytes.length];
      });
      for (const [i, [algorithm, length]] of [["MD5", 4001], ["CRC32", 4002], ["MURMUR3_32", 4003], ["MURMUR3_128", 4015]].entries()) {
        const states = [];
        const off = device.on("firmware", (e) => { if (e.type === "state") states.push(e.state); });
        const image = new Uint8Array(length).map((_, j) => (j * 13 + i) & 0xff);
        const version = `${i + 1}.0`;
        await fetch(`${http}/api/sim/thingsboard/devices/${encodeURIComponent(name)}/firmware?title=npm-fw&version=${version}&algorithm=${algorithm}&kind=fw`, { method: "POST", body: image });
        for (let k = 0; k < 200 && !states.includes("UPDATED") && !states.includes("FAILED"); k++) await new Promise((res) => setTimeout(res, 25));
        off();
        runs.push([algorithm, states, installed]);
      }
      device.close();
      return { before, after: loaded(), runs };
    }, { url: TB_URL, http: SIM_HTTP, name });
    assert.deepEqual(r.runs, [
      ["MD5", ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], ["1.0", 4001]],
      ["CRC32", ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], ["2.0", 4002]],
      ["MURMUR3_32", ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], ["3.0", 4003]],
      ["MURMUR3_128", ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], ["4.0", 4015]],
    ]);
    assert.deepEqual([r.before, r.after], [0, 1]);
  });

  // The SHA-2 digest is the shell's (SubtleCrypto); the core compares it with the server's checksum.
  test("ThingsBoard firmware update: a SHA-512 checksum that does not match ends in FAILED, nothing installed", async () => {
    const name = `npm-fw-bad-${Date.now()}`;
    const r = await inPage(async (lib, { url, http, name }) => {
      const creds = await lib.ThingsBoardDevice.provision(url, { deviceName: name, provisionDeviceKey: "demo-provision-key", provisionDeviceSecret: "demo-provision-secret" });
      const image = new Uint8Array(3000).map((_, i) => (i * 5) & 0xff);
      const id = encodeURIComponent(name);
      const upload = await fetch(`${http}/api/sim/thingsboard/devices/${id}/firmware?title=npm-fw&version=2.0.0&algorithm=SHA512&kind=fw`, { method: "POST", body: image });
      const corrupt = await fetch(`${http}/api/plugins/telemetry/DEVICE/${id}/SHARED_SCOPE`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fw_checksum: "00".repeat(64) }) });
      const device = await lib.ThingsBoardDevice.connect(url, { token: creds.token });
      const states = [];
      let error = null, installs = 0;
      device.on("firmware", (e) => { if (e.type === "state") { states.push(e.state); error = e.error ?? error; } });
      await device.startFirmwareUpdates({ currentTitle: "npm-fw", currentVersion: "1.0.0", chunkSize: 1024 }, () => { installs++; });
      for (let i = 0; i < 200 && !states.includes("FAILED"); i++) await new Promise((res) => setTimeout(res, 25));
      device.close();
      return { upload: upload.status, corrupt: corrupt.status, states, error, installs, live: device.liveResources() };
    }, { url: TB_URL, http: SIM_HTTP, name });
    assert.deepEqual([r.upload, r.corrupt], [200, 200]);
    assert.deepEqual(r.states, ["DOWNLOADING", "DOWNLOADED", "FAILED"]);
    const image = new Uint8Array(3000).map((_, i) => (i * 5) & 0xff);
    const actual = createHash("sha512").update(image).digest("hex");
    assert.equal(r.error, `checksum mismatch (SHA512): expected ${"00".repeat(64)}, got ${actual}`);
    assert.equal(r.installs, 0);
    assert.deepEqual(r.live, { timers: 0, socket: false, listeners: 0 });
  });

  test("CloudPlugs device: data channel round trip, properties, enrollment", async () => {
    const r = await inPage(async (lib, url) => {
      const dev = await lib.CloudPlugsDevice.login(url, { username: "dev-000000000000000000000001", auth: "demo-auth", hwid: "DEMO-HWID-1" });
      const records = [];
      dev.on("data", (rec) => records.push(rec));
      await dev.subscribe("npm/#");
      await dev.publish("npm/temp", { c: 21.5 }, { at: 1700000000000 });
      while (!records.length) await new Promise((res) => setTimeout(res, 20));
      await dev.setProperties({ colour: "blue", lastTemp: { channel: "npm/temp" } });
      const props = await dev.getProperties(["colour"]);
      dev.close();
      const creds = await lib.CloudPlugsDevice.enrollThing(url, { model: "DEMO-MODEL", hwid: `NPM-${Date.now()}`, pass: "demo-pass" });
      return { record: records[0], props, plugId: dev.plugId, enrolled: typeof creds.plugId === "string" && typeof creds.auth === "string" };
    }, CP_URL);
    assert.equal(r.record.channel, "npm/temp");
    assert.deepEqual(r.record.data, { c: 21.5 });
    assert.equal(r.record.at, 1700000000000);
    assert.deepEqual(r.props, { colour: "blue" });
    assert.equal(r.plugId, "dev-000000000000000000000001");
    assert.equal(r.enrolled, true);
  });

  test("payload helpers", async () => {
    const r = await inPage(async (lib) => ({
      h2b: lib.hexToBase64("BE EF"),
      b2h: lib.base64ToHex("vu8="),
      bytes: lib.bytesToBase64(new Uint8Array([0xbe, 0xef])),
      back: Array.from(lib.base64ToBytes("vu8")),
      hexBytes: Array.from(lib.hexToBytes("0xBE:ef")),
      toHex: lib.bytesToHex(new Uint8Array([1, 171])),
      text: lib.base64ToText(lib.textToBase64("Temperature = 0.0")),
      lpp: lib.decodeCayenneLpp(lib.hexToBytes("03670110")),
      bad: (() => { try { lib.hexToBase64("BEE"); } catch (e) { return e.code; } })(),
    }));
    assert.deepEqual(r, {
      h2b: "vu8=", b2h: "BEEF", bytes: "vu8=", back: [0xbe, 0xef], hexBytes: [0xbe, 0xef], toHex: "01AB",
      text: "Temperature = 0.0", lpp: { temperature_3: 27.2 }, bad: "TTS_INVALID_HEX",
    });
  });
});
