// One MQTT session for all the tabs of an origin (issue 23): `iotmqtt/shared` in headless Chromium,
// several pages of one browser profile against the test mosquitto. What the broker saw is counted
// in its log (tests/harness/broker-log.mjs reads what tests/harness/broker.py logs by client id);
// an independent MQTT.js client over TCP is the other party.
// Needs: bash scripts/npm-build.sh, and the ports that scripts/npm-test.sh exports.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { env, start, stop } from "./chromium.mjs";
import mqtt from "mqtt";
import { brokerSaw as saw } from "../harness/broker-log.mjs";
import { hostileServer } from "./hostile.mjs";

const BROKER_WS = `ws://127.0.0.1:${env("IOTMQTT_TEST_BROKER_WS_PORT")}/mqtt`;
const BROKER_TCP = `mqtt://127.0.0.1:${env("IOTMQTT_TEST_BROKER_TCP_PORT")}`;
const BROKER_LOG = env("IOTMQTT_TEST_BROKER_LOG");
const CONTROL = `http://127.0.0.1:${env("IOTMQTT_TEST_BROKER_CONTROL_PORT")}`;
const LOGIN = { username: "tester", password: "secret" };

let server, browser, base;
before(async () => ({ server, browser, base } = await start()));
after(() => stop({ server, browser }));

/** A page of `context` on the examples' index, its errors printed. */
async function examplePage(context) {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${base}/www/examples/index.html`);
  return page;
}

/** `n` pages of one browser profile (one origin, so one SharedWorker), each with a shared client
 *  for `clientId` in `window.client`, connected, one after the other. */
async function tabs(n, clientId, options = {}, { sharedWorker = true, url = BROKER_WS } = {}) {
  const context = await browser.newContext();
  // Leader mode: a browser without SharedWorker, as some mobile browsers are.
  if (!sharedWorker) await context.addInitScript(() => { delete window.SharedWorker; });
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await examplePage(context);
    await page.evaluate(async ({ url, clientId, options }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      window.client = new MqttClient(url, { clientId, ...options });
      window.heard = [];
      window.client.on("message", (m) => window.heard.push(`${m.topic} ${m.text}`));
      window.ack = await window.client.connect();
    }, { url, clientId, options: { ...LOGIN, ...options } });
    pages.push(page);
  }
  return { context, pages };
}

/** An independent MQTT.js subscriber to `filter` at `qos` over TCP: how many times it got each payload. */
async function watch(id, filter, qos) {
  const received = new Map();
  const watcher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-watch` });
  watcher.on("message", (topic, payload) => received.set(String(payload), (received.get(String(payload)) ?? 0) + 1));
  await watcher.subscribeAsync(filter, { qos });
  return { received, watcher };
}

/** The records of the IndexedDB store `name` as `page` sees them: how many, how many with a packet
 *  id (their PUBLISH may have gone), and how many whose PUBREC came (their PUBREL may have gone). */
const records = (page, name) => page.evaluate((name) => new Promise((resolve, reject) => {
  const open = indexedDB.open(name);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction("unsent", "readonly").objectStore("unsent").getAll();
    request.onsuccess = () => {
      db.close();
      const all = request.result;
      resolve([all.length, all.filter((m) => typeof m.id === "number").length, all.filter((m) => m.released).length]);
    };
    request.onerror = () => reject(request.error);
  };
}), name);

/** What the broker saw of `clientId`: connections, SUBSCRIBEs, UNSUBSCRIBEs, disconnects. */
const brokerSaw = (clientId) => saw(BROKER_LOG, clientId);

// Polled on a timer: a page in the background gets few animation frames.
const until = async (page, f, arg) => page.waitForFunction(f, arg, { timeout: 10_000, polling: 10 });

/** Polls `done()` every 20 ms, `tries` times at most (a party's or the broker's view, outside any page). */
async function polled(done, tries = 200) {
  for (let i = 0; i < tries && !done(); i++) await new Promise((r) => setTimeout(r, 20));
}

/** What a client that closed holds. */
const NONE = { timers: 0, socket: false, listeners: 0 };

/** As ThingsBoard: sends the server RPC `ping` under ids from `first` on, one every 50 ms, until
 *  `replies` (its answers, noted by the party) has one: the pages take their turns as they join. */
async function pingUntilAnswered(server, replies, first) {
  for (let id = first; replies.length === 0 && id < first + 100; id++) {
    server.publish(`v1/devices/me/rpc/request/${id}`, JSON.stringify({ method: "ping", params: {} }));
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Closes `window[name]` in each page, one after the other: what each page still holds after. */
async function closeEach(pages, name) {
  const left = [];
  for (const p of pages) {
    left.push(await p.evaluate((name) => {
      window[name].close();
      return window[name].liveResources();
    }, name));
  }
  return left;
}

const PLUG = "dev-000000000000000000000023";

/** Three pages of `context`, each with `CloudPlugsDevice` logged in as PLUG (`shared: true`) in
 *  `window.device`, and the states it saw in `window.states`. */
async function cloudPlugsPages(context, hwid, options = {}) {
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await examplePage(context);
    await page.evaluate(async ({ url, plug, hwid, options }) => {
      const { default: init, CloudPlugsDevice } = await import("/pkg/web/cloudplugs.js");
      await init();
      window.device = await CloudPlugsDevice.login(url, { username: plug, auth: "shared-auth", hwid, shared: true, ...options });
      window.states = [];
      window.device.on("state", (s) => window.states.push(s.type));
    }, { url: BROKER_WS, plug: PLUG, hwid, options });
    pages.push(page);
  }
  return pages;
}

/** Three pages of `context`, each with `ThingsBoardDevice` connected as `clientId` (`shared: true`)
 *  in `window.device` and the states it saw in `window.states`; page i then handles "ping" with
 *  `pong from ${pingers[i]}` (`window.off` removes it) when `pingers[i]` is given. */
async function thingsBoardPages(context, clientId, pingers = []) {
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await examplePage(context);
    await page.evaluate(async ({ url, options, name }) => {
      const { default: init, ThingsBoardDevice } = await import("/pkg/web/thingsboard.js");
      await init();
      window.device = await ThingsBoardDevice.connect(url, { ...options, fetchSessionLimits: false, shared: true });
      window.states = [];
      window.device.on("state", (s) => window.states.push(s.type));
      if (name) {
        window.off = window.device.onRpc("ping", () => `pong from ${name}`);
        await window.device.enableRpc();
      }
    }, { url: BROKER_WS, options: { clientId, ...LOGIN }, name: pingers[i] });
    pages.push(page);
  }
  return pages;
}

test("three pages, one session: one connection at the broker, each page counts three tabs", async () => {
  const id = `shared-three-${process.pid}`;
  const { context, pages } = await tabs(3, id);
  try {
    for (const p of pages) await until(p, () => window.client.tabs === 3);
    const seen = await Promise.all(pages.map((p) => p.evaluate(async () => [window.client.connected, window.client.clientId,
      window.client.server, await window.client.request("t").catch((e) => e.code)])));
    const one = [true, id, BROKER_WS, "INVALID_OPTION"];
    assert.deepEqual(seen, [one, one, one]);
    assert.equal(brokerSaw(id).connections, 1);
  } finally {
    await context.close();
  }
});

test("overlapping subscriptions: each page gets each matching message once; the broker sees a SUBSCRIBE per page's subscribe and the last UNSUBSCRIBE", async () => {
  const id = `shared-subs-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id);
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    await a.evaluate(() => window.client.subscribe("sh/+/x", { qos: 1 }));
    await b.evaluate(() => Promise.all([window.client.subscribe("sh/+/x", { qos: 1 }), window.client.subscribe("sh/#", { qos: 1 })]));
    await publisher.publishAsync("sh/a/x", "1", { qos: 1 });
    await publisher.publishAsync("sh/b", "2", { qos: 1 });
    await until(b, () => window.heard.length === 2);
    await until(a, () => window.heard.length === 1);
    // B unsubscribes both: sh/# goes (its last interest), sh/+/x stays for A.
    await b.evaluate(() => window.client.unsubscribe(["sh/+/x", "sh/#"]));
    await publisher.publishAsync("sh/c/x", "3", { qos: 1 });
    await until(a, () => window.heard.length === 2);
    // A marker B would get if it still had any interest: it does not.
    await publisher.publishAsync("sh/marker", "4", { qos: 1 });
    await a.evaluate(() => window.client.subscribe("sh/marker", { qos: 1 }));
    await publisher.publishAsync("sh/marker", "5", { qos: 1 });
    await until(a, () => window.heard.length === 3);
    assert.deepEqual(await a.evaluate(() => window.heard), ["sh/a/x 1", "sh/c/x 3", "sh/marker 5"]);
    assert.deepEqual(await b.evaluate(() => window.heard), ["sh/a/x 1", "sh/b 2"]);
    // B's sh/+/x, which A holds, takes a SUBSCRIBE for its retained messages (see the next test).
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["sh/+/x", "sh/+/x", "sh/#", "sh/marker"], unsubscribes: ["sh/#"], disconnects: 0 });
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

for (const version of ["3.1.1", "5"]) {
  test(`retained messages on MQTT ${version}: a page that subscribes to a filter another page holds gets them once, and no page gets them twice`, async () => {
    const id = `shared-retained-${version === "5" ? 5 : 4}-${process.pid}`;
    const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
    const { context, pages } = await tabs(3, id, version === "5" ? { version: "5" } : {});
    const [a, b, c] = pages;
    try {
      for (const p of pages) await p.evaluate(() => { window.kept = []; window.client.on("message", (m) => window.kept.push(`${m.topic} ${m.text} ${m.retain}`)); });
      await publisher.publishAsync(`${id}/r/1`, "one", { qos: 1, retain: true });
      await publisher.publishAsync(`${id}/r/2`, "two", { qos: 1, retain: true });
      // A subscribes first; B to the same filter, and C to an overlapping one, each after the one
      // before has its retained messages.
      await a.evaluate((f) => window.client.subscribe(f, { qos: 1 }), `${id}/#`);
      await until(a, () => window.kept.length === 2);
      await b.evaluate((f) => window.client.subscribe(f, { qos: 1 }), `${id}/#`);
      await until(b, () => window.kept.length === 2);
      await c.evaluate((f) => window.client.subscribe(f, { qos: 0 }), `${id}/r/+`);
      await until(c, () => window.kept.length === 2);
      // Live: a message, and a retained one, which the broker forwards with RETAIN cleared. Had a page
      // got another's retained messages, they would come before these.
      await publisher.publishAsync(`${id}/r/3`, "three", { qos: 1 });
      await publisher.publishAsync(`${id}/r/1`, "one again", { qos: 1, retain: true });
      for (const p of pages) await until(p, () => window.kept.length === 4);
      const retained = [`${id}/r/1 one true`, `${id}/r/2 two true`];
      const live = [`${id}/r/3 three false`, `${id}/r/1 one again false`];
      const kept = await Promise.all(pages.map((p) => p.evaluate(() => window.kept)));
      assert.deepEqual(kept, [[...retained, ...live], [...retained, ...live], [...retained, ...live]]);
      // A SUBSCRIBE for B's subscribe to the filter A holds: the broker sends its retained messages
      // again for it, and it alone takes them.
      assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: [`${id}/#`, `${id}/#`, `${id}/r/+`], unsubscribes: [], disconnects: 0 });
    } finally {
      for (const n of [1, 2]) await publisher.publishAsync(`${id}/r/${n}`, "", { qos: 1, retain: true });
      await publisher.endAsync();
      await context.close();
    }
  });
}

// The broker restarts (keeping its retained messages, not the session): the connection comes back
// and subscribes to the filter again, and what that brings goes to every page of the filter, as it
// would to each page's own client (not only to the page whose SUBSCRIBE was answered last).
test("retained messages after a reconnect: the restored subscription's go to every page of the filter", async () => {
  const id = `shared-restored-${process.pid}`;
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub`, reconnectPeriod: 100 });
  const { context, pages } = await tabs(2, id, { reconnect: { initialDelayMs: 100, maxDelayMs: 200 } });
  const [a, b] = pages;
  try {
    for (const p of pages) await p.evaluate(() => { window.kept = []; window.client.on("message", (m) => window.kept.push(`${m.topic} ${m.text} ${m.retain}`)); });
    await publisher.publishAsync(`${id}/r`, "kept", { qos: 1, retain: true });
    await a.evaluate((f) => window.client.subscribe(f, { qos: 1 }), `${id}/#`);
    await until(a, () => window.kept.length === 1);
    await b.evaluate((f) => window.client.subscribe(f, { qos: 1 }), `${id}/#`);
    await until(b, () => window.kept.length === 1);
    await fetch(`${CONTROL}/stop`);
    await until(a, () => window.client.state.type !== "connected");
    await fetch(`${CONTROL}/start`);
    for (const p of pages) await until(p, () => window.kept.length === 2);
    await polled(() => publisher.connected);
    await publisher.publishAsync(`${id}/marker`, "m", { qos: 1 });
    for (const p of pages) await until(p, () => window.kept.length === 3);
    const kept = [`${id}/r kept true`, `${id}/r kept true`, `${id}/marker m false`];
    assert.deepEqual(await Promise.all(pages.map((p) => p.evaluate(() => window.kept))), [kept, kept]);
  } finally {
    await publisher.publishAsync(`${id}/r`, "", { qos: 1, retain: true }).catch(() => {});
    await publisher.endAsync();
    await context.close();
  }
});

// A broker may put the SUBACK and the retained messages sent for it in one WebSocket message: the
// host learns of the SUBACK in its place among them, so the retained message goes to the page whose
// SUBSCRIBE it was sent for. (Through the subscribe's promise, the host learnt of it after the
// messages: B got nothing, and A got B's retained message.)
test("a SUBACK and the retained message sent for it in one WebSocket message: the message goes to the page it was sent for", async () => {
  const hostile = await hostileServer();
  const { context, pages: [a, b] } = await tabs(2, `shared-frame-${process.pid}`, {}, { url: `${hostile.url}/retained` });
  try {
    for (const p of [a, b]) await p.evaluate(() => { window.kept = []; window.client.on("message", (m) => window.kept.push(`${m.topic} ${m.text} ${m.retain}`)); });
    await a.evaluate(() => window.client.subscribe("r/#"));
    await until(a, () => window.kept.length === 2);
    await b.evaluate(() => window.client.subscribe("r/#"));
    await until(b, () => window.kept.length === 2);
    await until(a, () => window.kept.length === 3);
    assert.deepEqual(await a.evaluate(() => window.kept), ["r/1 kept true", "r/live live false", "r/live live false"]);
    assert.deepEqual(await b.evaluate(() => window.kept), ["r/1 kept true", "r/live live false"]);
  } finally {
    await context.close();
    hostile.close();
  }
});

test("a subscribe undone before its SUBACK still resolves, and subscribing again takes a SUBSCRIBE of its own", async () => {
  const id = `shared-undo-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id);
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    const granted = await a.evaluate(async () => {
      const first = window.client.subscribe("undo/x", { qos: 1 });
      await window.client.unsubscribe("undo/x");
      return [await first, await window.client.subscribe("undo/x", { qos: 1 })];
    });
    assert.deepEqual(granted, [1, 1]);
    await b.evaluate(() => window.client.subscribe("undo/marker", { qos: 1 }));
    await publisher.publishAsync("undo/x", "1", { qos: 1 });
    await publisher.publishAsync("undo/marker", "2", { qos: 1 });
    await until(b, () => window.heard.length === 1);
    await until(a, () => window.heard.length === 1);
    assert.deepEqual(await a.evaluate(() => window.heard), ["undo/x 1"]);
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["undo/x", "undo/x", "undo/marker"], unsubscribes: ["undo/x"], disconnects: 0 });
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

test("MQTT 5: mosquitto sends a copy per matching subscription; each page still gets each message once", async () => {
  const id = `shared-v5-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id, { version: "5" });
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    // A: v5/+/x and v5/#; B: v5/+/x. A message on v5/a/x matches both filters of the one session,
    // and mosquitto sends it twice, once per subscription.
    await a.evaluate(() => Promise.all([window.client.subscribe("v5/+/x", { qos: 1 }), window.client.subscribe("v5/#", { qos: 1 })]));
    await b.evaluate(() => window.client.subscribe("v5/+/x", { qos: 1 }));
    // The session's Subscription Identifiers stay in the host: no page asked for any.
    for (const p of [a, b]) await p.evaluate(() => { window.props = []; window.client.on("message", (m) => window.props.push(m.properties ?? null)); });
    await publisher.publishAsync("v5/a/x", "1", { qos: 1 });
    await publisher.publishAsync("v5/b", "2", { qos: 1 });
    await publisher.publishAsync("v5/marker", "3", { qos: 1 });
    await until(a, () => window.heard.length === 3);
    await until(b, () => window.heard.length === 1);
    assert.deepEqual(await a.evaluate(() => window.heard), ["v5/a/x 1", "v5/b 2", "v5/marker 3"]);
    assert.deepEqual(await b.evaluate(() => window.heard), ["v5/a/x 1"]);
    // A's publish to a topic both pages hear: once each.
    await a.evaluate(() => window.client.publish("v5/c/x", "4", { qos: 1 }));
    await until(a, () => window.heard.length === 4);
    await until(b, () => window.heard.length === 2);
    await publisher.publishAsync("v5/marker", "5", { qos: 1 });
    await until(a, () => window.heard.length === 5);
    assert.deepEqual(await a.evaluate(() => window.heard.slice(3)), ["v5/c/x 4", "v5/marker 5"]);
    assert.deepEqual(await b.evaluate(() => window.heard), ["v5/a/x 1", "v5/c/x 4"]);
    assert.deepEqual(await a.evaluate(() => window.props), [null, null, null, null, null]);
    assert.deepEqual(await b.evaluate(() => window.props), [null, null]);
    // B's v5/+/x, which A holds, takes a SUBSCRIBE for its retained messages.
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["v5/+/x", "v5/#", "v5/+/x"], unsubscribes: [], disconnects: 0 });
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

test("MQTT 5 subscription options: a filter's are its first page's, another page asking otherwise gets SHARED_OPTIONS_DIFFER; each page's copy carries its own Subscription Identifiers; No Local is the connection's", async () => {
  const id = `shared-options-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id, { version: "5" });
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    await a.evaluate(() => window.client.subscribe("o/#", { qos: 1, noLocal: true, subscriptionIdentifier: 5 }));
    const refused = await b.evaluate(() => window.client.subscribe("o/#", { qos: 1 }).then(() => "granted", (e) => [e.code, e.message]));
    assert.deepEqual(refused, ["SHARED_OPTIONS_DIFFER", "this tab subscribes to o/# with another noLocal than the tabs already subscribed to it"]);
    const granted = await b.evaluate(() => Promise.all([
      window.client.subscribe("o/#", { qos: 1, noLocal: true, subscriptionIdentifier: 9 }),
      window.client.subscribe("o/+/x", { subscriptionIdentifier: 11 }),
    ]));
    assert.deepEqual(granted, [1, 0]);
    for (const p of [a, b]) await p.evaluate(() => { window.props = []; window.client.on("message", (m) => window.props.push(m.properties ?? null)); });
    // mosquitto sends o/a/x once per subscription (o/# and o/+/x); each page takes one copy, with
    // the identifiers of its own filters that match.
    await publisher.publishAsync("o/a/x", "1", { qos: 1 });
    // No Local is the shared connection's: no page hears a page's own publish.
    await a.evaluate(() => window.client.publish("o/self", "2", { qos: 1 }));
    await publisher.publishAsync("o/marker", "3", { qos: 1 });
    await until(a, () => window.heard.length === 2);
    await until(b, () => window.heard.length === 2);
    assert.deepEqual(await a.evaluate(() => window.heard), ["o/a/x 1", "o/marker 3"]);
    assert.deepEqual(await b.evaluate(() => window.heard), ["o/a/x 1", "o/marker 3"]);
    assert.deepEqual(await a.evaluate(() => window.props), [{ subscriptionIdentifiers: [5] }, { subscriptionIdentifiers: [5] }]);
    assert.deepEqual(await b.evaluate(() => window.props), [{ subscriptionIdentifiers: [9, 11] }, { subscriptionIdentifiers: [9] }]);
    // B's o/#, which A holds, takes a SUBSCRIBE for its retained messages.
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["o/#", "o/#", "o/+/x"], unsubscribes: [], disconnects: 0 });
    // On an MQTT 3.1.1 session the options are refused as the client refuses them.
    const { context: v3, pages: [c] } = await tabs(1, `${id}-v3`);
    try {
      const v3refused = await c.evaluate(() => Promise.all([
        window.client.subscribe("o/#", { noLocal: true }).catch((e) => [e.code, e.field, e.message]),
        window.client.subscribe("o/#", { subscriptionIdentifier: 1 }).catch((e) => [e.code, e.field, e.message]),
        window.client.subscribe("o/#", { qos: 3 }).catch((e) => [e.code, e.field]),
      ]));
      assert.deepEqual(v3refused, [
        ["INVALID_OPTION", "noLocal", "invalid option noLocal: needs MQTT 5: this connection is MQTT 3.1.1"],
        ["INVALID_OPTION", "subscriptionIdentifier", "invalid option subscriptionIdentifier: needs MQTT 5: this connection is MQTT 3.1.1"],
        ["INVALID_OPTION", "qos"],
      ]);
    } finally {
      await v3.close();
    }
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

test("3,000 QoS 1 publishes over three pages: each resolves in its own page, an independent subscriber gets each once", async () => {
  const id = `shared-load-${process.pid}`;
  const received = new Map();
  const watcher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-watch` });
  watcher.on("message", (topic, payload) => received.set(`${topic} ${payload}`, (received.get(`${topic} ${payload}`) ?? 0) + 1));
  await watcher.subscribeAsync("shload/#", { qos: 1 });
  const { context, pages } = await tabs(3, id);
  try {
    const resolved = await Promise.all(pages.map((p, tab) => p.evaluate(async (tab) => {
      const done = await Promise.all(Array.from({ length: 1000 }, (_, i) => window.client.publish(`shload/${tab}`, String(i), { qos: 1 }).then(() => 1)));
      return done.length;
    }, tab)));
    assert.deepEqual(resolved, [1000, 1000, 1000]);
    for (let i = 0; i < 200 && received.size < 3000; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.size, 3000);
    assert.deepEqual([...new Set(received.values())], [1]);
    assert.equal(brokerSaw(id).connections, 1);
  } finally {
    await watcher.endAsync();
    await context.close();
  }
});

test("MQTT 5 request() from two pages on one connection: each page gets the replies to its own requests, a timeout, a refusal on MQTT 3.1.1", async () => {
  const id = `shared-request-${process.pid}`;
  const responder = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-responder`, protocolVersion: 5 });
  responder.on("message", (topic, payload, packet) => {
    const { responseTopic, correlationData } = packet.properties ?? {};
    responder.publish(responseTopic, `re: ${payload}`, { qos: 1, properties: { correlationData } });
  });
  await responder.subscribeAsync("shreq/cmd/#", { qos: 1 });
  const { context, pages } = await tabs(2, id, { version: "5" });
  try {
    const asked = await Promise.all(pages.map((page, n) => page.evaluate(async (n) => {
      const replies = await Promise.all(["a", "b", "c"].map((p) => window.client.request(`shreq/cmd/${p}`, `${n}${p}`, { qos: 1 }).then((m) => m.text)));
      const timedOut = await window.client.request("shreq/nobody", "x", { timeoutMs: 300 }).catch((e) => e.code);
      return { replies, timedOut };
    }, n)));
    assert.deepEqual(asked, [
      { replies: ["re: 0a", "re: 0b", "re: 0c"], timedOut: "REQUEST_TIMEOUT" },
      { replies: ["re: 1a", "re: 1b", "re: 1c"], timedOut: "REQUEST_TIMEOUT" },
    ]);
    // One connection, and no tab's SUBSCRIBE: the response topic is the session's client's own.
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: [`iotmqtt/response/${id}`], unsubscribes: [], disconnects: 0 });
    const v3 = await pages[0].evaluate(async ({ url, login }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const c = new MqttClient(url, { ...login, clientId: "shared-request-v3" });
      await c.connect();
      const refused = await c.request("shreq/cmd/x", "x").catch((e) => `${e.code} ${e.field}`);
      c.close();
      return refused;
    }, { url: BROKER_WS, login: LOGIN });
    assert.equal(v3, "INVALID_OPTION request");
  } finally {
    await responder.endAsync();
    await context.close();
  }
});

// The issue's first complaint: two tabs with one client id kick each other off in a loop. Two shared
// sessions of one origin with one URL and client id (here under two `shared` names, so in two
// workers) would do just that: the second is refused until the first ends.
test("two shared sessions of one origin with one URL and client id: the second is refused with SHARED_OPTIONS_DIFFER until the first ends", async () => {
  const id = `shared-twice-${process.pid}`;
  const context = await browser.newContext();
  try {
    const pages = [];
    for (const name of ["one", "two"]) {
      const page = await examplePage(context);
      await page.evaluate(async ({ url, options }) => {
        const { MqttClient } = await import("/pkg/web/shared.js");
        window.client = new MqttClient(url, options);
      }, { url: BROKER_WS, options: { ...LOGIN, clientId: id, shared: name } });
      pages.push(page);
    }
    const [one, two] = pages;
    const connect = (p) => p.evaluate(() => window.client.connect().then(() => "connected", (e) => `${e.code}: ${e.message}`));
    assert.equal(await connect(one), "connected");
    assert.equal(await connect(two), "SHARED_OPTIONS_DIFFER: another shared session of this origin (another `shared` or `authentication`) has this client id");
    assert.equal(brokerSaw(id).connections, 1);
    // The first session ends with its last client: the second takes the client id.
    await one.evaluate(() => window.client.close());
    await polled(() => brokerSaw(id).disconnects >= 1);
    assert.equal(await connect(two), "connected");
    assert.equal(brokerSaw(id).connections, 2);
  } finally {
    await context.close();
  }
});

test("a page asking for the session with another option gets SHARED_OPTIONS_DIFFER naming it; another client id is another session", async () => {
  const id = `shared-differ-${process.pid}`;
  const { context, pages: [first] } = await tabs(1, id);
  try {
    const page = await context.newPage();
    await page.goto(`${base}/www/examples/index.html`);
    const got = await page.evaluate(async ({ url, id, login }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const differing = new MqttClient(url, { ...login, clientId: id, keepaliveSecs: 5 });
      const refused = await differing.connect().then(() => "connected", (e) => [e.code, e.message]);
      const later = await differing.publish("x", "y").then(() => "published", (e) => e.code);
      differing.close();
      const other = new MqttClient(url, { ...login, clientId: `${id}-other` });
      await other.connect();
      const tabs = other.tabs;
      other.close();
      return { refused, later, tabs };
    }, { url: BROKER_WS, id, login: LOGIN });
    assert.deepEqual(got, {
      refused: ["SHARED_OPTIONS_DIFFER", "this tab asks for the shared session with another keepaliveSecs than the tabs already in it"],
      later: "SHARED_OPTIONS_DIFFER",
      tabs: 1,
    });
    assert.equal(await first.evaluate(() => window.client.tabs), 1);
    assert.equal(brokerSaw(id).connections, 1);
  } finally {
    await context.close();
  }
});

test("every page closes: nothing left in any, and the worker closes the connection", async () => {
  const id = `shared-close-${process.pid}`;
  const { context, pages } = await tabs(3, id);
  try {
    const left = [];
    for (const p of pages) {
      left.push(await p.evaluate(() => {
        window.client.close();
        return [window.client.liveResources(), window.client.state.type];
      }));
    }
    const none = [{ timers: 0, socket: false, listeners: 0 }, "closed"];
    assert.deepEqual(left, [none, none, none]);
    for (let i = 0; i < 100 && brokerSaw(id).disconnects === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: [], unsubscribes: [], disconnects: 1 });
  } finally {
    await context.close();
  }
});

test("a page that goes away without closing leaves only its own interest", async () => {
  const id = `shared-gone-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id);
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    await a.evaluate(() => window.client.subscribe("gone/a", { qos: 1 }));
    await b.evaluate(() => window.client.subscribe("gone/b", { qos: 1 }));
    await b.close();
    await until(a, () => window.client.tabs === 1);
    await publisher.publishAsync("gone/a", "1", { qos: 1 });
    await until(a, () => window.heard.length === 1);
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["gone/a", "gone/b"], unsubscribes: ["gone/b"], disconnects: 0 });
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

test("leader mode, without SharedWorker: three pages share one connection through the leader tab", async () => {
  const id = `shared-leader3-${process.pid}`;
  const { context, pages } = await tabs(3, id, {}, { sharedWorker: false });
  try {
    for (const p of pages) await until(p, () => window.client.tabs === 3);
    assert.deepEqual(await Promise.all(pages.map((p) => p.evaluate(() => typeof SharedWorker))), ["undefined", "undefined", "undefined"]);
    assert.equal(brokerSaw(id).connections, 1);
  } finally {
    await context.close();
  }
});

test("leader mode without persistence refuses a session the broker keeps (cleanStart false) with SHARED_OUTLIVES_LEADER; a SharedWorker takes it", async () => {
  const id = `shared-kept-${process.pid}`;
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.SharedWorker; });
  try {
    const page = await examplePage(context);
    const refused = await page.evaluate(async ({ url, options }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const client = new MqttClient(url, options);
      const code = (p) => p.then(() => "resolved", (e) => e.code);
      return [await code(client.connect()), await code(client.subscribe("kept/#", { qos: 2 })), client.connected];
    }, { url: BROKER_WS, options: { ...LOGIN, clientId: id, cleanStart: false } });
    assert.deepEqual(refused, ["SHARED_OUTLIVES_LEADER", "SHARED_OUTLIVES_LEADER", false]);
    assert.equal(brokerSaw(id).connections, 0);
  } finally {
    await context.close();
  }
  const { context: worker } = await tabs(1, id, { cleanStart: false });
  try {
    assert.equal(brokerSaw(id).connections, 1);
  } finally {
    await worker.close();
  }
});

test("leader mode: the leader tab closes in the middle of 2,000 QoS 1 publishes from another; the next leader takes over and every one arrives", async () => {
  const id = `shared-handover-${process.pid}`;
  const { received, watcher } = await watch(id, "shlead/#", 1);
  // The first page leads; the second publishes.
  const { context, pages: [leader, other] } = await tabs(2, id, {}, { sharedWorker: false });
  try {
    // 300 publishes resolve; then, with the broker stopped (SIGSTOP through tests/harness/broker.py),
    // 1,700 more go to the leader, which closes with all of them unanswered.
    const resolved = other.evaluate(async () => {
      window.resolved = 0;
      const publish = (i) => window.client.publish("shlead/b", String(i), { qos: 1 }).then(() => { window.resolved++; });
      await Promise.all(Array.from({ length: 300 }, (_, i) => publish(i)));
      await new Promise((go) => (window.go = go));
      await Promise.all(Array.from({ length: 1700 }, (_, i) => publish(300 + i)));
      return window.resolved;
    });
    await until(other, () => typeof window.go === "function");
    await fetch(`${CONTROL}/pause`);
    let atClose;
    try {
      await other.evaluate(() => window.go());
      await leader.close();
      atClose = await other.evaluate(() => window.resolved);
    } finally {
      await fetch(`${CONTROL}/resume`);
    }
    assert.equal(atClose, 300);
    assert.equal(await resolved, 2000);
    await until(other, () => window.client.tabs === 1 && window.client.connected);
    for (let i = 0; i < 200 && received.size < 2000; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.size, 2000);
    const duplicates = [...received.values()].reduce((n, c) => n + c - 1, 0);
    // QoS 1 is at least once: what the old leader sent and the broker took, but whose PUBACK never
    // reached the page, is published again by the new leader.
    console.log(`# handover: ${atClose} resolved when the leader closed; 2000 received, ${duplicates} twice`);
    assert.ok(duplicates <= 1700, `${duplicates} duplicates`);
    // The old leader's connection, then the new one's.
    assert.equal(brokerSaw(id).connections, 2);
  } finally {
    await watcher.endAsync();
    await context.close();
  }
});

test("leader mode: what a page asks while it joins the next leader reaches the broker once", async () => {
  const id = `shared-rejoin-${process.pid}`;
  const { received, watcher } = await watch(id, "shrejoin/#", 1);
  const { context, pages: [leader, other] } = await tabs(2, id, {}, { sharedWorker: false });
  try {
    // The page publishes 50 messages on each state it sees: the next leader's "connected" comes
    // before its connect answer, and so before the page repeats what is unanswered.
    await other.evaluate(() => {
      window.published = [];
      window.client.on("state", (s) => {
        for (let i = 0; i < 50; i++) {
          const text = `${s.type} ${window.published.length}`;
          window.published.push(window.client.publish("shrejoin/x", text, { qos: 1 }).then(() => text));
        }
      });
    });
    await leader.close();
    await until(other, () => window.client.connected && window.published.length >= 100);
    const sent = await other.evaluate(() => Promise.all(window.published));
    for (let i = 0; i < 200 && received.size < sent.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(new Set(sent), new Set(received.keys()));
    const twice = [...received].filter(([, n]) => n > 1).map(([text]) => text);
    assert.deepEqual(twice, [], "none reached the broker twice");
  } finally {
    await watcher.endAsync();
    await context.close();
  }
});

// The issue: "In-flight state is kept in IndexedDB, as persistence does today". With `persistence`,
// the leader's host keeps every unsettled publish in the store; a leader whose page closes with its
// own publishes unanswered leaves them there, and the next leader's host sends them.
test("leader mode with persistence: the leader's own unanswered publishes outlive its page and the next leader sends them", async () => {
  const id = `shared-persist-${process.pid}`;
  const store = `iotmqtt-shared-test-${process.pid}`;
  const { received, watcher } = await watch(id, "shpersist/#", 1);
  const { context, pages: [leader, other] } = await tabs(2, id, { persistence: store }, { sharedWorker: false });
  try {
    const count = async (page) => (await records(page, store))[0];
    await fetch(`${CONTROL}/pause`);
    let stored;
    try {
      // 500 QoS 1 publishes from the leader's own page, none answered while the broker is stopped.
      await leader.evaluate(() => {
        window.settled = 0;
        for (let i = 0; i < 500; i++) window.client.publish("shpersist/a", String(i), { qos: 1 }).finally(() => window.settled++);
      });
      for (let i = 0; i < 200 && (stored = await count(other)) < 500; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(await leader.evaluate(() => window.settled), 0);
      await leader.close();
    } finally {
      await fetch(`${CONTROL}/resume`);
    }
    assert.equal(stored, 500);
    await until(other, () => window.client.tabs === 1 && window.client.connected);
    for (let i = 0; i < 200 && received.size < 500; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.size, 500);
    const duplicates = [...received.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`# persisted handover: 500 stored by the old leader, 500 received, ${duplicates} twice`);
    // Settled publishes leave the store.
    for (let i = 0; i < 100 && (stored = await count(other)) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(stored, 0);
    assert.equal(brokerSaw(id).connections, 2);
  } finally {
    await watcher.endAsync();
    await context.close();
  }
});

// The issue: QoS 1 and 2 messages in flight at a handover are "neither lost nor duplicated beyond
// what MQTT allows". QoS 2 allows no duplicate, and only a session the broker keeps can hold one
// back: the next leader resumes it, and must send each message again under the packet id the
// broker holds it by. With `persistence` the host writes each QoS 2 packet id and stage into the
// store before it sends them (src/session/durable.rs), and the tab's request each message was
// made for, so that the request repeated to the next leader takes the restored message's outcome.
test("leader mode, a session the broker keeps, with persistence: the leader closes in the middle of 2,000 QoS 2 publishes from another page, with PUBLISHes and PUBRELs the broker takes after; the next leader resends each at its stage under its packet id, and each arrives exactly once", async () => {
  const id = `shared-qos2-${process.pid}`;
  const store = `iotmqtt-shared-qos2-${process.pid}`;
  const { received, watcher } = await watch(id, "shqos2/#", 2);
  const { context, pages: [leader, other] } = await tabs(2, id, { persistence: store, cleanStart: false }, { sharedWorker: false });
  try {
    const resolved = other.evaluate(async () => {
      window.resolved = 0;
      const publish = (i) => window.client.publish("shqos2/b", String(i), { qos: 2 }).then(() => { window.resolved++; });
      const first = Array.from({ length: 1000 }, (_, i) => publish(i));
      await new Promise((go) => (window.go = go));
      const second = Array.from({ length: 1000 }, (_, i) => publish(1000 + i));
      await Promise.all([...first, ...second]);
      return window.resolved;
    });
    // The broker stops in the middle of the first 1,000, and the other 1,000 are published then.
    // The leader goes on with what it has: it writes the stage of each PUBREC that had come and
    // sends its PUBREL, and writes the packet id of each new message and sends its PUBLISH. All of
    // it waits in the socket, and the broker takes it when it goes on, after the leader's page is
    // gone: it forwards each message it got the PUBREL of, and holds each new PUBLISH by its
    // packet id for a PUBREL that never comes from that page.
    await until(other, () => window.resolved >= 300);
    await fetch(`${CONTROL}/pause`);
    let stored = [], atClose;
    try {
      await other.evaluate(() => window.go());
      for (let i = 0, last = ""; i < 400; i++) {
        stored = await records(other, store);
        if (stored[0] > 0 && stored[1] === stored[0] && String(stored) === last) break;
        last = String(stored);
        await new Promise((r) => setTimeout(r, 50));
      }
      atClose = await other.evaluate(() => window.resolved);
      await leader.close();
    } finally {
      await fetch(`${CONTROL}/resume`);
    }
    const [unsettled, withId, released] = stored;
    assert.equal(atClose + unsettled, 2000);
    assert.equal(withId, unsettled, "every unsettled message had its packet id written");
    assert.ok(released > 0 && released < unsettled, `${released} of ${unsettled} at the PUBREL stage`);
    assert.equal(await resolved, 2000);
    await until(other, () => window.client.tabs === 1 && window.client.connected);
    // A marker published after them: mosquitto forwards one client's QoS 2 messages in the order
    // it releases them, so nothing of the 2,000 comes after it.
    await other.evaluate(() => window.client.publish("shqos2/b", "marker", { qos: 2 }));
    await polled(() => received.has("marker"), 500);
    received.delete("marker");
    assert.equal(received.size, 2000);
    const twice = [...received].filter(([, n]) => n > 1).map(([text]) => text);
    console.log(`# QoS 2 handover: ${atClose} resolved when the leader closed, ${unsettled} unsettled (${released} at the PUBREL stage); 2000 received, ${twice.length} twice`);
    assert.deepEqual(twice, [], "no QoS 2 message arrives twice");
    // Settled publishes leave the store.
    for (let i = 0; i < 100 && (stored = await records(other, store))[0] > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(stored, [0, 0, 0]);
    assert.equal(brokerSaw(id).connections, 2);
  } finally {
    await watcher.endAsync();
    await context.close();
  }
});

// `iotmqtt/mqtt5`'s credentials callback, in a shared session: a function cannot cross to the host,
// so it stays in its page, and the host asks a tab's before each connect and reconnect.
test("a credentials callback on a shared session: the first page's is asked before each connect, the next page's once it leaves (also while its question is pending); a page without one is refused by name", async () => {
  const id = `shared-login-${process.pid}`;
  const context = await browser.newContext();
  const page = async (password) => {
    const p = await examplePage(context);
    await p.evaluate(async ({ url, id, password }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      window.asked = 0;
      // `window.hold`: the callback never answers.
      const credentials = () => {
        window.asked++;
        return new Promise((resolve) => window.hold || setTimeout(() => resolve({ username: "tester", password }), 10));
      };
      window.client = new MqttClient(url, { clientId: id, credentials, reconnect: { initialDelayMs: 100, maxDelayMs: 200 } });
      window.connected = window.client.connect().then((ack) => ack.sessionPresent, (e) => e.code);
    }, { url: BROKER_WS, id, password });
    return p;
  };
  const asked = (pages) => Promise.all(pages.map((p) => p.evaluate(() => window.asked)));
  try {
    const a = await page("secret");
    assert.equal(await a.evaluate(() => window.connected), false);
    const b = await page("secret");
    assert.equal(await b.evaluate(() => window.connected), false);
    assert.deepEqual(await asked([a, b]), [1, 0]);
    // Another client takes the client id over, and leaves: the session reconnects (one attempt,
    // the broker being up), and asks again the first page's callback.
    const kick = async (p, meanwhile = async () => {}) => {
      await p.evaluate(() => {
        window.reconnected = new Promise((resolve) => {
          const off = window.client.on("state", (s) => s.type === "connected" && (off(), resolve()));
        });
      });
      const intruder = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: id, reconnectPeriod: 0 });
      await intruder.endAsync();
      await meanwhile();
      await p.evaluate(() => window.reconnected);
    };
    await kick(b);
    assert.deepEqual(await asked([a, b]), [2, 0]);
    // The first page's callback stops answering, and the page goes while the session waits for it:
    // the question goes to the other page's.
    await a.evaluate(() => { window.hold = true; });
    await kick(b, async () => {
      await until(a, () => window.asked === 3);
      await a.evaluate(() => window.client.close());
    });
    assert.equal(await b.evaluate(() => window.asked), 1);
    assert.equal(await b.evaluate(() => window.client.tabs), 1);
    // The session's three connections and the two intruders'.
    assert.equal(brokerSaw(id).connections, 5);
    // A page of the session without a callback asks for another session than it would get.
    const refused = await b.evaluate(async ({ url, id }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const plain = new MqttClient(url, { clientId: id });
      return plain.connect().then(() => "resolved", (e) => `${e.code} ${e.message}`);
    }, { url: BROKER_WS, id });
    assert.equal(refused, "SHARED_OPTIONS_DIFFER this tab asks for the shared session with another credentials than the tabs already in it");
    // A callback that throws, and one whose login the broker refuses, in sessions of their own.
    const fails = await context.newPage();
    await fails.goto(`${base}/www/examples/index.html`);
    const codes = await fails.evaluate(async ({ url, id }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const connect = (clientId, credentials) => new MqttClient(url, { clientId, credentials }).connect().then(() => "resolved", (e) => `${e.code} ${e.message}`);
      return [
        await connect(`${id}-throws`, () => { throw new Error("no token yet"); }),
        await connect(`${id}-wrong`, () => ({ username: "tester", password: "wrong" })),
        await connect(`${id}-token`, () => "a bare token"),
      ];
    }, { url: BROKER_WS, id });
    assert.equal(codes[0], "CREDENTIALS_FAILED the credentials callback failed: no token yet");
    assert.match(codes[1], /^CONNACK_/);
    assert.equal(codes[2], "CREDENTIALS_FAILED the credentials callback failed: it answered something else than {username, password} strings");
  } finally {
    await context.close();
  }
});

// `iotmqtt/mqtt5`'s enhanced authentication in a shared session, against the scripted broker of
// hostile.mjs ("/auth": CONNECT "c1" -> challenge "s1" -> "c2" -> CONNACK "ok"; AUTH 0x19 "r1" ->
// challenge "s2" -> "r2" -> AUTH 0x00 "ok2"). The authenticator stays in its page; a session with
// `authentication` runs in a host whose core has AUTH (`shared-worker-auth.js`).
test("MQTT 5 enhanced authentication on a shared session: the first page's authenticator answers the challenges, of the connect and of another page's re-authentication, then the next page's once it leaves", async () => {
  const hostile = await hostileServer();
  const id = `shared-auth-${process.pid}`;
  const context = await browser.newContext();
  const page = async () => {
    const p = await examplePage(context);
    await p.evaluate(async ({ url, id }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const text = (d) => (d ? new TextDecoder().decode(d) : null);
      const answers = { s1: "c2", s2: new TextEncoder().encode("r2") };
      window.text = text;
      window.challenges = [];
      window.client = new MqttClient(url, {
        clientId: id,
        version: "5",
        reconnect: { enabled: false },
        authentication: { method: "DEMO", data: "c1" },
        authenticator: async (data) => {
          window.challenges.push(text(data));
          return answers[text(data)];
        },
      });
      window.ack = await window.client.connect();
    }, { url: `${hostile.url}/auth`, id });
    return p;
  };
  const challenges = (pages) => Promise.all(pages.map((p) => p.evaluate(() => window.challenges)));
  const reauthenticate = (p) => p.evaluate(async () => window.text(await window.client.reauthenticate("r1")));
  try {
    const a = await page();
    const b = await page();
    assert.equal(await a.evaluate(() => window.text(window.ack.authenticationData)), "ok");
    assert.deepEqual(await challenges([a, b]), [["s1"], []]);
    // B re-authenticates the shared connection; the broker's challenge goes to A's authenticator.
    assert.equal(await reauthenticate(b), "ok2");
    assert.deepEqual(await challenges([a, b]), [["s1", "s2"], []]);
    await a.evaluate(() => window.client.close());
    await until(b, () => window.client.tabs === 1);
    assert.equal(await reauthenticate(b), "ok2");
    assert.deepEqual(await challenges([b]), [["s2"]]);
    // One connection: one CONNECT (the first byte 0x10) among what the broker got.
    const connects = hostile.received["/auth"].filter((m) => m[0] === 0x10);
    assert.equal(connects.length, 1);
    // A page without an authenticator, or with other authentication data, asks for another session.
    const refused = await b.evaluate(async ({ url, id }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const code = (options) => new MqttClient(url, { clientId: id, version: "5", reconnect: { enabled: false }, ...options })
        .connect().then(() => "resolved", (e) => e.message);
      return [
        await code({ authentication: { method: "DEMO", data: "c1" } }),
        await code({ authentication: { method: "DEMO", data: "x" }, authenticator: () => "c2" }),
      ];
    }, { url: `${hostile.url}/auth`, id });
    const differ = (option) => `this tab asks for the shared session with another ${option} than the tabs already in it`;
    assert.deepEqual(refused, [differ("authenticator"), differ("authentication")]);
  } finally {
    await context.close();
    hostile.close();
  }
});

test("a host that cannot start fails every call with SHARED_HOST_FAILED, in both modes", async () => {
  const got = [];
  for (const sharedWorker of [true, false]) {
    const context = await browser.newContext();
    if (!sharedWorker) await context.addInitScript(() => { delete window.SharedWorker; });
    await context.route("**/shared-worker.js", (route) => route.fulfill({ status: 404, body: "" }));
    const page = await context.newPage();
    await page.goto(`${base}/www/examples/index.html`);
    got.push(await page.evaluate(async ({ url, login }) => {
      const { MqttClient } = await import("/pkg/web/shared.js");
      const client = new MqttClient(url, { ...login, clientId: "no-host" });
      const calls = await Promise.all([client.connect(), client.publish("t", "x")].map((p) => p.then(() => "resolved", (e) => e.code)));
      const later = await client.subscribe("t").then(() => "resolved", (e) => e.code);
      client.close();
      return [...calls, later];
    }, { url: BROKER_WS, login: LOGIN }));
    await context.close();
  }
  assert.deepEqual(got, [["SHARED_HOST_FAILED", "SHARED_HOST_FAILED", "SHARED_HOST_FAILED"],
    ["SHARED_HOST_FAILED", "SHARED_HOST_FAILED", "SHARED_HOST_FAILED"]]);
});

test("the one-connection example: two tabs started from the same link share one connection, each with its own messages", async () => {
  const id = `shared-example-${process.pid}`;
  const context = await browser.newContext();
  try {
    const q = new URLSearchParams({ url: BROKER_WS, clientId: id, ...LOGIN, topic: "shex/t", message: "hi", autostart: "1" });
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      await page.goto(`${base}/www/examples/one-connection.html?${q}`);
      // Started, and its own message back, before the next tab opens.
      await until(page, () => window.example?.received?.length || window.example?.errors.length);
      pages.push(page);
    }
    // Each tab published "hi" once: the first tab gets both, the second only its own (it subscribed
    // after the first one's).
    const hi = { topic: "shex/t", text: "hi" };
    await until(pages[0], () => window.example.received.length === 2 && window.example.tabs === 2);
    await until(pages[1], () => window.example.received.length === 1 && window.example.tabs === 2);
    const seen = await Promise.all(pages.map((p) => p.evaluate(() =>
      [window.example.errors, window.example.received, document.getElementById("tabs").textContent])));
    assert.deepEqual(seen, [[[], [hi, hi], "2 tabs share this connection."], [[], [hi], "2 tabs share this connection."]]);
    // The second tab's subscribe to the topic the first holds takes a SUBSCRIBE for its retained messages.
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["shex/t", "shex/t"], unsubscribes: [], disconnects: 0 });
  } finally {
    await context.close();
  }
});

test("disconnect() leaves the session as the generic client's ends its connection, and connect() joins again", async () => {
  const id = `shared-again-${process.pid}`;
  const { context, pages: [a, b] } = await tabs(2, id);
  const publisher = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-pub` });
  try {
    await a.evaluate(() => window.client.subscribe("again/a", { qos: 1 }));
    const left = await a.evaluate(() => {
      window.client.disconnect();
      return [window.client.state.type, window.client.state.error.code, window.client.connected];
    });
    assert.deepEqual(left, ["disconnected", "DISCONNECTED", false]);
    await until(b, () => window.client.tabs === 1);
    // Joined again: the session's connection, and a subscription made anew.
    const back = await a.evaluate(async () => {
      await window.client.connect();
      await window.client.subscribe("again/a", { qos: 1 });
      return [window.client.connected, window.client.tabs];
    });
    assert.deepEqual(back, [true, 2]);
    await until(b, () => window.client.tabs === 2);
    await publisher.publishAsync("again/a", "1", { qos: 1 });
    await until(a, () => window.heard.length === 1);
    assert.deepEqual(await a.evaluate(() => window.heard), ["again/a 1"]);
    assert.deepEqual(brokerSaw(id), { connections: 1, subscribes: ["again/a", "again/a"], unsubscribes: ["again/a"], disconnects: 0 });
  } finally {
    await publisher.endAsync();
    await context.close();
  }
});

test("ThingsStackApp with shared: true: three pages, one connection for the application, each page hears each of its uplinks once, a pushed downlink arrives once", async () => {
  const id = `shared-tts-${process.pid}`;
  const context = await browser.newContext();
  // The other party, as The Things Stack's server: it publishes uplinks and hears pushed downlinks.
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${id}-server` });
  const pushed = [];
  server.on("message", (topic, payload) => pushed.push(`${topic} ${JSON.parse(payload).downlinks.map((d) => `${d.f_port}:${d.frm_payload}`)}`));
  await server.subscribeAsync("v3/demo-app@ttn/devices/+/down/push", { qos: 1 });
  const uplink = (device) => JSON.stringify({
    end_device_ids: { device_id: device, application_ids: { application_id: "demo-app" } },
    uplink_message: { f_port: 1, frm_payload: "AQ==" },
  });
  try {
    const pages = [];
    for (let i = 0; i < 3; i++) {
      const page = await examplePage(context);
      await page.evaluate(async ({ url, id, i }) => {
        const { default: init, ThingsStackApp } = await import("/pkg/web/things-stack.js");
        await init();
        const options = { application: "demo-app@ttn", apiKey: "NNSXS.DEMOKEY.SIMULATOR", clientId: id, shared: true };
        window.app = await ThingsStackApp.connect(url, options);
        window.heard = [];
        window.app.on("event", (e) => window.heard.push(`${e.kind} ${e.deviceId} ${e.fPort} ${e.payload}`));
        // Two pages hear every device's uplinks, the third everything of one device.
        await window.app.subscribe(i < 2 ? { event: "up" } : { deviceId: "dev-2" });
      }, { url: BROKER_WS, id, i });
      pages.push(page);
    }
    await server.publishAsync("v3/demo-app@ttn/devices/dev-1/up", uplink("dev-1"), { qos: 1 });
    await server.publishAsync("v3/demo-app@ttn/devices/dev-2/up", uplink("dev-2"), { qos: 1 });
    for (const [i, p] of pages.entries()) await until(p, (n) => window.heard.length === n, i < 2 ? 2 : 1);
    const heard = await Promise.all(pages.map((p) => p.evaluate(() => window.heard)));
    assert.deepEqual(heard, [["up dev-1 1 1", "up dev-2 1 1"], ["up dev-1 1 1", "up dev-2 1 1"], ["up dev-2 1 1"]]);
    const statuses = await pages[2].evaluate(async () => {
      const [tracker] = await window.app.push("dev-2", [{ fPort: 2, hex: "BEEF" }]);
      return tracker.history.map((s) => s.status);
    });
    assert.deepEqual(statuses, []);
    for (let i = 0; i < 100 && pushed.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(pushed, ["v3/demo-app@ttn/devices/dev-2/down/push 2:vu8="]);
    // Closed one after the other: the second takes the last interest in `+/up`, the third is the
    // last page, whose leaving closes the connection.
    assert.deepEqual(await closeEach(pages, "app"), [NONE, NONE, NONE]);
    await polled(() => brokerSaw(id).disconnects >= 1, 100);
    const app = "v3/demo-app@ttn/devices";
    // The tracker of the pushed downlink subscribed to its device's downlink events.
    assert.deepEqual(brokerSaw(id), {
      connections: 1, subscribes: [`${app}/+/up`, `${app}/dev-2/#`, `${app}/dev-2/down/#`], unsubscribes: [`${app}/+/up`], disconnects: 1,
    });
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("CloudPlugsDevice with shared: true: three pages, one connection; property requests made at once in every page take turns on their topic and each gets its own answer", async () => {
  const plug = PLUG;
  const hwid = `shared-cp-${process.pid}`;
  const context = await browser.newContext();
  // The other party, as CloudPlugs: it answers each request on the topic it came on, after a while,
  // and notes how many requests it had at once. Its own answers come back to it: a get's start with
  // `{`, where a request is `[...]` or empty; a set's answer is empty, where a request is `{...}`.
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${hwid}-server` });
  const asked = [];
  let open = 0, most = 0;
  server.on("message", (topic, payload) => {
    const text = payload.toString();
    const get = topic.endsWith("/get");
    if (get ? text.startsWith("{") : text === "") return;
    asked.push(`${topic.slice(plug.length + 1)} ${text}`);
    most = Math.max(most, ++open);
    const answer = get ? JSON.stringify(Object.fromEntries(JSON.parse(text).map((n) => [n, `value of ${n}`]))) : "";
    setTimeout(() => {
      open--;
      server.publish(topic, answer);
    }, 20);
  });
  await server.subscribeAsync([`${plug}/ag/prop/get`, `${plug}/ag/prop/set`]);
  try {
    const pages = await cloudPlugsPages(context, hwid);
    // Every page at once: two gets and a set each.
    const answers = await Promise.all(pages.map((p, i) => p.evaluate((i) => Promise.all([
      window.device.getProperties([`p${i}a`]),
      window.device.getProperties([`p${i}b`]),
      window.device.setProperties({ [`s${i}`]: i }),
    ]), i)));
    assert.deepEqual(answers, [0, 1, 2].map((i) => [{ [`p${i}a`]: `value of p${i}a` }, { [`p${i}b`]: `value of p${i}b` }, undefined]));
    assert.equal(asked.length, 9);
    assert.equal(most, 2, "one request at a time on each of the two topics");
    assert.deepEqual(await closeEach(pages, "device"), [NONE, NONE, NONE]);
    await polled(() => brokerSaw(hwid).disconnects >= 1, 100);
    const saw = brokerSaw(hwid);
    saw.subscribes.sort();
    assert.deepEqual(saw, { connections: 1, subscribes: [`${plug}/ag/prop/get`, `${plug}/ag/prop/set`], unsubscribes: [], disconnects: 1 });
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("leader mode, CloudPlugs: the leader page goes while another page's property request holds its topic; that request fails with CONNECTION_LOST, and each page then gets its own answer", async () => {
  const plug = PLUG;
  const hwid = `shared-cp-leader-${process.pid}`;
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.SharedWorker; });
  // As CloudPlugs: answers a get after a while, except one for "hang", which it never answers.
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${hwid}-server` });
  server.on("message", (topic, payload) => {
    const text = payload.toString();
    if (text.startsWith("{") || text === '["hang"]') return;
    const answer = JSON.stringify(Object.fromEntries(JSON.parse(text).map((n) => [n, `value of ${n}`])));
    setTimeout(() => server.publish(topic, answer), 20);
  });
  await server.subscribeAsync(`${plug}/ag/prop/get`);
  try {
    const [leader, a, b] = await cloudPlugsPages(context, hwid, { replyTimeoutMs: 60_000 });
    // B's request holds the topic, published and unanswered, when the leader's page goes.
    await b.evaluate(() => {
      window.hung = window.device.getProperties(["hang"]).then(() => "answered", (e) => e.code);
    });
    for (let i = 0; i < 100 && !(await b.evaluate(() => window.device.liveResources().timers > 0)); i++) await new Promise((r) => setTimeout(r, 20));
    // B is busy while the next leader greets, so that A joins and connects first: B learns of the
    // handover only from the greeting, its join answered with the new connection up.
    await b.evaluate(() => setTimeout(() => { for (const t = Date.now(); Date.now() - t < 1500;); }, 0));
    await leader.close();
    for (let i = 0; i < 200 && brokerSaw(hwid).connections < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await b.evaluate(() => window.hung), "CONNECTION_LOST");
    for (const p of [a, b]) await until(p, () => window.states.at(-1) === "connected");
    const answers = await Promise.all([a.evaluate(() => window.device.getProperties(["pa"])), b.evaluate(() => window.device.getProperties(["pb"]))]);
    assert.deepEqual(answers, [{ pa: "value of pa" }, { pb: "value of pb" }]);
    assert.deepEqual(await b.evaluate(() => window.states), ["connecting", "connected"]);
    assert.equal(brokerSaw(hwid).connections, 2, "the old leader's and the new one's");
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("ThingsBoardDevice with shared: true: three pages, one connection; each page's attribute requests get its own answers, and one page at a time runs a server RPC method", async () => {
  const clientId = `shared-tb-${process.pid}`;
  const context = await browser.newContext();
  // The other party, as ThingsBoard: it answers an attribute request on `response/{id}` with the id
  // it was asked under, after a while, and notes each answer to its server RPCs.
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${clientId}-server` });
  const asked = [], replies = [];
  server.on("message", (topic, payload) => {
    const id = topic.split("/").at(-1);
    if (topic.startsWith("v1/devices/me/rpc/response/")) return replies.push(`${id} ${payload}`);
    asked.push(Number(id));
    setTimeout(() => server.publish(`v1/devices/me/attributes/response/${id}`, JSON.stringify({ client: { id: Number(id) } })), 20);
  });
  await server.subscribeAsync(["v1/devices/me/attributes/request/+", "v1/devices/me/rpc/response/+"]);
  try {
    const pages = await thingsBoardPages(context, clientId);
    // Every page at once: two attribute requests each, numbered in the page's own block.
    const answers = await Promise.all(pages.map((p) => p.evaluate(() => Promise.all([
      window.device.requestAttributes({ client: ["id"] }),
      window.device.requestAttributes({ client: ["id"] }),
    ]).then((both) => both.map((a) => a.client.id)))));
    assert.equal(asked.length, 6);
    assert.equal(new Set(asked).size, 6, `each request its own id: ${asked}`);
    assert.deepEqual(answers.flat().sort(), [...asked].sort(), "each page got the answers to its own requests");
    for (const ids of answers) assert.equal(new Set(ids.map((id) => id >> 20)).size, 1, `one block per page: ${ids}`);
    assert.equal(new Set(answers.map((ids) => ids[0] >> 20)).size, 3, "three blocks");

    // Pages A and B handle "ping", C none: A, which asked first, runs it; when A closes, B does.
    const [a, b, c] = pages;
    for (const [page, name] of [[a, "A"], [b, "B"]]) {
      await page.evaluate(async (name) => {
        window.device.onRpc("ping", () => `pong from ${name}`);
        await window.device.enableRpc();
      }, name);
    }
    await c.evaluate(() => window.device.enableRpc());
    server.publish("v1/devices/me/rpc/request/100", JSON.stringify({ method: "ping", params: {} }));
    await polled(() => replies.length >= 1);
    await a.evaluate(() => window.device.close());
    server.publish("v1/devices/me/rpc/request/101", JSON.stringify({ method: "ping", params: {} }));
    await polled(() => replies.length >= 2);
    // A method no page handles: one page (B, which holds the turn `rpc-unknown` since A left) asks
    // the session whether any page holds its turn, and answers "unknown method".
    server.publish("v1/devices/me/rpc/request/102", JSON.stringify({ method: "nobody", params: {} }));
    await polled(() => replies.length >= 3);
    // One more round trip, so that a second answer to any would have come.
    const more = await b.evaluate(() => window.device.requestAttributes({ client: ["id"] }).then(() => "answered", (e) => `${e.code}: ${e.stack}`));
    assert.equal(more, "answered");
    assert.deepEqual(replies, ['100 "pong from A"', '101 "pong from B"', '102 {"error":"unknown method: nobody"}']);

    assert.deepEqual(await closeEach([b, c], "device"), [NONE, NONE]);
    await polled(() => brokerSaw(clientId).disconnects >= 1, 100);
    const saw = brokerSaw(clientId);
    saw.subscribes.sort();
    assert.deepEqual(saw, {
      connections: 1, subscribes: ["v1/devices/me/attributes/response/+", "v1/devices/me/rpc/request/+"], unsubscribes: [], disconnects: 1,
    });
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("leader mode, ThingsBoard: the leader page holding a method's turn goes; a page that gave back its place while waiting passes the turn on, the next page runs the method, and requests are numbered in the new blocks", async () => {
  const clientId = `shared-tb-leader-${process.pid}`;
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.SharedWorker; });
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${clientId}-server` });
  const asked = [], replies = [];
  server.on("message", (topic, payload) => {
    const id = topic.split("/").at(-1);
    if (topic.startsWith("v1/devices/me/rpc/response/")) return replies.push(`${id} ${payload}`);
    asked.push(Number(id));
    server.publish(`v1/devices/me/attributes/response/${id}`, JSON.stringify({ client: { id: Number(id) } }));
  });
  await server.subscribeAsync(["v1/devices/me/attributes/request/+", "v1/devices/me/rpc/response/+"]);
  try {
    const [leader, a, b] = await thingsBoardPages(context, clientId);
    // The leader's page runs "ping"; A asks for it and gives its place back while it waits.
    await leader.evaluate(async () => {
      window.device.onRpc("ping", () => "pong from the leader");
      await window.device.enableRpc();
    });
    await a.evaluate(async () => {
      const off = window.device.onRpc("ping", () => "pong from A");
      await window.device.enableRpc();
      off();
    });
    await leader.close();
    for (const p of [a, b]) await until(p, () => window.states.at(-1) === "connected");
    // B asks once the next leader hosts the session: A's place, asked of the old leader, reaches it
    // first, and must not keep the turn from B.
    await b.evaluate(async () => {
      window.device.onRpc("ping", () => "pong from B");
      await window.device.enableRpc();
    });
    // Until one is answered: the turn passes on as the pages join the next leader.
    await pingUntilAnswered(server, replies, 300);
    const answered = replies.length;
    server.publish("v1/devices/me/rpc/request/400", JSON.stringify({ method: "ping", params: {} }));
    const ids = await Promise.all([a, b].map((p) => p.evaluate(() => window.device.requestAttributes({ client: ["id"] }).then((r) => r.client.id))));
    await polled(() => replies.length > answered, 100);
    assert.ok(answered >= 1);
    assert.deepEqual(replies.slice(answered), ['400 "pong from B"']);
    assert.ok(replies.every((r) => r.endsWith('"pong from B"')), replies.join());
    assert.equal(new Set(replies.map((r) => r.split(" ")[0])).size, replies.length, "each RPC answered once");
    assert.notEqual(ids[0] >> 20, ids[1] >> 20, `two blocks: ${ids}`);
    assert.equal(brokerSaw(clientId).connections, 2, "the old leader's and the new one's");
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("leader mode, ThingsBoard: a page holding a method's turn asks the next leader for it once; when it stops handling the method, the page waiting runs it", async () => {
  const clientId = `shared-tb-hold-${process.pid}`;
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.SharedWorker; });
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${clientId}-server` });
  const replies = [];
  server.on("message", (topic, payload) => replies.push(`${topic.split("/").at(-1)} ${payload}`));
  await server.subscribeAsync("v1/devices/me/rpc/response/+");
  try {
    const [leader, a, b] = await thingsBoardPages(context, clientId, ["", "A", "B"]);
    // A holds "ping", B waits; the leader's page goes, and both ask the next leader.
    await leader.close();
    for (const p of [a, b]) await until(p, () => window.states.at(-1) === "connected");
    await a.evaluate(() => window.off());
    await pingUntilAnswered(server, replies, 500);
    assert.ok(replies.length >= 1, "the page waiting runs it");
    assert.ok(replies.every((r) => r.endsWith('"pong from B"')), replies.join());
  } finally {
    await server.endAsync();
    await context.close();
  }
});

test("ThingsBoardGateway with shared: true: two pages, one connection; each page's sub-device attribute requests get its own answers, and one page at a time answers the sub-devices' RPCs", async () => {
  const clientId = `shared-tbgw-${process.pid}`;
  const context = await browser.newContext();
  // As ThingsBoard: it answers a sub-device attribute request with the id it was asked under, and
  // notes each answer to its sub-device RPCs (the pages' answers come back on the topic it sends on).
  const server = await mqtt.connectAsync(BROKER_TCP, { ...LOGIN, clientId: `${clientId}-server` });
  const asked = [], replies = [];
  server.on("message", (topic, payload) => {
    const body = JSON.parse(String(payload));
    if (topic === "v1/gateway/rpc") {
      if ("id" in body) replies.push(`${body.id} ${JSON.stringify(body.data)}`);
      return;
    }
    asked.push(body.id);
    server.publish("v1/gateway/attributes/response", JSON.stringify({ id: body.id, device: body.device, value: body.id }));
  });
  await server.subscribeAsync(["v1/gateway/attributes/request", "v1/gateway/rpc"]);
  try {
    const pages = [];
    for (const name of ["A", "B"]) {
      const page = await examplePage(context);
      await page.evaluate(async ({ url, options, name }) => {
        const { default: init, ThingsBoardGateway } = await import("/pkg/web/thingsboard-gateway.js");
        await init();
        window.gateway = await ThingsBoardGateway.connect(url, { ...options, fetchSessionLimits: false, shared: true });
        await window.gateway.onRpc((request) => `${request.method} from ${name}`);
        // The broker hands the pages' own RPC answers back, which no ThingsBoard does: only the
        // errors about attribute answers count.
        window.errors = [];
        window.gateway.on("error", (e) => { if (e.message.includes("attribute")) window.errors.push(e.message); });
      }, { url: BROKER_WS, options: { clientId, ...LOGIN }, name });
      pages.push(page);
    }
    const [a, b] = pages;
    const values = await Promise.all(pages.map((p) => p.evaluate(() => Promise.all([
      window.gateway.requestAttributes("Pump 7", ["mode"], true),
      window.gateway.requestAttributes("Pump 7", ["mode"], true),
    ]))));
    assert.equal(new Set(asked).size, 4, `each request its own id: ${asked}`);
    assert.deepEqual(values.flat().map((v) => v.mode).sort(), [...asked].sort(), "each page got the answers to its own requests");
    assert.equal(new Set(values.map((v) => v[0].mode >> 20)).size, 2, "two blocks");
    assert.deepEqual(await Promise.all(pages.map((p) => p.evaluate(() => window.errors))), [[], []], "another page's answers are no error");

    const rpc = (id) => server.publish("v1/gateway/rpc", JSON.stringify({ device: "Pump 7", data: { id, method: "stop", params: {} } }));
    rpc(1);
    await polled(() => replies.length >= 1);
    await a.evaluate(() => window.gateway.close());
    rpc(2);
    await polled(() => replies.length >= 2);
    const more = await b.evaluate(() => window.gateway.requestAttributes("Pump 7", ["mode"], true).then(() => "answered", (e) => e.code));
    assert.equal(more, "answered");
    assert.deepEqual(replies, ['1 "stop from A"', '2 "stop from B"']);
    assert.deepEqual(await closeEach([b], "gateway"), [NONE]);
    await polled(() => brokerSaw(clientId).disconnects >= 1, 100);
    assert.deepEqual(brokerSaw(clientId).connections, 1);
  } finally {
    await server.endAsync();
    await context.close();
  }
});
