// `ThingsBoardDevice` over the ThingsBoard session (session.ts): telemetry, attributes, RPC both ways,
// claiming and firmware updates. Its entry's core has the device's API (cargo feature
// `thingsboard-device`); provisioning is the gateway entry's, loaded when it is asked for.
import { json, plain } from "../plain.js";
import { PlatformClient, type SessionClient } from "../platform.js";
import { takeShared } from "../shared/option.js";
import type { JsonObject, JsonValue, Unsubscribe } from "../types.js";
import { open, Session } from "./session.js";
import type {
  AttributeRequest, AttributeValues, ClaimOptions, FirmwareInstaller, FirmwareUpdateOptions, ProvisionedCredentials,
  ProvisionOptions, ProvisionRequest, RpcHandler, RpcHandlerOptions, SessionLimits, Telemetry, ThingsBoardConnectOptions,
  ThingsBoardDeviceEventMap,
} from "./types.js";

/** Set by the build (npm/build.mjs): true in the `thingsboard-shared` module, whose core has the
 *  shared connection's rules. */
declare const SHARING: boolean;

// Commands: src/batch/thingsboard.rs.
const TELEMETRY = 3, ATTRIBUTES = 4, REQUEST_ATTRIBUTES = 5, SUBSCRIBE_SHARED = 6, ON_RPC = 7, REMOVE_RPC = 8,
  ENABLE_RPC = 9, CALL = 10, CLAIM = 11, MIRROR = 19, LIMITS = 20, FILTERS = 21, START_FIRMWARE = 22;

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

  private constructor(s: Session, client: SessionClient) {
    super(s, client);
    this.#s = s;
  }

  /** Connects with an access token (`{token}`) or MQTT basic credentials (`{clientId, username?, password?}`).
   *  Rejects with `TB_TOKEN_REJECTED`, `TB_BASIC_CREDENTIALS_REJECTED`, `TB_INVALID_OPTION`, `INVALID_OPTION`, ...
   *  With `shared`, the tabs of the origin that connect the device alike share one connection. */
  static async connect(url: string, options: ThingsBoardConnectOptions): Promise<ThingsBoardDevice> {
    const { rest, shared } = takeShared(options);
    if (shared !== undefined && !SHARING) {
      // A device on the session the origin's tabs share is this class over a core with the shared
      // session's rules (cargo feature `thingsboard-shared`): a module of its own, loaded only then.
      const m = await import("../thingsboard-shared/index.js");
      await m.default();
      return m.ThingsBoardDevice.connect(url, options);
    }
    // The tab's side of the session: the `shared` entry, loaded only when asked for.
    const Shared = SHARING && shared !== undefined ? (await import("../shared/index.js")).MqttClient : undefined;
    const s = new Session(["sharedAttributes", "firmware", "error", "state"]);
    return new ThingsBoardDevice(s, await open(s, url, rest, false, Shared, shared));
  }

  /** Provisions a new device on a connection of its own and resolves with its credentials. The
   *  `iotmqtt/thingsboard-gateway` entry's wasm provisions: it is loaded, from beside this module, on
   *  the first call. */
  static async provision(url: string, request: ProvisionRequest, options?: ProvisionOptions): Promise<ProvisionedCredentials> {
    const gateway = await import("../thingsboard-gateway/index.js");
    await gateway.default();
    return gateway.provision(url, request, options);
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
    // A shared connection: the updater starts when this tab is given the device's firmware turn.
    if (SHARING && op < 0) return this.#s.apply(b);
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
