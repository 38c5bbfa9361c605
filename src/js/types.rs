//! The TypeScript side of the API: precise option, event and result types (no `any`), and the
//! extern types that make wasm-bindgen write them into method signatures of the `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
/** What can be published: text (UTF-8), bytes, or any JSON-serialisable value (sent as its JSON text). */
export type Payload = string | Uint8Array | ArrayBuffer | JsonValue;
/** MQTT quality of service. */
export type QoS = 0 | 1 | 2;
/** The MQTT version of a connection. */
export type ProtocolVersion = "3.1.1" | "5";
/** Removes the listener it was returned for; calling it again does nothing. */
export type Unsubscribe = () => void;

/** Stable codes of every error the package raises (`err.code`). */
export type ErrorCode =
  | "INVALID_OPTION" | "INVALID_PAYLOAD" | "UNKNOWN_EVENT"
  | "CONNECT_TIMEOUT" | "INVALID_TOPIC" | "INVALID_TOPIC_FILTER" | "INVALID_QOS" | "QOS_NOT_SUPPORTED"
  | "PACKET_TOO_LARGE" | "PUBLISH_REFUSED" | "SUBSCRIBE_REFUSED" | "UNSUBSCRIBE_REFUSED"
  | "SERVER_DISCONNECTED" | "PING_TIMEOUT" | "PROTOCOL_ERROR" | "NOT_CONNECTED" | "CONNECTION_LOST"
  | "SOCKET_CLOSED" | "SOCKET_ERROR" | "DISCONNECTED" | "CLIENT_CLOSED" | "PACKET_IDS_EXHAUSTED"
  | "OFFLINE_QUEUE_FULL" | "DROPPED_FROM_QUEUE" | "RECONNECT_GAVE_UP" | "PERSISTENCE_ERROR"
  | "CONNACK_UNSPECIFIED_ERROR"
  | "CONNACK_MALFORMED_PACKET" | "CONNACK_PROTOCOL_ERROR" | "CONNACK_IMPLEMENTATION_SPECIFIC_ERROR"
  | "CONNACK_UNSUPPORTED_PROTOCOL_VERSION" | "CONNACK_CLIENT_IDENTIFIER_NOT_VALID"
  | "CONNACK_BAD_USERNAME_OR_PASSWORD" | "CONNACK_NOT_AUTHORIZED" | "CONNACK_SERVER_UNAVAILABLE"
  | "CONNACK_SERVER_BUSY" | "CONNACK_BANNED" | "CONNACK_BAD_AUTHENTICATION_METHOD"
  | "CONNACK_TOPIC_NAME_INVALID" | "CONNACK_PACKET_TOO_LARGE" | "CONNACK_QUOTA_EXCEEDED"
  | "CONNACK_PAYLOAD_FORMAT_INVALID" | "CONNACK_RETAIN_NOT_SUPPORTED" | "CONNACK_QOS_NOT_SUPPORTED"
  | "CONNACK_USE_ANOTHER_SERVER" | "CONNACK_SERVER_MOVED" | "CONNACK_CONNECTION_RATE_EXCEEDED"
  | "CONNACK_UNKNOWN"
  | "TB_TOKEN_REJECTED" | "TB_BASIC_CREDENTIALS_REJECTED" | "TB_CREDENTIALS_MISSING" | "TB_SERVER_UNAVAILABLE"
  | "TB_INVALID_TELEMETRY" | "TB_INVALID_ATTRIBUTES" | "TB_PAYLOAD_TOO_LARGE" | "TB_INVALID_PAYLOAD"
  | "TB_TIMEOUT" | "TB_RPC_ERROR" | "TB_PROVISION_FAILED" | "TB_FIRMWARE_ERROR" | "TB_CHECKSUM_MISMATCH"
  | "TB_UNKNOWN_CHECKSUM_ALGORITHM" | "TB_INVALID_OPTION"
  | "TTS_INVALID_FPORT" | "TTS_PAYLOAD_TOO_LONG" | "TTS_INVALID_PRIORITY" | "TTS_CORRELATION_ID_TOO_LONG"
  | "TTS_PAYLOAD_CONFLICT" | "TTS_INVALID_DECODED_PAYLOAD" | "TTS_INVALID_HEX" | "TTS_INVALID_BASE64"
  | "TTS_INVALID_UTF8" | "TTS_INVALID_ID" | "TTS_MISSING_API_KEY" | "TTS_NOT_AUTHORIZED" | "TTS_INVALID_EVENT"
  | "TTS_INVALID_LPP" | "TTS_FORMATTER_ERROR" | "TTS_DOWNLINK_TIMEOUT"
  | "CLOUDPLUGS_INVALID_HWID" | "CLOUDPLUGS_INVALID_NAME" | "CLOUDPLUGS_INVALID_PLUG_ID"
  | "CLOUDPLUGS_INVALID_USERNAME" | "CLOUDPLUGS_MISSING_AUTH" | "CLOUDPLUGS_INVALID_CHANNEL"
  | "CLOUDPLUGS_INVALID_CHANNEL_MASK" | "CLOUDPLUGS_INVALID_ENROLLMENT" | "CLOUDPLUGS_ENROLLMENT_REFUSED"
  | "CLOUDPLUGS_INVALID_PROPERTY" | "CLOUDPLUGS_PROPERTY_ERROR" | "CLOUDPLUGS_MALFORMED_REPLY"
  | "CLOUDPLUGS_MALFORMED_DATA" | "CLOUDPLUGS_KEEPALIVE_TOO_LONG" | "CLOUDPLUGS_NO_PLUG_ID" | "CLOUDPLUGS_TIMEOUT";

/**
 * Every rejection and every `"error"` event is an `Error` with `name === "IotMqttError"` and a stable `code`.
 * ```ts
 * try { await client.connect(); } catch (e) { if ((e as IotMqttError).code === "CONNACK_NOT_AUTHORIZED") { ... } }
 * ```
 */
export interface IotMqttError extends Error {
  readonly name: "IotMqttError";
  readonly code: ErrorCode;
  /** For `INVALID_OPTION`: the option at fault, such as `keepaliveSecs`. */
  readonly field?: string;
}

/** A last will: published by the broker when the connection drops without DISCONNECT. */
export interface WillOptions {
  topic: string;
  payload?: Payload;
  qos?: QoS;
  retain?: boolean;
}

/** Automatic reconnect with exponential backoff and full jitter. */
export interface ReconnectOptions {
  enabled?: boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** `null` retries for ever. */
  maxAttempts?: number | null;
}

/** Publishes made while disconnected wait here, bounded in messages and bytes. */
export interface OfflineQueueOptions {
  maxMessages?: number;
  maxBytes?: number;
  policy?: "reject" | "dropOldestQos0";
}

/** `new MqttClient(url, options)`: the CONNECT fields and the client's behaviour; all optional. */
export interface MqttClientOptions {
  version?: ProtocolVersion;
  /** Empty or absent: a random one is generated. */
  clientId?: string;
  username?: string | null;
  password?: string | null;
  /** Seconds; 0 turns keepalive off. Default 60. */
  keepaliveSecs?: number;
  /** 3.1.1 clean session / 5 clean start. Default true. */
  cleanStart?: boolean;
  will?: WillOptions | null;
  /** MQTT 5 only. */
  sessionExpirySecs?: number | null;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /** Default: half the keepalive. */
  pingTimeoutMs?: number | null;
  reconnect?: ReconnectOptions;
  offlineQueue?: OfflineQueueOptions;
  /** An IndexedDB database name: unsent messages survive reloads. */
  persistence?: string | null;
  /** Timers in a Web Worker, so keepalive survives background tabs. Default true. */
  workerTimers?: boolean;
  /** WebSocket subprotocols offered; must include "mqtt". Default ["binary", "mqtt"] (binary, first: websockify bridges). */
  websocketProtocols?: string[];
}

/** What the broker said in its CONNACK. MQTT 5 properties are present only when announced. */
export interface ConnAck {
  sessionPresent: boolean;
  maximumPacketSize?: number;
  maximumQos?: QoS;
  receiveMaximum?: number;
  assignedClientId?: string;
  serverKeepaliveSecs?: number;
}

/** A message from the broker. */
export interface MqttMessage {
  topic: string;
  payload: Uint8Array;
  /** The payload as UTF-8 text, or `null` when it is not valid UTF-8 (decoded when read: a getter,
   *  so `{...message}` leaves it out; `JSON.stringify(message)` keeps it). */
  readonly text: string | null;
  qos: QoS;
  retain: boolean;
  dup: boolean;
}

/** Where a connection stands; `type` tells which. */
export type ConnectionState =
  | { type: "idle" }
  | { type: "connecting" }
  | { type: "connected"; connack: ConnAck }
  | { type: "reconnecting"; attempt: number; delayMs: number; error: IotMqttError }
  | { type: "disconnected"; error: IotMqttError }
  | { type: "closed" };

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
}

export interface SubscribeOptions {
  qos?: QoS;
}

export interface SubscriptionRequest {
  filter: string;
  qos?: QoS;
}

/** One filter's outcome in `subscribeMany`: the granted QoS, or the broker's refusal. */
export type SubscriptionResult = { filter: string; qos: QoS } | { filter: string; error: IotMqttError };

/** What is still alive: after `close()` every count is 0 and `socket` is false. */
export interface LiveResources {
  /** Timers armed (keepalive, ping and connect timeouts, reconnect). */
  timers: number;
  /** Whether a WebSocket is open or opening. */
  socket: boolean;
  /** JavaScript listeners held (events, routes, RPC handlers). */
  listeners: number;
}

/** `MqttClient.on(event, listener)` events. */
export interface MqttClientEventMap {
  message: MqttMessage;
  state: ConnectionState;
  /**
   * The client gave up on the connection: the first connect failed, the connection was lost with
   * `reconnect` off, or reconnecting gave up (`RECONNECT_GAVE_UP`). While it reconnects, each
   * failure is in the `state` event's `error`.
   */
  error: IotMqttError;
}

export interface MqttClient {
  /**
   * Listens to `"message"` (every message), `"state"` (connection changes) or `"error"`.
   * ```ts
   * const off = client.on("message", (m) => console.log(m.topic, m.text));
   * off();
   * ```
   */
  on<K extends keyof MqttClientEventMap>(event: K, listener: (event: MqttClientEventMap[K]) => void): Unsubscribe;
}

// ---- ThingsBoard ----

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

export interface ThingsBoardDevice {
  /** Listens to `"sharedAttributes"` (after `subscribeSharedAttributes()`), `"firmware"`, `"error"` or `"state"`. */
  on<K extends keyof ThingsBoardDeviceEventMap>(event: K, listener: (event: ThingsBoardDeviceEventMap[K]) => void): Unsubscribe;
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

export interface ThingsBoardGateway {
  /** Listens to `"attributes"` (after `subscribeAttributes()`), `"error"` or `"state"`. */
  on<K extends keyof ThingsBoardGatewayEventMap>(event: K, listener: (event: ThingsBoardGatewayEventMap[K]) => void): Unsubscribe;
}
"#;

/// Declares extern JS types whose TypeScript name is given, for precise signatures.
macro_rules! ts_types {
    ($($name:ident = $ts:literal;)*) => {
        #[wasm_bindgen]
        extern "C" {
            $(
                #[wasm_bindgen(typescript_type = $ts)]
                #[derive(Clone)]
                pub type $name;
            )*
        }
    };
}

ts_types! {
    MqttClientOptionsTs = "MqttClientOptions";
    PayloadTs = "Payload";
    PublishOptionsTs = "PublishOptions";
    SubscribeOptionsTs = "SubscribeOptions";
    SubscriptionRequestsTs = "SubscriptionRequest[]";
    FiltersTs = "string | string[]";
    MessageListenerTs = "(message: MqttMessage) => void";
    ConnectionStateTs = "ConnectionState";
    LiveResourcesTs = "LiveResources";
    UnsubscribeTs = "Unsubscribe";
    PromiseConnAck = "Promise<ConnAck>";
    PromiseVoid = "Promise<void>";
    PromiseQoS = "Promise<QoS>";
    PromiseSubscriptionResults = "Promise<SubscriptionResult[]>";
    ThingsBoardDeviceOptionsTs = "ThingsBoardDeviceOptions";
    TelemetryTs = "Telemetry";
    JsonObjectTs = "JsonObject";
    JsonValueTs = "JsonValue";
    AttributeRequestTs = "AttributeRequest";
    RpcHandlerTs = "RpcHandler";
    RpcHandlerOptionsTs = "RpcHandlerOptions";
    ClaimOptionsTs = "ClaimOptions";
    SessionLimitsTs = "SessionLimits";
    AttributeValuesTs = "AttributeValues";
    FirmwareUpdateOptionsTs = "FirmwareUpdateOptions";
    FirmwareInstallerTs = "FirmwareInstaller";
    ProvisionRequestTs = "ProvisionRequest";
    ProvisionOptionsTs = "ProvisionOptions";
    PromiseThingsBoardDevice = "Promise<ThingsBoardDevice>";
    PromiseThingsBoardGateway = "Promise<ThingsBoardGateway>";
    PromiseAttributeValues = "Promise<AttributeValues>";
    PromiseJsonValue = "Promise<JsonValue>";
    PromiseJsonObject = "Promise<JsonObject>";
    PromiseProvisionedCredentials = "Promise<ProvisionedCredentials>";
    GatewayRpcHandlerTs = "GatewayRpcHandler";
    StringArrayTs = "string[]";
    PromiseSessionLimits = "Promise<SessionLimits>";
}

ts_types! {}
