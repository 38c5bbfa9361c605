// The package's public types: options, events and results, precise and without `any`.
import type { IotMqttError } from "./errors.js";

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
  | "PACKET_TOO_LARGE" | "INCOMING_PACKET_TOO_LARGE" | "CREDENTIALS_FAILED" | "PUBLISH_REFUSED" | "SUBSCRIBE_REFUSED" | "UNSUBSCRIBE_REFUSED"
  | "SERVER_DISCONNECTED" | "PING_TIMEOUT" | "PROTOCOL_ERROR" | "NOT_CONNECTED" | "CONNECTION_LOST"
  | "SOCKET_CLOSED" | "SOCKET_ERROR" | "DISCONNECTED" | "CLIENT_CLOSED" | "PACKET_IDS_EXHAUSTED"
  | "OFFLINE_QUEUE_FULL" | "DROPPED_FROM_QUEUE" | "RECONNECT_GAVE_UP" | "PERSISTENCE_ERROR"
  | "SHARED_OPTIONS_DIFFER" | "SHARED_UNKNOWN_TAB" | "SHARED_HOST_FAILED" | "SHARED_OUTLIVES_LEADER"
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
  /** The largest packet taken, in bytes: announced in an MQTT 5 CONNECT, enforced in both versions
   *  (a larger one ends the connection with INCOMING_PACKET_TOO_LARGE before it is buffered). Default 16 MiB. */
  maximumPacketSize?: number;
  /** MQTT 5: how many Topic Aliases the broker may use in what it sends (0 to 65535). Default 0: none.
   *  The client's own publishes use aliases on their own, within the broker's CONNACK maximum. */
  topicAliasMaximum?: number;
  reconnect?: ReconnectOptions;
  offlineQueue?: OfflineQueueOptions;
  /** An IndexedDB database name: unsent messages survive reloads. */
  persistence?: string | null;
  /** Timers in a Web Worker, so keepalive survives background tabs. Default true. */
  workerTimers?: boolean;
  /** WebSocket subprotocols offered; must include "mqtt". Default ["binary", "mqtt"] (binary, first: websockify
   *  bridges). With several, a socket refused before it opens is tried again at once offering "mqtt" alone
   *  (RabbitMQ 3.10 answers a list with the whole list, which browsers refuse). */
  websocketProtocols?: string[];
  /** More servers to fail over to (`ws://` or `wss://`): the first connect goes to the client's URL, each
   *  reconnect attempt to the next server, round the list. `client.server` and the state say which. */
  servers?: string[];
  /** Follow an MQTT 5 Server Reference (CONNACK 0x9C/0x9D, or a DISCONNECT naming a ws:// or wss:// server):
   *  the next attempt goes there, once. Default false: a broker's word would send the credentials elsewhere. */
  followServerReference?: boolean;
  /** `iotmqtt/mqtt5` and `iotmqtt/shared` only: called before every connect and reconnect for that
   *  CONNECT's user name and password, so a token can be renewed; a throw or rejection fails the
   *  attempt with `CREDENTIALS_FAILED`. On a shared session every tab has one (or none): the session
   *  asks the first tab's, and the next tab's once that one leaves. The generic entry refuses it
   *  (`INVALID_OPTION`, `field: "credentials"`). */
  credentials?: () => Login | Promise<Login>;
  /** `iotmqtt/mqtt5` and `iotmqtt/shared`, MQTT 5 enhanced authentication (§4.12): the CONNECT's
   *  Authentication Method and first data. The broker's challenges go to `authenticator`. */
  authentication?: { method: string; data?: Uint8Array | string };
  /** `iotmqtt/mqtt5` and `iotmqtt/shared`: answers each challenge of the broker (its Authentication
   *  Data) with the client's; a throw or rejection ends the attempt with `CREDENTIALS_FAILED`. On a
   *  shared session every tab has one (or none): the session asks the first tab's, and the next tab's
   *  once that one leaves. */
  authenticator?: (data: Uint8Array | null) => AuthData | Promise<AuthData>;
}

/** Authentication Data: bytes, or text sent as UTF-8. */
export type AuthData = Uint8Array | string;

/** A credentials callback's answer. */
export interface Login {
  username?: string | null;
  password?: string | null;
}

/** What the broker said in its CONNACK. MQTT 5 properties are present only when announced. */
export interface ConnAck {
  sessionPresent: boolean;
  /** `iotmqtt/mqtt5`: the broker's last word of an enhanced authentication. */
  authenticationData?: Uint8Array;
  maximumPacketSize?: number;
  maximumQos?: QoS;
  receiveMaximum?: number;
  assignedClientId?: string;
  serverKeepaliveSecs?: number;
  /** The broker's own session expiry, when it set one. */
  sessionExpiryInterval?: number;
  /** How many topic aliases the broker takes from this client. */
  topicAliasMaximum?: number;
  /** false: the broker keeps no retained messages, and a retained publish is refused before it is sent. */
  retainAvailable?: boolean;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  reasonString?: string;
  userProperties?: UserProperties;
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
  /** MQTT 5: the message's properties, when it has any. */
  properties?: MessageProperties;
}

/** Where a connection stands; `type` tells which. */
export type ConnectionState =
  | { type: "idle" }
  | { type: "connecting"; server: string }
  | { type: "connected"; connack: ConnAck; server: string }
  | { type: "reconnecting"; attempt: number; delayMs: number; error: IotMqttError }
  | { type: "disconnected"; error: IotMqttError }
  | { type: "closed" };

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 only: refused with `INVALID_OPTION` on an MQTT 3.1.1 connection, never dropped. */
  properties?: PublishProperties;
}

/** `request()`'s options (`iotmqtt/mqtt5`): the publish's, its reply's topic and how long to wait. */
export interface RequestOptions extends PublishOptions {
  /** Where the reply should go; by default `iotmqtt/response/{clientId}`, subscribed to at QoS 1 the
   *  first time. */
  responseTopic?: string;
  /** Default 10,000; then the request rejects with `REQUEST_TIMEOUT`. */
  timeoutMs?: number;
}

/** MQTT 5 user properties: each name to its value, or to its values in order when it repeats. */
export type UserProperties = Record<string, string | string[]>;

/** An MQTT 5 message's properties as a publish sets them (the names are MQTT.js's). */
export interface PublishProperties {
  /** true: the payload is UTF-8 text (checked before sending); false: bytes. */
  payloadFormatIndicator?: boolean;
  /** Seconds the broker may keep the message for a subscriber not yet reached. */
  messageExpiryInterval?: number;
  contentType?: string;
  /** Where an answer should go: a topic name, without wildcards. */
  responseTopic?: string;
  /** What ties an answer to its request: bytes, or text sent as UTF-8. */
  correlationData?: Uint8Array | string;
  userProperties?: UserProperties;
}

/** A received MQTT 5 message's properties: what the publisher set, as the broker forwarded it. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  /** What is left of the publisher's expiry interval, in seconds. */
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: UserProperties;
  /** The identifiers of this client's subscriptions that matched. */
  subscriptionIdentifiers?: number[];
}

/** MQTT 5 subscription options (§3.8.3.1), in the `iotmqtt/mqtt5` entry only: the generic entry
 *  takes `qos` alone and refuses the others with `INVALID_OPTION`. */
export interface MqttV5SubscriptionOptions {
  /** No Local: the broker does not send this client its own publishes. */
  noLocal?: boolean;
  /** Retain As Published: forwarded messages keep the retain flag they were published with. */
  retainAsPublished?: boolean;
  /** Retained messages on subscribing: 0 always, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

export interface SubscribeOptions extends MqttV5SubscriptionOptions {
  qos?: QoS;
  /** MQTT 5, `iotmqtt/mqtt5` only: 1 to 268,435,455, carried by the messages this subscription matches. */
  subscriptionIdentifier?: number;
}

export interface SubscriptionRequest extends MqttV5SubscriptionOptions {
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
  /** `iotmqtt/mqtt5` only (elsewhere `UNKNOWN_EVENT`): a successful acknowledgement that said more
   *  than "success". It comes before the publish, subscribe or unsubscribe resolves. */
  acknowledged: Acknowledgement;
}

/**
 * A successful MQTT 5 acknowledgement that said more than "success": a PUBACK or PUBREC 0x10 "No
 * matching subscribers", an UNSUBACK 0x11 "No subscription existed", or any acknowledgement with
 * a Reason String or User Properties. A refusal's words are on its error instead.
 */
export interface Acknowledgement {
  packet: "puback" | "pubrec" | "pubcomp" | "suback" | "unsuback";
  /** The publish's topic, or the filters of the SUBSCRIBE or UNSUBSCRIBE, in order. */
  subjects: string[];
  /** One code for a publish; one per filter for a SUBACK (a granted QoS or a refusal) or UNSUBACK. */
  reasonCodes: number[];
  reasonString?: string;
  userProperties?: UserProperties;
}
