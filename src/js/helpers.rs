//! Payload helpers as free functions: hex, base64, bytes and text in the forms LoRaWAN tools
//! use, and CayenneLPP decoding. Bad input throws an error record with a `TTS_INVALID_*` code,
//! which the shell (`npm/src/payload.ts`) turns into an `IotMqttError`.

use wasm_bindgen::prelude::*;

use super::errors::thrown as js;
use crate::platforms::things_stack::payload;

/// Hex (`"BE EF"`, `"be:ef"`, `"0xBEEF"`) to base64: `hexToBase64("BE EF") === "vu8="`.
#[wasm_bindgen(js_name = hexToBase64)]
pub fn hex_to_base64(hex: &str) -> Result<String, JsValue> {
    payload::hex_to_base64(hex).map_err(|e| js(&e))
}

/// Base64 (padded or not, standard or URL-safe) to upper-case hex: `base64ToHex("vu8=") === "BEEF"`.
#[wasm_bindgen(js_name = base64ToHex)]
pub fn base64_to_hex(base64: &str) -> Result<String, JsValue> {
    payload::base64_to_hex(base64).map_err(|e| js(&e))
}

/// Bytes to padded standard base64, the form `frm_payload` takes on the wire.
#[wasm_bindgen(js_name = bytesToBase64)]
pub fn bytes_to_base64(bytes: &[u8]) -> String {
    payload::bytes_to_base64(bytes)
}

/// Base64 to bytes.
#[wasm_bindgen(js_name = base64ToBytes)]
pub fn base64_to_bytes(base64: &str) -> Result<Vec<u8>, JsValue> {
    payload::base64_to_bytes(base64).map_err(|e| js(&e))
}

/// Hex in any common spelling to bytes.
#[wasm_bindgen(js_name = hexToBytes)]
pub fn hex_to_bytes(hex: &str) -> Result<Vec<u8>, JsValue> {
    payload::hex_to_bytes(hex).map_err(|e| js(&e))
}

/// Bytes to upper-case hex without separators, as the TTS Console shows payloads.
#[wasm_bindgen(js_name = bytesToHex)]
pub fn bytes_to_hex(bytes: &[u8]) -> String {
    payload::bytes_to_hex(bytes)
}

/// UTF-8 text to base64.
#[wasm_bindgen(js_name = textToBase64)]
pub fn text_to_base64(text: &str) -> String {
    payload::text_to_base64(text)
}

/// Base64 to UTF-8 text; throws `TTS_INVALID_UTF8` when the bytes are not text.
#[wasm_bindgen(js_name = base64ToText)]
pub fn base64_to_text(base64: &str) -> Result<String, JsValue> {
    payload::base64_to_text(base64).map_err(|e| js(&e))
}

/// Decodes a CayenneLPP payload as The Things Stack's built-in formatter does, as a batch of
/// readings (`crate::batch::lpp`) that the shell turns into `{ temperature_3: 27.2 }`.
#[wasm_bindgen(js_name = decodeCayenneLpp)]
pub fn decode_cayenne_lpp(bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    let readings = crate::platforms::things_stack::lpp::read_lpp(bytes).map_err(|e| js(&e))?;
    Ok(crate::batch::lpp::readings(&readings))
}
