// What the tabs and the `iotmqtt/shared` SharedWorker say to each other over a MessagePort
// (structured clone). Errors and states travel as plain data, since a cloned `Error` loses its
// `code` and `field`.
import { iotError, type IotMqttError } from "../errors.js";
import type { ConnAck, ConnectionState, MessageProperties, MqttMessage, Payload, PublishOptions, QoS, RequestOptions } from "../types.js";

/** A tab's request; `id` names its answer. */
export type Request =
  | { op: "join"; url: string; options: Uint8Array; lock: string; credentials: boolean; authenticator: boolean }
  | { op: "connect"; id: number }
  | { op: "publish"; id: number; topic: string; payload?: Payload; options?: PublishOptions }
  | { op: "request"; id: number; topic: string; payload?: Payload; options?: RequestOptions }
  | { op: "subscribe"; id: number; filter: string; options: Uint8Array }
  | { op: "unsubscribe"; id: number; filters: string[] }
  | { op: "route"; route: number; filter: string }
  | { op: "unroute"; route: number }
  | { op: "lease"; id: number; topic: string }
  | { op: "release"; topic: string }
  | { op: "holder"; id: number; topic: string }
  /** The page's callback answered the host's `ask`: a login (credentials), data (an authenticator's),
   *  or why it has none. */
  | { op: "answer"; ask: number; login?: { username?: unknown; password?: unknown }; data?: Uint8Array; error?: string }
  | { op: "reauthenticate"; id: number; data: Uint8Array }
  | { op: "close" };

export type WireError = { code: string; message: string; field?: string };
export type WireState =
  | { type: "idle" | "closed" }
  | { type: "connecting"; server: string }
  | { type: "connected"; connack: ConnAck; server: string }
  | { type: "reconnecting"; attempt: number; delayMs: number; error: WireError }
  | { type: "disconnected"; error: WireError };
export type WireMessage = {
  topic: string; payload: Uint8Array; qos: QoS; retain: boolean; dup: boolean; properties?: MessageProperties;
};

/** The worker's word to one tab. */
export type Reply =
  | { op: "joined"; clientId: string; state: WireState; tabs: number; tab: number }
  | { op: "refused"; error: WireError }
  | { op: "done"; id: number; value?: unknown }
  | { op: "failed"; id: number; error: WireError }
  | { op: "state"; state: WireState }
  | { op: "message"; message: WireMessage; routes: number[] }
  | { op: "tabs"; tabs: number }
  /** The session's store failed (`PERSISTENCE_ERROR`): every tab's `error` event. */
  | { op: "error"; error: WireError }
  /** Call the page's credentials callback (the session is about to connect), or with `challenge`
   *  its authenticator (the broker's challenge, MQTT 5 §4.12); answer `ask`. */
  | { op: "ask"; ask: number; challenge?: Uint8Array | null };

/** On the leader's BroadcastChannel: a client's request, the host's reply to one client, or a new
 *  leader's greeting. */
export type Envelope = { from: string; request: Request } | { to: string; reply: Reply } | { hello: true };

/** A message as it crosses: its fields, not the class with its getters. */
export function messageToWire(m: MqttMessage): WireMessage {
  const { topic, payload, qos, retain, dup, properties } = m;
  return properties ? { topic, payload, qos, retain, dup, properties } : { topic, payload, qos, retain, dup };
}

export function toWire(e: unknown): WireError {
  const { code, message, field } = e as Partial<IotMqttError>;
  const w: WireError = { code: typeof code === "string" ? code : "SOCKET_ERROR", message: String(message ?? e) };
  if (typeof field === "string") w.field = field;
  return w;
}

export function fromWire(w: WireError): IotMqttError {
  return iotError(w.code, w.message, w.field);
}

export function stateToWire(s: ConnectionState): WireState {
  return "error" in s ? { ...s, error: toWire(s.error) } as WireState : s;
}

export function stateFromWire(s: WireState): ConnectionState {
  return "error" in s ? { ...s, error: fromWire(s.error) } as ConnectionState : s;
}
