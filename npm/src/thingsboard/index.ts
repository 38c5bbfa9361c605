// The entry `iotmqtt/thingsboard`: `ThingsBoardDevice`, over a wasm holding the client core and
// ThingsBoard's core with the device's API (cargo feature `thingsboard-device`). `ThingsBoardGateway`
// is in `iotmqtt/thingsboard-gateway`, and so is provisioning, which `ThingsBoardDevice.provision`
// loads from there when it is called.
//
// ```js
// import init, { ThingsBoardDevice } from "iotmqtt/web/thingsboard.js";
// await init();
// ```
export { default } from "../init.js";
export { ThingsBoardDevice } from "./device.js";
export type { IotMqttError } from "../errors.js";
export type * from "./types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
