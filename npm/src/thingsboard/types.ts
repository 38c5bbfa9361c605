// The ThingsBoard entry's public types.
import type { IotMqttError } from "../errors.js";
import type { ConnectionState, JsonObject, JsonValue, ProtocolVersion, QoS } from "../types.js";

/** Options shared by `ThingsBoardDevice.connect` and `ThingsBoardGateway.connect`. */
export interface ThingsBoardOptionsBase {
  version?: ProtocolVersion;
  keepaliveSecs?: number;
  connectTimeoutMs?: number;
  /** For attribute requests, client-side RPC and firmware chunks. Default 10000. */
  requestTimeoutMs?: number;
  /** Ask for `getSessionLimits` after connecting and obey them. Default true. */
  fetchSessionLimits?: boolean;
  /** QoS of telemetry and attributes; ThingsBoard grants at most 1. */
  qos?: QoS;
}

/** Log in with the device's access token... */
export interface ThingsBoardTokenOptions extends ThingsBoardOptionsBase {
  token: string;
}

/** ...or with MQTT basic credentials. */
export interface ThingsBoardBasicOptions extends ThingsBoardOptionsBase {
  clientId: string;
  username?: string;
  password?: string;
}

export type ThingsBoardDeviceOptions = ThingsBoardTokenOptions | ThingsBoardBasicOptions;

/** `ThingsBoardDevice.connect`'s and `ThingsBoardGateway.connect`'s options: the login, and whether
 *  to share its connection. */
export type ThingsBoardConnectOptions = ThingsBoardDeviceOptions & {
  /** Share one connection with the origin's other tabs that connect this device alike (the
   *  `iotmqtt/shared` session, loaded then); a name keeps the session apart from others. */
  shared?: true | string;
};

/** Telemetry in any format ThingsBoard takes: `{k: v}`, `[{k: v}]`, `{ts, values}` or `[{ts, values}]`. */
export type Telemetry = JsonObject | JsonObject[] | { ts: number; values: JsonObject } | { ts: number; values: JsonObject }[];

export interface AttributeRequest {
  client?: string[];
  shared?: string[];
}

export interface AttributeValues {
  client: JsonObject;
  shared: JsonObject;
}

/** A push of shared attributes: the changed values and the deleted keys. */
export interface SharedAttributesUpdate {
  values: JsonObject;
  deleted: string[];
}

/** A server-side RPC as the device receives it. */
export interface RpcRequest {
  id: number;
  method: string;
  params: JsonValue;
}

/** An RPC handler returns the reply (or a Promise of it); throwing sends `{"error": message}`. */
export type RpcHandler = (params: JsonValue, request: RpcRequest) => JsonValue | void | Promise<JsonValue | void>;

export interface RpcHandlerOptions {
  /** One-way RPC: the handler runs and no reply is sent. */
  oneWay?: boolean;
}

export interface ClaimOptions {
  secretKey?: string;
  durationMs?: number;
}

export interface RateWindow {
  count: number;
  period_ms: number;
}

export interface SessionLimits {
  maxPayloadSize: number;
  maxInflightMessages: number;
  rateLimits: { messages: RateWindow[]; telemetryMessages: RateWindow[]; telemetryDataPoints: RateWindow[] };
}

export type FirmwareState = "DOWNLOADING" | "DOWNLOADED" | "VERIFIED" | "UPDATING" | "UPDATED" | "FAILED" | "QUEUED" | "INITIATED";
export type PackageKind = "fw" | "sw";
export type ChecksumAlgorithm = "MD5" | "SHA256" | "SHA384" | "SHA512" | "CRC32" | "MURMUR3_32" | "MURMUR3_128";

export interface PackageInfo {
  kind: PackageKind;
  title: string;
  version: string;
  tag: string | null;
  size: number | null;
  checksum: string | null;
  algorithm: ChecksumAlgorithm;
}

export type FirmwareEvent =
  | { type: "available"; package: PackageInfo }
  | { type: "state"; kind: PackageKind; state: FirmwareState; error: string | null }
  | { type: "progress"; kind: PackageKind; received: number; total: number | null; chunkIndex: number };

export interface FirmwareUpdateOptions {
  kind?: PackageKind;
  currentTitle?: string;
  currentVersion?: string;
  /** Bytes per chunk; 0 asks for the whole file at once. Default 8192; capped at the session's max payload size. */
  chunkSize?: number;
}

/** Installs a verified image; throwing (or rejecting) reports the update as FAILED. */
export type FirmwareInstaller = (pkg: PackageInfo, image: Uint8Array) => void | Promise<void>;

export interface ThingsBoardDeviceEventMap {
  sharedAttributes: SharedAttributesUpdate;
  firmware: FirmwareEvent;
  /** Problems that belong to no call: invalid JSON from the server, a failed RPC reply. */
  error: IotMqttError;
  state: ConnectionState;
}


export interface ProvisionRequest {
  deviceName?: string;
  provisionDeviceKey: string;
  provisionDeviceSecret: string;
  credentialsType?: "ACCESS_TOKEN" | "MQTT_BASIC" | "X509_CERTIFICATE";
  token?: string;
  clientId?: string;
  username?: string;
  password?: string;
  hash?: string;
  gateway?: boolean;
}

export interface ProvisionOptions {
  version?: ProtocolVersion;
  timeoutMs?: number;
}

export type ProvisionedCredentials =
  | { credentialsType: "ACCESS_TOKEN"; token: string }
  | { credentialsType: "MQTT_BASIC"; clientId: string | null; userName: string | null; password: string | null }
  | { credentialsType: "X509_CERTIFICATE"; value: string };

/** An RPC to a device behind the gateway. */
export interface GatewayRpcRequest {
  device: string;
  id: number;
  method: string;
  params: JsonValue;
}

export type GatewayRpcHandler = (request: GatewayRpcRequest) => JsonValue | void | Promise<JsonValue | void>;

export interface GatewayAttributesUpdate {
  device: string;
  values: JsonObject;
  deleted: string[];
}

export interface ThingsBoardGatewayEventMap {
  attributes: GatewayAttributesUpdate;
  error: IotMqttError;
  state: ConnectionState;
}
