// Every failure reaches JavaScript as a real `Error` named `IotMqttError` with a stable `code`.
// The core sends the code and the values of the message; the words are here, so the wasm carries
// no formatting. They read as the Rust errors' `Display` does (src/session/error.rs, src/error.rs).
import type { ErrorCode, UserProperties } from "./types.js";
import { addUserProperty } from "./properties.js";

export interface IotMqttError extends Error {
  readonly name: "IotMqttError";
  readonly code: ErrorCode;
  /** For `INVALID_OPTION`: the option at fault, such as `keepaliveSecs`. */
  readonly field?: string;
  /** `iotmqtt/mqtt5`: the MQTT 5 Reason String of the broker's refusal or DISCONNECT, also at the
   *  end of the message. */
  readonly reasonString?: string;
  /** `iotmqtt/mqtt5`: the User Properties of the broker's refusal or DISCONNECT. */
  readonly userProperties?: UserProperties;
}

export function iotError(code: string, message: string, field?: string): IotMqttError {
  const e = new Error(message) as Error & { code: string; field?: string };
  e.name = "IotMqttError";
  e.code = code;
  if (field !== undefined) e.field = field;
  return e as IotMqttError;
}

type Args = (string | number)[];
const q = (s: string | number) => JSON.stringify(s);
const hex = (n: number) => "0x" + n.toString(16).toUpperCase().padStart(2, "0");

// Whether this entry can open an MQTT 5 connection (npm/build.mjs): over MQTT 3.1.1 the only reason
// code that reaches these words is a SUBACK's 0x80.
declare const V5: boolean;

// MQTT 5.0 §2.4: reason code names, and what a code usually means for the user (src/session/reason.rs).
const REASON_NAMES: Record<number, string> = !V5 ? { 0x80: "Unspecified error" } : {
  0x00: "Success", 0x01: "Granted QoS 1", 0x02: "Granted QoS 2", 0x04: "Disconnect with Will Message",
  0x10: "No matching subscribers", 0x11: "No subscription existed", 0x18: "Continue authentication",
  0x19: "Re-authenticate", 0x80: "Unspecified error", 0x81: "Malformed Packet", 0x82: "Protocol Error",
  0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version", 0x85: "Client Identifier not valid",
  0x86: "Bad User Name or Password", 0x87: "Not authorized", 0x88: "Server unavailable", 0x89: "Server busy",
  0x8a: "Banned", 0x8b: "Server shutting down", 0x8c: "Bad authentication method", 0x8d: "Keep Alive timeout",
  0x8e: "Session taken over", 0x8f: "Topic Filter invalid", 0x90: "Topic Name invalid",
  0x91: "Packet Identifier in use", 0x92: "Packet Identifier not found", 0x93: "Receive Maximum exceeded",
  0x94: "Topic Alias invalid", 0x95: "Packet too large", 0x96: "Message rate too high", 0x97: "Quota exceeded",
  0x98: "Administrative action", 0x99: "Payload format invalid", 0x9a: "Retain not supported",
  0x9b: "QoS not supported", 0x9c: "Use another server", 0x9d: "Server moved",
  0x9e: "Shared Subscriptions not supported", 0x9f: "Connection rate exceeded", 0xa0: "Maximum connect time",
  0xa1: "Subscription Identifiers not supported", 0xa2: "Wildcard Subscriptions not supported",
};
const slowDown = "slow down: the broker limits how much this client may send";
const REFUSED = "the broker refused without a reason; on ThingsBoard this is a filter outside its whitelist";
const REASON_ADVICE: Record<number, string> = !V5 ? { 0x80: REFUSED } : {
  0x80: REFUSED,
  0x87: "the broker's access control denies this topic to these credentials",
  0x8b: "the broker is shutting down; the client may reconnect later",
  0x8d: "the broker saw no packet within 1.5 x keepalive",
  0x8e: "another client connected with the same client id",
  0x8f: "the broker does not accept this topic filter",
  0x90: "the broker does not accept this topic name",
  0x95: "the packet is larger than the broker accepts",
  0x96: slowDown,
  0x97: slowDown,
  0x99: "the broker could not parse the payload (for a platform topic: check the JSON)",
  0x9a: "the broker does not support retained messages",
  0x9b: "the broker does not support this QoS: use a lower one",
  0x9e: "the broker does not support shared subscriptions",
  0xa2: "the broker does not support wildcard subscriptions: subscribe to exact topics",
};
function reason(code: string | number): string {
  const n = Number(code);
  const advice = REASON_ADVICE[n];
  return `${hex(n)} ${REASON_NAMES[n] ?? "Unknown reason code"}${advice ? ` (${advice})` : ""}`;
}

// What a CONNACK refusal most likely means (src/session/reason.rs, `ConnectRefusal::advice`).
const CONNACK_ADVICE: Record<string, string> = {
  UNSPECIFIED_ERROR: "the broker gave no reason; check its log",
  MALFORMED_PACKET: "the broker could not parse the CONNECT packet",
  PROTOCOL_ERROR: "the CONNECT broke a protocol rule the broker enforces",
  IMPLEMENTATION_SPECIFIC_ERROR: "the broker rejected the CONNECT for a reason of its own; check its log",
  UNSUPPORTED_PROTOCOL_VERSION: "the broker does not speak this MQTT version: try 3.1.1 instead of 5 (or the other way round)",
  CLIENT_IDENTIFIER_NOT_VALID: "the client id was rejected: use 1-23 letters and digits, or give credentials with it",
  BAD_USERNAME_OR_PASSWORD: "the user name or password is wrong or malformed: check the credentials",
  NOT_AUTHORIZED: "the credentials were not accepted: check the user name, password or access token",
  SERVER_UNAVAILABLE: "the broker is up but its MQTT service is unavailable: try again later",
  SERVER_BUSY: "the broker is busy: try again later",
  BANNED: "this client is banned by the broker",
  BAD_AUTHENTICATION_METHOD: "the authentication method is not supported by the broker",
  TOPIC_NAME_INVALID: "the will topic was rejected",
  PACKET_TOO_LARGE: "the CONNECT packet is larger than the broker accepts (a large will payload?)",
  QUOTA_EXCEEDED: "a broker quota was exceeded",
  PAYLOAD_FORMAT_INVALID: "the will payload format was rejected",
  RETAIN_NOT_SUPPORTED: "the broker does not support retained messages: turn off will retain",
  QOS_NOT_SUPPORTED: "the broker does not support the will's QoS: lower it",
  USE_ANOTHER_SERVER: "the broker asks the client to use another server",
  SERVER_MOVED: "the broker has moved permanently",
  CONNECTION_RATE_EXCEEDED: "too many connection attempts: wait before retrying",
  UNKNOWN: "the broker answered with a code this client does not know",
};

const MESSAGES: Record<string, (a: Args) => string> = {
  CONNECT_TIMEOUT: (a) => `no CONNACK within ${a[0]} ms: is the broker reachable at that URL, and does it speak MQTT over WebSocket?`,
  INVALID_TOPIC: (a) => `invalid topic ${q(a[0])}: ${a[1]}`,
  INVALID_TOPIC_FILTER: (a) => `invalid topic filter ${q(a[0])}: ${a[1]}`,
  INVALID_QOS: (a) => `QoS ${a[0]} does not exist: use 0, 1 or 2`,
  QOS_NOT_SUPPORTED: (a) => `QoS ${a[0]} is above the broker's maximum QoS ${a[1]}`,
  PACKET_TOO_LARGE: (a) => `the packet would be ${a[0]} bytes, but the broker accepts at most ${a[1]}`,
  INCOMING_PACKET_TOO_LARGE: (a) => `the broker sent a packet of ${a[0]} bytes, over maximumPacketSize (${a[1]})`,
  INVALID_OPTION: (a) => `invalid option ${a[0]}: ${a[1]}`,
  PUBLISH_REFUSED: (a) => `the broker refused the publish to ${q(a[0])}: ${reason(a[1])}`,
  SUBSCRIBE_REFUSED: (a) => `the broker refused the subscription to ${q(a[0])}: ${reason(a[1])}`,
  UNSUBSCRIBE_REFUSED: (a) => `the broker refused to unsubscribe ${q(a[0])}: ${reason(a[1])}`,
  SERVER_DISCONNECTED: (a) => `the broker disconnected: ${reason(a[0])}`,
  PING_TIMEOUT: () => "no PINGRESP from the broker in time: the connection is dead",
  PROTOCOL_ERROR: (a) => `the bytes from the broker are not valid MQTT (${a[0]}); the connection was closed`,
  NOT_CONNECTED: () => "not connected: connect first, or wait for the reconnect",
  CONNECTION_LOST: () => "the connection was lost before the broker answered",
  OFFLINE_QUEUE_FULL: (a) => `the offline queue is full (${a[0]} messages, ${a[1]} bytes): the publish was refused`,
  DROPPED_FROM_QUEUE: () => "dropped from the full offline queue to make room for newer messages (QoS 0 only)",
  PACKET_IDS_EXHAUSTED: () => "no packet identifier is free: 65,535 requests are already in flight",
  SOCKET_CLOSED: (a) => `the WebSocket closed (code ${a[0]}${a[1] ? ": " + a[1] : ""})`,
  SOCKET_ERROR: (a) => `the WebSocket failed: ${a[0]}`,
  DISCONNECTED: () => "disconnected by the application",
  CLIENT_CLOSED: () => "the client was closed",
  PERSISTENCE_ERROR: (a) => `the message store (IndexedDB) failed: ${a[0]}`,
  RECONNECT_GAVE_UP: (a) => `gave up reconnecting after ${a[0]} attempts`,
};

/** The payload helpers' words (src/platforms/things_stack/error.rs): the payload entry's and The
 *  Things Stack's, which add them; the generic entry has no use for them. */
export const PAYLOAD_MESSAGES: Record<string, (a: Args) => string> = {
  TTS_INVALID_HEX: (a) => `invalid hex ${q(a[0])}: ${a[1]}`,
  TTS_INVALID_BASE64: (a) => `invalid base64: ${a[0]}`,
  TTS_INVALID_UTF8: (a) => `the payload is not UTF-8 text: ${a[0]}`,
  TTS_INVALID_LPP: (a) => `invalid CayenneLPP payload at byte ${a[0]}: ${a[1]}`,
};

/** Adds an entry's words for its own codes (a platform's errors). */
export function addMessages(words: Record<string, (a: Args) => string>): void {
  Object.assign(MESSAGES, words);
}

/** The error a core's error record names. */
export function coded(code: string, args: Args): IotMqttError {
  if (code.startsWith("CONNACK_")) {
    const advice = CONNACK_ADVICE[code.slice(8)] ?? CONNACK_ADVICE.UNKNOWN;
    return iotError(code, `the broker refused the connection (CONNACK ${hex(Number(args[1]))}, MQTT ${args[0]}): ${advice}`);
  }
  const message = MESSAGES[code]?.(args) ?? `${code}: ${args.join(", ")}`;
  return SAID ? said(code, message, args) : iotError(code, message, code === "INVALID_OPTION" ? String(args[0]) : undefined);
}

// Whether this entry's core sends the broker's words after a refusal's values (`with_said` in
// src/batch/error.rs, cargo feature `reason-strings`: `iotmqtt/mqtt5` only).
declare const SAID: boolean;

/** The error, with the broker's Reason String (empty: none) and User Properties when it sent any. */
function said(code: string, message: string, args: Args): IotMqttError {
  const at = ({ PUBLISH_REFUSED: 2, SUBSCRIBE_REFUSED: 2, UNSUBSCRIBE_REFUSED: 2, SERVER_DISCONNECTED: 1 } as Record<string, number>)[code];
  if (at === undefined || args.length <= at) {
    return iotError(code, message, code === "INVALID_OPTION" ? String(args[0]) : undefined);
  }
  const reasonString = String(args[at]);
  const e = iotError(code, reasonString ? `${message} (${q(reasonString)})` : message) as IotMqttError & {
    reasonString?: string; userProperties?: UserProperties;
  };
  if (reasonString) e.reasonString = reasonString;
  if (args.length > at + 1) {
    const user: UserProperties = Object.create(null);
    for (let i = at + 1; i + 1 < args.length; i += 2) addUserProperty(user, String(args[i]), String(args[i + 1]));
    e.userProperties = user;
  }
  return e;
}
