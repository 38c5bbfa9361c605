// The entry `iotmqtt/payload`: payload helpers in the forms LoRaWAN tools use (hex, base64, bytes and
// text, and CayenneLPP as The Things Stack's built-in formatter decodes it). The rules are the core's
// (src/platforms/things_stack/payload.rs, lpp.rs); bad input throws a `TTS_INVALID_*` error.
import * as core from "#payload";
import { Batch, call } from "../batch.js";
import { addMessages, PAYLOAD_MESSAGES } from "../errors.js";
import type { JsonObject } from "../types.js";

export { default } from "../init.js";
export type { IotMqttError } from "../errors.js";
export type { JsonObject, JsonValue } from "../types.js";

addMessages(PAYLOAD_MESSAGES);

// One export for all of them (src/js/payload.rs): the helper's number, text or bytes in, a batch out.
const run = (op: number, text: string, bytes: Uint8Array): Batch =>
  new Batch(call(() => core.convert(op, text, bytes)));
const NONE: Uint8Array = new Uint8Array(0);
const str = (op: number, text: string, bytes: Uint8Array = NONE): string => run(op, text, bytes).str();
const bin = (op: number, text: string): Uint8Array => run(op, text, NONE).bytes().slice();

/** Hex (`"BE EF"`, `"be:ef"`, `"0xBEEF"`) to base64: `hexToBase64("BE EF") === "vu8="`. */
export const hexToBase64 = (hex: string): string => str(0, hex);
/** Base64 (padded or not, standard or URL-safe) to upper-case hex: `base64ToHex("vu8=") === "BEEF"`. */
export const base64ToHex = (base64: string): string => str(1, base64);
/** Bytes to padded standard base64, the form `frm_payload` takes on the wire. */
export const bytesToBase64 = (bytes: Uint8Array): string => str(2, "", bytes);
/** Base64 to bytes. */
export const base64ToBytes = (base64: string): Uint8Array => bin(3, base64);
/** Hex in any common spelling to bytes. */
export const hexToBytes = (hex: string): Uint8Array => bin(4, hex);
/** Bytes to upper-case hex without separators, as the TTS Console shows payloads. */
export const bytesToHex = (bytes: Uint8Array): string => str(5, "", bytes);
/** UTF-8 text to base64. */
export const textToBase64 = (text: string): string => str(6, text);
/** Base64 to UTF-8 text; throws `TTS_INVALID_UTF8` when the bytes are not text. */
export const base64ToText = (base64: string): string => str(7, base64);
/** Decodes a CayenneLPP payload: `decodeCayenneLpp(hexToBytes("03670110"))` is `{ temperature_3: 27.2 }`. */
export function decodeCayenneLpp(bytes: Uint8Array): JsonObject {
  // The core's readings (src/batch/lpp.rs): a key, then 0 and a number or 1 and three named numbers.
  const b = run(8, "", bytes);
  const out: JsonObject = {};
  while (b.more()) {
    const key = b.str();
    if (b.u8() === 0) {
      out[key] = b.f64();
    } else {
      const parts: JsonObject = {};
      for (let i = 0; i < 3; i++) parts[b.str()] = b.f64();
      out[key] = parts;
    }
  }
  return out;
}
