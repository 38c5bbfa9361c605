// The CloudPlugs entry's public types.
import type { IotMqttError } from "../errors.js";
import type { ConnectionState, JsonObject, JsonValue } from "../types.js";

export interface CloudPlugsWill {
  channel: string;
  data: JsonValue;
  plugId?: string;
}

export interface CloudPlugsOptions {
  /** The device's Plug-ID, or an account email. */
  username: string;
  /** The Plug-ID's auth code, or the account's password. */
  auth: string;
  /** The hardware ID (serial number). */
  hwid: string;
  name?: string;
  /** 1 to 300 s; default 240. */
  keepaliveSecs?: number;
  will?: CloudPlugsWill;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** `true` or a name: one connection for every tab of the origin that logs in with the same
   *  username, auth code and hardware ID (the `iotmqtt/shared` session, loaded then). Property
   *  requests on one topic take turns across the tabs, since CloudPlugs' replies carry no id. */
  shared?: true | string;
}

export interface CloudPlugsPublishOptions {
  /** UTC milliseconds; CloudPlugs uses its own clock when absent. */
  at?: number;
  /** Publish as another Plug-ID (a controller writing to its thing, or an account login). */
  plugId?: string;
}

export interface CloudPlugsSubscribeOptions {
  /** Whose channels; any device when absent. */
  plugId?: string;
}

/** A data document received on a subscribed channel. */
export interface DataRecord {
  plugId: string;
  channel: string;
  data: JsonValue;
  at: number | null;
  id: string | null;
  extra?: JsonObject;
}

/** A property value: static JSON, or `{channel}` for the last value on that channel. */
export type PropertyValue = JsonValue;

export interface EnrollThingOptions {
  model: string;
  hwid: string;
  name?: string;
  pass: string;
}

export interface EnrollControllerOptions {
  model: string;
  thingHwid: string;
  pass: string;
  controllerHwid: string;
  controllerName?: string;
}

export interface CloudPlugsCredentials {
  plugId: string;
  auth: string;
}

export interface CloudPlugsDeviceEventMap {
  data: DataRecord;
  /** A message on a data channel that is not a CloudPlugs document, or the connection given up. */
  error: IotMqttError;
  state: ConnectionState;
}
