//! Data crossing the boundary: payloads (string, Uint8Array, ArrayBuffer or JSON-serialisable
//! value) to bytes, and JSON values both ways through the browser's own `JSON`, not a Rust codec.
// Some helpers serve only the platform facades, unused in a build that leaves platforms out.
#![cfg_attr(not(all(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs")), allow(dead_code))]

use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array, JSON};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use super::errors::{js_error, option_error};

/// The bytes to publish: a string as UTF-8, bytes as they are, `null`/`undefined` as nothing,
/// anything else as its JSON text.
pub fn payload_bytes(payload: &JsValue) -> Result<Vec<u8>, JsValue> {
    if payload.is_undefined() || payload.is_null() {
        return Ok(Vec::new());
    }
    if let Some(text) = payload.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = payload.dyn_ref::<Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if payload.is_instance_of::<ArrayBuffer>() {
        return Ok(Uint8Array::new(payload).to_vec());
    }
    json_text(payload, "payload").map(String::into_bytes)
}

/// `JSON.stringify(value)`, refusing what has no JSON form (functions, symbols, BigInt, cycles).
pub fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| js_error("INVALID_PAYLOAD", &format!("the {what} cannot be written as JSON")))
}

/// A JS value as JSON data for the platform codecs.
pub fn to_json(value: &JsValue, what: &str) -> Result<Value, JsValue> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let text = json_text(value, what)?;
    crate::json::parse(text.as_bytes()).map_err(|e| js_error("INVALID_PAYLOAD", &format!("the {what}: {e}")))
}

/// Any serialisable result as plain JS data (objects, arrays, numbers), via `JSON.parse`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    serde_json::to_string(value).ok().and_then(|t| JSON::parse(&t).ok()).unwrap_or(JsValue::NULL)
}

/// A required or optional string field of an options object.
pub fn string_field(options: &JsValue, field: &str) -> Result<Option<String>, JsValue> {
    let value = get(options, field)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| option_error(field, "expected a string"))
}

/// `object[key]` (`undefined` when `object` is not an object); a getter or a Proxy trap that
/// throws is `INVALID_OPTION` for that key, never taken as absent.
pub fn get(object: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !object.is_object() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(object, &JsValue::from_str(key))
        .map_err(|thrown| option_error(key, crate::json::unreadable(&thrown).message()))
}

/// A caller's list (`None`: not an array), each item read through a catching `Reflect.get`.
pub fn list(value: &JsValue, field: &str) -> Result<Option<Vec<JsValue>>, JsValue> {
    crate::json::js_array(value).map_err(|e| option_error(field, e.message()))
}

/// An optional array of strings (`None` for `undefined`/`null`).
pub fn string_list(value: &JsValue, field: &str) -> Result<Option<Vec<String>>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let items = list(value, field)?.ok_or_else(|| option_error(field, "expected an array of strings"))?;
    items
        .iter()
        .map(|s| s.as_string().ok_or_else(|| option_error(field, "expected strings")))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Builds the plain objects the API hands to JavaScript.
pub struct Obj(pub Object);

impl Obj {
    pub fn new() -> Self {
        Self(Object::new())
    }

    pub fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    /// Sets the key only when there is a value, so optional fields are absent rather than `null`.
    pub fn opt<T: Into<JsValue>>(self, key: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    pub fn build(self) -> JsValue {
        self.0.into()
    }
}

/// A byte slice as a fresh `Uint8Array` owned by JavaScript.
pub fn bytes_js(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}
