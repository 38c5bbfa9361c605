// The package's generic entry, `iotmqtt`: `MqttClient` over one wasm core. The payload helpers are
// an entry of their own, `iotmqtt/payload`.
//
// ```js
// import init, { MqttClient } from "iotmqtt/web/iotmqtt.js";
// await init();
// ```
export { default } from "./init.js";
export { MqttClient } from "./client.js";
export type { IotMqttError } from "./errors.js";
export type * from "./types.js";
