// `ThingsStackApp` and `DownlinkTracker`: an application's MQTT integration over the shell's
// `MqttClient`. The Things Stack core (`ThingsStackCore`, src/batch/things_stack.rs) checks the
// login and the downlinks, builds filters and topics, reads every event, picks each uplink's decoder,
// tracks downlinks and ends the waits on them; this file carries its batches out and runs a user's
// JavaScript formatter when the core asks. No rule of The Things Stack is here.
import { ThingsStackCore } from "#things-stack";
import { Batch, call } from "../batch.js";
import { MqttClient } from "../client.js";
import { DeadlineTimer, usesWorker } from "../clock.js";
import { coded } from "../errors.js";
import { Listeners } from "../listeners.js";
import { plain } from "../plain.js";
import type { ConnectionState, LiveResources, Unsubscribe } from "../types.js";
import "./errors.js";
import type {
  DecoderTarget, DownlinkRequest, DownlinkStatus, ThingsStackAppEventMap, ThingsStackOptions,
  ThingsStackSubscription, UplinkDecoder,
} from "./types.js";

// Commands and record tags: src/batch/things_stack.rs.
const CONNECT = 0, LOGIN_FAILED = 1, FILTER = 2, PUSH = 3, REPLACE = 4, CLEAR = 5, DECODER = 6, SET_DECODER = 7,
  MESSAGE = 8, FORMATTED = 9, SUBSCRIBED = 10, PUBLISHED = 11, PUBLISH_FAILED = 12, WAIT = 13, CLOSE = 14,
  HANDLE_TIMEOUT = 15, TRACKED = 16, FORGET = 17;
const SUBSCRIBE = 1, PUBLISH = 2, SENT = 3, EVENT = 4, EVENT_ERROR = 5, FORMAT = 6, WAITED = 7, THROW = 20;
const NONE = new Uint8Array(0);
const utf8 = new TextDecoder();
// A tracker the page no longer holds: the core forgets its downlink.
const trackers = new FinalizationRegistry<() => void>((forget) => forget());

type Formatter = (input: unknown) => unknown;
type Waiter<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };
type Link = { wait(kind: number, timeoutMs: number | undefined, history: DownlinkStatus[]): Promise<DownlinkStatus | null> };

const message = (e: unknown) => (e instanceof Error ? e.message : typeof e === "string" ? e : "an exception that is not an Error");

/** Loads a user's formatter from the body the core wrapped it in (`formatter_body`, src/platforms/
 *  things_stack/decoder.rs). Needs a page whose Content-Security-Policy allows `unsafe-eval`, as any
 *  formatter runner does. */
function compile(body: string): Formatter {
  let load: () => unknown;
  try {
    load = new Function(body) as () => unknown;
  } catch (e) {
    throw coded("TTS_FORMATTER_ERROR", [`the formatter does not compile: ${message(e)}`]);
  }
  let decode: unknown;
  try {
    decode = load();
  } catch (e) {
    throw coded("TTS_FORMATTER_ERROR", [`the formatter threw while loading: ${message(e)}`]);
  }
  if (typeof decode !== "function") throw coded("TTS_FORMATTER_ERROR", ["the formatter defines no decodeUplink(input) function"]);
  return decode as Formatter;
}

/** One pushed downlink's progress: `queued`, `sent`, then `acked`/`nacked` when confirmed, or `failed`/`invalidated`. */
export class DownlinkTracker {
  /** The id the client added to the downlink; it appears in every event about it. */
  readonly correlationId: string;
  readonly deviceId: string;
  readonly confirmed: boolean;
  #link: Link;
  #history: DownlinkStatus[] = [];

  private constructor(correlationId: string, deviceId: string, confirmed: boolean, link: Link) {
    this.correlationId = correlationId;
    this.deviceId = deviceId;
    this.confirmed = confirmed;
    this.#link = link;
  }

  /** Every status seen so far, in order. */
  get history(): DownlinkStatus[] {
    return [...this.#history];
  }

  /** The next status within `timeoutMs` (default 30 s); `null` once nothing more can come.
   *  Rejects with `TTS_DOWNLINK_TIMEOUT`. */
  async next(timeoutMs?: number): Promise<DownlinkStatus | null> {
    return this.#link.wait(0, timeoutMs, this.#history);
  }

  /** Waits up to `timeoutMs` (default 30 s) for the final status: `acked` (confirmed), `sent`
   *  (unconfirmed), `failed` or `invalidated`. */
  async outcome(timeoutMs?: number): Promise<DownlinkStatus> {
    return (await this.#link.wait(1, timeoutMs, this.#history)) as DownlinkStatus;
  }
}

const Tracker = DownlinkTracker as unknown as new (id: string, device: string, confirmed: boolean, link: Link) => DownlinkTracker;

/**
 * One application's MQTT integration with The Things Stack.
 * ```ts
 * const app = await ThingsStackApp.connect(url, { application: "my-app@ttn", apiKey: "NNSXS...." });
 * app.on("event", (e) => console.log(e.deviceId, e.kind, e.decoded));
 * await app.subscribe();
 * const [tracker] = await app.push("dev-1", [{ fPort: 1, hex: "BEEF", confirmed: true }]);
 * console.log(await tracker.outcome());
 * ```
 */
export class ThingsStackApp {
  /** The application's uid, `app` or `app@tenant`. */
  readonly application: string;
  #core: ThingsStackCore;
  #client: MqttClient;
  #listeners = new Listeners(["event", "error", "state"]);
  #timer = new DeadlineTimer(() => this.#run(HANDLE_TIMEOUT), !usesWorker());
  #closed = false;
  #sends = new Map<number, Waiter<void>>();
  #waits = new Map<number, Waiter<DownlinkStatus | null> & { history: DownlinkStatus[] }>();
  #formatters: Formatter[] = [];
  /** The error of a failure the shell saw: the push the core ends in that command's batch gets it. */
  #failure: unknown = null;
  /** The message being read, for its event's `up`. */
  #payload: Uint8Array = NONE;

  private constructor(core: ThingsStackCore, client: MqttClient, application: string) {
    this.#core = core;
    this.#client = client;
    this.application = application;
    client.on("state", (state) => {
      this.#listeners.emit("state", state);
      if (state.type === "disconnected") this.#listeners.emit("error", state.error);
    });
    client.on("message", (m) => {
      this.#payload = m.payload;
      try {
        this.#run(MESSAGE, 0, m.topic, m.payload);
      } finally {
        this.#payload = NONE;
      }
    });
  }

  /** Logs in as the application with an API key. Rejects with `TTS_NOT_AUTHORIZED`,
   *  `TTS_MISSING_API_KEY`, `TTS_INVALID_ID`, `CONNACK_*` or `INVALID_OPTION`. */
  static async connect(url: string, options: ThingsStackOptions): Promise<ThingsStackApp> {
    const core = new ThingsStackCore();
    const b = start(core, CONNECT, 0, "", plain(options, "options"));
    const client = new MqttClient(url, JSON.parse(b.str()));
    const app = new ThingsStackApp(core, client, b.str());
    try {
      await client.connect();
    } catch (e) {
      app.close();
      start(core, LOGIN_FAILED, 0, (e as { code?: string })?.code ?? "");
      throw e;
    }
    return app;
  }

  /** Listens to `"event"`, `"error"` or `"state"`. */
  on<K extends keyof ThingsStackAppEventMap>(event: K, listener: (event: ThingsStackAppEventMap[K]) => void): Unsubscribe {
    return this.#listeners.on(event, listener as (event: never) => void);
  }

  /** Subscribes to the application's events: all of them (`{}`), one device's, one kind, or both. */
  async subscribe(subscription?: ThingsStackSubscription): Promise<void> {
    const filter = this.#start(FILTER, 0, "", plain(subscription, "subscription", true)).str();
    await this.#client.subscribe(filter, { qos: 0 });
  }

  /** Appends downlinks to the device's queue; resolves with one tracker each once the server has them. */
  push(deviceId: string, downlinks: DownlinkRequest[]): Promise<DownlinkTracker[]> {
    return this.#send(PUSH, deviceId, downlinks);
  }

  /** Replaces the device's queue with these downlinks. */
  replace(deviceId: string, downlinks: DownlinkRequest[]): Promise<DownlinkTracker[]> {
    return this.#send(REPLACE, deviceId, downlinks);
  }

  /** Empties the device's downlink queue. */
  async clear(deviceId: string): Promise<void> {
    await this.#send(CLEAR, deviceId, undefined);
  }

  /** Decodes uplinks on this client: `"cayenne-lpp"` or a formatter's source, for one device, one
   *  FPort, or (`{}`) every other uplink. */
  setUplinkDecoder(target: DecoderTarget, decoder: UplinkDecoder): void {
    const b = this.#start(DECODER, 0, "", plain(decoder, "decoder"));
    let n = -1;
    if (b.u8() === 1) {
      n = this.#formatters.length;
      this.#formatters.push(compile(b.str()));
    }
    try {
      this.#start(SET_DECODER, n, "", plain(target, "target", true));
    } catch (e) {
      if (n >= 0) this.#formatters.pop();
      throw e;
    }
  }

  /** Downlinks still waiting for news. */
  get trackedDownlinks(): number {
    return this.#closed ? 0 : this.#start(TRACKED).f64();
  }

  get state(): ConnectionState {
    return this.#client.state;
  }

  /** Disconnects and frees every listener and timer; waits on downlinks end. */
  close(): void {
    if (this.#closed) return;
    this.#client.close();
    this.#run(CLOSE);
    this.#closed = true;
    this.#timer.cancel();
    this.#listeners.clear();
    this.#formatters = [];
  }

  /** `using app = await ThingsStackApp.connect(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** What is still alive, for leak checks: all zero and `socket: false` after `close()`. */
  liveResources(): LiveResources {
    const { timers, socket } = this.#client.liveResources();
    return { timers: timers + (this.#timer.armed ? 1 : 0), socket, listeners: this.#listeners.size };
  }

  async #send(op: number, deviceId: string, downlinks: DownlinkRequest[] | undefined): Promise<DownlinkTracker[]> {
    const bytes = op === CLEAR ? NONE : plain(downlinks, "downlinks", true, ["[].decodedPayload"]);
    const b = this.#start(op, Math.floor(Math.random() * 2 ** 53), deviceId, bytes);
    const id = b.f64();
    const list: DownlinkTracker[] = [];
    for (let n = b.u16(); n > 0; n--) {
      const correlationId = b.str();
      const confirmed = b.bool();
      const tracker = new Tracker(correlationId, deviceId, confirmed, { wait: (k, t, h) => this.#wait(k, t, h, correlationId) });
      trackers.register(tracker, () => this.#closed || this.#run(FORGET, 0, correlationId));
      list.push(tracker);
    }
    const sent = new Promise<void>((resolve, reject) => this.#sends.set(id, { resolve, reject }));
    this.#apply(b);
    await sent;
    return list;
  }

  #wait(kind: number, timeoutMs: number | undefined, history: DownlinkStatus[], correlationId: string): Promise<DownlinkStatus | null> {
    const b = this.#start(WAIT, timeoutMs ?? -1, correlationId, Uint8Array.of(kind));
    const id = b.f64();
    const done = new Promise<DownlinkStatus | null>((resolve, reject) => this.#waits.set(id, { resolve, reject, history }));
    this.#apply(b);
    return done;
  }

  #do(op: number, n = 0, text = "", bytes: Uint8Array = NONE, json?: string): Batch {
    const core = this.#core;
    return new Batch(call(() => core.run(op, Date.now(), n, text, json, bytes)));
  }

  /** A command that returns: its batch past the return record, or the error it threw. */
  #start(op: number, n = 0, text = "", bytes: Uint8Array = NONE): Batch {
    const b = this.#do(op, n, text, bytes);
    if (b.u8() === THROW) {
      const e = b.error();
      this.#apply(b);
      throw e;
    }
    return b;
  }

  #run(op: number, n = 0, text = "", bytes: Uint8Array = NONE, json?: string): void {
    this.#apply(this.#do(op, n, text, bytes, json));
  }

  #failed(error: unknown, op: number, n: number, text = ""): void {
    this.#failure = error;
    try {
      this.#run(op, n, text);
    } finally {
      this.#failure = null;
    }
  }

  /** Runs the formatter the core asked for and hands its output back. */
  #format(n: number, input: { bytes: number[]; fPort: number; recvTime?: string | Date }): void {
    if (typeof input.recvTime === "string") input.recvTime = new Date(input.recvTime);
    let output: string | undefined;
    try {
      // JSON.stringify gives plain data (Dates become strings, functions vanish), as the server stores it.
      output = JSON.stringify(this.#formatters[n](input));
    } catch (e) {
      return this.#run(FORMATTED, 1, message(e));
    }
    this.#run(FORMATTED, 0, "", NONE, output);
  }

  #apply(b: Batch): void {
    const events: [string, unknown][] = [];
    const client = this.#client;
    while (b.more()) {
      switch (b.u8()) {
        case SUBSCRIBE: {
          const filter = b.str();
          client.subscribe(filter, { qos: 0 }).then(() => this.#run(SUBSCRIBED, 1, filter), (e) => this.#failed(e, SUBSCRIBED, 0, filter));
          break;
        }
        case PUBLISH: {
          const op = b.f64(), topic = b.str(), payload = b.bytes().slice();
          client.publish(topic, payload, { qos: 1 }).then(() => this.#run(PUBLISHED, op), (e) => this.#failed(e, PUBLISH_FAILED, op));
          break;
        }
        case SENT: {
          const op = b.f64();
          const w = this.#sends.get(op);
          this.#sends.delete(op);
          if (b.bool()) w?.resolve();
          else {
            const e = b.error();
            w?.reject(this.#failure ?? e);
          }
          break;
        }
        case EVENT: {
          const deviceId = b.str(), kind = b.str(), fPort = b.opt() ?? null;
          const payload = b.bool() ? b.bytes().slice() : null;
          const decoded = b.bool() ? JSON.parse(b.str()) : null;
          events.push(["event", { deviceId, kind, payload, fPort, decoded, up: JSON.parse(utf8.decode(this.#payload)) }]);
          break;
        }
        case EVENT_ERROR:
          events.push(["error", b.error()]);
          break;
        case FORMAT: {
          const n = b.u32();
          this.#format(n, JSON.parse(b.str()));
          break;
        }
        case WAITED: {
          const id = b.f64();
          const read = JSON.parse(b.str()) as DownlinkStatus[];
          const w = this.#waits.get(id);
          this.#waits.delete(id);
          w?.history.push(...read);
          const result = b.u8();
          if (result === 0) w?.resolve(JSON.parse(b.str()));
          else if (result === 1) w?.resolve(null);
          else {
            const e = b.error();
            w?.reject(e);
          }
          break;
        }
      }
    }
    if (!this.#closed) this.#timer.sync(Date.now(), b.deadline);
    for (const [event, value] of events) this.#listeners.emit(event, value);
  }
}

/** A command to a core that has no app yet: its batch past the return record, or the error it threw. */
function start(core: ThingsStackCore, op: number, n: number, text: string, bytes: Uint8Array = NONE): Batch {
  const b = new Batch(call(() => core.run(op, Date.now(), n, text, undefined, bytes)));
  if (b.u8() === THROW) throw b.error();
  return b;
}

Object.defineProperty(ThingsStackApp, "name", { value: "ThingsStackApp" });
Object.defineProperty(DownlinkTracker, "name", { value: "DownlinkTracker" });
