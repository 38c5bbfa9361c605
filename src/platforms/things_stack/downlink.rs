//! `ApplicationDownlink` as The Things Stack's JSON carries it, in pushes and in downlink events,
//! and the checks the server applies silently (an invalid downlink is only logged there).

use crate::json::{describe, expected, FromJson, ReadError, ToJson, Writer};
use crate::json::{Map, Value};

use super::error::ThingsStackError;
use super::wire::base64_bytes;

/// Largest FRMPayload the application server accepts; the data rate may allow fewer.
pub const MAX_FRM_PAYLOAD: usize = 255;
/// Longest correlation id (`repeated.items.string.max_len = 100` in messages.proto).
pub const MAX_CORRELATION_ID_CHARS: usize = 100;

/// Scheduling priority; LOWEST when a downlink names none (docs/platforms/things-stack.md#downlinks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    #[default]
    Lowest,
    Low,
    BelowNormal,
    Normal,
    AboveNormal,
    High,
    Highest,
}

impl Priority {
    pub const ALL: [Priority; 7] =
        [Self::Lowest, Self::Low, Self::BelowNormal, Self::Normal, Self::AboveNormal, Self::High, Self::Highest];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lowest => "LOWEST",
            Self::Low => "LOW",
            Self::BelowNormal => "BELOW_NORMAL",
            Self::Normal => "NORMAL",
            Self::AboveNormal => "ABOVE_NORMAL",
            Self::High => "HIGH",
            Self::Highest => "HIGHEST",
        }
    }
}

impl core::str::FromStr for Priority {
    type Err = ThingsStackError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| ThingsStackError::InvalidPriority(s.to_owned()))
    }
}

/// A gateway that may send a class B/C downlink.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassBcGateway {
    pub gateway_ids: GatewayIds,
    pub antenna_index: u32,
    pub group_index: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayIds {
    pub gateway_id: String,
    pub eui: Option<String>,
}

/// Class B/C delivery: only these gateways, optionally at an absolute time (RFC 3339).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassBc {
    pub gateways: Vec<ClassBcGateway>,
    pub absolute_time: Option<String>,
}

/// One downlink: what a push carries, and what `down/queued`, `sent`, `ack`, `nack` report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Downlink {
    pub f_port: u32,
    pub frm_payload: Option<Vec<u8>>,
    pub decoded_payload: Option<Value>,
    pub priority: Option<Priority>,
    pub confirmed: bool,
    pub correlation_ids: Vec<String>,
    pub class_b_c: Option<ClassBc>,
    /// Set by the server in events.
    pub session_key_id: Option<String>,
    /// Set by the server once sent.
    pub f_cnt: Option<u32>,
    pub decoded_payload_warnings: Vec<String>,
    /// Fields this client does not know, kept as they came.
    pub extra: Map<String, Value>,
}

impl FromJson for Priority {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let names = "LOWEST, LOW, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH or HIGHEST";
        Self::ALL.into_iter().find(|p| value.as_str() == Some(p.as_str())).ok_or_else(|| expected(names, &value))
    }
}

crate::read_fields!(GatewayIds { gateway_id: required, eui: optional });

crate::read_fields!(ClassBcGateway { gateway_ids: required, antenna_index: or_default, group_index: or_default });

crate::read_fields!(ClassBc { gateways: or_default, absolute_time: optional });

// Fields this client does not know are kept in `extra`, at the downlink's level.
crate::read_fields!(Downlink {
    f_port: or_default,
    frm_payload: optional_with(base64_bytes::read),
    decoded_payload: optional,
    priority: optional,
    confirmed: or_default,
    correlation_ids: or_default,
    class_b_c: optional,
    session_key_id: optional,
    f_cnt: optional,
    decoded_payload_warnings: or_default,
    extra: rest
});

crate::write_name!(Priority, as_str);

crate::write_fields!(GatewayIds { gateway_id, ?eui });

/// An antenna or group index of 0 is left out, as protobuf's JSON leaves out zero values.
impl ToJson for ClassBcGateway {
    fn write_json(&self, out: &mut Writer) {
        out.open().field("gateway_ids", &self.gateway_ids);
        if self.antenna_index != 0 {
            out.field("antenna_index", &self.antenna_index);
        }
        if self.group_index != 0 {
            out.field("group_index", &self.group_index);
        }
        out.close();
    }
}

crate::write_fields!(ClassBc { ?gateways, ?absolute_time });

crate::write_fields!(Downlink {
    f_port,
    ?frm_payload(base64_bytes::text),
    ?decoded_payload,
    ?priority,
    ?confirmed,
    ?correlation_ids,
    ?class_b_c,
    ?session_key_id,
    ?f_cnt,
    ?decoded_payload_warnings,
    ..extra
});

impl Downlink {
    /// The application server's rules, checked before sending because the server only logs
    /// violations (docs/platforms/things-stack.md#downlink-validation).
    pub fn validate(&self) -> Result<(), ThingsStackError> {
        if !(1..=223).contains(&self.f_port) {
            return Err(ThingsStackError::InvalidFPort(self.f_port));
        }
        match (&self.frm_payload, &self.decoded_payload) {
            (Some(_), Some(_)) => return Err(ThingsStackError::PayloadConflict { both: true }),
            (None, None) => return Err(ThingsStackError::PayloadConflict { both: false }),
            (Some(bytes), None) if bytes.len() > MAX_FRM_PAYLOAD => {
                return Err(ThingsStackError::PayloadTooLong { len: bytes.len() })
            }
            (None, Some(v)) if !v.is_object() => return Err(ThingsStackError::InvalidDecodedPayload(describe(v))),
            _ => {}
        }
        for id in &self.correlation_ids {
            // Characters: the bytes that start one (core's `chars().count()` is 0.9 KB of wasm).
            let len = id.bytes().filter(|b| b & 0xC0 != 0x80).count();
            if len > MAX_CORRELATION_ID_CHARS {
                return Err(ThingsStackError::CorrelationIdTooLong { id: id.clone(), len });
            }
        }
        Ok(())
    }
}

/// The body of `down/push` and `down/replace`: `{"downlinks":[...]}`.
pub fn queue_body(downlinks: &[Downlink]) -> Vec<u8> {
    let mut out = Writer::default();
    out.open().field("downlinks", downlinks).close();
    out.finish().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn valid() -> Downlink {
        Downlink { f_port: 15, frm_payload: Some(vec![0xBE, 0xEF]), ..Default::default() }
    }

    // The docs' push (docs/platforms/things-stack.md#downlinks):
    // {"downlinks":[{"f_port": 15,"frm_payload":"vu8=","priority": "NORMAL"}]}
    #[test]
    fn the_seed_push_body_is_produced_exactly() {
        let d = Downlink { priority: Some(Priority::Normal), ..valid() };
        let body: Value = serde_json::from_slice(&queue_body(&[d])).unwrap();
        assert_eq!(body, json!({"downlinks":[{"f_port":15,"frm_payload":"vu8=","priority":"NORMAL"}]}));
    }

    // docs/platforms/things-stack.md#downlinks: "Replacing with an empty array clears the downlink queue."
    #[test]
    fn an_empty_queue_body_is_an_empty_array() {
        assert_eq!(queue_body(&[]), br#"{"downlinks":[]}"#.to_vec());
    }

    // docs/platforms/things-stack.md#downlink-validation: f_port 1-223.
    #[test]
    fn f_port_must_be_1_to_223() {
        for port in [0, 224, 255, 256] {
            assert_eq!(Downlink { f_port: port, ..valid() }.validate().unwrap_err().code(), "TTS_INVALID_FPORT");
        }
        for port in [1, 223] {
            assert!(Downlink { f_port: port, ..valid() }.validate().is_ok());
        }
    }

    // docs/platforms/things-stack.md#downlink-validation: frm_payload max 255 bytes decoded.
    #[test]
    fn payload_is_at_most_255_bytes() {
        assert!(Downlink { frm_payload: Some(vec![0; 255]), ..valid() }.validate().is_ok());
        let e = Downlink { frm_payload: Some(vec![0; 256]), ..valid() }.validate().unwrap_err();
        assert_eq!(e, ThingsStackError::PayloadTooLong { len: 256 });
    }

    // docs/platforms/things-stack.md#downlink-validation: correlation_ids each <= 100 chars (characters, not bytes).
    #[test]
    fn correlation_ids_are_at_most_100_characters() {
        let ok = Downlink { correlation_ids: vec!["é".repeat(100)], ..valid() };
        assert!(ok.validate().is_ok());
        let e = Downlink { correlation_ids: vec!["€".repeat(101)], ..valid() }.validate().unwrap_err();
        assert_eq!(e, ThingsStackError::CorrelationIdTooLong { id: "€".repeat(101), len: 101 });
    }

    // docs/platforms/things-stack.md#downlinks: frm_payload (base64) or decoded_payload (object for the encoder).
    #[test]
    fn exactly_one_payload_form() {
        let both = Downlink { decoded_payload: Some(json!({"on": true})), ..valid() };
        assert_eq!(both.validate().unwrap_err(), ThingsStackError::PayloadConflict { both: true });
        let neither = Downlink { frm_payload: None, ..valid() };
        assert_eq!(neither.validate().unwrap_err(), ThingsStackError::PayloadConflict { both: false });
        let array = Downlink { frm_payload: None, decoded_payload: Some(json!([1])), ..valid() };
        assert_eq!(array.validate().unwrap_err().code(), "TTS_INVALID_DECODED_PAYLOAD");
    }

    // docs/platforms/things-stack.md#downlinks: LOWEST, LOW, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH and HIGHEST.
    #[test]
    fn priorities_are_the_seven_names() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), p);
            assert_eq!(crate::json::to_value(&p), json!(p.as_str()));
        }
        assert_eq!("URGENT".parse::<Priority>().unwrap_err().code(), "TTS_INVALID_PRIORITY");
        assert_eq!("normal".parse::<Priority>().unwrap_err().code(), "TTS_INVALID_PRIORITY");
    }

    #[test]
    fn unknown_downlink_fields_are_kept() {
        let d = Downlink::from_json(
            json!({"f_port": 1, "frm_payload": "AQ==", "confirmed_retry": {"attempt": 1}, "f_cnt": 4}),
        )
        .unwrap();
        assert_eq!(d.frm_payload, Some(vec![1]));
        assert_eq!(d.f_cnt, Some(4));
        assert_eq!(d.extra["confirmed_retry"], json!({"attempt": 1}));
        assert_eq!(crate::json::to_value(&d)["confirmed_retry"]["attempt"], 1);
    }

    #[test]
    fn a_bad_field_is_an_error_that_names_it() {
        let err = |v: Value| Downlink::from_json(v).unwrap_err().to_string();
        assert!(
            err(json!({"f_port": 1, "priority": "URGENT"})).starts_with("priority: "),
            "{}",
            err(json!({"priority": "URGENT"}))
        );
        assert!(err(json!({"frm_payload": "not base64!"})).starts_with("frm_payload: "));
        assert_eq!(err(json!({"class_b_c": {"gateways": [{}]}})), "class_b_c.gateways[0]: missing field `gateway_ids`");
        assert_eq!(
            Downlink::from_json(json!({"f_port": null, "priority": "HIGH"})).unwrap().priority,
            Some(Priority::High)
        );
    }
}
