//! The payload helpers (hex, base64, bytes and text in the forms LoRaWAN tools use, and
//! CayenneLPP decoding) behind one export: `npm/src/payload.ts` names each by its number. Bad
//! input throws an error record with a `TTS_INVALID_*` code, which the shell turns into an
//! `IotMqttError`.

use wasm_bindgen::prelude::*;

use super::errors::thrown as js;
use crate::batch::Batch;
use crate::platforms::things_stack::payload;

/// Helper `op` on `text` or `bytes`: a batch holding its result (a string, bytes, or for
/// CayenneLPP the readings of `crate::batch::lpp`).
#[wasm_bindgen]
pub fn convert(op: u8, text: &str, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    let mut b = Batch::new();
    match op {
        0 => b.str(&payload::hex_to_base64(text).map_err(|e| js(&e))?),
        1 => b.str(&payload::base64_to_hex(text).map_err(|e| js(&e))?),
        2 => b.str(&payload::bytes_to_base64(bytes)),
        3 => b.bytes(&payload::base64_to_bytes(text).map_err(|e| js(&e))?),
        4 => b.bytes(&payload::hex_to_bytes(text).map_err(|e| js(&e))?),
        5 => b.str(&payload::bytes_to_hex(bytes)),
        6 => b.str(&payload::text_to_base64(text)),
        7 => b.str(&payload::base64_to_text(text).map_err(|e| js(&e))?),
        _ => {
            let readings = crate::platforms::things_stack::lpp::read_lpp(bytes).map_err(|e| js(&e))?;
            return Ok(crate::batch::lpp::readings(&readings));
        }
    };
    Ok(b.finish(None))
}
