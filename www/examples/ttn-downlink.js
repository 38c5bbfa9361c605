// A The Things Stack downlink sender: push a hex downlink and follow it to its outcome.
import initPayload, { hexToBase64 } from "../../pkg/web/payload.js";
import initThingsStack, { ThingsStackApp } from "../../pkg/web/things-stack.js";
import { example, log, logError, params, prefill, value } from "./shared.js";

prefill(["url", "application", "apiKey", "device", "fPort", "hex", "priority"]);
if (params.get("confirmed") === "0") document.getElementById("confirmed").checked = false;
example.statuses = [];
example.uplinks = [];
let app = null;

async function connect() {
  app = await ThingsStackApp.connect(value("url"), { application: value("application"), apiKey: value("apiKey") });
  app.setUplinkDecoder({}, "cayenne-lpp");
  app.on("event", (e) => {
    if (e.kind === "up") {
      example.uplinks.push(e.decoded?.data ?? null);
      log(`uplink from ${e.deviceId}: ${JSON.stringify(e.decoded?.data ?? null)}`);
    }
  });
  app.on("error", logError);
  app.on("state", (s) => log(`state: ${s.type}`));
  await app.subscribe({ event: "up" });
  log(`logged in as ${app.application}`);
  example.connected = true;
  document.getElementById("send").disabled = false;
  document.getElementById("close").disabled = false;
}

async function send() {
  const hex = value("hex");
  const confirmed = document.getElementById("confirmed").checked;
  log(`pushing ${hex} (base64 ${hexToBase64(hex)}) on FPort ${value("fPort")}`);
  const [tracker] = await app.push(value("device"), [
    { fPort: Number(value("fPort")), hex, priority: value("priority"), confirmed },
  ]);
  log(`queued with correlation id ${tracker.correlationId}`);
  for (;;) {
    const status = await tracker.next(20000);
    if (status === null) break;
    example.statuses.push(status.status);
    log(`downlink ${status.status}${status.status === "failed" ? `: ${status.error.name}` : ""}`);
    if (status.status === "acked" || status.status === "failed" || status.status === "invalidated"
      || (status.status === "sent" && !confirmed)) break;
  }
  example.outcome = example.statuses.at(-1);
}

function close() {
  app?.close();
  example.live = app?.liveResources();
  log(`closed: ${JSON.stringify(example.live)}`);
}

const run = (f) => () => f().catch(logError);
document.getElementById("connect").onclick = run(connect);
document.getElementById("send").onclick = run(send);
document.getElementById("close").onclick = close;
example.close = close;

await Promise.all([initPayload(), initThingsStack()]);
example.ready = true;
if (params.has("autostart")) await run(async () => { await connect(); await send(); })();
