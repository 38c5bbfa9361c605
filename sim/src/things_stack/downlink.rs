// Downlink messages as The Things Stack's application server validates them before queueing
// (`ApplicationDownlink` in messages.proto), and the payload limit per LoRaWAN data rate.

use base64::Engine;
use serde_json::{json, Map, Value};

/// Priorities from messages.proto, LOWEST first (the default).
pub const PRIORITIES: [&str; 7] = ["LOWEST", "LOW", "BELOW_NORMAL", "NORMAL", "ABOVE_NORMAL", "HIGH", "HIGHEST"];

#[derive(Debug, Clone, PartialEq)]
pub struct Downlink {
    pub f_port: u8,
    /// The FRMPayload bytes: `frm_payload` decoded, or the encoder's output for `decoded_payload`.
    pub payload: Vec<u8>,
    pub decoded_payload: Option<Value>,
    pub priority: &'static str,
    pub confirmed: bool,
    pub correlation_ids: Vec<String>,
    pub class_b_c: Option<Value>,
}

impl Downlink {
    /// The downlink as the application server prints it in events and the queue listing.
    pub fn to_json(&self, session_key_id: &str, f_cnt: Option<u32>) -> Value {
        let mut m = Map::new();
        m.insert("session_key_id".into(), json!(session_key_id));
        m.insert("f_port".into(), json!(self.f_port));
        if let Some(n) = f_cnt {
            m.insert("f_cnt".into(), json!(n));
        }
        m.insert("frm_payload".into(), json!(base64::engine::general_purpose::STANDARD.encode(&self.payload)));
        if let Some(d) = &self.decoded_payload {
            m.insert("decoded_payload".into(), d.clone());
        }
        if self.confirmed {
            m.insert("confirmed".into(), json!(true));
        }
        m.insert("priority".into(), json!(self.priority));
        m.insert("correlation_ids".into(), json!(self.correlation_ids));
        if let Some(c) = &self.class_b_c {
            m.insert("class_b_c".into(), c.clone());
        }
        Value::Object(m)
    }
}

/// Parses `{"downlinks":[...]}`; one invalid downlink makes the whole request invalid.
pub fn parse_downlinks(body: &[u8]) -> Result<Vec<Downlink>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let list = value
        .get("downlinks")
        .and_then(Value::as_array)
        .ok_or_else(|| "body must be {\"downlinks\":[...]}".to_string())?;
    list.iter().enumerate().map(|(i, d)| validate(d).map_err(|e| format!("downlinks[{i}]: {e}"))).collect()
}

pub fn validate(d: &Value) -> Result<Downlink, String> {
    let obj = d.as_object().ok_or("a downlink must be a JSON object")?;
    // The proto allows up to 255 except 224; the application server rejects 0 and LoRaWAN reserves
    // 224-255, so 1-223 is what gets through (docs/platforms/things-stack.md#downlink-validation).
    let f_port = obj.get("f_port").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=223).contains(&f_port) {
        return Err(format!("f_port must be 1-223, got {}", obj.get("f_port").unwrap_or(&Value::Null)));
    }
    let decoded_payload = match obj.get("decoded_payload") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err("decoded_payload must be a JSON object".into()),
    };
    let payload = match obj.get("frm_payload") {
        None | Some(Value::Null) => match &decoded_payload {
            // The simulated encoder: the object's JSON text.
            Some(v) => v.to_string().into_bytes(),
            None => Vec::new(),
        },
        Some(Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("frm_payload is not valid base64: {e}"))?,
        Some(_) => return Err("frm_payload must be a base64 string".into()),
    };
    if payload.len() > 255 {
        return Err(format!("frm_payload is {} bytes; at most 255", payload.len()));
    }
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => PRIORITIES[0],
        Some(Value::String(s)) => {
            PRIORITIES.iter().find(|p| **p == s.as_str()).copied().ok_or_else(|| format!("unknown priority {s:?}"))?
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|i| PRIORITIES.get(i as usize))
            .copied()
            .ok_or_else(|| format!("unknown priority {n}"))?,
        Some(_) => return Err("priority must be a string".into()),
    };
    let confirmed = match obj.get("confirmed") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("confirmed must be a boolean".into()),
    };
    let correlation_ids = match obj.get("correlation_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ids)) => {
            let mut out = Vec::new();
            for id in ids {
                let s = id.as_str().ok_or("correlation_ids must be strings")?;
                if s.chars().count() > 100 {
                    return Err(format!("correlation id {s:?} is longer than 100 characters"));
                }
                out.push(s.to_string());
            }
            out
        }
        Some(_) => return Err("correlation_ids must be an array of strings".into()),
    };
    let class_b_c = match obj.get("class_b_c") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err("class_b_c must be an object".into()),
    };
    Ok(Downlink { f_port: f_port as u8, payload, decoded_payload, priority, confirmed, correlation_ids, class_b_c })
}

/// Largest FRMPayload per spreading factor at 125 kHz (EU863-870 regional parameters, no FOpts).
pub fn max_payload_for_sf(spreading_factor: u8) -> usize {
    match spreading_factor {
        7 | 8 => 222,
        9 => 115,
        _ => 51,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/platforms/things-stack.md#downlinks: {"downlinks":[{"f_port":15,"frm_payload":"vu8=","priority":"NORMAL"}]}
    #[test]
    fn the_documented_push_is_valid() {
        let d = parse_downlinks(br#"{"downlinks":[{"f_port":15,"frm_payload":"vu8=","priority":"NORMAL"}]}"#).unwrap();
        assert_eq!(d[0].payload, vec![0xbe, 0xef]);
        assert_eq!(d[0].priority, "NORMAL");
    }

    // docs/platforms/things-stack.md#downlinks: "if you do not specify a priority, the default priority
    // LOWEST is used".
    #[test]
    fn priority_defaults_to_lowest_and_must_be_known() {
        assert_eq!(validate(&json!({"f_port": 1})).unwrap().priority, "LOWEST");
        assert!(validate(&json!({"f_port": 1, "priority": "URGENT"})).is_err());
    }

    // docs/platforms/things-stack.md#downlink-validation: f_port 1-223, payload <= 255 bytes, ids <= 100 chars.
    #[test]
    fn limits_are_enforced() {
        assert!(validate(&json!({"f_port": 0})).is_err());
        assert!(validate(&json!({"f_port": 224})).is_err());
        assert!(validate(&json!({"f_port": 223})).is_ok());
        let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 256]);
        assert!(validate(&json!({"f_port": 1, "frm_payload": big})).is_err());
        assert!(validate(&json!({"f_port": 1, "frm_payload": "***"})).is_err());
        assert!(validate(&json!({"f_port": 1, "correlation_ids": ["x".repeat(101)]})).is_err());
        assert!(validate(&json!({"f_port": 1, "correlation_ids": ["x".repeat(100)]})).is_ok());
    }

    #[test]
    fn one_invalid_downlink_rejects_the_whole_request() {
        assert!(parse_downlinks(br#"{"downlinks":[{"f_port":1},{"f_port":0}]}"#).is_err());
        assert!(parse_downlinks(b"not json").is_err());
    }
}
