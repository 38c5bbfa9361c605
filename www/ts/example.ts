// Every class, method, option, event and result of the npm package, type-checked by `tsc --noEmit`
// (scripts/npm-test.sh). It is compiled, never run; the pages in www/examples run the same calls.
import init, {
  MqttClient,
  type ConnAck, type ConnectionState, type ErrorCode,
  type IotMqttError, type JsonObject, type JsonValue, type LiveResources, type MessageProperties, type MqttClientOptions,
  type MqttMessage, type PublishProperties, type UserProperties,
  type QoS, type SubscriptionResult, type Unsubscribe,
} from "../../pkg/web/iotmqtt.js";
import initMqtt5, { MqttClient as MqttClient5 } from "../../pkg/web/mqtt5.js";
import { ThingsBoardDevice, type FirmwareEvent, type ProvisionedCredentials,
  type SessionLimits, type SharedAttributesUpdate } from "../../pkg/web/thingsboard.js";
import { ThingsBoardGateway } from "../../pkg/web/thingsboard-gateway.js";
import { DownlinkTracker, ThingsStackApp, type DownlinkStatus, type ThingsStackEvent } from "../../pkg/web/things-stack.js";
import { base64ToBytes, base64ToHex, base64ToText, bytesToBase64, bytesToHex, decodeCayenneLpp, hexToBase64, hexToBytes,
  textToBase64 } from "../../pkg/web/payload.js";
import { CloudPlugsDevice, type DataRecord } from "../../pkg/web/cloudplugs.js";
import { MqttClient as SharedClient, type SharedClientOptions } from "../../pkg/web/shared.js";

function isIotMqttError(e: unknown): e is IotMqttError {
  return e instanceof Error && e.name === "IotMqttError";
}

export async function mqtt(url: string): Promise<void> {
  await init();
  const options: MqttClientOptions = {
    version: "5",
    clientId: "",
    username: "u",
    password: "p",
    keepaliveSecs: 30,
    cleanStart: true,
    will: { topic: "status", payload: "offline", qos: 1, retain: true },
    sessionExpirySecs: 60,
    connectTimeoutMs: 5000,
    pingTimeoutMs: null,
    reconnect: { enabled: true, initialDelayMs: 500, maxDelayMs: 10_000, factor: 2, maxAttempts: null },
    offlineQueue: { maxMessages: 100, maxBytes: 65536, policy: "dropOldestQos0" },
    persistence: null,
    workerTimers: false,
    websocketProtocols: ["mqtt"],
  };
  const client = new MqttClient(url, options);
  const offMessage: Unsubscribe = client.on("message", (m: MqttMessage) => {
    const bytes: Uint8Array = m.payload;
    const text: string | null = m.text;
    const qos: QoS = m.qos;
    console.log(m.topic, bytes.length, text, qos, m.retain, m.dup);
    const props: MessageProperties | undefined = m.properties;
    const user: UserProperties | undefined = props?.userProperties;
    const correlation: Uint8Array | undefined = props?.correlationData;
    const ids: number[] | undefined = props?.subscriptionIdentifiers;
    console.log(props?.contentType, props?.responseTopic, props?.messageExpiryInterval, props?.payloadFormatIndicator,
      user?.["k"], correlation, ids);
  });
  client.on("state", (s: ConnectionState) => {
    switch (s.type) {
      case "connected": console.log(s.connack.sessionPresent, s.connack.maximumPacketSize); break;
      case "reconnecting": console.log(s.attempt, s.delayMs, s.error.code); break;
      case "disconnected": console.log(s.error.message); break;
      default: console.log(s.type);
    }
  });
  client.on("error", (e: IotMqttError) => console.log(e.code, e.field));
  const offRoute = client.onMessage("sensors/+/temp", (m) => console.log(m.text));
  try {
    const ack: ConnAck = await client.connect();
    console.log(ack.sessionPresent, ack.assignedClientId, ack.maximumQos, ack.receiveMaximum, ack.serverKeepaliveSecs);
    console.log(ack.sessionExpiryInterval, ack.topicAliasMaximum, ack.retainAvailable, ack.wildcardSubscriptionAvailable,
      ack.subscriptionIdentifiersAvailable, ack.sharedSubscriptionAvailable, ack.reasonString, ack.userProperties);
  } catch (e) {
    if (isIotMqttError(e)) {
      const code: ErrorCode = e.code;
      if (code === "CONNACK_NOT_AUTHORIZED") console.log("check the password");
    }
  }
  const granted: QoS = await client.subscribe("sensors/#", { qos: 1 });
  const results: SubscriptionResult[] = await client.subscribeMany([{ filter: "a/#", qos: 2 }, { filter: "b" }]);
  for (const r of results) console.log("qos" in r ? r.qos : r.error.code);
  // iotmqtt/mqtt5: MQTT 5 subscription options.
  await initMqtt5();
  const v5 = new MqttClient5(url, { version: "5", credentials: async () => ({ username: "device", password: "token" }) });
  await v5.subscribe("cmd/#", { qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 9 });
  await v5.subscribeMany([{ filter: "log/#", retainHandling: 1 }]);
  const scram = new MqttClient5(url, {
    version: "5",
    authentication: { method: "SCRAM-SHA-256", data: "n,,n=user,r=nonce" },
    authenticator: async (challenge: Uint8Array | null) => `c=biws,r=${challenge?.length ?? 0}`,
  });
  const last: Uint8Array | null = await scram.reauthenticate("again");
  console.log(last, (await scram.connect()).authenticationData);
  scram.close();
  const answer: MqttMessage = await v5.request("cmd/status", "ping", { timeoutMs: 2_000, qos: 1, responseTopic: "replies/me" });
  console.log(answer.text);
  // The broker's own words on a refusal or DISCONNECT.
  v5.on("state", (s) => {
    if (s.type === "disconnected") console.log(s.error.reasonString?.length, s.error.userProperties?.["shift"]);
  });
  v5.close();
  await client.publish("sensors/k1/temp", "21.5", { qos: 1, retain: false });
  await client.publish("bytes", new Uint8Array([1, 2, 3]));
  await client.publish("json", { celsius: 21.5, ok: true, tags: ["a"] }, { qos: 2 });
  await client.publish("empty");
  const properties: PublishProperties = {
    payloadFormatIndicator: true, messageExpiryInterval: 60, contentType: "application/json", responseTopic: "replies/1",
    correlationData: new Uint8Array([1]), userProperties: { unit: "C", tag: ["a", "b"] },
  };
  await client.publish("json", { celsius: 21.5 }, { qos: 1, properties });
  await client.publish("text", "x", { properties: { correlationData: "request-7" } });
  await client.unsubscribe("sensors/#");
  await client.unsubscribe(["a/#", "b"]);
  const live: LiveResources = client.liveResources();
  console.log(granted, live.timers, live.socket, live.listeners, client.state.type, client.connected, client.clientId, client.url);
  offMessage();
  offRoute();
  client.disconnect();
  client.close();
}

export async function thingsboard(url: string): Promise<void> {
  const device = await ThingsBoardDevice.connect(url, {
    token: "token", version: "3.1.1", keepaliveSecs: 30, connectTimeoutMs: 5000, requestTimeoutMs: 5000, qos: 1,
  });
  const basic = await ThingsBoardDevice.connect(url, { clientId: "c", username: "u", password: "p", fetchSessionLimits: false });
  basic.close();
  device.on("sharedAttributes", (u: SharedAttributesUpdate) => console.log(u.values, u.deleted));
  device.on("firmware", (e: FirmwareEvent) => {
    if (e.type === "progress") console.log(e.received, e.total, e.chunkIndex);
    if (e.type === "state") console.log(e.state, e.error);
    if (e.type === "available") console.log(e.package.title, e.package.version, e.package.algorithm);
  });
  device.on("error", (e) => console.log(e.code));
  device.on("state", (s) => console.log(s.type));
  await device.sendTelemetry({ temperature: 21.5 });
  await device.sendTelemetry([{ ts: 1700000000000, values: { temperature: 21.5 } }]);
  await device.sendAttributes({ firmware: "1.0" });
  const attrs = await device.requestAttributes({ client: ["firmware"], shared: ["setpoint"] });
  console.log(attrs.client, attrs.shared, device.attributes.shared);
  await device.subscribeSharedAttributes();
  const off = device.onRpc("setValve", async (params, request) => {
    console.log(request.id, request.method, params);
    return { ok: true };
  });
  device.onRpc("reboot", () => undefined, { oneWay: true });
  await device.enableRpc();
  const time: JsonValue = await device.call("getTime", {});
  console.log(time);
  await device.claim({ secretKey: "s", durationMs: 60_000 });
  await device.startFirmwareUpdates({ kind: "fw", currentTitle: "app", currentVersion: "1.0", chunkSize: 4096 },
    async (pkg, image: Uint8Array) => { console.log(pkg.title, image.length); });
  const limits: SessionLimits = device.sessionLimits;
  console.log(limits.maxPayloadSize, limits.rateLimits.messages[0]?.count, device.subscribedFilters, device.state.type);
  off();
  device.close();
  console.log(device.liveResources());
  const creds: ProvisionedCredentials = await ThingsBoardDevice.provision(url,
    { deviceName: "d", provisionDeviceKey: "k", provisionDeviceSecret: "s", credentialsType: "ACCESS_TOKEN", token: "t" },
    { version: "5", timeoutMs: 5000 });
  if (creds.credentialsType === "ACCESS_TOKEN") console.log(creds.token);

  const gateway = await ThingsBoardGateway.connect(url, { token: "gateway-token" });
  gateway.on("attributes", (u) => console.log(u.device, u.values, u.deleted));
  gateway.on("error", (e) => console.log(e.code));
  await gateway.connectDevice("Pump 1", "pump");
  await gateway.sendTelemetry("Pump 1", { rpm: 1200 });
  await gateway.sendAttributes("Pump 1", { model: "P1" });
  const values: JsonObject = await gateway.requestAttributes("Pump 1", ["setpoint"], false);
  await gateway.subscribeAttributes();
  await gateway.onRpc(async (r) => ({ device: r.device, id: r.id, method: r.method, params: r.params }));
  await gateway.claim("Pump 1", { secretKey: "s" });
  await gateway.disconnectDevice("Pump 1");
  console.log(values, gateway.devices, gateway.liveResources());
  gateway.close();
}

export async function thingsStack(url: string): Promise<void> {
  const app = await ThingsStackApp.connect(url, {
    application: "my-app@ttn", apiKey: "NNSXS.KEY", clientId: "dash-1", keepaliveSecs: 60, connectTimeoutMs: 5000,
  });
  app.on("event", (e: ThingsStackEvent) => {
    console.log(e.deviceId, e.kind, e.payload?.length, e.fPort, e.decoded?.data, e.up.uplink_message?.rx_metadata[0]?.rssi);
  });
  app.on("error", (e) => console.log(e.code));
  app.on("state", (s) => console.log(s.type));
  app.setUplinkDecoder({}, "cayenne-lpp");
  app.setUplinkDecoder({ fPort: 2 }, { formatter: "function decodeUplink(input) { return { data: { n: input.bytes[0] } }; }" });
  app.setUplinkDecoder({ deviceId: "dev-1" }, "cayenne-lpp");
  await app.subscribe();
  await app.subscribe({ deviceId: "dev-1", event: "up" });
  const trackers: DownlinkTracker[] = await app.push("dev-1", [
    { fPort: 15, hex: "BE EF", priority: "HIGH", confirmed: true, correlationIds: ["mine"] },
    { fPort: 2, bytes: new Uint8Array([1]) },
    { fPort: 3, base64: "AQ==" },
    { fPort: 4, text: "on" },
    { fPort: 5, decodedPayload: { led: "on" } },
  ]);
  const [first] = trackers;
  if (first) {
    const next: DownlinkStatus | null = await first.next(5000);
    const outcome: DownlinkStatus = await first.outcome();
    if (outcome.status === "failed") console.log(outcome.error.name);
    console.log(next, first.correlationId, first.deviceId, first.confirmed, first.history.length);
  }
  await app.replace("dev-1", [{ fPort: 1, hex: "00" }]);
  await app.clear("dev-1");
  console.log(app.application, app.trackedDownlinks, app.state.type, app.liveResources());
  app.close();
}

export async function cloudplugs(url: string): Promise<void> {
  const creds = await CloudPlugsDevice.enrollThing(url, { model: "MODEL", hwid: "HW1", name: "Pump", pass: "pass" });
  const ctrl = await CloudPlugsDevice.enrollController(url, {
    model: "MODEL", thingHwid: "HW1", pass: "pass", controllerHwid: "PHONE", controllerName: "Phone",
  });
  const dev = await CloudPlugsDevice.login(url, {
    username: creds.plugId, auth: creds.auth, hwid: "HW1", name: "Pump", keepaliveSecs: 240,
    will: { channel: "status", data: "offline", plugId: creds.plugId }, replyTimeoutMs: 5000, connectTimeoutMs: 5000,
  });
  dev.on("data", (r: DataRecord) => console.log(r.plugId, r.channel, r.data, r.at, r.id));
  dev.on("error", (e) => console.log(e.code));
  await dev.subscribe("temperature");
  await dev.subscribe("#", { plugId: ctrl.plugId });
  await dev.publish("temperature", 21.5);
  await dev.publish("temperature", { c: 21.5 }, { at: Date.now(), plugId: creds.plugId });
  await dev.setProperties({ colour: "blue", last: { channel: "temperature" } });
  const props: JsonObject = await dev.getProperties(["colour"]);
  const all = await dev.getProperties();
  await dev.unsubscribe("temperature");
  console.log(props, all, dev.plugId, dev.state.type, dev.liveResources());
  dev.close();
}

export function helpers(): void {
  const b64: string = hexToBase64("BE EF");
  const hex: string = base64ToHex(b64);
  const bytes: Uint8Array = base64ToBytes(b64);
  console.log(hex, bytesToBase64(bytes), bytesToHex(hexToBytes("0xBEEF")), base64ToText(textToBase64("hi")));
  const lpp: JsonObject = decodeCayenneLpp(hexToBytes("03670110"));
  console.log(lpp);
}

export async function shared(url: string): Promise<void> {
  // One connection for every tab that asks for this URL, client id and credentials.
  const options: SharedClientOptions = { clientId: "dashboard", username: "u", password: "p", shared: "my-app" };
  const client = new SharedClient(url, options);
  const ack: ConnAck = await client.connect();
  const offTabs: Unsubscribe = client.on("tabs", (n: number) => console.log(n, client.tabs));
  client.on("state", (s: ConnectionState) => console.log(s.type));
  const off = client.onMessage("a/+", (m: MqttMessage) => console.log(m.text));
  const granted: QoS = await client.subscribe("a/#", { qos: 1 });
  const results: SubscriptionResult[] = await client.subscribeMany([{ filter: "b", qos: 2 }]);
  await client.publish("a/b", { n: 1 }, { qos: 1 });
  // MQTT 5: the reply comes back to this tab, whichever tab asks.
  const reply: MqttMessage = await client.request("devices/k1/cmd", "status", { qos: 1, timeoutMs: 5_000 });
  console.log(reply.text, reply.properties?.correlationData);
  await client.unsubscribe(["a/#", "b"]);
  const live: LiveResources = client.liveResources();
  console.log(ack.sessionPresent, granted, results, live, client.clientId, client.connected);
  off();
  offTabs();
  client.close();
  // Code written for the generic client takes a shared one: the same methods and types.
  type Generic = Pick<MqttClient, "connect" | "publish" | "subscribe" | "subscribeMany" | "unsubscribe" | "onMessage"
    | "request" | "reauthenticate" | "disconnect" | "close" | "liveResources" | "state" | "server" | "connected" | "clientId" | "url">;
  const generic: Generic = new SharedClient(url);
  generic.close();
}
