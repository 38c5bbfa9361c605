// `MqttClient`: the browser's side of a connection. It owns the WebSocket, one timer, the Promises
// and the listeners, and carries out what the wasm core (`ClientCore`, src/js/core.rs) asks for.
// Every rule (reconnect, keepalive, queueing, validation, routing) is the core's.
import { ClientCore } from "#core";
import { Batch, call } from "./batch.js";
import { DeadlineTimer, tick, usesWorker } from "./clock.js";
import { addMessages, coded, type IotMqttError } from "./errors.js";
import { guarded, Listeners } from "./listeners.js";
import { payloadBytes, plain } from "./plain.js";
import { messageProperties, userProperties } from "./properties.js";
import { Message } from "./message.js";
import { MessageStore, writeStage, type StoredMessage } from "./store.js";
import type {
  Acknowledgement, ConnAck, ConnectionState, LiveResources, MqttClientEventMap, MqttClientOptions, MqttMessage, Payload,
  AuthData, PublishOptions, QoS, RequestOptions, SubscribeOptions, SubscriptionRequest, SubscriptionResult, Unsubscribe,
} from "./types.js";

/** Set by the build (npm/build.mjs): true in the generic entry, whose core writes MQTT 5 message and
 *  CONNACK properties (cargo feature `mqtt5`); a platform entry's core, whose client its caller never
 *  reaches, leaves them out, and this code with them. */
declare const MQTT5: boolean;
/** Set by the build: true in the `iotmqtt/mqtt5` entry and the shared session's workers, whose core
 *  asks for credentials (cargo feature `credentials`); elsewhere a `credentials` option is refused
 *  by name, and this code goes. */
declare const CREDENTIALS: boolean;
/** Set by the build: true in the `iotmqtt/mqtt5` entry, whose core prepares requests (cargo feature
 *  `request`); elsewhere `request()` refuses, and its code goes. */
declare const REQUEST: boolean;
/** Set by the build: true in the `iotmqtt/mqtt5` entry and the shared session's second worker
 *  (`shared-worker-auth`), whose core does MQTT 5 enhanced authentication (cargo feature `auth`);
 *  elsewhere its options are refused by name. */
declare const AUTH: boolean;
/** Whether this entry's core sends the broker's words: on errors (errors.ts) and on successful
 *  acknowledgements (the `acknowledged` event; cargo feature `reason-strings`). */
declare const SAID: boolean;
/** Set by the build: true in the entries whose `MqttClient` is the caller's (`iotmqtt`, `iotmqtt/mqtt5`,
 *  the shared session's worker). A platform entry's client is its class's alone, which never
 *  subscribes many filters at once, routes by filter or persists: its core takes none of those
 *  commands (`GENERIC`, src/js/core.rs), and this code goes. */
declare const GENERIC: boolean;
/** Set by the build: true in the shared session's worker, whose core writes each QoS 2 message's
 *  packet id and stage into the store before it sends them (cargo feature `durable`,
 *  src/session/durable.rs), so that the next leader tab resends them under those ids. */
declare const DURABLE: boolean;

// Record tags and state kinds: src/batch/client.rs.
const OPEN = 1, TRANSMIT = 2, FLUSH = 3, CLOSE = 4, FORGET = 5, STATE = 6, CONNECTED = 7, CONNECT_FAILED = 8,
  MESSAGE = 9, PUBLISH_COMPLETED = 10, SUBSCRIBED = 11, UNSUBSCRIBED = 12, ENDED = 13, THROW = 20, RETURN = 21,
  RETURN_CONNACK = 22, STORE = 24, ASK_CREDENTIALS = 25, REPLY = 26, AUTH_CHALLENGE = 27, REAUTHENTICATED = 28,
  ACKNOWLEDGED = 29, WRITE = 30;
// Commands: src/batch/client.rs (`op`).
const CONNECT = 0, PUBLISH = 1, RESTORE = 2, SUBSCRIBE = 3, SUBSCRIBE_MANY = 4, UNSUBSCRIBE = 5, ADD_ROUTE = 6,
  REMOVE_ROUTE = 7, DISCONNECT = 8, CLOSE_CLIENT = 9, SOCKET_OPENED = 10, SOCKET_BYTES = 11, SOCKET_ERROR = 12,
  SOCKET_CLOSED = 13, OPEN_FAILED = 14, SET_ONLINE = 15, FLUSH_NOW = 16, HANDLE_TIMEOUT = 17, SETTINGS = 18, ARMED_TIMERS = 19,
  SOCKET_TEXT = 20, CREDENTIALS_ANSWER = 21, REQUEST_START = 22, REQUEST_END = 23, AUTHENTICATE = 24,
  REAUTHENTICATE = 25, WRITTEN = 26;
const NONE = new Uint8Array(0);
if (CREDENTIALS) addMessages({ CREDENTIALS_FAILED: (a) => `the credentials callback failed: ${a[0]}` });
if (REQUEST) addMessages({ REQUEST_TIMEOUT: (a) => `no reply to the request on ${JSON.stringify(a[0])} came within ${a[1]} ms` });
const STATES = ["idle", "connecting", "connected", "reconnecting", "disconnected", "closed"] as const;

function connack(b: Batch): ConnAck {
  const ack: ConnAck = { sessionPresent: b.bool() };
  const size = b.opt(), qos = b.opt(), receive = b.opt(), keepalive = b.opt();
  if (size !== undefined) ack.maximumPacketSize = size;
  if (qos !== undefined) ack.maximumQos = qos as QoS;
  if (receive !== undefined) ack.receiveMaximum = receive;
  if (b.bool()) ack.assignedClientId = b.str();
  if (keepalive !== undefined) ack.serverKeepaliveSecs = keepalive;
  if (MQTT5) {
    const expiry = b.opt(), aliases = b.opt(), flags = b.u8();
    if (expiry !== undefined) ack.sessionExpiryInterval = expiry;
    if (aliases !== undefined) ack.topicAliasMaximum = aliases;
    const flag = (i: number) => (flags >> (2 * i)) & 3;
    (["retainAvailable", "wildcardSubscriptionAvailable", "subscriptionIdentifiersAvailable", "sharedSubscriptionAvailable"] as const)
      .forEach((name, i) => flag(i) && (ack[name] = flag(i) === 2));
    if (b.bool()) ack.reasonString = b.str();
    const user = userProperties(b);
    if (Object.keys(user).length) ack.userProperties = user;
  }
  if (AUTH && b.bool()) ack.authenticationData = b.bytes().slice();
  return ack;
}

function connectionState(b: Batch, server: string): ConnectionState {
  const type = STATES[b.u8()];
  switch (type) {
    case "connecting":
      return { type, server };
    case "connected":
      return { type, connack: connack(b), server };
    case "reconnecting":
      return { type, attempt: b.u32(), delayMs: b.f64(), error: b.error() };
    case "disconnected":
      return { type, error: b.error() };
    default:
      return { type };
  }
}

type Waiter<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };

/** Builds a client's core (a `ClientCore`: its type stays out of the declarations) for a connection
 *  a platform's core asked for (`ThingsBoardCore.client`, ...). */
export type CoreFor = (seed: number, mayDefer: boolean) => object;
let adopting: CoreFor | null = null;

/** The `MqttClient` of a platform class: its core comes from the platform's core, which read the
 *  options itself, so a platform entry's wasm has no reader of `MqttClientOptions`. */
export function platformClient(url: string, core: CoreFor, options?: MqttClientOptions): MqttClient {
  adopting = core;
  try {
    return new MqttClient(url, options);
  } finally {
    adopting = null;
  }
}

/** What only the `iotmqtt/mqtt5` entry's client keeps: its request waiters and the page's callbacks. */
type Extras = {
  replies: Map<number, Waiter<MqttMessage>>;
  credentials?: MqttClientOptions["credentials"];
  authenticator?: MqttClientOptions["authenticator"];
  reauthentication?: Waiter<Uint8Array | null> | null;
  /** The shared session's host (`DURABLE`): the tab's request each stored message was made for,
   *  while it is published; and what the restored ones will settle with, by that request. */
  origin?: string;
  restored?: Map<string, Promise<void>>;
  /** The store's one load for `publishAs`, which every publish of a tab waits for in turn. */
  restoring?: Promise<void>;
};

/** The generic entry's answer to what only `iotmqtt/mqtt5` has. */
/** A platform entry's client never persists (`GENERIC`): its bundle leaves the store out. */
const Unpersisted = { open: (_name: string): Promise<MessageStore> => Promise.reject() };
const refused = (name: string) => () => Promise.reject(coded("INVALID_OPTION", [name, "needs iotmqtt/mqtt5"]));

/** What the `iotmqtt/mqtt5` entry does with its own records (set in `MqttClient`'s static block). */
let more: ((c: MqttClient, tag: number, b: Batch, reply: number, deliveries: (() => void)[]) => number) | undefined;

/** An MQTT 3.1.1 / 5 client over one browser WebSocket. */
export class MqttClient {
  readonly url: string;
  readonly clientId: string;
  #core: ClientCore;
  #persistence: string;
  #watchNetwork: boolean;
  #protocols: string[];
  #server: string;
  #timer: DeadlineTimer;
  #mainThread: boolean;
  #ws: WebSocket | null = null;
  #state: ConnectionState = { type: "idle" };
  #connectWaiter: Waiter<ConnAck> | null = null;
  #publishWaiters = new Map<number, Waiter<void>>();
  #subscribeWaiters = new Map<number, { filters: string[]; done: (r: SubscriptionResult[]) => void; fail: (e: unknown) => void; acked?: (r: SubscriptionResult[]) => void }>();
  #unsubscribeWaiters = new Map<number, Waiter<void>>();
  #listeners = new Listeners(SAID ? ["message", "state", "error", "acknowledged"] : ["message", "state", "error"]);
  #routes = new Map<number, (m: MqttMessage) => void>();
  #store: MessageStore | null = null;
  #network: (() => void) | null = null;
  /** What only the `iotmqtt/mqtt5` entry keeps (one field, so that the others carry one). */
  #x: Extras = REQUEST || AUTH || CREDENTIALS || DURABLE ? { replies: new Map() } : (undefined as never);
  #closed = false;

  /** A client for `url` (`ws://` or `wss://`). Nothing is opened until `connect()`.
   *  Throws `INVALID_OPTION` (with `field`) for a bad option. */
  constructor(url: string, options?: MqttClientOptions) {
    this.url = this.#server = url;
    const seed = Math.floor(Math.random() * 2 ** 53);
    const adopt = adopting;
    // The core learns only that there is a callback; the shell keeps it.
    if (CREDENTIALS && typeof options?.credentials === "function") {
      this.#x.credentials = options.credentials;
      options = { ...options, credentials: true as never };
    }
    if (AUTH && typeof options?.authenticator === "function") {
      const { authenticator, ...rest } = options;
      this.#x.authenticator = authenticator;
      options = rest;
    }
    const opts = options;
    this.#core = call(() =>
      adopt ? (adopt(seed, usesWorker()) as ClientCore)
        : new ClientCore(url, plain(opts, "options", false, AUTH ? ["will.payload", "authentication.data"] : ["will.payload"]), seed, usesWorker()));
    const settings = new Batch(this.#do(SETTINGS));
    this.clientId = settings.str();
    this.#persistence = settings.str();
    this.#watchNetwork = settings.bool();
    this.#mainThread = !settings.bool();
    this.#protocols = [];
    for (let n = settings.u16(); n > 0; n--) this.#protocols.push(settings.str());
    this.#timer = new DeadlineTimer(() => this.#run(this.#do(HANDLE_TIMEOUT)), this.#mainThread);
  }

  /** The server of the current connection or of the last attempt: `url`, or one of `servers`. */
  get server(): string {
    return this.#server;
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state.type === "connected";
  }

  /** Opens the socket, sends CONNECT and resolves with the CONNACK; rejects with why it failed
   *  (`CONNACK_NOT_AUTHORIZED`, `CONNECT_TIMEOUT`, `SOCKET_ERROR`, ...). */
  async connect(): Promise<ConnAck> {
    await this.#restorePersisted();
    const b = new Batch(this.#do(CONNECT));
    const tag = b.u8();
    if (tag === THROW) throw b.error();
    if (tag === RETURN_CONNACK) return connack(b);
    b.f64();
    if (!this.#network && this.#watchNetwork && typeof addEventListener === "function") {
      const online = () => this.#run(this.#do(SET_ONLINE, 1));
      const offline = () => this.#run(this.#do(SET_ONLINE, 0));
      addEventListener("online", online);
      addEventListener("offline", offline);
      this.#network = () => {
        removeEventListener("online", online);
        removeEventListener("offline", offline);
      };
    }
    const done = new Promise<ConnAck>((resolve, reject) => (this.#connectWaiter = { resolve, reject }));
    this.#apply(b);
    return done;
  }

  /** Publishes `payload` (text, bytes, or a value sent as JSON) to `topic`. QoS 0 resolves once
   *  written, QoS 1 on PUBACK, QoS 2 on PUBCOMP. */
  async publish(topic: string, payload?: Payload, options?: PublishOptions): Promise<void> {
    // Handed to the core now, in call order: an async function runs up to its first await.
    // A text payload goes to the core as text, encoded once, straight into the wasm's memory.
    const text = typeof payload === "string" ? payload : undefined;
    const bytes = text === undefined ? payloadBytes(payload) : NONE;
    const args = plain(options, "options", true);
    const key = this.#store ? this.#store.nextKey() : -1;
    const b = this.#start(() => this.#do(PUBLISH, key, topic, bytes, args, text));
    const token = b.f64();
    const done =
      token < 0 ? Promise.resolve() : new Promise<void>((resolve, reject) => this.#publishWaiters.set(token, { resolve, reject }));
    this.#apply(b);
    return done;
  }

  /** `iotmqtt/mqtt5`, MQTT 5: publishes `payload` to `topic` with a response topic and correlation
   *  data, and resolves with the reply that carries them back; rejects with `REQUEST_TIMEOUT` when
   *  none comes within `timeoutMs`. The generic entry refuses it (`INVALID_OPTION`). */
  declare request: (topic: string, payload?: Payload, options?: RequestOptions) => Promise<MqttMessage>;
  /** `iotmqtt/mqtt5`, MQTT 5: re-authenticates on the connection that is up (§4.12.1) with `data`;
   *  the authenticator answers the broker's challenges. Resolves with the broker's last data. */
  declare reauthenticate: (data?: AuthData) => Promise<Uint8Array | null>;
  /** @internal The shared session's host: `publish` for a tab's request `origin`, which a new
   *  leader may have restored from the store already (then its outcome, not a second message). */
  declare publishAs: (origin: string, topic: string, payload?: Payload, options?: PublishOptions) => Promise<void>;

  // Set here, not as methods, so that an entry without them carries neither them nor a refusal:
  // the generic entry refuses them by name, a platform's internal client has none.
  static {
    if (GENERIC) {
      this.prototype.subscribeMany = function (this: MqttClient, requests) {
        return this.#subscribe(() => this.#do(SUBSCRIBE_MANY, 0, "", NONE, plain(requests, "requests", true)));
      };
      this.prototype.onMessage = function (this: MqttClient, filter, listener) {
        const id = this.#start(() => this.#do(ADD_ROUTE, 0, filter)).f64();
        this.#routes.set(id, listener);
        return () => {
          if (this.#routes.delete(id) && !this.#closed) this.#do(REMOVE_ROUTE, id);
        };
      };
    }
    if (DURABLE) {
      this.prototype.publishAs = function (this: MqttClient, origin, topic, payload, options): Promise<void> {
        const publish = () => {
          const restored = this.#x.restored?.get(origin);
          if (restored) {
            this.#x.restored!.delete(origin);
            return restored;
          }
          // Written into the message's record as `publish` hands it to the core.
          this.#x.origin = origin;
          try {
            return this.publish(topic, payload, options);
          } finally {
            this.#x.origin = undefined;
          }
        };
        if (!this.#persistence) return publish();
        // The store's records first (a new leader's), so that a repeated request finds its own;
        // every publish waits for the one load, and so goes in the order the tab asked.
        this.#x.restoring ??= this.#restorePersisted().catch((e) => {
          this.#x.restoring = undefined;
          throw e;
        });
        return this.#x.restoring.then(publish);
      };
    }
    if (REQUEST) {
      this.prototype.request = async function (this: MqttClient, topic, payload, options) {
        const { responseTopic, timeoutMs, ...publish } = options ?? {};
        const b = this.#start(() => this.#do(REQUEST_START, timeoutMs ?? -1, responseTopic ?? ""));
        const [id, to, correlationData, subscribe, wait, qos, responseQos] =
          [b.f64(), b.str(), b.bytes().slice(), b.bool(), b.f64(), b.u8(), b.u8()];
        let timer: ReturnType<typeof setTimeout> | undefined;
        const reply = new Promise<MqttMessage>((resolve, reject) => {
          this.#x.replies.set(id, { resolve, reject });
          timer = setTimeout(() => reject(coded("REQUEST_TIMEOUT", [topic, wait])), wait);
        });
        try {
          if (subscribe) await this.subscribe(to, { qos: responseQos as QoS });
          const properties = { ...publish.properties, responseTopic: to, correlationData };
          await this.publish(topic, payload, { qos: qos as QoS, ...publish, properties });
          return await reply;
        } finally {
          clearTimeout(timer);
          this.#x.replies.delete(id);
          if (!this.#closed) this.#do(REQUEST_END, id);
        }
      };
    } else if (MQTT5) this.prototype.request = refused("request");
    if (AUTH) {
      this.prototype.reauthenticate = function (this: MqttClient, data) {
        const b = this.#start(() => this.#do(REAUTHENTICATE, 0, "", payloadBytes(data ?? "")));
        b.f64();
        const done = new Promise<Uint8Array | null>((resolve, reject) => (this.#x.reauthentication = { resolve, reject }));
        this.#apply(b);
        return done;
      };
    } else if (MQTT5) this.prototype.reauthenticate = refused("reauthenticate");
    // The records of the `iotmqtt/mqtt5` entry; the number of the request the next message answers.
    if (REQUEST || AUTH || CREDENTIALS || SAID || DURABLE) {
      more = (c, tag, b, reply, deliveries) => {
        switch (tag) {
          case WRITE:
            // The message's PUBLISH or PUBREL waits for its packet id and stage to be in the store.
            // A store that fails sends it anyway, and says so: across a handover it is then QoS 1's
            // at least once.
            const [key, token, id, released] = [b.f64(), b.f64(), b.u16(), b.bool()];
            if (DURABLE) {
              const store = c.#store;
              void (store ? writeStage(store, key, id, released) : Promise.resolve())
                .catch((e) => c.#listeners.emit("error", e))
                .then(() => c.#closed || c.#run(c.#do(WRITTEN, token, "", Uint8Array.of(id >> 8, id & 255, released ? 1 : 0))));
            }
            break;
          case ACKNOWLEDGED: {
            const packet = (["puback", "pubrec", "pubcomp", "suback", "unsuback"] as const)[b.u8()];
            const subjects: string[] = [];
            for (let n = b.u32(); n > 0; n--) subjects.push(b.str());
            const ack: Acknowledgement = { packet, subjects, reasonCodes: [...b.bytes()] };
            if (b.bool()) ack.reasonString = b.str();
            const user = userProperties(b);
            if (Object.keys(user).length) ack.userProperties = user;
            deliveries.push(() => c.#listeners.emit("acknowledged", ack));
            break;
          }
          case REPLY:
            return b.f64();
          case AUTH_CHALLENGE: {
            const [round, data] = [b.f64(), b.bool() ? b.bytes().slice() : null];
            const answer = c.#x.authenticator;
            Promise.resolve()
              .then(() => {
                if (!answer) throw new Error("the broker asked for authentication data: give an authenticator");
                return answer(data);
              })
              .then((d) => payloadBytes(d))
              .then(
                (d) => c.#closed || c.#run(c.#do(AUTHENTICATE, round, "", d)),
                (e) => c.#closed || c.#run(c.#do(AUTHENTICATE, round, String((e as Error)?.message ?? e) || "failed")),
              );
            break;
          }
          case REAUTHENTICATED: {
            const data = b.bool() ? b.bytes().slice() : null;
            c.#x.reauthentication?.resolve(data);
            c.#x.reauthentication = null;
            break;
          }
          case ASK_CREDENTIALS: {
            const ask = c.#x.credentials;
            // Whatever the callback does, the core gets an answer: its login, or why there is none.
            Promise.resolve()
              .then(() => ask?.())
              .then((login) => plain(login ?? {}, "credentials"))
              .then(
                (login) => c.#closed || c.#run(c.#do(CREDENTIALS_ANSWER, 1, "", NONE, login)),
                (e) => c.#closed || c.#run(c.#do(CREDENTIALS_ANSWER, 0, String((e as Error)?.message ?? e))),
              );
            break;
          }
        }
        return reply;
      };
    }
  }

  /** Subscribes to one filter; resolves with the QoS the broker granted, rejects with
   *  `SUBSCRIBE_REFUSED` when it refused. `acked` (the shared session's host): called with the
   *  SUBACK's result in its place among the messages, after those that came before it and before
   *  those that came after. */
  async subscribe(filter: string, options?: SubscribeOptions, acked?: (r: SubscriptionResult[]) => void): Promise<QoS> {
    const [result] = await this.#subscribe(() => this.#do(SUBSCRIBE, 0, filter, NONE, plain(options, "options", true)), acked);
    if ("error" in result) throw result.error;
    return result.qos;
  }

  /** Subscribes to several filters in one SUBSCRIBE; one result per filter, in order. */
  declare subscribeMany: (requests: SubscriptionRequest[]) => Promise<SubscriptionResult[]>;

  /** Unsubscribes from one filter or several; rejects with `UNSUBSCRIBE_REFUSED` on a refusal. */
  async unsubscribe(filters: string | string[]): Promise<void> {
    const b = this.#start(() => this.#do(UNSUBSCRIBE, 0, "", NONE, plain(filters, "filters", true)));
    const id = b.f64();
    const done = new Promise<void>((resolve, reject) => this.#unsubscribeWaiters.set(id, { resolve, reject }));
    this.#apply(b);
    return done;
  }

  /**
   * Listens to `"message"` (every message), `"state"` (connection changes) or `"error"`.
   * ```ts
   * const off = client.on("message", (m) => console.log(m.topic, m.text));
   * off();
   * ```
   */
  on<K extends keyof MqttClientEventMap>(event: K, listener: (event: MqttClientEventMap[K]) => void): Unsubscribe {
    return this.#listeners.on(event, listener as (event: never) => void);
  }

  /** Calls `listener` for messages whose topic matches `filter` (`+` and `#` wildcards). Routing
   *  only: subscribe separately. Returns the function that removes it. */
  declare onMessage: (filter: string, listener: (message: MqttMessage) => void) => Unsubscribe;

  /** Sends DISCONNECT and closes the socket; `connect()` may be called again. */
  disconnect(): void {
    if (!this.#closed) this.#run(this.#do(DISCONNECT));
  }

  /** Disconnects and frees every listener, timer and socket. The client cannot be used again. */
  close(): void {
    if (this.#closed) return;
    this.#run(this.#do(CLOSE_CLIENT));
    this.#closed = true;
    this.#timer.cancel();
    this.#network?.();
    this.#network = null;
    this.#store?.close();
    this.#store = null;
    this.#listeners.clear();
    this.#routes.clear();
    if (REQUEST) for (const w of this.#x.replies.values()) w.reject(coded("CLIENT_CLOSED", []));
  }

  /** `using client = new MqttClient(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** What is still alive, for leak checks: all zero and `socket: false` after `close()`. */
  liveResources(): LiveResources {
    const timers = this.#closed ? 0 : Math.max(new Batch(this.#do(ARMED_TIMERS)).f64(), this.#timer.armed ? 1 : 0);
    return { timers, socket: this.#ws !== null, listeners: this.#listeners.size + this.#routes.size };
  }

  async #subscribe(send: () => Uint8Array, acked?: (r: SubscriptionResult[]) => void): Promise<SubscriptionResult[]> {
    const b = this.#start(send);
    const id = b.u16();
    const filters: string[] = [];
    for (let n = b.u16(); n > 0; n--) filters.push(b.str());
    const done = new Promise<SubscriptionResult[]>((resolve, reject) =>
      this.#subscribeWaiters.set(id, { filters, done: resolve, fail: reject, acked }));
    this.#apply(b);
    return done;
  }

  /** One command to the core (`op` in src/batch/client.rs), at the current time. */
  #do(op: number, n = 0, text = "", bytes: Uint8Array = NONE, more: Uint8Array = NONE, payload?: string): Uint8Array {
    return this.#core.run(op, Date.now(), n, text, payload, bytes, more);
  }

  /** Hands a command to the core: its batch, past the return record, or the error it threw. */
  #start(send: () => Uint8Array): Batch {
    const b = new Batch(call(send));
    if (b.u8() === THROW) throw b.error();
    return b;
  }

  /** With persistence on, opens the store once and queues what an earlier page left unsent,
   *  oldest first, ahead of anything published from now on. */
  async #restorePersisted(): Promise<void> {
    if (!GENERIC || !this.#persistence || this.#store || this.#closed) return;
    const store = await (GENERIC ? MessageStore : Unpersisted).open(this.#persistence);
    let records;
    try {
      records = await store.load();
    } catch (e) {
      store.close();
      throw e;
    }
    if (this.#store || this.#closed) return store.close();
    this.#store = store;
    for (const [key, m] of records) {
      // QoS, retain, stage and packet id (`DURABLE`: one an earlier page had in flight), then the
      // stored properties (copied, not spread: they may be large).
      const properties = m.properties instanceof Uint8Array ? m.properties : new Uint8Array(0);
      const flags = new Uint8Array(5 + properties.length);
      flags.set([m.qos, m.retain ? 1 : 0]);
      if (DURABLE && m.id) flags.set([m.released ? 2 : 1, m.id >> 8, m.id & 255], 2);
      flags.set(properties, 5);
      const b = new Batch(this.#do(RESTORE, key, m.topic, m.payload, flags));
      if (b.u8() === RETURN) {
        const token = b.f64();
        // The tab that asked for it may ask again (a leader's greeting): it gets this outcome.
        if (DURABLE && m.origin) {
          const done = new Promise<void>((resolve, reject) => this.#publishWaiters.set(token, { resolve, reject }));
          done.catch(() => {});
          (this.#x.restored ??= new Map()).set(m.origin, done);
        }
        this.#apply(b);
      }
    }
  }

  /** Carries out a batch that has no return value in front. */
  #run(bytes: Uint8Array): void {
    this.#apply(new Batch(bytes));
  }

  /** Carries out the rest of a batch: I/O first, then listeners, then the timer for the deadline. */
  #apply(b: Batch): void {
    const deliveries: (() => void)[] = [];
    let openFailed: string | null = null;
    let reply = 0;
    while (b.more()) {
      const tag = b.u8();
      switch (tag) {
        case OPEN:
          try {
            this.#open(b.bool(), b.str());
          } catch (e) {
            openFailed = (e as Error)?.message ?? String(e);
          }
          break;
        case TRANSMIT: {
          const bytes = b.bytes();
          if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(bytes);
          break;
        }
        case FLUSH: {
          const flush = () => this.#run(this.#do(FLUSH_NOW));
          if (b.bool()) tick(flush);
          else queueMicrotask(flush);
          break;
        }
        case CLOSE:
          this.#dropSocket();
          break;
        case FORGET:
          this.#store?.remove(b.f64());
          break;
        case STORE: {
          const key = b.f64();
          // QoS, retain and MQTT 5 properties in their wire form, as RESTORE takes them back.
          const [topic, payload, flags] = [b.str(), b.bytes().slice(), b.bytes().slice()];
          const m: StoredMessage = { topic, payload, qos: flags[0], retain: flags[1] === 1, properties: flags.subarray(2) };
          if (DURABLE && this.#x.origin) m.origin = this.#x.origin;
          this.#store?.save(key, m);
          break;
        }
        case STATE: {
          const state = connectionState(b, this.#server);
          this.#state = state;
          // A re-authentication ends with the connection it was on.
          if (AUTH && state.type !== "connected" && this.#x.reauthentication) {
            this.#x.reauthentication.reject("error" in state ? state.error : coded("CONNECTION_LOST", []));
            this.#x.reauthentication = null;
          }
          deliveries.push(() => {
            this.#listeners.emit("state", state);
            if (state.type === "disconnected") this.#listeners.emit("error", state.error);
          });
          break;
        }
        case CONNECTED: {
          const ack = connack(b);
          this.#connectWaiter?.resolve(ack);
          this.#connectWaiter = null;
          break;
        }
        case CONNECT_FAILED: {
          const e = b.error();
          this.#connectWaiter?.reject(e);
          this.#connectWaiter = null;
          break;
        }
        case MESSAGE: {
          // The payload is the message's own copy, not a view of the batch.
          const m = new Message(b.str(), b.bytes().slice(), b.u8() as QoS, b.bool(), b.bool());
          if (MQTT5) m.properties = messageProperties(b);
          if (REQUEST && reply) {
            this.#x.replies.get(reply)?.resolve(m);
            reply = 0;
          }
          const routes: ((m: MqttMessage) => void)[] = [];
          for (let n = b.u16(); n > 0; n--) {
            const r = this.#routes.get(b.u32());
            if (r) routes.push(r);
          }
          deliveries.push(() => {
            for (const r of routes) guarded(r, m);
            this.#listeners.emit("message", m);
          });
          break;
        }
        case PUBLISH_COMPLETED: {
          const token = b.f64();
          const error = b.bool() ? b.error() : null;
          const w = this.#publishWaiters.get(token);
          this.#publishWaiters.delete(token);
          if (error) w?.reject(error);
          else w?.resolve();
          break;
        }
        case SUBSCRIBED: {
          const id = b.u16();
          const w = this.#subscribeWaiters.get(id);
          this.#subscribeWaiters.delete(id);
          const results: SubscriptionResult[] = [];
          for (let i = 0, n = b.u16(); i < n; i++) {
            const filter = w?.filters[i] ?? "";
            results.push(b.bool() ? { filter, error: b.error() } : { filter, qos: b.u8() as QoS });
          }
          w?.done(results);
          if (w?.acked) deliveries.push(() => w.acked!(results));
          break;
        }
        case UNSUBSCRIBED: {
          const id = b.u16();
          let error: IotMqttError | null = null;
          for (let n = b.u16(); n > 0; n--) {
            const e = b.bool() ? b.error() : null;
            error ??= e;
          }
          const w = this.#unsubscribeWaiters.get(id);
          this.#unsubscribeWaiters.delete(id);
          if (error) w?.reject(error);
          else w?.resolve();
          break;
        }
        case ENDED: {
          const e = b.error();
          this.#connectWaiter?.reject(e);
          this.#connectWaiter = null;
          for (const w of this.#publishWaiters.values()) w.reject(e);
          this.#publishWaiters.clear();
          const lost = coded("CONNECTION_LOST", []);
          for (const w of this.#subscribeWaiters.values()) w.fail(lost);
          for (const w of this.#unsubscribeWaiters.values()) w.reject(lost);
          this.#subscribeWaiters.clear();
          this.#unsubscribeWaiters.clear();
          break;
        }
        default:
          if (REQUEST || AUTH || CREDENTIALS || SAID || DURABLE) reply = more!(this, tag, b, reply, deliveries);
      }
    }
    if (!this.#closed) this.#timer.sync(Date.now(), b.deadline);
    for (const d of deliveries) d();
    // A socket the browser refused to make: the core hears of it once this batch is done.
    if (openFailed !== null) this.#run(this.#do(OPEN_FAILED, 0, openFailed));
  }

  #open(mqttOnly: boolean, url: string): void {
    this.#server = url;
    const ws = new WebSocket(url, mqttOnly ? ["mqtt"] : this.#protocols);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.#run(this.#do(SOCKET_OPENED));
    ws.onmessage = (e: MessageEvent) => {
      // MQTT over WebSocket is binary only (MQTT 5.0 §6): a text frame ends the connection.
      this.#run(e.data instanceof ArrayBuffer ? this.#do(SOCKET_BYTES, 0, "", new Uint8Array(e.data)) : this.#do(SOCKET_TEXT));
    };
    ws.onerror = () => this.#do(SOCKET_ERROR);
    ws.onclose = (e: CloseEvent) => this.#run(this.#do(SOCKET_CLOSED, e.code, e.reason));
    this.#ws = ws;
  }

  #dropSocket(): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = null;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try {
      ws.close(1000);
    } catch {
      // Already closing.
    }
  }
}

// The package is minified without keeping names (1 KB less); the public class keeps its own.
Object.defineProperty(MqttClient, "name", { value: "MqttClient" });
