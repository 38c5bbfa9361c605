//! Building a downlink from whatever form the payload is at hand in: bytes, hex, base64, text or a
//! `decoded_payload` object. Every mistake surfaces at `build()`, as a typed error.

use crate::json::Value;

use super::downlink::{ClassBc, Downlink, Priority};
use super::error::ThingsStackError;
use super::payload::{base64_to_bytes, hex_to_bytes};

#[derive(Debug, Clone, PartialEq)]
enum FrmSource {
    Bytes(Vec<u8>),
    Hex(String),
    Base64(String),
}

#[derive(Debug, Clone, PartialEq)]
enum PrioritySource {
    Typed(Priority),
    Named(String),
}

/// `DownlinkBuilder::new(15).hex("BE EF").priority(Priority::Normal).confirmed(true).build()?`
#[derive(Debug, Clone, PartialEq)]
pub struct DownlinkBuilder {
    f_port: u32,
    frm: Option<FrmSource>,
    decoded: Option<Value>,
    priority: Option<PrioritySource>,
    confirmed: bool,
    correlation_ids: Vec<String>,
    class_b_c: Option<ClassBc>,
    /// Set when two frm_payload forms were given, which is a conflict like frm + decoded.
    frm_twice: bool,
}

impl DownlinkBuilder {
    pub fn new(f_port: u32) -> Self {
        Self {
            f_port,
            frm: None,
            decoded: None,
            priority: None,
            confirmed: false,
            correlation_ids: Vec::new(),
            class_b_c: None,
            frm_twice: false,
        }
    }

    fn frm(mut self, source: FrmSource) -> Self {
        self.frm_twice |= self.frm.is_some();
        self.frm = Some(source);
        self
    }

    pub fn bytes(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.frm(FrmSource::Bytes(bytes.into()))
    }

    /// Hex in any common spelling: `BE EF`, `be:ef`, `0xBEEF`.
    pub fn hex(self, hex: impl Into<String>) -> Self {
        self.frm(FrmSource::Hex(hex.into()))
    }

    pub fn base64(self, text: impl Into<String>) -> Self {
        self.frm(FrmSource::Base64(text.into()))
    }

    /// The UTF-8 bytes of `text`.
    pub fn text(self, text: &str) -> Self {
        self.frm(FrmSource::Bytes(text.as_bytes().to_vec()))
    }

    /// An object for the device's downlink encoder, in place of raw bytes.
    pub fn decoded_payload(mut self, value: Value) -> Self {
        self.decoded = Some(value);
        self
    }

    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(PrioritySource::Typed(priority));
        self
    }

    /// A priority by its name (`"NORMAL"`), for callers holding strings; checked at `build()`.
    pub fn priority_name(mut self, name: impl Into<String>) -> Self {
        self.priority = Some(PrioritySource::Named(name.into()));
        self
    }

    pub fn confirmed(mut self, confirmed: bool) -> Self {
        self.confirmed = confirmed;
        self
    }

    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_ids.push(id.into());
        self
    }

    pub fn class_b_c(mut self, class_b_c: ClassBc) -> Self {
        self.class_b_c = Some(class_b_c);
        self
    }

    pub fn build(self) -> Result<Downlink, ThingsStackError> {
        if self.frm_twice {
            return Err(ThingsStackError::PayloadConflict { both: true });
        }
        let frm_payload = match self.frm {
            None => None,
            Some(FrmSource::Bytes(b)) => Some(b),
            Some(FrmSource::Hex(h)) => Some(hex_to_bytes(&h)?),
            Some(FrmSource::Base64(t)) => Some(base64_to_bytes(&t)?),
        };
        let priority = match self.priority {
            None => None,
            Some(PrioritySource::Typed(p)) => Some(p),
            Some(PrioritySource::Named(n)) => Some(n.parse()?),
        };
        let downlink = Downlink {
            f_port: self.f_port,
            frm_payload,
            decoded_payload: self.decoded,
            priority,
            confirmed: self.confirmed,
            correlation_ids: self.correlation_ids,
            class_b_c: self.class_b_c,
            ..Default::default()
        };
        downlink.validate()?;
        Ok(downlink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    // docs/platforms/things-stack.md#downlinks: confirmed downlink "with your own correlation IDs".
    #[test]
    fn the_seed_confirmed_downlink() {
        let d = DownlinkBuilder::new(15)
            .hex("BE EF")
            .priority(Priority::High)
            .confirmed(true)
            .correlation_id("my-correlation-id")
            .build()
            .unwrap();
        assert_eq!(
            crate::json::to_value(&d),
            json!({"f_port":15,"frm_payload":"vu8=","priority":"HIGH","confirmed":true,"correlation_ids":["my-correlation-id"]})
        );
    }

    #[test]
    fn every_payload_form_gives_the_same_bytes() {
        let forms = [
            DownlinkBuilder::new(1).bytes(vec![0x68, 0x69]),
            DownlinkBuilder::new(1).hex("0x68:69"),
            DownlinkBuilder::new(1).base64("aGk="),
            DownlinkBuilder::new(1).text("hi"),
        ];
        for b in forms {
            assert_eq!(b.build().unwrap().frm_payload, Some(b"hi".to_vec()));
        }
    }

    #[test]
    fn decoded_payload_goes_out_without_frm_payload() {
        let d = DownlinkBuilder::new(2).decoded_payload(json!({"led": "on"})).build().unwrap();
        assert_eq!(crate::json::to_value(&d), json!({"f_port": 2, "decoded_payload": {"led": "on"}}));
    }

    #[test]
    fn mistakes_surface_at_build_with_their_own_code() {
        let code = |b: DownlinkBuilder| b.build().unwrap_err().code();
        assert_eq!(code(DownlinkBuilder::new(0).hex("01")), "TTS_INVALID_FPORT");
        assert_eq!(code(DownlinkBuilder::new(1).bytes(vec![0; 256])), "TTS_PAYLOAD_TOO_LONG");
        assert_eq!(code(DownlinkBuilder::new(1).hex("01").priority_name("URGENT")), "TTS_INVALID_PRIORITY");
        assert_eq!(
            code(DownlinkBuilder::new(1).hex("01").correlation_id("x".repeat(101))),
            "TTS_CORRELATION_ID_TOO_LONG"
        );
        assert_eq!(code(DownlinkBuilder::new(1).hex("01").decoded_payload(json!({}))), "TTS_PAYLOAD_CONFLICT");
        assert_eq!(code(DownlinkBuilder::new(1).hex("01").base64("AQ==")), "TTS_PAYLOAD_CONFLICT");
        assert_eq!(code(DownlinkBuilder::new(1)), "TTS_PAYLOAD_CONFLICT");
        assert_eq!(code(DownlinkBuilder::new(1).hex("0")), "TTS_INVALID_HEX");
        assert_eq!(code(DownlinkBuilder::new(1).base64("!!")), "TTS_INVALID_BASE64");
    }

    #[test]
    fn priority_by_name_is_accepted_when_known() {
        let d = DownlinkBuilder::new(1).hex("01").priority_name("ABOVE_NORMAL").build().unwrap();
        assert_eq!(d.priority, Some(Priority::AboveNormal));
    }
}
