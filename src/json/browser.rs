//! `JSON.parse`, then the parsed JS value read into a [`Value`]; options objects from JavaScript
//! are read into a [`Value`] the same way.

use js_sys::{Array, Object, Reflect, JSON};
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{ReadError, MAX_DEPTH};

/// How many values one options object may hold in all. A JS object may share one array many times
/// over, so the memory it takes says nothing about the work of reading it.
pub const MAX_OPTION_VALUES: usize = 100_000;

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
/// most [`MAX_OPTION_VALUES`] values in all, and what JSON cannot hold (a function, a symbol, a
/// BigInt, `NaN`, a cycle) is an error naming where it is.
pub fn from_js(v: &JsValue) -> Result<Value, ReadError> {
    Walk { left: Some(MAX_OPTION_VALUES) }.read(v, 0)
}

/// `Array.isArray`, which throws for a revoked Proxy.
pub fn is_array(v: &JsValue) -> Result<bool, ReadError> {
    array_is_array(v).map_err(|thrown| unreadable(&thrown))
}

struct Walk {
    /// How many more values may be read; `None`: no limit.
    left: Option<usize>,
}

impl Walk {
    fn read(&mut self, v: &JsValue, depth: usize) -> Result<Value, ReadError> {
        if let Some(left) = &mut self.left {
            *left = left.checked_sub(1).ok_or_else(too_many)?;
        }
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
        if is_array(v)? {
            let items = self.items(v)?;
            let mut list = Vec::new(); // no capacity from `length`: a Proxy may say one thing, then another
            for (i, item) in items.iter().enumerate() {
                list.push(self.read(&item, depth + 1).map_err(|e| e.under(&format!("[{i}]")))?);
            }
            return Ok(Value::Array(list));
        }
        let entries = object_entries(v.unchecked_ref()).map_err(|thrown| unreadable(&thrown))?;
        let mut map = Map::new();
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry.get(0).as_string().unwrap_or_default();
            let value = self.read(&entry.get(1), depth + 1).map_err(|e| e.under(&key))?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// The array's items: itself for JSON.parse's output, else a plain copy made by a catching
    /// `slice` once its length is known to fit (a sparse `new Array(2 ** 32 - 1)` is refused, not
    /// walked).
    fn items(&self, v: &JsValue) -> Result<Array, ReadError> {
        let Some(left) = self.left else { return Ok(v.clone().unchecked_into()) };
        let length = Reflect::get(v, &"length".into()).map_err(|thrown| unreadable(&thrown))?;
        if length.as_f64().is_some_and(|n| n > left as f64) {
            return Err(too_many());
        }
        array_slice(v).map_err(|thrown| unreadable(&thrown))
    }
}

fn too_many() -> ReadError {
    ReadError::new(format!("more than the {MAX_OPTION_VALUES} values an options object may hold"))
}

/// A getter or a Proxy trap that threw.
fn unreadable(thrown: &JsValue) -> ReadError {
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
    #[wasm_bindgen(js_namespace = ["Array", "prototype", "slice"], js_name = call, catch)]
    fn array_slice(array: &JsValue) -> Result<Array, JsValue>;
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
