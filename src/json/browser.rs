//! `JSON.parse`, then the parsed JS value read into a [`Value`]; options objects from JavaScript
//! are read into a [`Value`] the same way.

use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect, JSON};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{number, ReadError, MAX_DEPTH};

/// How many values one options object may hold in all. A JS object may share one array many times
/// over, so the memory it takes says nothing about the work of reading it.
pub const MAX_OPTION_VALUES: usize = 100_000;
/// How much text (keys and strings, in UTF-16 units) one options object may hold in all.
pub const MAX_OPTION_TEXT: usize = 1 << 24;

pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let parsed = JSON::parse(text).map_err(|e| match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => "not JSON".into(),
    })?;
    // JSON.parse's output: plain data, as large as its text, with nothing shared.
    Walk { left: None }.read(&parsed, 0).map_err(|e| e.to_string())
}

/// JS data as JSON data: `undefined` is `null`, arrays and objects are read through catching
/// bindings (a getter or a Proxy trap that throws is an error, not an exception through wasm), at
/// most [`MAX_OPTION_VALUES`] values and [`MAX_OPTION_TEXT`] of text in all, and what JSON cannot
/// hold (a function, a symbol, a BigInt, bytes, `NaN`, a cycle) is an error naming where it is.
pub fn from_js(v: &JsValue) -> Result<Value, ReadError> {
    Walk { left: Some(Budget { values: MAX_OPTION_VALUES, text: MAX_OPTION_TEXT }) }.read(v, 0)
}

/// A caller's array as its items (`None`: not an array), read as [`from_js`] reads one: each item
/// through a catching `Reflect.get`, at most [`MAX_OPTION_VALUES`] of them.
pub fn js_array(v: &JsValue) -> Result<Option<Vec<JsValue>>, ReadError> {
    if !is_array(v)? {
        return Ok(None);
    }
    let length = checked_length(v, MAX_OPTION_VALUES)?;
    (0..length).map(|i| item(v, i)).collect::<Result<_, _>>().map(Some)
}

/// `Array.isArray`, which throws for a revoked Proxy.
pub fn is_array(v: &JsValue) -> Result<bool, ReadError> {
    array_is_array(v).map_err(|thrown| unreadable(&thrown))
}

struct Budget {
    values: usize,
    text: usize,
}

struct Walk {
    /// What may still be read; `None`: no limit (JSON.parse's output).
    left: Option<Budget>,
}

impl Walk {
    /// Counts `values` values and `text` UTF-16 units against the budget.
    fn charge(&mut self, values: usize, text: usize) -> Result<(), ReadError> {
        if let Some(left) = &mut self.left {
            left.values = left.values.checked_sub(values).ok_or_else(too_many)?;
            left.text = left.text.checked_sub(text).ok_or_else(too_many)?;
        }
        Ok(())
    }

    fn read(&mut self, v: &JsValue, depth: usize) -> Result<Value, ReadError> {
        self.charge(1, 0)?;
        if v.is_undefined() || v.is_null() {
            return Ok(Value::Null);
        }
        if v.is_string() {
            // Measured before it is copied into wasm memory.
            self.charge(0, v.unchecked_ref::<JsString>().length() as usize)?;
            return Ok(Value::String(v.as_string().unwrap_or_default()));
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
        if is_array(v)? {
            return self.array(v, depth).map(Value::Array);
        }
        if self.left.is_some() && ArrayBuffer::is_view(v) {
            return Err(ReadError::new("expected JSON data, got bytes"));
        }
        let entries = object_entries(v.unchecked_ref()).map_err(|thrown| unreadable(&thrown))?;
        // Charged up front: an object shared many times over uses the budget up at once.
        self.charge(entries.length() as usize, 0)?;
        let mut map = Map::new();
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry.get(0);
            self.charge(0, key.unchecked_ref::<JsString>().length() as usize)?;
            let key = key.as_string().unwrap_or_default();
            let value = self.read(&entry.get(1), depth + 1).map_err(|e| e.under(&key))?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// JSON.parse's arrays are read as they are; a caller's are read item by item through catching
    /// `Reflect.get`, up to a length read once and checked first (a sparse `new Array(2 ** 32 - 1)`
    /// is refused, not walked).
    fn array(&mut self, v: &JsValue, depth: usize) -> Result<Vec<Value>, ReadError> {
        let under = |i: usize| move |e: ReadError| e.under(&format!("[{i}]"));
        let Some(left) = &self.left else {
            let items: &Array = v.unchecked_ref();
            return items.iter().enumerate().map(|(i, item)| self.read(&item, depth + 1).map_err(under(i))).collect();
        };
        let length = checked_length(v, left.values)?;
        let mut list = Vec::new();
        for i in 0..length {
            let value = item(v, i).and_then(|item| self.read(&item, depth + 1)).map_err(under(i))?;
            list.push(value);
        }
        Ok(list)
    }
}

/// A caller's array's `length`, read once: a whole number no larger than `max`.
fn checked_length(v: &JsValue, max: usize) -> Result<usize, ReadError> {
    let length = Reflect::get(v, &"length".into()).map_err(|thrown| unreadable(&thrown))?;
    match length.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= max as f64 => Ok(n as usize),
        Some(n) if n.fract() == 0.0 && n > max as f64 => Err(too_many()),
        _ => Err(ReadError::new("an array whose length is not a whole number")),
    }
}

/// Item `i` of a caller's array, through a catching `Reflect.get`.
fn item(v: &JsValue, i: usize) -> Result<JsValue, ReadError> {
    Reflect::get_u32(v, i as u32).map_err(|thrown| unreadable(&thrown))
}

fn too_many() -> ReadError {
    ReadError::new(format!(
        "more than the {MAX_OPTION_VALUES} values (or {MAX_OPTION_TEXT} characters) an options object may hold"
    ))
}

/// A getter or a Proxy trap that threw, as an error: "could not be read: " and its message.
pub fn unreadable(thrown: &JsValue) -> ReadError {
    let why = thrown.dyn_ref::<js_sys::Error>().map_or_else(|| "it threw".into(), |e| String::from(e.message()));
    ReadError::new(format!("could not be read: {why}"))
}

#[wasm_bindgen]
extern "C" {
    // Catching forms of what reads caller-made data: getters and a Proxy's traps run inside them.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(object: &Object) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
}
