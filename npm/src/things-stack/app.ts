// `ThingsStackApp` and `DownlinkTracker`: an application's MQTT integration over the shell's
// `MqttClient`. The Things Stack core (`ThingsStackCore`, src/batch/things_stack.rs) checks the
// login and the downlinks, builds filters and topics, reads every event, picks each uplink's decoder,
// tracks downlinks and ends the waits on them; this file carries its batches out and runs a user's
// JavaScript formatter when the core asks. No rule of The Things Stack is here.
import { ThingsStackCore } from "#things-stack";
import type { Batch } from "../batch.js";
import { coded } from "../errors.js";
import { plain } from "../plain.js";
import { NONE, type SessionClient, PlatformClient, PlatformSession } from "../platform.js";
import { takeShared } from "../shared/option.js";
import type { Unsubscribe } from "../types.js";
import "./errors.js";
import type {
  DecoderTarget, DownlinkRequest, DownlinkStatus, ThingsStackAppEventMap, ThingsStackOptions,
  ThingsStackSubscription, UplinkDecoder,
} from "./types.js";

// Commands and record tags: src/batch/things_stack.rs.
const CONNECT = 0, LOGIN_FAILED = 1, FILTER = 2, PUSH = 3, REPLACE = 4, CLEAR = 5, DECODER = 6, SET_DECODER = 7,
  MESSAGE = 8, FORMATTED = 9, SUBSCRIBED = 10, PUBLISHED = 11, PUBLISH_FAILED = 12, WAIT = 13, CLOSE = 14,
  HANDLE_TIMEOUT = 15, TRACKED = 16, FORGET = 17;
const SUBSCRIBE = 1, PUBLISH = 2, SENT = 3, EVENT = 4, EVENT_ERROR = 5, FORMAT = 6, WAITED = 7;
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

/** The Things Stack's core and the client it drives. */
class Session extends PlatformSession {
  sends = new Map<number, Waiter<void>>();
  waits = new Map<number, Waiter<DownlinkStatus | null> & { history: DownlinkStatus[] }>();
  formatters: Formatter[] = [];
  /** The message being read, for its event's `up`. */
  payload: Uint8Array = NONE;

  constructor() {
    super(new ThingsStackCore(), ["event", "error", "state"], HANDLE_TIMEOUT, CLOSE);
  }

  close(): void {
    super.close();
    this.formatters = [];
  }

  /** Runs the formatter the core asked for and hands its output back. */
  #format(n: number, input: { bytes: number[]; fPort: number; recvTime?: string | Date }): void {
    if (typeof input.recvTime === "string") input.recvTime = new Date(input.recvTime);
    let output: string | undefined;
    try {
      // JSON.stringify gives plain data (Dates become strings, functions vanish), as the server stores it.
      output = JSON.stringify(this.formatters[n](input));
    } catch (e) {
      return this.run(FORMATTED, 1, message(e));
    }
    this.run(FORMATTED, 0, "", output);
  }

  protected record(tag: number, b: Batch, events: [string, unknown][]): void {
    const client = this.client;
    switch (tag) {
      case SUBSCRIBE: {
        const filter = b.str();
        client?.subscribe(filter, { qos: 0 }).then(() => this.run(SUBSCRIBED, 1, filter), (e) => this.failed(e, SUBSCRIBED, 0, filter));
        break;
      }
      case PUBLISH: {
        const op = b.f64(), topic = b.str(), payload = b.bytes().slice();
        client?.publish(topic, payload, { qos: 1 }).then(() => this.run(PUBLISHED, op), (e) => this.failed(e, PUBLISH_FAILED, op));
        break;
      }
      case SENT: {
        const op = b.f64();
        const w = this.sends.get(op);
        this.sends.delete(op);
        if (b.bool()) w?.resolve();
        else w?.reject(this.error(b));
        break;
      }
      case EVENT: {
        const deviceId = b.str(), kind = b.str(), fPort = b.opt() ?? null;
        const payload = b.bool() ? b.bytes().slice() : null;
        const decoded = b.bool() ? JSON.parse(b.str()) : null;
        events.push(["event", { deviceId, kind, payload, fPort, decoded, up: JSON.parse(utf8.decode(this.payload)) }]);
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
        const w = this.waits.get(id);
        this.waits.delete(id);
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
}

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
export class ThingsStackApp extends PlatformClient {
  /** The application's uid, `app` or `app@tenant`. */
  readonly application: string;
  #s: Session;
  #client: SessionClient;

  private constructor(s: Session, client: SessionClient, application: string) {
    super(s, client);
    this.#s = s;
    this.#client = client;
    this.application = application;
    s.client = client;
    client.on("state", (state) => {
      s.listeners.emit("state", state);
      if (state.type === "disconnected") s.listeners.emit("error", state.error);
    });
    client.on("message", (m) => {
      s.payload = m.payload;
      try {
        s.run(MESSAGE, 0, m.topic, undefined, m.payload);
      } finally {
        s.payload = NONE;
      }
    });
  }

  /** Logs in as the application with an API key. Rejects with `TTS_NOT_AUTHORIZED`,
   *  `TTS_MISSING_API_KEY`, `TTS_INVALID_ID`, `CONNACK_*` or `INVALID_OPTION`. */
  static async connect(url: string, options: ThingsStackOptions): Promise<ThingsStackApp> {
    const { rest, shared } = takeShared(options);
    // The tab's side of the session the origin's tabs share: a module loaded only when asked for.
    const Shared = shared === undefined ? undefined : (await import("../shared/index.js")).MqttClient;
    const s = new Session();
    const b = s.start(CONNECT, 0, "", undefined, plain(rest, "options"));
    const client: SessionClient = Shared
      ? new Shared(url, { ...JSON.parse((s.core as ThingsStackCore).sharedOptions()!) as object, shared }, false)
      : s.open(url);
    const app = new ThingsStackApp(s, client, b.str());
    try {
      await client.connect();
    } catch (e) {
      app.close();
      s.start(LOGIN_FAILED, 0, (e as { code?: string })?.code ?? "");
      throw e;
    }
    return app;
  }

  /** Listens to `"event"`, `"error"` or `"state"`. */
  on<K extends keyof ThingsStackAppEventMap>(event: K, listener: (event: ThingsStackAppEventMap[K]) => void): Unsubscribe {
    return this.#s.listeners.on(event, listener as (event: never) => void);
  }

  /** Subscribes to the application's events: all of them (`{}`), one device's, one kind, or both. */
  async subscribe(subscription?: ThingsStackSubscription): Promise<void> {
    const filter = this.#s.start(FILTER, 0, "", undefined, plain(subscription, "subscription", true)).str();
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
    const s = this.#s;
    const b = s.start(DECODER, 0, "", undefined, plain(decoder, "decoder"));
    let n = -1;
    if (b.u8() === 1) {
      n = s.formatters.length;
      s.formatters.push(compile(b.str()));
    }
    try {
      s.apply(s.start(SET_DECODER, n, "", undefined, plain(target, "target", true)));
    } catch (e) {
      if (n >= 0) s.formatters.pop();
      throw e;
    }
  }

  /** Downlinks still waiting for news. */
  get trackedDownlinks(): number {
    return this.#s.closed ? 0 : this.#s.start(TRACKED).f64();
  }

  async #send(op: number, deviceId: string, downlinks: DownlinkRequest[] | undefined): Promise<DownlinkTracker[]> {
    const s = this.#s;
    const bytes = op === CLEAR ? NONE : plain(downlinks, "downlinks", true, ["[].decodedPayload"]);
    const b = s.start(op, Math.floor(Math.random() * 2 ** 53), deviceId, undefined, bytes);
    const id = b.f64();
    const list: DownlinkTracker[] = [];
    for (let n = b.u16(); n > 0; n--) {
      const correlationId = b.str();
      const confirmed = b.bool();
      const tracker = new Tracker(correlationId, deviceId, confirmed, { wait: (k, t, h) => this.#wait(k, t, h, correlationId) });
      trackers.register(tracker, () => s.closed || s.run(FORGET, 0, correlationId));
      list.push(tracker);
    }
    const sent = new Promise<void>((resolve, reject) => s.sends.set(id, { resolve, reject }));
    s.apply(b);
    await sent;
    return list;
  }

  #wait(kind: number, timeoutMs: number | undefined, history: DownlinkStatus[], correlationId: string): Promise<DownlinkStatus | null> {
    const s = this.#s;
    const b = s.start(WAIT, timeoutMs ?? -1, correlationId, undefined, Uint8Array.of(kind));
    const id = b.f64();
    const done = new Promise<DownlinkStatus | null>((resolve, reject) => s.waits.set(id, { resolve, reject, history }));
    s.apply(b);
    return done;
  }
}

Object.defineProperty(ThingsStackApp, "name", { value: "ThingsStackApp" });
Object.defineProperty(DownlinkTracker, "name", { value: "DownlinkTracker" });
