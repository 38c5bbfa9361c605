// Mistakes the types must catch: each line below fails to compile, and `@ts-expect-error` makes tsc
// fail if it ever compiles (a type that became `any` or too loose).
import { MqttClient } from "../../pkg/web/iotmqtt.js";
import { ThingsBoardDevice } from "../../pkg/web/thingsboard.js";
import { ThingsStackApp } from "../../pkg/web/things-stack.js";
import { CloudPlugsDevice } from "../../pkg/web/cloudplugs.js";
import { MqttClient as SharedClient } from "../../pkg/web/shared.js";

export async function wrong(url: string): Promise<void> {
  // @ts-expect-error keepaliveSecs is a number
  new MqttClient(url, { keepaliveSecs: "60" });
  // @ts-expect-error no MQTT version 6
  new MqttClient(url, { version: "6" });
  // @ts-expect-error a typo in an option name
  new MqttClient(url, { keepAliveSecs: 60 });
  const client = new MqttClient(url);
  // @ts-expect-error QoS 3 does not exist
  await client.publish("t", "x", { qos: 3 });
  // @ts-expect-error a credentials callback answers a user name and password, not a number
  new MqttClient(url, { credentials: () => 7 });
  // @ts-expect-error an authentication method is named by a string
  new MqttClient(url, { authentication: { method: 5 } });
  // @ts-expect-error a request's timeout is a number of milliseconds
  await client.request("t", "x", { timeoutMs: "1s" });
  // @ts-expect-error Retain Handling is 0, 1 or 2
  await client.subscribe("t", { retainHandling: 3 });
  // @ts-expect-error a SUBSCRIBE of several filters has one identifier: subscribe() takes it
  await client.subscribeMany([{ filter: "t", subscriptionIdentifier: 1 }]);
  // @ts-expect-error a function is not a payload
  await client.publish("t", () => 1);
  // @ts-expect-error a user property's value is a string or strings, not a number
  await client.publish("t", "x", { properties: { userProperties: { n: 1 } } });
  // @ts-expect-error a topic alias is the client's to assign, not a publish property
  await client.publish("t", "x", { properties: { topicAlias: 1 } });
  // @ts-expect-error a received message's correlation data is bytes
  client.on("message", (m) => m.properties?.correlationData?.toUpperCase());
  // @ts-expect-error no such event
  client.on("messages", () => {});
  // @ts-expect-error a state listener gets a ConnectionState, which has no topic
  client.on("state", (s) => s.topic);
  // @ts-expect-error message.payload is a Uint8Array, not a string
  client.on("message", (m) => m.payload.toUpperCase());
  // @ts-expect-error connect resolves with a ConnAck, which has no `code`
  (await client.connect()).code;
  // @ts-expect-error a ThingsBoard device needs a token or a client id
  await ThingsBoardDevice.connect(url, { version: "5" });
  const device = await ThingsBoardDevice.connect(url, { token: "t" });
  // @ts-expect-error RPC handlers return JSON, not functions
  device.onRpc("m", () => () => 1);
  // @ts-expect-error unknown priority
  await (await ThingsStackApp.connect(url, { application: "a", apiKey: "k" })).push("d", [{ fPort: 1, hex: "01", priority: "URGENT" }]);
  // @ts-expect-error the TTS application is required
  await ThingsStackApp.connect(url, { apiKey: "k" });
  // @ts-expect-error CloudPlugs needs an auth code
  await CloudPlugsDevice.login(url, { username: "u", hwid: "h" });
  // @ts-expect-error a shared session is named by a string, or true
  new SharedClient(url, { shared: 1 });
  // @ts-expect-error the tab count is a number
  new SharedClient(url).on("tabs", (n: string) => n);
}
