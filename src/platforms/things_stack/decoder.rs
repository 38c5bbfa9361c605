//! Client-side uplink decoding with The Things Stack's payload formatter contract
//! (`{bytes, fPort, recvTime}` in, `{data, warnings, errors}` out) and a registry by device or FPort.

use crate::collections::VecMap;
use std::rc::Rc;

use crate::json::Value;
use serde::Deserialize;

use super::lpp::decode_lpp;

/// The formatter's input, named as TTS's `decodeUplink(input)` receives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UplinkInput {
    pub bytes: Vec<u8>,
    pub f_port: u32,
    /// RFC 3339; the uplink's `received_at`.
    #[serde(default)]
    pub recv_time: Option<String>,
}

/// The formatter's output. Non-empty `errors` means decoding failed, as on the server.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DecodedUplink {
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub errors: Vec<String>,
}

crate::write_fields!(UplinkInput { bytes, f_port = "fPort", ?recv_time = "recvTime" });

crate::write_fields!(DecodedUplink { data, warnings, errors });

impl DecodedUplink {
    pub fn failed(error: impl Into<String>) -> Self {
        Self { data: Value::Null, warnings: Vec::new(), errors: vec![error.into()] }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// A formatter's output (as `JSON.stringify` wrote it) under the contract: `errors` fail the
    /// decoding; `data` must be an object.
    pub fn from_output(value: Value) -> Self {
        let Value::Object(mut out) = value else {
            return Self::failed("decodeUplink must return an object {data, warnings, errors}");
        };
        let strings = |v: Option<Value>| -> Vec<String> {
            match v {
                Some(Value::Array(items)) => {
                    items.into_iter().map(|i| i.as_str().map_or_else(|| crate::json::text(&i), str::to_owned)).collect()
                }
                _ => Vec::new(),
            }
        };
        let warnings = strings(out.remove("warnings"));
        let errors = strings(out.remove("errors"));
        let data = out.remove("data").unwrap_or(Value::Null);
        if errors.is_empty() && !data.is_object() {
            return Self { data: Value::Null, warnings, errors: vec!["data must be an object".into()] };
        }
        Self { data, warnings, errors }
    }
}

/// The body of the JavaScript function that loads a user's formatter (TTS's `decodeUplink(input)`,
/// or the v2-style `Decoder(bytes, port)`) and returns its decoding function, or `null` when it
/// defines neither. A shell compiles it with `new Function(body)` and calls it once.
pub fn formatter_body(source: &str) -> String {
    format!(
        "{source}\n;return typeof decodeUplink === 'function' ? decodeUplink\n\
         : typeof Decoder === 'function' ? function (input) {{ return {{ data: Decoder(input.bytes, input.fPort) }}; }}\n\
         : null;"
    )
}

/// Anything that turns uplink bytes into data: CayenneLPP, a JavaScript formatter, Rust code.
pub trait UplinkDecoder {
    fn decode_uplink(&self, input: &UplinkInput) -> DecodedUplink;
}

/// The standard CayenneLPP types, as TTS's built-in CayenneLPP formatter decodes them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CayenneLpp;

impl UplinkDecoder for CayenneLpp {
    fn decode_uplink(&self, input: &UplinkInput) -> DecodedUplink {
        match decode_lpp(&input.bytes) {
            Ok(map) => DecodedUplink { data: Value::Object(map), ..Default::default() },
            Err(e) => DecodedUplink::failed(e.to_string()),
        }
    }
}

/// Rust closures are decoders too.
impl<F: Fn(&UplinkInput) -> DecodedUplink> UplinkDecoder for F {
    fn decode_uplink(&self, input: &UplinkInput) -> DecodedUplink {
        self(input)
    }
}

/// Which decoder applies to an uplink: the device's own, else the FPort's, else the fallback
/// (as a device's formatter overrides the application's default in TTS). `D` is what names a
/// decoder: the decoder itself, or a shell's reference to one.
#[derive(Clone)]
pub struct DecoderRegistry<D = Rc<dyn UplinkDecoder>> {
    by_device: VecMap<String, D>,
    by_f_port: VecMap<u32, D>,
    fallback: Option<D>,
}

impl<D> Default for DecoderRegistry<D> {
    fn default() -> Self {
        Self { by_device: VecMap::new(), by_f_port: VecMap::new(), fallback: None }
    }
}

impl DecoderRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn decode(&self, device_id: &str, input: &UplinkInput) -> Option<DecodedUplink> {
        self.find(device_id, input.f_port).map(|d| d.decode_uplink(input))
    }
}

impl<D: Clone> DecoderRegistry<D> {
    pub fn set_for_device(&mut self, device_id: impl Into<String>, decoder: D) {
        self.by_device.insert(device_id.into(), decoder);
    }

    pub fn set_for_f_port(&mut self, f_port: u32, decoder: D) {
        self.by_f_port.insert(f_port, decoder);
    }

    pub fn set_fallback(&mut self, decoder: D) {
        self.fallback = Some(decoder);
    }

    pub fn remove_for_device(&mut self, device_id: &str) -> bool {
        self.by_device.remove(device_id).is_some()
    }

    pub fn remove_for_f_port(&mut self, f_port: u32) -> bool {
        self.by_f_port.remove(&f_port).is_some()
    }

    pub fn clear_fallback(&mut self) {
        self.fallback = None;
    }

    /// Cloned out, so the caller can run it without holding a borrow of the registry.
    pub fn find(&self, device_id: &str, f_port: u32) -> Option<D> {
        self.by_device.get(device_id).or_else(|| self.by_f_port.get(&f_port)).or(self.fallback.as_ref()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn input(bytes: &[u8], f_port: u32) -> UplinkInput {
        UplinkInput { bytes: bytes.to_vec(), f_port, recv_time: None }
    }

    #[test]
    fn cayenne_lpp_reports_failures_as_formatter_errors() {
        let ok = CayenneLpp.decode_uplink(&input(&[1, 0x67, 0, 0xD5], 1));
        assert_eq!(ok.data, json!({"temperature_1": 21.3}));
        assert!(ok.is_ok());
        let bad = CayenneLpp.decode_uplink(&input(&[1, 0x67], 1));
        assert!(!bad.is_ok() && bad.errors[0].contains("CayenneLPP"), "{bad:?}");
    }

    #[test]
    fn the_device_decoder_wins_over_the_f_port_and_the_fallback() {
        let tag = |name: &'static str| -> Rc<dyn UplinkDecoder> {
            Rc::new(move |_: &UplinkInput| DecodedUplink { data: json!(name), ..Default::default() })
        };
        let mut r = DecoderRegistry::new();
        assert!(r.decode("dev1", &input(&[], 1)).is_none(), "nothing registered, nothing decoded");
        r.set_fallback(tag("fallback"));
        r.set_for_f_port(2, tag("port 2"));
        r.set_for_device("dev1", tag("dev1"));
        assert_eq!(r.decode("dev1", &input(&[], 2)).unwrap().data, json!("dev1"));
        assert_eq!(r.decode("dev2", &input(&[], 2)).unwrap().data, json!("port 2"));
        assert_eq!(r.decode("dev2", &input(&[], 3)).unwrap().data, json!("fallback"));
        assert!(r.remove_for_device("dev1"));
        assert_eq!(r.decode("dev1", &input(&[], 2)).unwrap().data, json!("port 2"));
    }

    // TTS payload formatter contract: input {bytes, fPort, recvTime}; output {data, warnings, errors}.
    #[test]
    fn the_contract_uses_tts_field_names() {
        let i = UplinkInput { bytes: vec![1], f_port: 2, recv_time: Some("2020-01-01T00:00:00Z".into()) };
        assert_eq!(crate::json::to_value(&i), json!({"bytes":[1],"fPort":2,"recvTime":"2020-01-01T00:00:00Z"}));
        let o: DecodedUplink = serde_json::from_value(json!({"data":{"a":1}}).into()).unwrap();
        assert!(o.is_ok() && o.warnings.is_empty());
    }
}
