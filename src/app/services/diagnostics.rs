//! What the page costs the browser, for the benchmark and the curious: the WebAssembly linear
//! memory (which the JS heap figures leave out).

use wasm_bindgen::JsCast;

/// Bytes of WebAssembly memory the module holds now (it grows, never shrinks).
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}
