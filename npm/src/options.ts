// An options object, read once into plain data before the core reads its fields
// (src/session/options/read.rs). Getters and Proxy traps run here, once each, inside try/catch;
// a cycle ends at the depth limit; at most 100,000 values and 2^24 characters of text in all. What
// goes wrong is `INVALID_OPTION` with the path where it went wrong (`reconnect`, `websocketProtocols[0]`).
import { iotError } from "./errors.js";

const MAX_VALUES = 100_000;
const MAX_TEXT = 2 ** 24;
const MAX_DEPTH = 127;

/** A plain copy of `value`: objects without a prototype, arrays, and the leaves as they are. */
export function plainOptions(value: unknown, name = "options"): unknown {
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
  const walk = (v: unknown, path: string, depth: number): unknown => {
    charge(path, 1, 0);
    if (typeof v === "string") charge(path, 0, v.length);
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
    if (depth >= MAX_DEPTH) fail(path, "recursion limit exceeded");
    if (read(path, () => Array.isArray(v))) {
      const items = v as unknown[];
      const length = read(path, () => items.length);
      if (!Number.isInteger(length) || length < 0) fail(path, "an array whose length is not a whole number");
      if (length > values) charge(path, length, 0); // refused before it is walked
      const out: unknown[] = [];
      for (let i = 0; i < length; i++) {
        const at = `${path}[${i}]`;
        out.push(walk(read(at, () => items[i]), at, depth + 1));
      }
      return out;
    }
    const entries = read(path, () => Object.entries(v));
    charge(path, entries.length, 0);
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of entries) {
      charge(path, 0, key.length);
      out[key] = walk(item, (path ? path + "." : "") + (key || '""'), depth + 1);
    }
    return out;
  };
  return walk(value, "", 0);
}
