// The package's generic entry, `iotmqtt`: `MqttClient` over one wasm core. The payload helpers are
// `iotmqtt/things-stack`'s, whose wasm has their rules.
//
// ```js
// import init, { MqttClient } from "iotmqtt/web/iotmqtt.js";
// await init();
// ```
export { default } from "./init.js";
export { MqttClient } from "./client.js";
export type { IotMqttError } from "./errors.js";
export type * from "./types.js";
