// A ThingsBoard device in a web page: reports telemetry and answers server-side RPCs.
import init, { ThingsBoardDevice } from "../../pkg/web/thingsboard.js";
import { example, log, logError, params, prefill, value } from "./shared.js";

prefill(["url", "token", "clientId", "username", "password"]);
example.rpcs = [];
const thermostat = { temperature: 21.5, setpoint: 20 };
let device = null;

function show() {
  document.getElementById("temperature").textContent = thermostat.temperature;
  document.getElementById("setpoint").textContent = thermostat.setpoint;
}

async function connect() {
  const common = { requestTimeoutMs: 5000, fetchSessionLimits: params.get("limits") !== "0" };
  const options = value("clientId")
    ? { ...common, clientId: value("clientId"), username: value("username"), password: value("password") }
    : { ...common, token: value("token") };
  device = await ThingsBoardDevice.connect(value("url"), options);
  device.on("error", logError);
  device.on("state", (s) => log(`state: ${s.type}`));
  device.onRpc("getTemperature", () => {
    example.rpcs.push("getTemperature");
    log("RPC getTemperature");
    return { temperature: thermostat.temperature };
  });
  device.onRpc("setSetpoint", async (params) => {
    example.rpcs.push("setSetpoint");
    const value = typeof params === "object" && params !== null && !Array.isArray(params) ? params.value : params;
    if (typeof value !== "number") throw new Error("setSetpoint needs a number");
    thermostat.setpoint = value;
    show();
    await device.sendAttributes({ setpoint: value });
    log(`RPC setSetpoint ${value}`);
    return { setpoint: value };
  });
  device.onRpc("echo", (params) => params);
  await device.enableRpc();
  await device.sendTelemetry({ temperature: thermostat.temperature });
  log("connected; answering getTemperature, setSetpoint and echo");
  example.connected = true;
  document.getElementById("close").disabled = false;
}

function close() {
  device?.close();
  example.live = device?.liveResources();
  log(`closed: ${JSON.stringify(example.live)}`);
}

document.getElementById("connect").onclick = () => connect().catch(logError);
document.getElementById("close").onclick = close;
example.close = close;

await init();
example.ready = true;
if (params.has("autostart")) await connect().catch(logError);
