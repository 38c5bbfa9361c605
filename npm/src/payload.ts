// Payload helpers in the forms LoRaWAN tools use: hex, base64, bytes and text, and CayenneLPP as
// The Things Stack's built-in formatter decodes it. The rules are the core's
// (src/platforms/things_stack/payload.rs, lpp.rs); bad input throws a `TTS_INVALID_*` error.
import * as core from "#core";
import { Batch, call } from "./batch.js";
import type { JsonObject } from "./types.js";

/** Hex (`"BE EF"`, `"be:ef"`, `"0xBEEF"`) to base64: `hexToBase64("BE EF") === "vu8="`. */
export const hexToBase64 = (hex: string): string => call(() => core.hexToBase64(hex));
/** Base64 (padded or not, standard or URL-safe) to upper-case hex: `base64ToHex("vu8=") === "BEEF"`. */
export const base64ToHex = (base64: string): string => call(() => core.base64ToHex(base64));
/** Bytes to padded standard base64, the form `frm_payload` takes on the wire. */
export const bytesToBase64 = (bytes: Uint8Array): string => call(() => core.bytesToBase64(bytes));
/** Base64 to bytes. */
export const base64ToBytes = (base64: string): Uint8Array => call(() => core.base64ToBytes(base64));
/** Hex in any common spelling to bytes. */
export const hexToBytes = (hex: string): Uint8Array => call(() => core.hexToBytes(hex));
/** Bytes to upper-case hex without separators, as the TTS Console shows payloads. */
export const bytesToHex = (bytes: Uint8Array): string => call(() => core.bytesToHex(bytes));
/** UTF-8 text to base64. */
export const textToBase64 = (text: string): string => call(() => core.textToBase64(text));
/** Base64 to UTF-8 text; throws `TTS_INVALID_UTF8` when the bytes are not text. */
export const base64ToText = (base64: string): string => call(() => core.base64ToText(base64));
/** Decodes a CayenneLPP payload: `decodeCayenneLpp(hexToBytes("03670110"))` is `{ temperature_3: 27.2 }`. */
export function decodeCayenneLpp(bytes: Uint8Array): JsonObject {
  // The core's readings (src/batch/lpp.rs): a key, then 0 and a number or 1 and three named numbers.
  const b = new Batch(call(() => core.decodeCayenneLpp(bytes)));
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
