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
 * that throws is reported at its key (`qos`); without, at the object holding it (`options`).
 */
export function plain(value: unknown, name: string, keyed = false): Uint8Array {
  if (value === undefined) return NONE;
  const out: number[] = [];
  let values = MAX_VALUES;
  let text = MAX_TEXT;
  const fail = (path: string, reason: string): never => {
    const field = path || name;
    throw iotError("INVALID_OPTION", `invalid option ${field}: ${reason}`, field);
  };
  const read = <T>(path: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      return fail(path, `could not be read: ${e instanceof Error ? e.message : "it threw"}`);
    }
  };
  const charge = (path: string, n: number, chars: number) => {
    values -= n;
    text -= chars;
    if (values < 0 || text < 0) {
      fail(path, `more than the ${MAX_VALUES} values (or ${MAX_TEXT} characters) an options object may hold`);
    }
  };
  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  const sized = (b: Uint8Array) => {
    u32(b.length);
    for (const x of b) out.push(x);
  };
  const bytes = (tag: number, b: Uint8Array) => {
    out.push(tag);
    sized(b);
  };
  const f64 = new Float64Array(1);
  const walk = (v: unknown, path: string, depth: number): void => {
    charge(path, 1, 0);
    if (v === undefined || v === null) return void out.push(0);
    if (typeof v === "boolean") return void out.push(v ? 2 : 1);
    if (typeof v === "string") {
      charge(path, 0, v.length);
      return bytes(4, utf8.encode(v));
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return other(Number.isNaN(v) ? "NaN" : "an infinite number");
      f64[0] = v;
      out.push(3);
      for (const x of new Uint8Array(f64.buffer)) out.push(x);
      return;
    }
    if (typeof v !== "object") return other(typeof v === "function" ? "a function" : `a ${typeof v}`);
    // instanceof asks a Proxy for its prototype, which a revoked one refuses.
    if (read(path, () => v instanceof ArrayBuffer)) return bytes(5, new Uint8Array(v as ArrayBuffer));
    if (ArrayBuffer.isView(v)) return bytes(5, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (depth >= MAX_DEPTH) fail(path, "recursion limit exceeded");
    if (read(path, () => Array.isArray(v))) {
      const items = v as unknown[];
      const length = read(path, () => items.length);
      if (!Number.isInteger(length) || length < 0) fail(path, "an array whose length is not a whole number");
      if (length > values) charge(path, length, 0); // refused before it is walked
      out.push(6);
      u32(length);
      for (let i = 0; i < length; i++) {
        const at = `${path}[${i}]`;
        walk(read(at, () => items[i]), at, depth + 1);
      }
      return;
    }
    const object = v as Record<string, unknown>;
    const keys = read(path, () => Object.keys(object));
    charge(path, keys.length, 0);
    out.push(7);
    u32(keys.length);
    for (const key of keys) {
      const at = (path ? path + "." : "") + (key || '""');
      charge(path, 0, key.length);
      sized(utf8.encode(key));
      walk(read(keyed ? at : path, () => object[key]), at, depth + 1);
    }
  };
  const other = (what: string) => {
    out.push(8, what.length);
    for (let i = 0; i < what.length; i++) out.push(what.charCodeAt(i));
  };
  walk(value, "", 0);
  return Uint8Array.from(out);
}

/** The bytes to publish: text as UTF-8, bytes as they are, nothing for `null`/`undefined`, and
 *  anything else as its JSON text. */
export function payloadBytes(payload: unknown): Uint8Array {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (typeof payload === "string") return utf8.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw iotError("INVALID_PAYLOAD", "the payload cannot be written as JSON");
  return utf8.encode(json);
}
