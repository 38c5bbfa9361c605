//! `JSON.parse`, then the parsed JS value read into a [`Value`]: plain data, as large as its text,
//! with nothing shared, so it is walked as it is.

use crate::json::{Map, Value};
use js_sys::{Array, JsString, Object, JSON};
use wasm_bindgen::{JsCast, JsValue};

use super::{number, ReadError, MAX_DEPTH};

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let parsed = JSON::parse(text).map_err(|e| match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => "not JSON".into(),
    })?;
    read(&parsed, 0).map_err(|e| e.to_string())
}

fn read(v: &JsValue, depth: usize) -> Result<Value, ReadError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    if v.is_string() {
        return Ok(Value::String(v.unchecked_ref::<JsString>().into()));
    }
    if let Some(f) = v.as_f64() {
        return number(f);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if depth >= MAX_DEPTH {
        return Err(ReadError::new("recursion limit exceeded"));
    }
    if Array::is_array(v) {
        let items: &Array = v.unchecked_ref();
        let under = |i: usize| move |e: ReadError| e.under(&format!("[{i}]"));
        return items.iter().enumerate().map(|(i, item)| read(&item, depth + 1).map_err(under(i))).collect();
    }
    let mut map = Map::new();
    for entry in Object::entries(v.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = read(&entry.get(1), depth + 1).map_err(|e| e.under(&key))?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}
