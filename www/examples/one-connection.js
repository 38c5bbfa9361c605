// One connection for all tabs: the shared entry's `MqttClient` joins the session of every tab that
// names the same URL, client id and login, and says how many tabs share it.
import { MqttClient } from "../../pkg/web/shared.js";
import { example, log, logError, params, prefill, value } from "./shared.js";

prefill(["url", "clientId", "username", "password", "topic", "message"]);
example.received = [];
let client = null;

const showTabs = (n) => {
  example.tabs = n;
  document.getElementById("tabs").textContent = `${n} tab${n === 1 ? "" : "s"} share this connection.`;
};

async function connect() {
  client = new MqttClient(value("url"), {
    clientId: value("clientId"),
    username: value("username") || null,
    password: value("password") || null,
  });
  client.on("state", (s) => log(`state: ${s.type}`));
  client.on("error", logError);
  client.on("tabs", showTabs);
  client.on("message", (m) => {
    example.received.push({ topic: m.topic, text: m.text });
    log(`received on ${m.topic}: ${m.text ?? `${m.payload.length} bytes`}`);
  });
  await client.connect();
  showTabs(client.tabs);
  log(`connected as ${client.clientId}`);
  const granted = await client.subscribe(value("topic"), { qos: 1 });
  log(`subscribed to ${value("topic")} with QoS ${granted}`);
  example.connected = true;
  document.getElementById("publish").disabled = false;
  document.getElementById("close").disabled = false;
}

async function publish() {
  await client.publish(value("topic"), value("message"), { qos: 1 });
  log(`published to ${value("topic")}`);
}

function close() {
  client?.close();
  example.live = client?.liveResources();
  log("closed: this tab left the session");
}

const run = (f) => () => f().catch(logError);
document.getElementById("connect").onclick = run(connect);
document.getElementById("publish").onclick = run(publish);
document.getElementById("close").onclick = close;
example.ready = true;
if (params.has("autostart")) await run(async () => { await connect(); await publish(); })();
