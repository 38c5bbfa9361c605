// Arguments the core reads (options, requests, filters) as plain data in bytes, the layout of
// src/batch/plain.rs. The value is read once, here: getters and Proxy traps run inside try/catch,
// a cycle ends at the depth limit, and at most 100,000 values and 2^24 characters go in all. What
// goes wrong is `INVALID_OPTION` at its path (`reconnect`, `websocketProtocols[0]`); the core's
// readers then check every field (src/session/options/read.rs).
import { iotError } from "./errors.js";

const MAX_VALUES = 100_000;
const MAX_TEXT = 2 ** 24;
const MAX_DEPTH = 127;
const utf8 = new TextEncoder();
/** `undefined`, the most common options argument. */
const NONE = Uint8Array.of(0);

/**
 * `value` as plain data. `name` names the argument in errors about itself. With `keyed`, a getter
 * that throws is reported at its key (`qos`); without, at the object holding it (`options`). The
 * values at `payloads` (paths such as `will.payload`, `[]` standing for any index) are payloads:
 * written as their bytes, as `publish` sends them (any JSON value as its JSON text).
 */
export function plain(value: unknown, name: string, keyed = false, payloads: readonly string[] = []): Uint8Array {
  if (value === undefined) return NONE;
  const w = new Writer(name, keyed, payloads);
  w.walk(value, "", 0);
  return Uint8Array.from(w.out);
}

const scratch = new DataView(new ArrayBuffer(8));

// One per call (a getter may call back into the client, so no state is shared between calls).
class Writer {
  out: number[] = [];
  #values = MAX_VALUES;
  #text = MAX_TEXT;
  constructor(readonly name: string, readonly keyed: boolean, readonly payloads: readonly string[]) {}

  fail(path: string, reason: string): never {
    const field = path || this.name;
    throw iotError("INVALID_OPTION", `invalid option ${field}: ${reason}`, field);
  }

  read<T>(path: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      return this.fail(path, `could not be read: ${e instanceof Error ? e.message : "it threw"}`);
    }
  }

  charge(path: string, n: number, chars: number): void {
    this.#values -= n;
    this.#text -= chars;
    if (this.#values < 0 || this.#text < 0) {
      this.fail(path, `more than the ${MAX_VALUES} values (or ${MAX_TEXT} characters) an options object may hold`);
    }
  }

  u32(n: number): void {
    this.out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    for (let i = 0; i < b.length; i++) this.out.push(b[i]);
  }

  /** A string's length and UTF-8; ASCII without a `TextEncoder` call. */
  text(s: string): void {
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) return this.bytes(utf8.encode(s));
    }
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.out.push(s.charCodeAt(i));
  }

  other(what: string): void {
    this.out.push(8, what.length);
    for (let i = 0; i < what.length; i++) this.out.push(what.charCodeAt(i));
  }

  walk(v: unknown, path: string, depth: number): void {
    this.charge(path, 1, 0);
    if (v === undefined || v === null) return void this.out.push(0);
    if (this.payloads.length && typeof v !== "string" && this.payloads.includes(path.replace(/\[\d+\]/g, "[]"))) {
      let bytes: Uint8Array;
      try {
        bytes = payloadBytes(v);
      } catch {
        return this.fail(path, "not a payload");
      }
      this.charge(path, 0, bytes.length);
      this.out.push(5);
      return this.bytes(bytes);
    }
    if (typeof v === "boolean") return void this.out.push(v ? 2 : 1);
    if (typeof v === "string") {
      this.charge(path, 0, v.length);
      this.out.push(4);
      return this.text(v);
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return this.other(Number.isNaN(v) ? "NaN" : "an infinite number");
      scratch.setFloat64(0, v, true);
      this.out.push(3);
      for (let i = 0; i < 8; i++) this.out.push(scratch.getUint8(i));
      return;
    }
    if (typeof v !== "object") return this.other(typeof v === "function" ? "a function" : `a ${typeof v}`);
    // instanceof asks a Proxy for its prototype, which a revoked one refuses; a view's `buffer` may be
    // a throwing getter, or detached. Bytes count against the text cap.
    const view = this.read(path, () =>
      v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null);
    if (view) {
      this.charge(path, 0, view.length);
      this.out.push(5);
      return this.bytes(view);
    }
    if (depth >= MAX_DEPTH) this.fail(path, "recursion limit exceeded");
    if (this.read(path, () => Array.isArray(v))) {
      const items = v as unknown[];
      const length = this.read(path, () => items.length);
      if (!Number.isInteger(length) || length < 0) this.fail(path, "an array whose length is not a whole number");
      if (length > this.#values) this.charge(path, length, 0); // refused before it is walked
      this.out.push(6);
      this.u32(length);
      for (let i = 0; i < length; i++) {
        const at = `${path}[${i}]`;
        this.walk(this.read(at, () => items[i]), at, depth + 1);
      }
      return;
    }
    const object = v as Record<string, unknown>;
    const keys = this.read(path, () => Object.keys(object));
    this.charge(path, keys.length, 0);
    this.out.push(7);
    this.u32(keys.length);
    for (const key of keys) {
      const at = (path ? path + "." : "") + (key || '""');
      this.charge(path, 0, key.length);
      this.text(key);
      this.walk(this.read(this.keyed ? at : path, () => object[key]), at, depth + 1);
    }
  }
}

/** The bytes to publish: text as UTF-8, bytes as they are, nothing for `null`/`undefined`, and
 *  anything else as its JSON text. */
export function payloadBytes(payload: unknown): Uint8Array {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (typeof payload === "string") return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  return utf8.encode(json(payload, "payload") as string);
}

/** A caller's value as JSON text (`undefined`: none); `INVALID_PAYLOAD` when JSON cannot hold it. */
export function json(value: unknown, what: string): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined && value !== undefined) throw iotError("INVALID_PAYLOAD", `the ${what} cannot be written as JSON`);
  return text;
}
