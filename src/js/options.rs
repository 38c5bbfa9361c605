//! Options objects from JavaScript, converted with serde-wasm-bindgen: unknown keys are refused
//! (a typo must not be silently ignored), and a failure names the option that caused it.

use js_sys::{Array, Object, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::errors::option_error;

/// Reads `options` (an object, or `undefined`/`null` for the defaults) as `T`, accepting only `known` keys.
pub fn parse<T: DeserializeOwned>(options: &JsValue, known: &[&str]) -> Result<T, JsValue> {
    let object = plain_object(options, "options", known)?;
    // A plain copy: serde-wasm-bindgen then reads data properties only, never a getter or a Proxy.
    let only_known = copy_without(&object, &[])?;
    serde_wasm_bindgen::from_value::<T>(only_known.clone().into()).map_err(|e| {
        // The culprit is the key whose removal makes the rest parse.
        let culprit = Object::keys(&only_known).iter().filter_map(|k| k.as_string()).find(|k| {
            copy_without(&only_known, &[k.as_str()])
                .is_ok_and(|rest| serde_wasm_bindgen::from_value::<T>(rest.into()).is_ok())
        });
        option_error(culprit.as_deref().unwrap_or("options"), &e.to_string())
    })
}

/// The object itself, or a fresh empty one for `undefined`/`null`, holding only `known` keys: a
/// typo must not be silently ignored. `field` names the object when it is not one (`"options"`).
pub fn plain_object(value: &JsValue, field: &str, known: &[&str]) -> Result<Object, JsValue> {
    checked_object(value, field, known, false)
}

/// [`plain_object`] for an object inside the options, whose unknown keys are named under it
/// (`will.retian`).
pub fn nested_object(value: &JsValue, field: &str, known: &[&str]) -> Result<Object, JsValue> {
    checked_object(value, field, known, true)
}

fn checked_object(value: &JsValue, field: &str, known: &[&str], nested: bool) -> Result<Object, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Object::new());
    }
    if !value.is_object() || Array::is_array(value) || value.is_function() {
        return Err(option_error(field, "expected an object"));
    }
    let object: Object = value.clone().unchecked_into();
    let keys = object_keys(&object).map_err(|e| unreadable(field, &e))?;
    for key in keys.iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            let path = if nested { format!("{field}.{key}") } else { key };
            return Err(option_error(&path, &format!("unknown option; the known ones are {}", known.join(", "))));
        }
    }
    Ok(object)
}

/// A shallow copy without some keys, so the caller's object is never changed.
pub fn copy_without(object: &Object, skip: &[&str]) -> Result<Object, JsValue> {
    let copy = object_assign(&Object::new(), object).map_err(|e| unreadable("options", &e))?;
    for key in skip {
        let _ = Reflect::delete_property(&copy, &JsValue::from_str(key));
    }
    Ok(copy)
}

/// A getter or a Proxy trap that threw: an option error, not an exception thrown through wasm.
fn unreadable(field: &str, thrown: &JsValue) -> JsValue {
    let why = thrown.dyn_ref::<js_sys::Error>().map_or_else(|| "it threw".into(), |e| String::from(e.message()));
    option_error(field, &format!("could not be read: {why}"))
}

#[wasm_bindgen]
extern "C" {
    // Catching forms of `Object.keys` and `Object.assign`, which run a Proxy's traps and getters.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(object: &Object) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn object_assign(target: &Object, source: &Object) -> Result<Object, JsValue>;
}
