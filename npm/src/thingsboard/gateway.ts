// `ThingsBoardGateway` over the device's session (device.ts): the devices behind a gateway connect,
// send telemetry and attributes, and take RPCs through its one connection. Only the
// `iotmqtt/thingsboard-gateway` entry has it: its wasm holds the gateway API.
import { json, plain } from "../plain.js";
import { PlatformClient, type SessionClient } from "../platform.js";
import { takeShared } from "../shared/option.js";
import type { JsonObject, Unsubscribe } from "../types.js";
import { open, Session } from "./session.js";
import type { ClaimOptions, GatewayRpcHandler, Telemetry, ThingsBoardConnectOptions, ThingsBoardGatewayEventMap } from "./types.js";

// Commands: src/batch/thingsboard.rs.
const CLAIM = 11, CONNECT_DEVICE = 24, DISCONNECT_DEVICE = 25, DEVICE_TELEMETRY = 26, DEVICE_ATTRIBUTES = 27,
  DEVICE_REQUEST_ATTRIBUTES = 28, SUBSCRIBE_DEVICE_ATTRIBUTES = 29, ENABLE_DEVICE_RPC = 30, DEVICES = 32;

/**
 * A ThingsBoard gateway: devices behind it connect, send telemetry and attributes, and take RPCs
 * through its one connection.
 */
export class ThingsBoardGateway extends PlatformClient {
  #s: Session;
  #attributes = false;

  private constructor(s: Session, client: SessionClient) {
    super(s, client);
    this.#s = s;
  }

  /** With `shared`, the tabs of the origin that connect the gateway alike share one connection: each
   *  numbers its requests in its own block, one tab at a time answers the sub-devices' RPCs. */
  static async connect(url: string, options: ThingsBoardConnectOptions): Promise<ThingsBoardGateway> {
    const { rest, shared } = takeShared(options);
    // The tab's side of the session the origin's tabs share: the `shared` entry, loaded only then.
    const Shared = shared === undefined ? undefined : (await import("../shared/index.js")).MqttClient;
    const s = new Session(["attributes", "error", "state"]);
    return new ThingsBoardGateway(s, await open(s, url, rest, true, Shared, shared));
  }

  /** Listens to `"attributes"` (after `subscribeAttributes()`), `"error"` or `"state"`. */
  on<K extends keyof ThingsBoardGatewayEventMap>(event: K, listener: (event: ThingsBoardGatewayEventMap[K]) => void): Unsubscribe {
    return this.#s.listeners.on(event, listener as (event: never) => void);
  }

  async connectDevice(name: string, deviceType?: string): Promise<void> {
    await this.#s.op(CONNECT_DEVICE, 0, name, json(deviceType, "deviceType"));
  }

  async disconnectDevice(name: string): Promise<void> {
    await this.#s.op(DISCONNECT_DEVICE, 0, name);
  }

  async sendTelemetry(name: string, telemetry: Telemetry): Promise<void> {
    await this.#s.op(DEVICE_TELEMETRY, 0, name, json(telemetry, "telemetry"));
  }

  async sendAttributes(name: string, attributes: JsonObject): Promise<void> {
    await this.#s.op(DEVICE_ATTRIBUTES, 0, name, json(attributes, "attributes"));
  }

  requestAttributes(name: string, keys: string[], client?: boolean): Promise<JsonObject> {
    return this.#s.op(DEVICE_REQUEST_ATTRIBUTES, client ? 1 : 0, name, json(keys, "keys"));
  }

  async subscribeAttributes(): Promise<void> {
    if (this.#attributes) return;
    this.#attributes = true;
    await this.#s.op(SUBSCRIBE_DEVICE_ATTRIBUTES);
  }

  /** Answers RPCs to the devices behind the gateway with `handler`. On a shared connection one tab
   *  at a time answers them: the first to call this, then the next when it closes. */
  async onRpc(handler: GatewayRpcHandler): Promise<void> {
    this.#s.gatewayRpc = handler;
    await this.#s.op(ENABLE_DEVICE_RPC);
  }

  async claim(name: string, options?: ClaimOptions): Promise<void> {
    await this.#s.op(CLAIM, 0, name, undefined, plain(options, "options", true));
  }

  /** The devices connected through the gateway, by name. */
  get devices(): string[] {
    return this.#s.read<string[]>(DEVICES);
  }

}

Object.defineProperty(ThingsBoardGateway, "name", { value: "ThingsBoardGateway" });
