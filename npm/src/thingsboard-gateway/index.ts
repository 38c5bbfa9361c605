// The entry `iotmqtt/thingsboard-gateway`: `ThingsBoardGateway` and `ThingsBoardDevice` with
// provisioning, over a wasm holding the client core and all of ThingsBoard's core (cargo features
// `thingsboard-gateway`, `thingsboard-provision`). A page with a gateway and devices imports this
// entry alone, and loads the client core once.
//
// ```js
// import init, { ThingsBoardGateway } from "iotmqtt/web/thingsboard-gateway.js";
// await init();
// ```
export { default } from "../init.js";
export { ThingsBoardDevice } from "../thingsboard/device.js";
export { ThingsBoardGateway } from "../thingsboard/gateway.js";
export type { IotMqttError } from "../errors.js";
export type * from "../thingsboard/types.js";
export type { ConnectionState, ConnAck, JsonObject, JsonValue, LiveResources, Unsubscribe, ErrorCode } from "../types.js";
