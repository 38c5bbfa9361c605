// What every platform class shares: one platform core (its `run`: a command in, a batch out), the
// client it drives, the Promises of its operations, its deadline timer, its listeners, and the error
// of a failure the shell saw (the operation the core ends in that command's batch gets it).
import { Batch, call } from "./batch.js";
import { type MqttClient, platformClient } from "./client.js";
import { DeadlineTimer, usesWorker } from "./clock.js";
import { Listeners } from "./listeners.js";
import type { ConnectionState, LiveResources, MqttMessage, Unsubscribe } from "./types.js";

/** The record tag of what a command threw (`tag::THROW` in each core's `src/batch/*.rs`). */
const THROW = 20;
export const NONE = new Uint8Array(0);

/** A platform core's facade (`CloudPlugsCore`, `ThingsStackCore`, `ThingsBoardCore`). */
export interface PlatformCore {
  run(op: number, now: number, n: number, text: string, json: string | undefined, bytes: Uint8Array): Uint8Array;
  /** The client core (a `ClientCore`) for the connection the last command asked for. */
  client(url: string, seed: number, mayDefer: boolean): object;
}

/** What a platform class uses of its client: its own `MqttClient`, or the tab's side of the
 *  origin's shared session (`iotmqtt/shared`). */
export type SessionClient = Pick<MqttClient, "state" | "connect" | "publish" | "subscribe" | "unsubscribe" | "close" | "liveResources">
  & {
    on(event: "message", listener: (message: MqttMessage) => void): Unsubscribe;
    on(event: "state", listener: (state: ConnectionState) => void): Unsubscribe;
    /** A shared session's turns on a topic whose replies carry no request id (`iotmqtt/shared`). */
    lease?(topic: string): Promise<void>;
    release?(topic: string): void;
    /** Which tab holds a turn (0: none). */
    holder?(topic: string): Promise<number>;
  };

type Waiter = { resolve: (v: never) => void; reject: (e: unknown) => void };

export abstract class PlatformSession {
  client: SessionClient | null = null;
  readonly listeners: Listeners;
  readonly waiters = new Map<number, Waiter>();
  readonly timer: DeadlineTimer;
  closed = false;
  #failure: unknown = null;

  /** `timeoutOp` and `closeOp`: the core's `HANDLE_TIMEOUT` and `CLOSE` commands. */
  constructor(readonly core: PlatformCore, events: readonly string[], timeoutOp: number, private readonly closeOp: number) {
    this.listeners = new Listeners(events);
    this.timer = new DeadlineTimer(() => this.run(timeoutOp), !usesWorker());
  }

  /** One record of this platform's batches; events to emit once the batch is done go to `events`. */
  protected abstract record(tag: number, b: Batch, events: [string, unknown][]): void;

  /** The client for the connection the last command asked the shell to open. */
  open(url: string): MqttClient {
    const core = this.core;
    return platformClient(url, (seed, mayDefer) => core.client(url, seed, mayDefer));
  }

  do(op: number, n = 0, text = "", value?: string, bytes: Uint8Array = NONE): Batch {
    const core = this.core;
    return new Batch(call(() => core.run(op, Date.now(), n, text, value, bytes)));
  }

  /** A command that returns: its batch past the return record, or the error it threw. */
  start(op: number, n = 0, text = "", value?: string, bytes: Uint8Array = NONE): Batch {
    const b = this.do(op, n, text, value, bytes);
    if (b.u8() === THROW) {
      const e = b.error();
      this.apply(b);
      throw e;
    }
    return b;
  }

  /** A command that returns a value (JSON text); the rest of its batch is carried out. */
  read<T>(op: number): T {
    const b = this.start(op);
    const value = JSON.parse(b.str()) as T;
    this.apply(b);
    return value;
  }

  /** Waits for the operation the core returned the id of, then carries out the rest of its batch. */
  wait<T>(b: Batch, id = b.f64()): Promise<T> {
    const done = new Promise<T>((resolve, reject) => this.waiters.set(id, { resolve: resolve as (v: never) => void, reject }));
    this.apply(b);
    return done;
  }

  /** Starts an operation and waits for its end; resolves with its result. */
  async op<T>(op: number, n = 0, text = "", value?: string, bytes: Uint8Array = NONE): Promise<T> {
    return this.wait<T>(this.start(op, n, text, value, bytes));
  }

  run(op: number, n = 0, text = "", value?: string, bytes: Uint8Array = NONE): void {
    this.apply(this.do(op, n, text, value, bytes));
  }

  /** Reports a failure the shell saw (`error`) with the command `op`. */
  failed(error: unknown, op: number, n = 0, text = ""): void {
    this.#failure = error;
    try {
      this.run(op, n, text);
    } finally {
      this.#failure = null;
    }
  }

  /** Settles operation `id`: 1 and its result (JSON text), or 0 and the error. */
  settle(id: number, b: Batch): void {
    const w = this.waiters.get(id);
    this.waiters.delete(id);
    if (b.bool()) w?.resolve(JSON.parse(b.str()) as never);
    else w?.reject(this.error(b));
  }

  /** The error record at `b`, or the error of the failure the shell saw in this command. */
  error(b: Batch): unknown {
    const e = b.error();
    return this.#failure ?? e;
  }

  apply(b: Batch): void {
    const events: [string, unknown][] = [];
    while (b.more()) this.record(b.u8(), b, events);
    if (!this.closed) this.timer.sync(Date.now(), b.deadline);
    for (const [event, value] of events) this.listeners.emit(event, value);
  }

  close(): void {
    if (this.closed) return;
    this.client?.close();
    this.run(this.closeOp);
    this.closed = true;
    this.timer.cancel();
    this.listeners.clear();
  }

  /** The client's timers and socket, this session's timer and the listeners it holds (`held` more). */
  live(held = 0): LiveResources {
    const { timers, socket } = this.client?.liveResources() ?? { timers: 0, socket: false };
    return { timers: timers + (this.timer.armed ? 1 : 0), socket, listeners: this.listeners.size + held };
  }
}

/** What every platform class has besides its own methods: its connection's state, `close()`,
 *  `Symbol.dispose` and `liveResources()`. */
export abstract class PlatformClient {
  readonly #session: PlatformSession;
  readonly #client: SessionClient;

  protected constructor(session: PlatformSession, client: SessionClient) {
    this.#session = session;
    this.#client = client;
  }

  get state(): ConnectionState {
    return this.#client.state;
  }

  /** Disconnects and frees every listener, handler and timer. */
  close(): void {
    this.#session.close();
  }

  /** `using x = await ...connect(...)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** What is still alive, for leak checks: all zero and `socket: false` after `close()`. */
  liveResources(): LiveResources {
    return this.#session.live();
  }
}
