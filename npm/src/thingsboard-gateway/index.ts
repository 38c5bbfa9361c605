// The entry `iotmqtt/thingsboard-gateway`: `ThingsBoardGateway`, and the provisioning that
// `ThingsBoardDevice.provision` (in `iotmqtt/thingsboard`) loads from here, over a wasm holding the
// client core and ThingsBoard's core with the gateway API and provisioning (cargo features
// `thingsboard-gateway`, `thingsboard-provision`) and without the device's own API.
//
// ```js
// import init, { ThingsBoardGateway } from "iotmqtt/web/thingsboard-gateway.js";
// await init();
// ```
export { default } from "../init.js";
export { ThingsBoardGateway } from "../thingsboard/gateway.js";
export { provision } from "../thingsboard/provision.js";
export type { IotMqttError } from "../errors.js";
export type * from "../thingsboard/types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
