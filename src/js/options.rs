//! Options objects from JavaScript. Typed options are read from the object's JSON data by the
//! core's readers ([`crate::json::Fields`]): a wrong type or an unknown key (a typo must not be
//! silently ignored) is refused by its path, such as `reconnect.factor`. Small option objects are
//! read here by hand, their keys checked the same way.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::errors::option_error;
use super::payload::{get, payload_bytes};
#[cfg(feature = "thingsboard")]
use crate::json::Fields;
use crate::json::ReadError;
use crate::session::options::read::{self, Item};
use crate::session::options::ClientOptions;
use crate::session::{ConnectOptions, QoS};

/// An options argument (`undefined`/`null`: all defaults) as fields to read, and the values of the
/// `apart` keys, which the caller reads itself (bytes, or data written as `JSON.stringify` does);
/// they count as known keys. `name` names the argument when it is not an object (`options`,
/// `request`); paths inside it are bare (`keepaliveSecs`).
#[cfg(feature = "thingsboard")]
pub fn fields(value: &JsValue, name: &str, apart: &[&'static str]) -> Result<(Fields, Vec<JsValue>), JsValue> {
    read_fields(value, name, apart, false)
}

#[cfg(feature = "thingsboard")]
fn read_fields(
    value: &JsValue,
    name: &str,
    apart: &[&'static str],
    nested: bool,
) -> Result<(Fields, Vec<JsValue>), JsValue> {
    let object = checked_object(value, name, None)?;
    // A plain copy: top-level getters run here, and the caller's object is never changed. Without a
    // prototype, an own `__proto__` key stays a key (and is refused as unknown) and nothing is
    // found through a prototype.
    let copy =
        object_assign(&Object::create(&JsValue::NULL.unchecked_into()), &object).map_err(|e| unreadable(name, &e))?;
    let apart_values = apart
        .iter()
        .map(|key| {
            let key = JsValue::from_str(key);
            let value = Reflect::get(&copy, &key).unwrap_or(JsValue::UNDEFINED);
            let _ = Reflect::delete_property(&copy, &key);
            value
        })
        .collect();
    let under = |e: ReadError| read_error(if nested { e.under(name) } else { e });
    let mut fields = crate::json::from_js(&copy).and_then(Fields::new).map_err(under)?;
    for key in apart {
        fields.take(key);
    }
    Ok((fields, apart_values))
}

/// A reader's error as `INVALID_OPTION`, its `field` the path (`options` for the object itself).
pub fn read_error(e: ReadError) -> JsValue {
    option_error(if e.path().is_empty() { "options" } else { e.path() }, e.message())
}

/// The object itself, or a fresh empty one for `undefined`/`null`, holding only `known` keys: a
/// typo must not be silently ignored. `field` names the object when it is not one (`"options"`).
pub fn plain_object(value: &JsValue, field: &str, known: &[&str]) -> Result<Object, JsValue> {
    checked_object(value, field, Some(known))
}

/// An object, keys checked against `known` when given.
fn checked_object(value: &JsValue, field: &str, known: Option<&[&str]>) -> Result<Object, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Object::new());
    }
    let is_array = crate::json::is_array(value).map_err(|e| option_error(field, e.message()))?;
    // Bytes are not options (and copying a large typed array key by key would take long).
    if !value.is_object() || is_array || value.is_function() || js_sys::ArrayBuffer::is_view(value) {
        return Err(option_error(field, "expected an object"));
    }
    let object: Object = value.clone().unchecked_into();
    let Some(known) = known else { return Ok(object) };
    let keys = object_keys(&object).map_err(|e| unreadable(field, &e))?;
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(option_error(&key, &format!("unknown option; the known ones are {}", known.join(", "))));
        }
    }
    Ok(object)
}

/// A getter or a Proxy trap that threw: an option error, not an exception thrown through wasm.
fn unreadable(field: &str, thrown: &JsValue) -> JsValue {
    option_error(field, crate::json::unreadable(thrown).message())
}

#[wasm_bindgen]
extern "C" {
    // Catching forms of `Object.keys` and `Object.assign`, which run a Proxy's traps and getters.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(object: &Object) -> Result<Array, JsValue>;
    #[cfg(feature = "thingsboard")]
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn object_assign(target: &Object, source: &Object) -> Result<Object, JsValue>;
}

/// The CONNECT options and the client options from one flat JS object (for `MqttClient`, the
/// shell's plain copy of it: `npm/src/options.ts`), read by the core's readers.
pub fn client_options(options: &JsValue) -> Result<(ConnectOptions, ClientOptions), JsValue> {
    let options = match options.is_undefined() || options.is_null() {
        true => Item::Object(JsObject(Object::new().into())),
        false => item(options.clone()).map_err(|e| option_error("options", &e))?,
    };
    read::client_options(options).map_err(read_error)
}

/// A JS object as the readers' object model; values are read through catching bindings.
struct JsObject(JsValue);

impl read::Object for JsObject {
    fn get(&mut self, key: &str) -> Result<Item<Self>, String> {
        let value = Reflect::get(&self.0, &JsValue::from_str(key)).map_err(|t| thrown_message(&t))?;
        item(value)
    }

    fn payload(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let value = Reflect::get(&self.0, &JsValue::from_str(key)).map_err(|t| thrown_message(&t))?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        payload_bytes(&value).map(Some).map_err(|_| "not a payload".into())
    }

    fn keys(&self) -> Result<Vec<String>, String> {
        let keys = object_keys(self.0.unchecked_ref()).map_err(|t| thrown_message(&t))?;
        Ok(keys.iter().map(|k| k.as_string().unwrap_or_default()).collect())
    }
}

fn thrown_message(thrown: &JsValue) -> String {
    crate::json::unreadable(thrown).message().to_owned()
}

/// A JS value as an item: arrays through catching bindings (and a cap on their length), bytes and
/// functions described, not read.
fn item(v: JsValue) -> Result<Item<JsObject>, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(Item::Null);
    }
    if let Some(s) = v.as_string() {
        return Ok(Item::Text(s));
    }
    if let Some(n) = v.as_f64() {
        return Ok(match n {
            n if n.is_nan() => Item::Other("NaN"),
            n if n.is_infinite() => Item::Other("an infinite number"),
            n => Item::Number(n),
        });
    }
    if let Some(b) = v.as_bool() {
        return Ok(Item::Bool(b));
    }
    if let Some(items) = crate::json::js_array(&v).map_err(|e| e.message().to_owned())? {
        return items.into_iter().map(item).collect::<Result<_, _>>().map(Item::List);
    }
    if v.is_function() {
        return Ok(Item::Other("a function"));
    }
    if !v.is_object() {
        return Ok(Item::Other("a value JSON cannot hold"));
    }
    if js_sys::ArrayBuffer::is_view(&v) || v.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Item::Other("bytes"));
    }
    Ok(Item::Object(JsObject(v)))
}

/// An optional QoS field: absent is 0; anything but 0, 1 or 2 is `INVALID_OPTION`.
pub fn qos_field(object: &JsValue, field: &str) -> Result<QoS, JsValue> {
    let value = get(object, field)?;
    if value.is_undefined() || value.is_null() {
        return Ok(QoS::AtMostOnce);
    }
    let whole = value.as_f64().filter(|q| q.fract() == 0.0 && (0.0..=2.0).contains(q));
    match whole.map(|q| q as u8) {
        Some(0) => Ok(QoS::AtMostOnce),
        Some(1) => Ok(QoS::AtLeastOnce),
        Some(2) => Ok(QoS::ExactlyOnce),
        _ => Err(option_error(field, "expected 0, 1 or 2")),
    }
}

pub fn bool_field(object: &JsValue, field: &str) -> Result<bool, JsValue> {
    let value = get(object, field)?;
    if value.is_undefined() || value.is_null() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| option_error(field, "expected a boolean"))
}
