//! Every failure reaches JavaScript as a real `Error` with a stable `code`: the core throws an error
//! record, and the shell (`npm/src/errors.ts`) gives it its words.

use wasm_bindgen::JsValue;

/// An error for the TypeScript shell: one batch error record in a thrown `Uint8Array`, which the
/// shell turns into an `IotMqttError` with the words of its message table.
pub fn thrown(e: &impl crate::batch::Coded) -> JsValue {
    let mut b = crate::batch::Batch::new();
    b.error(e);
    js_sys::Uint8Array::from(b.finish(None).get(8..).unwrap_or_default()).into()
}

/// A client error as a JS `Error` with its `code`, for the benchmark entry points.
#[cfg(feature = "bench")]
pub fn js(e: crate::error::ClientError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    error.set_name("IotMqttError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &e.code().into());
    error.into()
}
