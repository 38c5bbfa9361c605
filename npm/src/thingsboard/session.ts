// The session `ThingsBoardDevice` (device.ts), `ThingsBoardGateway` (gateway.ts) and provisioning
// (provision.ts) run over the shell's `MqttClient`. ThingsBoard's core (`ThingsBoardCore`,
// src/batch/thingsboard.rs) holds every rule: the device session (requests and their timeouts, pacing,
// lazy subscriptions, RPC both ways, the gateway API), the firmware updater and provisioning. This
// file carries its batches out and runs the caller's RPC handlers and firmware installer, the digests
// of firmware images and the words of a failed update's error, when the core asks.
import { ThingsBoardCore } from "#thingsboard";
import type { Batch } from "../batch.js";
import type { MqttClient as SharedClient } from "../shared/index.js";
import { json, plain } from "../plain.js";
import { PlatformSession, type SessionClient } from "../platform.js";
import type { JsonValue, LiveResources } from "../types.js";
import "./errors.js";
import type {
  FirmwareInstaller, GatewayRpcHandler, GatewayRpcRequest, PackageInfo, RpcHandler, RpcRequest, ThingsBoardDeviceOptions,
} from "./types.js";

// Commands and record tags: src/batch/thingsboard.rs (the device's commands: device.ts; the
// gateway's: gateway.ts; provisioning's: provision.ts).
export const LOGIN_FAILED = 1, MESSAGE = 13, STATE = 34;
const CONNECT = 0, CONNECTED = 2, RPC_REPLY = 12, SUBSCRIBED = 14, PUBLISHED = 15, PUBLISH_FAILED = 16,
  HANDLE_TIMEOUT = 17, CLOSE = 18, INSTALLED = 23, DEVICE_RPC_REPLY = 31, DIGESTED = 35, DESCRIBED = 36, LEASED = 37,
  TABS = 38, HOLDER_IS = 39;
const SUBSCRIBE = 1, PUBLISH = 2, DONE = 3, SHARED = 4, RPC_REQUEST = 5, DEVICE_ATTRIBUTES_CHANGED = 6, DEVICE_RPC = 7,
  ERROR = 8, FIRMWARE = 9, INSTALL = 10, PROVISIONED = 11, DIGEST = 12, DESCRIBE = 13, LEASE = 14, RELEASE = 15, HOLDER = 16;
const utf8 = new TextEncoder();

/** Set by the build (npm/build.mjs): `DEVICE` in the `iotmqtt/thingsboard` entry, whose core has the
 *  device's own API (cargo feature `thingsboard-device`), `GATEWAY` in `iotmqtt/thingsboard-gateway`,
 *  whose core has the gateway's (`thingsboard-gateway`) and provisioning. Each leaves the other's
 *  records out. */
declare const DEVICE: boolean;
declare const GATEWAY: boolean;
/** `SHARING` in the `thingsboard-shared` module (a device's core with the shared connection's rules,
 *  cargo feature `thingsboard-shared`, which `ThingsBoardDevice.connect` loads for `shared`) and in
 *  `iotmqtt/thingsboard-gateway`, whose core has them. */
declare const SHARING: boolean;

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
  async login(client: SessionClient): Promise<void> {
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
      case LEASE: {
        // A shared connection: the turn on a server RPC method among the tabs (src/shared/lease.rs).
        if (!SHARING) break;
        const topic = b.str();
        client?.lease?.(topic).then(() => this.run(LEASED, 1, topic), (e) => this.failed(e, LEASED, 0, topic));
        break;
      }
      case RELEASE:
        if (SHARING) client?.release?.(b.str());
        break;
      case HOLDER: {
        // A shared connection: which tab holds a method's turn, to answer "unknown method" when none
        // does. A session that cannot say answers nothing, as a holder would.
        if (!SHARING || !DEVICE) break;
        const topic = b.str();
        client?.holder?.(topic).then((h) => this.run(HOLDER_IS, h, topic), () => this.run(HOLDER_IS, 2 ** 32 - 1, topic));
        break;
      }
      case PROVISIONED:
        this.settle(0, b);
        break;
      case SHARED:
        if (DEVICE) events.push(["sharedAttributes", JSON.parse(b.str())]);
        break;
      case RPC_REQUEST: {
        if (!DEVICE) break;
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
        if (DEVICE) events.push(["firmware", JSON.parse(b.str())]);
        break;
      case DIGEST: {
        if (!DEVICE) break;
        const generation = b.f64(), kind = b.u8(), name = b.str(), image = new Uint8Array(b.bytes());
        digest(name, image).then((d) => {
          if (this.closed) return;
          if (typeof d === "string") this.run(DIGESTED, generation, d, undefined, Uint8Array.of(kind));
          else this.run(DIGESTED, generation, "", "null", Uint8Array.of(kind, ...d));
        });
        break;
      }
      case DESCRIBE: {
        if (!DEVICE) break;
        // The words of the error that failed an update, from the message table, for `fw_error`;
        // handed back after this batch, as every answer the updater waits for.
        const generation = b.f64(), kind = b.u8(), words = b.error().message;
        queueMicrotask(() => {
          if (!this.closed) this.run(DESCRIBED, generation, words, undefined, Uint8Array.of(kind));
        });
        break;
      }
      case INSTALL: {
        if (!DEVICE) break;
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

/** A shared client's number for the core: its host's and its own in that host. */
const number = (c: SharedClient) => c.host * 2 ** 32 + c.tab;

/** Opens a device's or gateway's connection: the core checks the options, the client connects,
 *  the session limits are read. `Shared`: a device's connection is the session the origin's tabs
 *  share (`iotmqtt/shared`), named `shared`. */
export async function open(
  s: Session, url: string, options: ThingsBoardDeviceOptions, gateway: boolean,
  Shared?: typeof SharedClient, shared?: true | string,
): Promise<SessionClient> {
  s.start(CONNECT, (gateway ? 1 : 0) + (SHARING && Shared ? 2 : 0), "", undefined, plain(options, "options"));
  const client: SessionClient = SHARING && Shared
    ? new Shared(url, { ...JSON.parse((s.core as ThingsBoardCore).sharedOptions()!) as object, shared }, false)
    : s.open(url);
  client.on("state", (state) => {
    s.listeners.emit("state", state);
    if (state.type === "disconnected") s.listeners.emit("error", state.error);
    // The core numbers its requests in the tab's block, and on a new host (a leader's greeting)
    // takes its new block and asks again for the turns it held.
    if (SHARING && Shared) s.run(STATE, number(client as SharedClient), state.type);
  });
  if (SHARING && Shared) (client as SharedClient).on("tabs", (n) => s.run(TABS, n));
  await s.login(client);
  // A tab that joins a session already connected hears no state: its number comes with the join.
  if (SHARING && Shared) s.run(STATE, number(client as SharedClient), "connected");
  const ready = s.start(CONNECTED);
  const op = ready.f64();
  if (op >= 0) await s.wait(ready, op);
  else s.apply(ready);
  return client;
}
