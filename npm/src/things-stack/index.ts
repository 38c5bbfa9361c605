// The entry `iotmqtt/things-stack`: `ThingsStackApp` and `DownlinkTracker`, over a wasm holding the
// client core and The Things Stack's core.
//
// ```js
// import init, { ThingsStackApp } from "iotmqtt/web/things-stack.js";
// await init();
// ```
export { default } from "../init.js";
export { DownlinkTracker, ThingsStackApp } from "./app.js";
export type { IotMqttError } from "../errors.js";
export type * from "./types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
