// `CloudPlugsDevice`: CloudPlugs over the shell's `MqttClient`. The CloudPlugs core (`CloudPlugsCore`,
// src/batch/cloudplugs.rs) checks the login, builds topics and documents, reads what arrives and keeps
// the property and enrollment exchanges; this file carries its batches out. No CloudPlugs rule is here.
import { CloudPlugsCore } from "#cloudplugs";
import type { Batch } from "../batch.js";
import { json, plain } from "../plain.js";
import { PlatformClient, PlatformSession, type SessionClient } from "../platform.js";
import { takeShared } from "../shared/option.js";
import type { JsonObject, JsonValue, Unsubscribe } from "../types.js";
import "./errors.js";
import type {
  CloudPlugsCredentials, CloudPlugsDeviceEventMap, CloudPlugsOptions, CloudPlugsPublishOptions,
  CloudPlugsSubscribeOptions, EnrollControllerOptions, EnrollThingOptions, PropertyValue,
} from "./types.js";

// Commands and record tags: src/batch/cloudplugs.rs.
const LOGIN = 0, PUBLISH = 1, FILTER = 2, SET_PROPERTIES = 3, GET_PROPERTIES = 4, MESSAGE = 5, SUBSCRIBED = 6,
  PUBLISH_FAILED = 7, STATE = 8, CLOSE = 9, HANDLE_TIMEOUT = 10, ENROLL_THING = 11, ENROLL_CONTROLLER = 12, LEASED = 13;
const SUBSCRIBE = 1, PUBLISH_REQUEST = 2, DONE = 3, RECORD = 4, DATA_ERROR = 5, ENROLLED = 6, LEASE = 7, RELEASE = 8;

/** One CloudPlugs core and the client it drives. */
class Session extends PlatformSession {
  constructor(events: readonly string[] = []) {
    super(new CloudPlugsCore(), events, HANDLE_TIMEOUT, CLOSE);
  }

  protected record(tag: number, b: Batch, events: [string, unknown][]): void {
    const client = this.client;
    switch (tag) {
      case SUBSCRIBE: {
        const topic = b.str();
        client?.subscribe(topic, { qos: 0 }).then(() => this.run(SUBSCRIBED, 1, topic), (e) => this.failed(e, SUBSCRIBED, 0, topic));
        break;
      }
      case PUBLISH_REQUEST: {
        const id = b.f64(), topic = b.str(), payload = b.bytes().slice();
        client?.publish(topic, payload, { qos: 0 }).catch((e) => this.failed(e, PUBLISH_FAILED, id));
        break;
      }
      case LEASE: {
        // A shared session: the topic's turn among the tabs (src/shared/lease.rs).
        const topic = b.str();
        client?.lease?.(topic).then(() => this.run(LEASED, 1, topic), (e) => this.failed(e, LEASED, 0, topic));
        break;
      }
      case RELEASE:
        client?.release?.(b.str());
        break;
      case DONE:
        this.settle(b.f64(), b);
        break;
      case ENROLLED:
        this.settle(0, b);
        break;
      case RECORD:
        events.push(["data", JSON.parse(b.str())]);
        break;
      case DATA_ERROR:
        events.push(["error", b.error()]);
        break;
    }
  }
}

/** An enrollment on a short connection of its own (the rules: src/platforms/cloudplugs/enrollment_exchange.rs). */
async function enroll(url: string, op: number, options: unknown): Promise<CloudPlugsCredentials> {
  const s = new Session();
  const b = s.start(op, 0, "", undefined, plain(options, "options"));
  const client = (s.client = s.open(url));
  client.on("message", (m) => s.run(MESSAGE, 0, m.topic, undefined, m.payload));
  // The core decides what a state means; a failure carries the client's error.
  client.on("state", (state) => s.failed("error" in state ? state.error : null, STATE, 0, state.type));
  const done = s.wait<CloudPlugsCredentials>(b, 0);
  client.connect().catch(() => {});
  try {
    return await done;
  } finally {
    s.close();
  }
}

/**
 * A device (or account) logged in to CloudPlugs. Every PUBLISH and SUBSCRIBE is QoS 0, and
 * CloudPlugs cannot report a denied one.
 * ```ts
 * const dev = await CloudPlugsDevice.login(url, { username: "dev-...", auth: "...", hwid: "HW1" });
 * dev.on("data", (r) => console.log(r.channel, r.data));
 * await dev.subscribe("temperature");
 * await dev.publish("temperature", 21.5);
 * ```
 */
export class CloudPlugsDevice extends PlatformClient {
  /** The Plug-ID this connection acts as; `null` after an account-email login. */
  readonly plugId: string | null;
  #session: Session;
  #client: SessionClient;

  private constructor(session: Session, client: SessionClient, plugId: string | null) {
    super(session, client);
    this.#session = session;
    this.#client = client;
    this.plugId = plugId;
    session.client = client;
    client.on("state", (state) => {
      session.listeners.emit("state", state);
      if (state.type === "disconnected") session.listeners.emit("error", state.error);
      session.run(STATE, 0, state.type);
    });
    client.on("message", (m) => session.run(MESSAGE, 0, m.topic, undefined, m.payload));
  }

  /** Logs in with a Plug-ID (or account email) and its auth code. Rejects with
   *  `CLOUDPLUGS_MISSING_AUTH`, `CLOUDPLUGS_INVALID_*`, `CONNACK_*` or `INVALID_OPTION`. With
   *  `shared`, the tabs of the origin that log in alike share one connection. */
  static async login(url: string, options: CloudPlugsOptions): Promise<CloudPlugsDevice> {
    const { rest, shared } = takeShared(options);
    // The tab's side of the session the origin's tabs share: a module loaded only when asked for.
    const Shared = shared === undefined ? undefined : (await import("../shared/index.js")).MqttClient;
    const session = new Session(["data", "error", "state"]);
    const b = session.start(LOGIN, Shared ? 1 : 0, "", undefined, plain(rest, "options", false, ["will.data"]));
    const client: SessionClient = Shared
      ? new Shared(url, { ...JSON.parse((session.core as CloudPlugsCore).sharedOptions()!) as object, shared }, false)
      : session.open(url);
    const plug = b.str();
    const device = new CloudPlugsDevice(session, client, plug || null);
    session.apply(b);
    try {
      await client.connect();
    } catch (e) {
      device.close();
      throw e;
    }
    return device;
  }

  /** Enrolls a thing of production template `model` and resolves with the credentials it logs in with. */
  static enrollThing(url: string, options: EnrollThingOptions): Promise<CloudPlugsCredentials> {
    return enroll(url, ENROLL_THING, options);
  }

  /** Enrolls a controller of the thing with hardware ID `thingHwid`. */
  static enrollController(url: string, options: EnrollControllerOptions): Promise<CloudPlugsCredentials> {
    return enroll(url, ENROLL_CONTROLLER, options);
  }

  /** Listens to `"data"` (records of subscribed channels), `"error"` or `"state"`. */
  on<K extends keyof CloudPlugsDeviceEventMap>(event: K, listener: (event: CloudPlugsDeviceEventMap[K]) => void): Unsubscribe {
    return this.#session.listeners.on(event, listener as (event: never) => void);
  }

  /** Publishes `{"data", "at"?}` to `PLUG_ID/data/CHANNEL` (this device's, or `options.plugId`). */
  async publish(channel: string, data: JsonValue, options?: CloudPlugsPublishOptions): Promise<void> {
    const b = this.#session.start(PUBLISH, 0, channel, json(data, "data"), plain(options, "options", true));
    return this.#client.publish(b.str(), b.bytes().slice(), { qos: 0 });
  }

  /** Subscribes to `PLUG_ID/data/MASK` (`+` and `#` allowed in the mask); records arrive as `"data"` events. */
  async subscribe(channelMask: string, options?: CloudPlugsSubscribeOptions): Promise<void> {
    await this.#client.subscribe(this.#filter(channelMask, options), { qos: 0 });
  }

  async unsubscribe(channelMask: string, options?: CloudPlugsSubscribeOptions): Promise<void> {
    await this.#client.unsubscribe(this.#filter(channelMask, options));
  }

  /** Sets additional properties (static values, or `{channel}` references); resolves when CloudPlugs confirms. */
  async setProperties(properties: Record<string, PropertyValue>, options?: CloudPlugsSubscribeOptions): Promise<void> {
    await this.#session.op<null>(SET_PROPERTIES, 0, "", json(properties, "properties"), plain(options, "options", true));
  }

  /** Reads additional properties: the names given, or all of them. */
  async getProperties(names?: string[], options?: CloudPlugsSubscribeOptions): Promise<JsonObject> {
    return this.#session.op<JsonObject>(GET_PROPERTIES, 0, "", json(names, "names"), plain(options, "options", true));
  }

  #filter(mask: string, options: CloudPlugsSubscribeOptions | undefined): string {
    return this.#session.start(FILTER, 0, mask, undefined, plain(options, "options", true)).str();
  }
}

Object.defineProperty(CloudPlugsDevice, "name", { value: "CloudPlugsDevice" });
