//! `JSON.parse`, then the parsed JS value read into a [`Value`].

use js_sys::{Array, Object, JSON};
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use super::MAX_DEPTH;

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let parsed = JSON::parse(text).map_err(|e| match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => "not JSON".into(),
    })?;
    read(&parsed, 0)
}

fn read(v: &JsValue, depth: usize) -> Result<Value, String> {
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if let Some(f) = v.as_f64() {
        return number(f);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if !v.is_object() {
        return Ok(Value::Null);
    }
    if depth >= MAX_DEPTH {
        return Err("recursion limit exceeded".into());
    }
    if Array::is_array(v) {
        return v
            .unchecked_ref::<Array>()
            .iter()
            .map(|item| read(&item, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    let mut map = Map::new();
    for entry in Object::entries(v.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        map.insert(entry.get(0).as_string().unwrap_or_default(), read(&entry.get(1), depth + 1)?);
    }
    Ok(Value::Object(map))
}

/// Whole numbers as integers, as serde_json reads `7` (and reads what `JSON.stringify` writes for
/// 2^60); others as floats. A JS number is exact only to 2^53, so larger integers from the network
/// arrive rounded, where serde_json would keep every digit. Out of range (`1e400`) is an error.
fn number(f: f64) -> Result<Value, String> {
    const U64_END: f64 = 18_446_744_073_709_551_616.0; // 2^64
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0; // -2^63
    if f.fract() == 0.0 && (0.0..U64_END).contains(&f) {
        return Ok(Value::from(f as u64));
    }
    if f.fract() == 0.0 && (I64_MIN..0.0).contains(&f) {
        return Ok(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number).ok_or_else(|| "number out of range".into())
}
