// `ThingsBoardDevice` over the shell's `MqttClient`, and the session `ThingsBoardGateway` (gateway.ts)
// shares. ThingsBoard's core
// (`ThingsBoardCore`, src/batch/thingsboard.rs) holds every rule: the device session (requests and
// their timeouts, pacing, lazy subscriptions, RPC both ways, the gateway API), the firmware updater
// and provisioning. This file carries its batches out and runs the caller's RPC handlers and firmware
// installer, SHA-2 digests of firmware images (SubtleCrypto) and the words of a failed update's error,
// when the core asks.
import { ThingsBoardCore } from "#thingsboard";
import type { Batch } from "../batch.js";
import type { MqttClient } from "../client.js";
import { json, plain } from "../plain.js";
import { PlatformClient, PlatformSession } from "../platform.js";
import type { JsonObject, JsonValue, LiveResources, Unsubscribe } from "../types.js";
import "./errors.js";
import type {
  AttributeRequest, AttributeValues, ClaimOptions, FirmwareInstaller, FirmwareUpdateOptions, GatewayRpcHandler,
  GatewayRpcRequest, PackageInfo, ProvisionedCredentials, ProvisionOptions, ProvisionRequest, RpcHandler,
  RpcHandlerOptions, RpcRequest, SessionLimits, Telemetry, ThingsBoardDeviceEventMap, ThingsBoardDeviceOptions,
} from "./types.js";

// Commands and record tags: src/batch/thingsboard.rs (the gateway's commands: gateway.ts).
const CONNECT = 0, LOGIN_FAILED = 1, CONNECTED = 2, TELEMETRY = 3, ATTRIBUTES = 4, REQUEST_ATTRIBUTES = 5,
  SUBSCRIBE_SHARED = 6, ON_RPC = 7, REMOVE_RPC = 8, ENABLE_RPC = 9, CALL = 10, CLAIM = 11, RPC_REPLY = 12,
  MESSAGE = 13, SUBSCRIBED = 14, PUBLISHED = 15, PUBLISH_FAILED = 16, HANDLE_TIMEOUT = 17, CLOSE = 18, MIRROR = 19,
  LIMITS = 20, FILTERS = 21, START_FIRMWARE = 22, INSTALLED = 23, DEVICE_RPC_REPLY = 31, PROVISION = 33, STATE = 34,
  DIGESTED = 35, DESCRIBED = 36;
const SUBSCRIBE = 1, PUBLISH = 2, DONE = 3, SHARED = 4, RPC_REQUEST = 5, DEVICE_ATTRIBUTES_CHANGED = 6, DEVICE_RPC = 7,
  ERROR = 8, FIRMWARE = 9, INSTALL = 10, PROVISIONED = 11, DIGEST = 12, DESCRIBE = 13;
const utf8 = new TextEncoder();

/** Set by the build (npm/build.mjs): true in the `iotmqtt/thingsboard-gateway` entry, whose core has
 *  the gateway API (cargo feature `thingsboard-gateway`) and provisioning (`thingsboard-provision`).
 *  The device's entry leaves the gateway's records out, and loads that entry to provision. */
declare const GATEWAY: boolean;
declare const PROVISIONING: boolean;

type Handler = (...args: never[]) => unknown;

/** Runs a caller's handler: its result as JSON text (`{}` for none), or its error's words. */
async function handle(f: Handler, args: unknown[]): Promise<[string | undefined, string]> {
  try {
    const value = await (f as (...a: unknown[]) => unknown)(...args);
    return [value === undefined ? "{}" : json(value, "RPC result"), ""];
  } catch (e) {
    return [undefined, e instanceof Error ? e.message : typeof e === "string" ? e : "the handler failed"];
  }
}

/** The digest the core asks for, or why there is none: SHA-2 (`SHA-256`, ...) from the browser's
 *  SubtleCrypto, the others (`MD5`, `CRC32`, `MURMUR3_32`, `MURMUR3_128`) from `checksums.js`, which is
 *  loaded then and only then. A page outside a secure context (http:// on a LAN address) has no
 *  SubtleCrypto: it loads `sha2.js`, the same digests in JavaScript. */
async function digest(name: string, image: Uint8Array<ArrayBuffer>): Promise<Uint8Array | string> {
  try {
    if (!name.startsWith("SHA-")) return (await import("./checksums.js")).checksum(name, image);
    const subtle = globalThis.crypto?.subtle;
    if (subtle) return new Uint8Array(await subtle.digest(name, image));
    const { sha2 } = await import("./sha2.js");
    return sha2(name, image);
  } catch (e) {
    return e instanceof Error ? e.message : "the digest failed";
  }
}

/** ThingsBoard's core and the client it drives, the caller's handlers and installers. */
export class Session extends PlatformSession {
  rpc = new Map<string, RpcHandler>();
  gatewayRpc: GatewayRpcHandler | null = null;
  installers = new Map<string, FirmwareInstaller>();

  constructor(events: readonly string[]) {
    super(new ThingsBoardCore(), events, HANDLE_TIMEOUT, CLOSE);
  }

  /** Connects the client; a refused login is ThingsBoard's error. */
  async login(client: MqttClient): Promise<void> {
    this.client = client;
    client.on("message", (m) => this.run(MESSAGE, 0, m.topic, undefined, m.payload));
    try {
      await client.connect();
    } catch (e) {
      this.close();
      this.start(LOGIN_FAILED, 0, (e as { code?: string })?.code ?? "");
      throw e;
    }
  }

  protected record(tag: number, b: Batch, events: [string, unknown][]): void {
    const client = this.client;
    switch (tag) {
      case SUBSCRIBE: {
        const filter = b.str();
        client?.subscribe(filter, { qos: 1 }).then(() => this.run(SUBSCRIBED, 1, filter), (e) => this.failed(e, SUBSCRIBED, 0, filter));
        break;
      }
      case PUBLISH: {
        const id = b.f64(), topic = b.str(), payload = b.bytes().slice(), qos = b.u8() as 0 | 1;
        client?.publish(topic, payload, { qos }).then(() => this.run(PUBLISHED, id), (e) => this.failed(e, PUBLISH_FAILED, id));
        break;
      }
      case DONE:
        this.settle(b.f64(), b);
        break;
      case PROVISIONED:
        this.settle(0, b);
        break;
      case SHARED:
        events.push(["sharedAttributes", JSON.parse(b.str())]);
        break;
      case RPC_REQUEST: {
        const id = b.f64(), method = b.str(), params = JSON.parse(b.str()) as JsonValue, oneWay = b.bool();
        const handler = this.rpc.get(method);
        if (!handler) break;
        const request: RpcRequest = { id, method, params };
        handle(handler, [params, request]).then(([result, error]) => {
          if (!oneWay && !this.closed) this.run(RPC_REPLY, id, error, result);
        });
        break;
      }
      case DEVICE_ATTRIBUTES_CHANGED:
        if (GATEWAY) events.push(["attributes", JSON.parse(b.str())]);
        break;
      case DEVICE_RPC: {
        if (!GATEWAY) break;
        const request = JSON.parse(b.str()) as GatewayRpcRequest;
        const handler = this.gatewayRpc;
        if (!handler) break;
        handle(handler, [request]).then(([result, error]) => {
          if (!this.closed) this.run(DEVICE_RPC_REPLY, request.id, request.device, result, utf8.encode(error));
        });
        break;
      }
      case ERROR:
        events.push(["error", b.error()]);
        break;
      case FIRMWARE:
        events.push(["firmware", JSON.parse(b.str())]);
        break;
      case DIGEST: {
        const generation = b.f64(), kind = b.u8(), name = b.str(), image = new Uint8Array(b.bytes());
        digest(name, image).then((d) => {
          if (this.closed) return;
          if (typeof d === "string") this.run(DIGESTED, generation, d, undefined, Uint8Array.of(kind));
          else this.run(DIGESTED, generation, "", "null", Uint8Array.of(kind, ...d));
        });
        break;
      }
      case DESCRIBE: {
        // The words of the error that failed an update, from the message table, for `fw_error`;
        // handed back after this batch, as every answer the updater waits for.
        const generation = b.f64(), kind = b.u8(), words = b.error().message;
        queueMicrotask(() => {
          if (!this.closed) this.run(DESCRIBED, generation, words, undefined, Uint8Array.of(kind));
        });
        break;
      }
      case INSTALL: {
        const generation = b.f64(), info = JSON.parse(b.str()) as PackageInfo, image = b.bytes().slice();
        const installer = this.installers.get(info.kind);
        const kind = Uint8Array.of(info.kind === "sw" ? 1 : 0);
        if (!installer) break;
        handle(installer, [info, image]).then(([result, error]) => {
          if (!this.closed) this.run(INSTALLED, generation, error, result === undefined ? undefined : "null", kind);
        });
        break;
      }
    }
  }

  close(): void {
    super.close();
    this.rpc.clear();
    this.gatewayRpc = null;
    this.installers.clear();
  }

  /** The RPC handlers held count as listeners. */
  live(held = 0): LiveResources {
    return super.live(held + this.rpc.size + (this.gatewayRpc ? 1 : 0));
  }
}

/** Opens a device's or gateway's connection: the core checks the options, the client connects,
 *  the session limits are read. */
export async function open(s: Session, url: string, options: ThingsBoardDeviceOptions, gateway: boolean): Promise<MqttClient> {
  s.start(CONNECT, gateway ? 1 : 0, "", undefined, plain(options, "options"));
  const client = s.open(url);
  client.on("state", (state) => {
    s.listeners.emit("state", state);
    if (state.type === "disconnected") s.listeners.emit("error", state.error);
  });
  await s.login(client);
  const ready = s.start(CONNECTED);
  const op = ready.f64();
  if (op >= 0) await s.wait(ready, op);
  else s.apply(ready);
  return client;
}

/**
 * A device connected to ThingsBoard: telemetry, attributes, RPC both ways, claiming, firmware updates.
 * ```ts
 * const device = await ThingsBoardDevice.connect(url, { token: "A1_TEST_TOKEN" });
 * await device.sendTelemetry({ temperature: 21.5 });
 * device.onRpc("getTemperature", () => ({ temperature: 21.5 }));
 * ```
 */
export class ThingsBoardDevice extends PlatformClient {
  #s: Session;
  #shared = false;

  private constructor(s: Session, client: MqttClient) {
    super(s, client);
    this.#s = s;
  }

  /** Connects with an access token (`{token}`) or MQTT basic credentials (`{clientId, username?, password?}`).
   *  Rejects with `TB_TOKEN_REJECTED`, `TB_BASIC_CREDENTIALS_REJECTED`, `TB_INVALID_OPTION`, `INVALID_OPTION`, ... */
  static async connect(url: string, options: ThingsBoardDeviceOptions): Promise<ThingsBoardDevice> {
    const s = new Session(["sharedAttributes", "firmware", "error", "state"]);
    return new ThingsBoardDevice(s, await open(s, url, options, false));
  }

  /** Provisions a new device on a connection of its own and resolves with its credentials. */
  static async provision(url: string, request: ProvisionRequest, options?: ProvisionOptions): Promise<ProvisionedCredentials> {
    if (!PROVISIONING) {
      // The `iotmqtt/thingsboard` entry's wasm has no provisioning: the `iotmqtt/thingsboard-gateway`
      // entry's has, loaded on the one call that needs it, from beside this module.
      const all = await import("../thingsboard-gateway/index.js");
      await all.default();
      return all.ThingsBoardDevice.provision(url, request, options);
    }
    const s = new Session([]);
    const b = s.start(PROVISION, 0, "", undefined, plain([request, options], "request"));
    const client = (s.client = s.open(url));
    client.on("message", (m) => s.run(MESSAGE, 0, m.topic, undefined, m.payload));
    client.on("state", (state) => s.failed("error" in state ? state.error : null, STATE, 0, state.type));
    const done = s.wait<ProvisionedCredentials>(b, 0);
    try {
      await client.connect();
    } catch (e) {
      s.close();
      s.start(LOGIN_FAILED, 0, (e as { code?: string })?.code ?? "");
      throw e;
    }
    try {
      return await done;
    } finally {
      s.close();
    }
  }

  /** Listens to `"sharedAttributes"` (after `subscribeSharedAttributes()`), `"firmware"`, `"error"` or `"state"`. */
  on<K extends keyof ThingsBoardDeviceEventMap>(event: K, listener: (event: ThingsBoardDeviceEventMap[K]) => void): Unsubscribe {
    return this.#s.listeners.on(event, listener as (event: never) => void);
  }

  /** Sends telemetry in any format ThingsBoard takes, within the session's rate limits. */
  async sendTelemetry(telemetry: Telemetry): Promise<void> {
    await this.#s.op(TELEMETRY, 0, "", json(telemetry, "telemetry"));
  }

  async sendAttributes(attributes: JsonObject): Promise<void> {
    await this.#s.op(ATTRIBUTES, 0, "", json(attributes, "attributes"));
  }

  /** Reads client-side and shared attributes by key. */
  requestAttributes(request: AttributeRequest): Promise<AttributeValues> {
    return this.#s.op(REQUEST_ATTRIBUTES, 0, "", undefined, plain(request, "request", true));
  }

  /** Subscribes to shared attribute updates (`"sharedAttributes"` events); once is enough. */
  async subscribeSharedAttributes(): Promise<void> {
    if (this.#shared) return;
    this.#shared = true;
    await this.#s.op(SUBSCRIBE_SHARED);
  }

  /** Answers server-side RPCs for `method` with `handler`'s result (or its error); returns the
   *  function that removes it. Call `enableRpc()` (or any RPC subscription) to receive them. */
  onRpc(method: string, handler: RpcHandler, options?: RpcHandlerOptions): Unsubscribe {
    this.#s.apply(this.#s.start(ON_RPC, 0, method, undefined, plain(options, "options", true)));
    this.#s.rpc.set(method, handler);
    return () => {
      if (this.#s.rpc.get(method) !== handler) return;
      this.#s.rpc.delete(method);
      if (!this.#s.closed) this.#s.apply(this.#s.start(REMOVE_RPC, 0, method));
    };
  }

  /** Subscribes to server-side RPC requests. */
  async enableRpc(): Promise<void> {
    await this.#s.op(ENABLE_RPC);
  }

  /** Calls a client-side RPC on the server and resolves with its answer. */
  call(method: string, params?: JsonValue): Promise<JsonValue> {
    return this.#s.op(CALL, 0, method, params === undefined ? undefined : json(params, "params"));
  }

  async claim(options?: ClaimOptions): Promise<void> {
    await this.#s.op(CLAIM, 0, "", undefined, plain(options, "options", true));
  }

  /** Watches the shared attributes for new firmware (or software) and installs it with `install`. */
  async startFirmwareUpdates(options: FirmwareUpdateOptions | undefined, install: FirmwareInstaller): Promise<void> {
    const b = this.#s.start(START_FIRMWARE, 0, "", undefined, plain(options, "options", true));
    const op = b.f64();
    this.#s.installers.set(b.str(), install);
    await this.#s.wait(b, op);
  }

  /** The attribute values known so far (client and shared). */
  get attributes(): AttributeValues {
    return this.#read(MIRROR);
  }

  get sessionLimits(): SessionLimits {
    return this.#read(LIMITS);
  }

  get subscribedFilters(): string[] {
    return this.#read(FILTERS);
  }

  #read<T>(op: number): T {
    return this.#s.read<T>(op);
  }
}

Object.defineProperty(ThingsBoardDevice, "name", { value: "ThingsBoardDevice" });
