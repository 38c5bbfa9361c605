// Generic pub/sub: connect, subscribe to a topic, publish to it, and show what arrives.
import init, { MqttClient } from "../../pkg/web/iotmqtt.js";
import { example, log, logError, params, prefill, value } from "./shared.js";

prefill(["url", "username", "password", "version", "topic", "message"]);
example.received = [];
let client = null;

async function connect() {
  client = new MqttClient(value("url"), {
    version: value("version") === "5" ? "5" : "3.1.1",
    username: value("username") || null,
    password: value("password") || null,
    keepaliveSecs: 30,
  });
  client.on("state", (s) => log(`state: ${s.type}`));
  client.on("error", logError);
  client.on("message", (m) => {
    example.received.push({ topic: m.topic, text: m.text, qos: m.qos });
    log(`received on ${m.topic}: ${m.text ?? `${m.payload.length} bytes`}`);
  });
  const ack = await client.connect();
  log(`connected (session present: ${ack.sessionPresent})`);
  const granted = await client.subscribe(value("topic"), { qos: 1 });
  log(`subscribed to ${value("topic")} with QoS ${granted}`);
  example.connected = true;
  document.getElementById("publish").disabled = false;
  document.getElementById("close").disabled = false;
}

async function publish() {
  await client.publish(value("topic"), value("message"), { qos: 1 });
  log(`published to ${value("topic")}`);
  example.published = (example.published ?? 0) + 1;
}

function close() {
  client?.close();
  example.live = client?.liveResources();
  log(`closed: ${JSON.stringify(example.live)}`);
}

const run = (f) => () => f().catch(logError);
document.getElementById("connect").onclick = run(connect);
document.getElementById("publish").onclick = run(publish);
document.getElementById("close").onclick = close;
example.close = close;

await init();
example.ready = true;
if (params.has("autostart")) await run(async () => { await connect(); await publish(); })();
