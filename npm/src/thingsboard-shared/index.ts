// The module `ThingsBoardDevice.connect` (in `iotmqtt/thingsboard`) loads for a device on the session
// the origin's tabs share (`shared`): the same class over a core with the shared connection's rules
// (cargo feature `thingsboard-shared`: requests numbered in the tab's block, turns on server RPC
// methods, pacing at the tab's share of the limits), which a page without `shared` does not load.
export { default } from "../init.js";
export { ThingsBoardDevice } from "../thingsboard/device.js";
