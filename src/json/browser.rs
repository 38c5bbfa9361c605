//! `JSON.parse`, then the parsed JS value read into a [`Value`]; options objects from JavaScript
//! are read into a [`Value`] the same way.

use js_sys::{Array, Object, JSON};
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{ReadError, MAX_DEPTH};

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let parsed = JSON::parse(text).map_err(|e| match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => "not JSON".into(),
    })?;
    from_js(&parsed).map_err(|e| e.to_string())
}

/// JS data as JSON data: `undefined` is `null`, objects are read by their own enumerable keys (a
/// getter that throws is an error, not an exception through wasm), and what JSON cannot hold (a
/// function, a symbol, a BigInt, `NaN`, a cycle) is an error naming where it is.
pub fn from_js(v: &JsValue) -> Result<Value, ReadError> {
    read(v, 0)
}

fn read(v: &JsValue, depth: usize) -> Result<Value, ReadError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
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
        let kind = v.js_typeof().as_string().unwrap_or_default();
        return Err(ReadError::new(format!("expected JSON data, got a {kind}")));
    }
    if depth >= MAX_DEPTH {
        return Err(ReadError::new("recursion limit exceeded"));
    }
    if Array::is_array(v) {
        return v
            .unchecked_ref::<Array>()
            .iter()
            .enumerate()
            .map(|(i, item)| read(&item, depth + 1).map_err(|e| e.under(&format!("[{i}]"))))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    let entries = object_entries(v.unchecked_ref()).map_err(|thrown| {
        let why = thrown.dyn_ref::<js_sys::Error>().map_or_else(|| "it threw".into(), |e| String::from(e.message()));
        ReadError::new(format!("could not be read: {why}"))
    })?;
    let mut map = Map::new();
    for entry in entries.iter() {
        let entry: Array = entry.unchecked_into();
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = read(&entry.get(1), depth + 1).map_err(|e| e.under(&key))?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

#[wasm_bindgen]
extern "C" {
    // `Object.entries`, which runs getters and a Proxy's traps, in its catching form.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(object: &Object) -> Result<Array, JsValue>;
}

/// Whole numbers as integers, as serde_json reads `7` (and reads what `JSON.stringify` writes for
/// 2^60); others as floats. A JS number is exact only to 2^53, so larger integers from the network
/// arrive rounded, where serde_json would keep every digit. Out of range (`1e400`) is an error.
fn number(f: f64) -> Result<Value, ReadError> {
    const U64_END: f64 = 18_446_744_073_709_551_616.0; // 2^64
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0; // -2^63
    if f.fract() == 0.0 && (0.0..U64_END).contains(&f) {
        return Ok(Value::from(f as u64));
    }
    if f.fract() == 0.0 && (I64_MIN..0.0).contains(&f) {
        return Ok(Value::from(f as i64));
    }
    // No `{f}`: formatting a float would bring core's float printing into the package.
    let name = if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| ReadError::new(format!("expected a finite number, got {name}")))
}
