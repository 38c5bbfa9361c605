//! A user's JavaScript uplink formatter run in the page with The Things Stack's contract:
//! `decodeUplink({bytes, fPort, recvTime})` returns `{data, warnings, errors}` (legacy `Decoder(bytes, port)` too).

use js_sys::{Array, Function, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::platforms::things_stack::decoder::{formatter_body, DecodedUplink, UplinkDecoder, UplinkInput};
use crate::platforms::things_stack::error::ThingsStackError;

/// A compiled formatter. Its top-level code runs once, at `new`.
pub struct JsFormatter {
    decode_uplink: Function,
}

impl JsFormatter {
    /// Compiles `source`, which must define `decodeUplink(input)` (or the v2-style `Decoder(bytes, port)`).
    /// Fails on a syntax error, an exception at top level, or when neither function is defined.
    /// Needs a page whose Content-Security-Policy allows `unsafe-eval`, as any formatter runner does.
    pub fn new(source: &str) -> Result<Self, ThingsStackError> {
        let body = formatter_body(source);
        let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Function"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                ThingsStackError::Formatter("this JavaScript environment has no Function constructor".into())
            })?;
        let loader = Reflect::construct(&constructor, &Array::of1(&JsValue::from_str(&body)))
            .map_err(|e| ThingsStackError::Formatter(format!("the formatter does not compile: {}", js_message(&e))))?;
        let loader: Function = loader
            .dyn_into()
            .map_err(|_| ThingsStackError::Formatter("the Function constructor returned something else".into()))?;
        let decode = loader.call0(&JsValue::UNDEFINED).map_err(|e| {
            ThingsStackError::Formatter(format!("the formatter threw while loading: {}", js_message(&e)))
        })?;
        let decode_uplink = decode
            .dyn_into::<Function>()
            .map_err(|_| ThingsStackError::Formatter("the formatter defines no decodeUplink(input) function".into()))?;
        Ok(Self { decode_uplink })
    }
}

impl UplinkDecoder for JsFormatter {
    fn decode_uplink(&self, input: &UplinkInput) -> DecodedUplink {
        let js_input = Object::new();
        let bytes: Array = input.bytes.iter().map(|b| JsValue::from(*b)).collect();
        let _ = Reflect::set(&js_input, &"bytes".into(), &bytes);
        let _ = Reflect::set(&js_input, &"fPort".into(), &JsValue::from(input.f_port));
        if let Some(t) = &input.recv_time {
            let _ = Reflect::set(&js_input, &"recvTime".into(), &js_sys::Date::new(&JsValue::from_str(t)));
        }
        let output = match self.decode_uplink.call1(&JsValue::UNDEFINED, &js_input) {
            Ok(v) => v,
            Err(e) => return DecodedUplink::failed(format!("decodeUplink threw: {}", js_message(&e))),
        };
        // JSON.stringify gives plain data (Dates become strings, functions vanish), as the server stores it.
        let text = JSON::stringify(&output).ok().and_then(|s| s.as_string());
        let Some(value) = text.and_then(|t| crate::json::parse(t.as_bytes()).ok()) else {
            return DecodedUplink::failed("decodeUplink returned something that is not JSON data");
        };
        DecodedUplink::from_output(value)
    }
}

fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| "an exception that is not an Error".into())
}
