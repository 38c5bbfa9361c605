//! `JSON.parse`, then the parsed JS value read into a [`Value`].

use js_sys::{Array, Object, JSON};
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use super::MAX_DEPTH;

/// 2^53: integers up to this size are exact in a JS number.
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

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
        return Ok(number(f));
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

/// Whole numbers within JS's exact range as integers (as serde_json reads `7`), others as floats.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() <= MAX_SAFE {
        return if f >= 0.0 { Value::from(f as u64) } else { Value::from(f as i64) };
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}
