// The entry `iotmqtt/thingsboard`: `ThingsBoardDevice` and `ThingsBoardGateway`, over a wasm holding
// the client core and ThingsBoard's core.
//
// ```js
// import init, { ThingsBoardDevice } from "iotmqtt/web/thingsboard.js";
// await init();
// ```
export { default } from "../init.js";
export { ThingsBoardDevice, ThingsBoardGateway } from "./device.js";
export type { IotMqttError } from "../errors.js";
export type * from "./types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
