//! Every failure reaches JavaScript as a real `Error` with a stable `code` (and `field` for a bad
//! option), so programs switch on `err.code` while people read `err.message`.

#[cfg(feature = "thingsboard")]
use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

#[cfg(feature = "thingsboard")]
use crate::error::ClientError;
#[cfg(feature = "thingsboard")]
use crate::platforms::thingsboard::ThingsBoardError;

/// An error for the TypeScript shell: one batch error record in a thrown `Uint8Array`, which the
/// shell turns into an `IotMqttError` with the words of its message table.
#[cfg(not(feature = "thingsboard"))]
pub fn thrown(e: &impl crate::batch::Coded) -> JsValue {
    let mut b = crate::batch::Batch::new();
    b.error(e);
    js_sys::Uint8Array::from(&b.finish(None)[8..]).into()
}

/// An `Error` named `IotMqttError` whose `code` programs can switch on.
#[cfg(feature = "thingsboard")]
pub fn js_error(code: &str, message: &str) -> JsValue {
    let error = Error::new(message);
    error.set_name("IotMqttError");
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// A bad option: which one (as a path such as `will.qos`) and why.
#[cfg(feature = "thingsboard")]
pub fn option_error(field: &str, reason: &str) -> JsValue {
    let error = js_error("INVALID_OPTION", &format!("invalid option {field}: {reason}"));
    let _ = Reflect::set(&error, &"field".into(), &field.into());
    error
}

/// Anything with a stable code and a message, turned into the JS error.
#[cfg(feature = "thingsboard")]
pub trait Coded: core::fmt::Display {
    fn code(&self) -> &'static str;

    fn to_js(&self) -> JsValue {
        js_error(self.code(), &self.to_string())
    }
}

#[cfg(feature = "thingsboard")]
impl Coded for ClientError {
    fn code(&self) -> &'static str {
        ClientError::code(self)
    }
}

#[cfg(feature = "thingsboard")]
impl Coded for ThingsBoardError {
    fn code(&self) -> &'static str {
        ThingsBoardError::code(self)
    }
}

/// `result.map_err(js)?` in the facade's methods.
#[cfg(feature = "thingsboard")]
pub fn js<E: Coded>(e: E) -> JsValue {
    e.to_js()
}
