// The `iotmqtt/shared` entry: `MqttClient` with the generic client's API, over one MQTT session
// shared by every tab of the origin that asks for the same URL, client id and credentials. The
// session lives in a SharedWorker (`worker.ts`, its own wasm); where there is none, in the tab
// elected leader (`leader.ts`), reached over a BroadcastChannel. This side keeps only the page's
// promises and listeners, and loads no wasm unless its tab leads.
//
// ```js
// import { MqttClient } from "iotmqtt/web/shared.js";
// const client = new MqttClient(url, { clientId: "dashboard", shared: true });
// ```
import { iotError } from "../errors.js";
import { guarded, Listeners } from "../listeners.js";
import { Message } from "../message.js";
import { payloadBytes, plain } from "../plain.js";
import type {
  AuthData, ConnAck, ConnectionState, LiveResources, MqttClientOptions, MqttMessage, Payload, PublishOptions, QoS, RequestOptions,
  SubscribeOptions, SubscriptionRequest, SubscriptionResult, Unsubscribe,
} from "../types.js";
import { takeShared } from "./option.js";
import { fromWire, stateFromWire, type Envelope, type Reply, type Request, type WireMessage } from "./wire.js";

export type { IotMqttError } from "../errors.js";
export type * from "../types.js";

/** `MqttClient` options of the shared entry: the generic client's, and which shared session. */
export interface SharedClientOptions extends MqttClientOptions {
  /** `true` (the default): the origin's shared sessions; a name: a SharedWorker of that name, so
   *  that its sessions are apart from the others. */
  shared?: true | string;
}

/** What `on()` hears in the shared entry: the generic client's events, and `tabs`. */
export interface SharedClientEventMap {
  message: MqttMessage;
  state: ConnectionState;
  error: import("../errors.js").IotMqttError;
  /** How many clients (tabs) share the session now. */
  tabs: number;
}

type Waiter = { resolve: (v: never) => void; reject: (e: unknown) => void };

/** The names this page stands for leader of (leader mode, once per name), and how that went. */
const standing = new Map<string, Promise<void>>();

/** Nothing to load in a page: the SharedWorker loads its own wasm. */
export default async function init(): Promise<void> {}

/** A client whose connection is the session shared by the origin's tabs (`SharedWorker`). */
export class MqttClient {
  readonly url: string;
  clientId = "";
  /** This client's number in its session's host (from 1), once joined; a new leader's host numbers
   *  it anew. A platform class numbers its requests in it. */
  tab = 0;
  /** Which host that number is from: 1, and one more at each leader's greeting. */
  host = 1;
  /** Leader mode, from a new leader's greeting until this client's requests are repeated to it: a
   *  new request waits to go with them, so that none reaches the new host twice. */
  #holding = false;
  #out: (r: Request) => void;
  #closeLink: () => void;
  #ready: Promise<void>;
  #join: Request;
  /** Leader mode: what a new leader must hear again. Requests still unanswered, by id; the filters
   *  this client subscribed to; its routes; whether it asked to be connected. */
  #pending = new Map<number, Request>();
  /** Leader mode: a SharedWorker lives as long as any page, so only a leader's clients replay. */
  #replays = false;
  #subscribed = new Map<string, Uint8Array>();
  #routeFilters = new Map<number, string>();
  #wantConnected = false;
  /** Whether this client is in the session: it joins when made, leaves on `disconnect()` and
   *  joins again on `connect()`. */
  #joined = true;
  #release: () => void = () => {};
  #state: ConnectionState = { type: "idle" };
  /** Leader mode: joining a new leader's host, whose state is news to this client's listeners. */
  #rejoin = false;
  #tabs = 0;
  #calls = new Map<number, Waiter>();
  #next = 1;
  #listeners = new Listeners(["message", "state", "error", "tabs"]);
  #routes = new Map<number, (m: MqttMessage) => void>();
  #refused: unknown = null;
  #closed = false;
  #retained: boolean;
  /** The page's credentials callback: it stays here, and the host asks it before each connect. */
  #credentials?: MqttClientOptions["credentials"];
  /** The page's MQTT 5 authenticator: it stays here, and the host asks it each challenge's answer. */
  #authenticator?: MqttClientOptions["authenticator"];
  /** The session has MQTT 5 enhanced authentication: its host is `shared-worker-auth.js`. */
  #auth: boolean;

  /** A client for `url`, in the session of every tab that names the same URL, client id and
   *  credentials. Options are checked by the session: a bad one, or one that differs from the
   *  session's (`SHARED_OPTIONS_DIFFER`), rejects `connect()` and every later call; a `credentials`
   *  that is not a function, or a bad `shared`, throws here. `retained`
   *  false: a platform class's client, whose topics keep no retained messages, so that its
   *  subscribes ask for none (Retain Handling 2) and a filter another tab holds takes no SUBSCRIBE. */
  constructor(url: string, options?: SharedClientOptions, retained = true) {
    this.url = url;
    this.#retained = retained;
    const { rest, shared } = takeShared<MqttClientOptions | undefined>(options);
    // A function cannot cross to the host: the session learns that this tab has one.
    let sent = rest;
    if (rest?.credentials != null && typeof rest.credentials !== "function") {
      throw iotError("INVALID_OPTION", "invalid option credentials: a function that returns {username, password}", "credentials");
    }
    if (typeof rest?.credentials === "function") {
      this.#credentials = rest.credentials;
      sent = { ...rest, credentials: true as never };
    }
    if (typeof sent?.authenticator === "function") {
      const { authenticator, ...others } = sent;
      this.#authenticator = authenticator;
      sent = others;
    }
    const bytes = plain(sent, "options", false, ["will.payload", "authentication.data"]);
    // A session with MQTT 5 enhanced authentication has a host of its own, whose core has it.
    // Tabs that differ in it so are in two hosts, and no host can tell them apart: every tab of a
    // session must give the same `authentication` (docs/shared.md).
    const auth = (this.#auth = this.#authenticator !== undefined || sent?.authentication != null);
    const name = `${typeof shared === "string" ? shared : "iotmqtt"}${auth ? "-auth" : ""}`;
    const host = new URL(auth ? "./shared-worker-auth.js" : "./shared-worker.js", import.meta.url);
    const self = crypto.randomUUID();
    // A host that cannot start (its script or wasm missing) fails every call instead of leaving it
    // waiting.
    const failed = (e: unknown) =>
      this.#receive({ op: "refused", error: { code: "SHARED_HOST_FAILED", message: `the shared session's host did not start: ${(e as Error)?.message ?? "its script failed to load"}` } });
    if (typeof SharedWorker === "function") {
      const worker = new SharedWorker(host, { type: "module", name });
      worker.onerror = failed;
      const port = worker.port;
      port.onmessage = (m: MessageEvent<Reply>) => this.#receive(m.data);
      this.#out = (r) => port.postMessage(r);
      this.#closeLink = () => port.close();
    } else {
      this.#replays = true;
      const channel = new BroadcastChannel(`iotmqtt-shared-${name}`);
      channel.onmessage = (m: MessageEvent<Envelope>) => {
        const e = m.data;
        if ("hello" in e) this.#greeted();
        else if ("to" in e && e.to === self) this.#receive(e.reply);
      };
      this.#out = (r) => channel.postMessage({ from: self, request: r } satisfies Envelope);
      this.#closeLink = () => channel.close();
      const leading = standing.get(name) ?? import(host.href).then((m: { lead: (name: string) => void }) => m.lead(name));
      standing.set(name, leading);
      leading.catch(failed);
    }
    // The page holds this lock while it lives; the host learns from it when the page is gone.
    const lock = `iotmqtt-tab-${self}`;
    this.#join = {
      op: "join", url, options: bytes, lock, credentials: this.#credentials !== undefined, authenticator: this.#authenticator !== undefined,
    };
    this.#ready = new Promise<void>((granted) => {
      void navigator.locks.request(lock, () => {
        granted();
        return new Promise<void>((release) => (this.#release = release));
      });
    }).then(() => this.#send(this.#join));
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The server of the session's connection, or of its last attempt. */
  get server(): string {
    const s = this.#state;
    return "server" in s ? s.server : this.url;
  }

  /** MQTT 5: publishes `payload` to `topic` with a response topic and correlation data on the shared
   *  connection, and resolves in this tab with the reply that carries them back, as `iotmqtt/mqtt5`'s
   *  `request()`; rejects with `REQUEST_TIMEOUT` when none comes within `timeoutMs`. */
  request(topic: string, payload?: Payload, options?: RequestOptions): Promise<MqttMessage> {
    return this.#call<WireMessage>((id) => ({ op: "request", id, topic, payload, options })).then(
      ({ topic, payload, qos, retain, dup, properties }) => new Message(topic, payload, qos, retain, dup, properties));
  }

  /** MQTT 5: re-authenticates the session's connection (§4.12.1) with `data`; the broker's challenges
   *  go to the authenticator of the session's first tab that has one. Resolves with the broker's last
   *  data. */
  reauthenticate(data?: AuthData): Promise<Uint8Array | null> {
    if (!this.#auth) {
      return Promise.reject(iotError("INVALID_OPTION", "invalid option authentication: reauthenticate() needs the session's authentication method", "authentication"));
    }
    let bytes: Uint8Array;
    try {
      bytes = payloadBytes(data ?? "");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#call<Uint8Array | null>((id) => ({ op: "reauthenticate", id, data: bytes }));
  }

  get connected(): boolean {
    return this.#state.type === "connected";
  }

  /** How many clients (tabs) share the session now. */
  get tabs(): number {
    return this.#tabs;
  }

  /** Connects the shared session, or joins the connection it has: resolves with its CONNACK. */
  connect(): Promise<ConnAck> {
    if (!this.#joined && !this.#closed) {
      this.#joined = true;
      this.#post(this.#join);
      for (const [route, filter] of this.#routeFilters) this.#post({ op: "route", route, filter });
    }
    this.#wantConnected = true;
    return this.#call((id) => ({ op: "connect", id }));
  }

  /** Publishes on the shared connection; resolves in this tab as the generic client's does. */
  publish(topic: string, payload?: Payload, options?: PublishOptions): Promise<void> {
    return this.#call((id) => ({ op: "publish", id, topic, payload, options }));
  }

  /** Subscribes this tab to `filter`; the broker sees a SUBSCRIBE for the session's first interest
   *  in it, a higher QoS, or a tab owed the filter's retained messages, which then come to it alone
   *  (not with Retain Handling 1 or 2, nor Retain As Published). On an MQTT 5 session the options
   *  are `iotmqtt/mqtt5`'s: No Local, Retain As Published and Retain Handling are the filter's (the
   *  tabs that want it ask for the same ones, or get `SHARED_OPTIONS_DIFFER` naming the option; No
   *  Local is the shared connection's, so no tab gets another tab's publishes), and a Subscription
   *  Identifier is this tab's own, carried by the messages its subscriptions match. On MQTT 3.1.1,
   *  Retain Handling alone: the filter's, it decides whether a later tab's subscribe takes a
   *  SUBSCRIBE (the broker's SUBSCRIBE carries no options). */
  subscribe(filter: string, options?: SubscribeOptions): Promise<QoS> {
    let bytes: Uint8Array;
    try {
      bytes = plain(this.#retained ? options : { ...options, retainHandling: 2 }, "options", true);
    } catch (e) {
      return Promise.reject(e);
    }
    const f = String(filter);
    // Noted now, so that an unsubscribe before the SUBACK (which still answers this) is the last word.
    this.#subscribed.set(f, bytes);
    return this.#call<QoS>((id) => ({ op: "subscribe", id, filter: f, options: bytes })).catch((e) => {
      if (this.#subscribed.get(f) === bytes) this.#subscribed.delete(f);
      throw e;
    });
  }

  /** Each filter subscribed as `subscribe` does; one result per filter, in order. */
  subscribeMany(requests: SubscriptionRequest[]): Promise<SubscriptionResult[]> {
    return Promise.all([...requests].map(({ filter, ...options }) =>
      this.subscribe(filter, options).then((q): SubscriptionResult => ({ filter, qos: q }),
        (error): SubscriptionResult => ({ filter, error }))));
  }

  /** Removes this tab's interest; the broker sees an UNSUBSCRIBE only for the last one. */
  unsubscribe(filters: string | string[]): Promise<void> {
    const list = typeof filters === "string" ? [filters] : [...filters].map(String);
    for (const f of list) this.#subscribed.delete(f);
    return this.#call((id) => ({ op: "unsubscribe", id, filters: list }));
  }

  on<K extends keyof SharedClientEventMap>(event: K, listener: (event: SharedClientEventMap[K]) => void): Unsubscribe {
    return this.#listeners.on(event, listener as (event: never) => void);
  }

  /** Calls `listener` for this tab's messages whose topic matches `filter`. */
  onMessage(filter: string, listener: (message: MqttMessage) => void): Unsubscribe {
    const route = this.#next++;
    this.#routes.set(route, listener);
    this.#routeFilters.set(route, String(filter));
    this.#post({ op: "route", route, filter: String(filter) });
    return () => {
      this.#routeFilters.delete(route);
      if (this.#routes.delete(route) && !this.#closed) this.#post({ op: "unroute", route });
    };
  }

  /** For the platform classes (`CloudPlugsDevice`): resolves when it is this client's turn on
   *  `topic` in the session, for a platform whose replies carry no request id (a CloudPlugs property
   *  topic): one client's request on it at a time, in the order they asked. `release` gives the
   *  turn back. A turn does not outlive the connection it was given on. */
  lease(topic: string): Promise<void> {
    return this.#call((id) => ({ op: "lease", id, topic }));
  }

  /** For the platform classes: which client holds the turn on `topic` now (its number in the
   *  host, as `tab`; 0 for none). */
  holder(topic: string): Promise<number> {
    return this.#call<number>((id) => ({ op: "holder", id, topic }));
  }

  /** For the platform classes: gives back this client's turn on `topic`, or (when it does not hold
   *  it) its first place in the queue for it. */
  release(topic: string): void {
    if (!this.#closed && this.#joined) this.#post({ op: "release", topic });
  }

  /** Leaves the session, as the generic client's `disconnect()` ends its connection: this
   *  client's subscriptions go, what it waits for rejects with `DISCONNECTED`, and its state is
   *  `disconnected`. The connection stays for the other tabs and closes with the last; `connect()`
   *  joins again. */
  disconnect(): void {
    if (this.#closed || !this.#joined) return;
    this.#joined = false;
    this.#wantConnected = false;
    this.#subscribed.clear();
    this.#post({ op: "close" });
    const error = iotError("DISCONNECTED", "disconnected by the application");
    this.#rejectAll(error);
    this.#setState({ type: "disconnected", error });
  }

  /** Leaves the session and frees every listener; the client cannot be used again. */
  close(): void {
    this.#leave();
    this.#listeners.clear();
    this.#routes.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** What this tab still holds: no timer or socket of its own (the worker has them). */
  liveResources(): LiveResources {
    return { timers: 0, socket: false, listeners: this.#listeners.size + this.#routes.size };
  }

  #leave(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#post({ op: "close" });
    void this.#ready.then(() => {
      this.#closeLink();
      this.#release();
    });
    this.#rejectAll(iotError("CLIENT_CLOSED", "the client was closed"));
    this.#setState({ type: "closed" });
  }

  #rejectAll(e: unknown): void {
    for (const w of this.#calls.values()) w.reject(e);
    this.#calls.clear();
    this.#pending.clear();
  }

  #send(r: Request): void {
    this.#out(r);
  }

  /** Leader mode: a new leader greets every client. Join it, connect if this client was, then
   *  make this client's subscriptions and routes again and repeat what is unanswered (a publish the
   *  old leader had sent may reach the broker twice: QoS 1's at-least-once; with `persistence` the
   *  next leader answers a publish it restored with that message's outcome, src/session/durable.rs). */
  #greeted(): void {
    if (this.#closed || !this.#joined) return;
    // The old leader's connection went with its page: this client sees the session connect again,
    // and what it holds of that connection (a platform's turn on a topic) goes.
    if (this.#state.type !== "idle") this.#rejoin = true;
    this.host++;
    this.#holding = true;
    if (this.#state.type === "connected") this.#setState({ type: "connecting", server: this.server });
    const host = this.host;
    void this.#ready.then(() => {
      this.#send(this.#join);
      let sent = [...this.#pending.values()].find((r) => r.op === "connect");
      const connected = sent ? (this.#send(sent), Promise.resolve())
        : this.#wantConnected ? this.#call<ConnAck>((id) => (sent = { op: "connect", id }), true).then(() => {}, () => {}) : Promise.resolve();
      void connected.then(() => {
        // A later greeting repeats it all to its own host.
        if (host !== this.host) return;
        for (const [filter, options] of this.#subscribed) this.#call((id) => ({ op: "subscribe", id, filter, options }), true).catch(() => {});
        for (const [route, filter] of this.#routeFilters) this.#send({ op: "route", route, filter });
        for (const [id, r] of this.#pending) if (r !== sent) this.#sendOrReject(id, r);
        this.#holding = false;
      });
    });
  }

  #post(r: Request): void {
    void this.#ready.then(() => this.#send(r));
  }

  /** `now`: part of a greeting's replay, which goes at once. */
  #call<T>(request: (id: number) => Request, now = false): Promise<T> {
    if (this.#closed) return Promise.reject(iotError("CLIENT_CLOSED", "the client was closed"));
    if (this.#refused) return Promise.reject(this.#refused);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: never) => void, reject });
      void this.#ready.then(() => {
        const r = request(id);
        if (this.#replays) this.#pending.set(id, r);
        if (now || !this.#holding) this.#sendOrReject(id, r);
      });
    });
  }

  #sendOrReject(id: number, r: Request): void {
    try {
      this.#send(r);
    } catch (e) {
      // What structured clone cannot copy (a function, a Proxy, a getter that throws).
      this.#pending.delete(id);
      this.#calls.get(id)?.reject(iotError("INVALID_OPTION", `invalid option options: ${(e as Error)?.message ?? e}`, "options"));
      this.#calls.delete(id);
    }
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#listeners.emit("state", state);
    if (state.type === "disconnected") this.#listeners.emit("error", state.error);
  }

  #receive(r: Reply): void {
    switch (r.op) {
      case "joined": {
        this.clientId = r.clientId;
        this.tab = r.tab;
        this.#tabs = r.tabs;
        const state = stateFromWire(r.state);
        // Joining a new leader's host: its state is news (its "connecting" may have gone to the
        // clients that joined before this one); an idle host is about to connect for this client.
        if (!this.#rejoin) this.#state = state;
        else if (state.type !== "idle" && state.type !== this.#state.type) this.#setState(state);
        this.#rejoin = false;
        return;
      }
      case "refused":
        this.#refused = fromWire(r.error);
        return this.#rejectAll(this.#refused);
      case "done":
      case "failed": {
        const w = this.#calls.get(r.id);
        this.#calls.delete(r.id);
        this.#pending.delete(r.id);
        if (r.op === "done") w?.resolve(r.value as never);
        else w?.reject(fromWire(r.error));
        return;
      }
      case "state": {
        const state = stateFromWire(r.state);
        // Once is enough: a client that saw its leader go is connecting already.
        if (state.type === "connecting" && this.#state.type === "connecting") this.#state = state;
        else this.#setState(state);
        return;
      }
      case "tabs":
        this.#tabs = r.tabs;
        return this.#listeners.emit("tabs", r.tabs);
      case "error":
        return this.#listeners.emit("error", fromWire(r.error));
      case "ask": {
        // Whatever the callback does, the host gets an answer: a login or data, or why there is none.
        const ask = r.ask, challenge = r.challenge;
        // A client closed or gone from the session says nothing: the host asks the next tab.
        const gone = () => this.#closed || !this.#joined;
        const answer = (a: { login?: { username?: unknown; password?: unknown }; data?: Uint8Array; error?: string }) => {
          if (gone()) return;
          try {
            this.#out({ op: "answer", ask, ...a });
          } catch (e) {
            // A login that cannot be cloned (a function for a user name, say).
            try {
              this.#out({ op: "answer", ask, error: String((e as Error)?.message ?? e) });
            } catch {
              // The link closed meanwhile.
            }
          }
        };
        if (gone()) return;
        const failed = (e: unknown) => answer({ error: String((e as Error)?.message ?? e) || "failed" });
        if (challenge !== undefined) {
          const authenticator = this.#authenticator;
          Promise.resolve()
            .then(() => authenticator ? authenticator(challenge) : Promise.reject(new Error("this tab has no authenticator")))
            .then(payloadBytes)
            .then((data) => answer({ data }), failed);
          return;
        }
        const credentials = this.#credentials;
        Promise.resolve()
          .then(() => credentials ? credentials() : Promise.reject(new Error("this tab has no credentials callback")))
          // Anything but an object goes as it came, for the host's client to refuse as the client of
          // a page's own does (`CREDENTIALS_FAILED`).
          .then((login) => answer({ login: login && typeof login === "object" ? { username: login.username, password: login.password } : login }), failed);
        return;
      }
      case "message": {
        const { topic, payload, qos, retain, dup, properties } = r.message;
        const m = new Message(topic, payload, qos, retain, dup, properties);
        for (const route of r.routes) {
          const listener = this.#routes.get(route);
          if (listener) guarded(listener, m);
        }
        return this.#listeners.emit("message", m);
      }
    }
  }
}
