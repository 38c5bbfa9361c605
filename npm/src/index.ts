// The package's generic entry, `iotmqtt`: `MqttClient` and the payload helpers, over one wasm core.
//
// ```js
// import init, { MqttClient } from "iotmqtt/web/iotmqtt.js";
// await init();
// ```
export { default } from "./init.js";
export { MqttClient } from "./client.js";
export type { IotMqttError } from "./errors.js";
export * from "./payload.js";
export type * from "./types.js";
