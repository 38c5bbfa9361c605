// The entry `iotmqtt/cloudplugs`: `CloudPlugsDevice`, over a wasm holding the client core and the
// CloudPlugs core.
//
// ```js
// import init, { CloudPlugsDevice } from "iotmqtt/web/cloudplugs.js";
// await init();
// ```
export { default } from "../init.js";
export { CloudPlugsDevice } from "./device.js";
export type { IotMqttError } from "../errors.js";
export type * from "./types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
