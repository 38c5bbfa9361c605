//! The gateway API (docs/platforms/thingsboard.md#gateway): one connection speaking for many devices,
//! each payload keyed by device name.

use crate::json::{Map, Value};

use crate::json::{text, ToJson, Writer};

use super::attributes::SharedAttributesUpdate;
use super::error::ThingsBoardError;
use super::telemetry::TelemetryRecord;

fn check_device(device: &str) -> Result<(), ThingsBoardError> {
    if device.trim().is_empty() {
        return Err(ThingsBoardError::InvalidOption { field: "device", reason: "the device name is empty".into() });
    }
    Ok(())
}

/// `{"device":"Dev","type":"thermostat"}` on v1/gateway/connect.
pub fn connect_payload(device: &str, device_type: Option<&str>) -> Result<String, ThingsBoardError> {
    check_device(device)?;
    let mut out = Writer::default();
    out.open().field("device", device).present("type", &device_type).close();
    Ok(out.finish())
}

pub fn disconnect_payload(device: &str) -> Result<String, ThingsBoardError> {
    check_device(device)?;
    let mut out = Writer::default();
    out.open().field("device", device).close();
    Ok(out.finish())
}

/// `{"Dev":[{"ts":..,"values":{..}}]}`; records without a timestamp get `now_ms`.
pub fn telemetry_payload(batches: &[(&str, &[TelemetryRecord])], now_ms: i64) -> Result<String, ThingsBoardError> {
    let mut out = Writer::default();
    out.open();
    for (i, (device, records)) in batches.iter().enumerate() {
        check_device(device)?;
        // A device named twice keeps its last entry, as one JSON object can hold it once.
        if batches[i + 1..].iter().any(|(later, _)| later == device) {
            continue;
        }
        out.key(device).open_array();
        for r in records.iter() {
            out.open().field("ts", &r.ts.unwrap_or(now_ms)).field("values", &r.values).close();
        }
        out.close_array();
    }
    out.close();
    Ok(out.finish())
}

/// `{"Dev":{"k":v}}` on v1/gateway/attributes.
pub fn attributes_payload(device: &str, attributes: &Map<String, Value>) -> Result<String, ThingsBoardError> {
    check_device(device)?;
    let mut out = Writer::default();
    out.open().field(device, attributes).close();
    Ok(out.finish())
}

/// `{"id":1,"device":"Dev","client":true,"keys":["a","b"]}` (a single key goes as `"key"`).
pub fn attribute_request_payload(
    id: u32,
    device: &str,
    keys: &[&str],
    client: bool,
) -> Result<String, ThingsBoardError> {
    check_device(device)?;
    if keys.is_empty() || keys.iter().any(|k| k.trim().is_empty()) {
        return Err(ThingsBoardError::InvalidAttributes("ask for at least one non-empty key".into()));
    }
    let mut out = Writer::default();
    out.open().field("id", &id).field("device", device).field("client", &client);
    match keys {
        [key] => out.field("key", key),
        _ => out.field("keys", keys),
    };
    out.close();
    Ok(out.finish())
}

/// An answer on v1/gateway/attributes/response: `{"id","device","value"}` or `{"id","device","values"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayAttributeResponse {
    pub id: u64,
    pub device: String,
    pub values: Map<String, Value>,
}

/// `requested` names the key of a single-key answer.
pub fn parse_attribute_response(
    payload: &[u8],
    requested: &dyn Fn(u64) -> Option<String>,
) -> Result<GatewayAttributeResponse, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "gateway attribute response", detail };
    let v: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let id = v.get("id").and_then(Value::as_u64).ok_or_else(|| invalid("no numeric id".into()))?;
    let device = v.get("device").and_then(Value::as_str).ok_or_else(|| invalid("no device".into()))?.to_owned();
    let values = match (v.get("values"), v.get("value")) {
        (Some(Value::Object(m)), _) => m.clone(),
        (_, Some(value)) => {
            let key = requested(id).ok_or_else(|| invalid(format!("no pending request {id}")))?;
            // `insert`, not `from_iter`: BTreeMap's from_iter brings a stable sort into the wasm.
            let mut values = Map::new();
            values.insert(key, value.clone());
            values
        }
        _ => return Err(invalid("neither value nor values".into())),
    };
    Ok(GatewayAttributeResponse { id, device, values })
}

/// A server-side RPC for one of the gateway's devices.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayRpcRequest {
    pub device: String,
    pub id: u64,
    pub method: String,
    pub params: Value,
}

crate::write_fields!(GatewayRpcRequest { device, id, method, params });

/// `{"device":"Dev","data":{"id":1,"method":"m","params":{}}}`.
pub fn parse_rpc_request(payload: &[u8]) -> Result<GatewayRpcRequest, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "gateway RPC request", detail };
    let v: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let device = v.get("device").and_then(Value::as_str).ok_or_else(|| invalid("no device".into()))?.to_owned();
    let data = v.get("data").ok_or_else(|| invalid("no data".into()))?;
    let id = data.get("id").and_then(Value::as_u64).ok_or_else(|| invalid("no integer id".into()))?;
    let method = data.get("method").and_then(Value::as_str).ok_or_else(|| invalid("no method".into()))?.to_owned();
    Ok(GatewayRpcRequest { device, id, method, params: data.get("params").cloned().unwrap_or(Value::Null) })
}

/// `{"device":"Dev","id":1,"data":{...}}`; a handler error goes as `{"error": "..."}`.
pub fn rpc_reply_payload(device: &str, id: u64, result: &Result<Value, String>) -> String {
    let mut out = Writer::default();
    out.open().field("device", device).field("id", &id).key("data");
    match result {
        Ok(v) => v.write_json(&mut out),
        Err(e) => {
            out.open().field("error", e).close();
        }
    }
    out.close();
    out.finish()
}

/// A shared-attribute push for one device: `{"device":"Dev","data":{...}}`.
pub fn parse_attribute_update(payload: &[u8]) -> Result<(String, SharedAttributesUpdate), ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "gateway attribute update", detail };
    let v: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let device = v.get("device").and_then(Value::as_str).ok_or_else(|| invalid("no device".into()))?.to_owned();
    let data = v.get("data").map(text).ok_or_else(|| invalid("no data".into()))?;
    Ok((device, super::attributes::parse_shared_update(data.as_bytes())?))
}

/// `{"Dev":{"secretKey":"...","durationMs":...}}` on v1/gateway/claim.
pub fn claim_payload(
    device: &str,
    secret_key: Option<&str>,
    duration_ms: Option<u64>,
) -> Result<String, ThingsBoardError> {
    check_device(device)?;
    let mut out = Writer::default();
    out.open().key(device).raw(&super::rpc::claim_payload(secret_key, duration_ms)).close();
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn device_payloads_follow_the_gateway_api() {
        assert_eq!(connect_payload("Dev A", Some("thermostat")).unwrap(), r#"{"device":"Dev A","type":"thermostat"}"#);
        assert_eq!(disconnect_payload("Dev A").unwrap(), r#"{"device":"Dev A"}"#);
        assert!(connect_payload(" ", None).is_err());
        let rec = [TelemetryRecord::new(Map::from_iter([("t".to_string(), json!(21))]))];
        assert_eq!(telemetry_payload(&[("Dev A", &rec)], 5).unwrap(), r#"{"Dev A":[{"ts":5,"values":{"t":21}}]}"#);
        let attrs = Map::from_iter([("fw".to_string(), json!("1.0"))]);
        assert_eq!(attributes_payload("Dev A", &attrs).unwrap(), r#"{"Dev A":{"fw":"1.0"}}"#);
        assert_eq!(claim_payload("Dev A", Some("s"), None).unwrap(), r#"{"Dev A":{"secretKey":"s"}}"#);
    }

    #[test]
    fn attribute_requests_and_both_answer_shapes() {
        assert_eq!(
            attribute_request_payload(1, "Dev A", &["a"], true).unwrap(),
            r#"{"id":1,"device":"Dev A","client":true,"key":"a"}"#
        );
        assert!(attribute_request_payload(2, "Dev A", &["a", "b"], false).unwrap().contains(r#""keys":["a","b"]"#));
        let key_of = |id: u64| (id == 1).then(|| "a".to_string());
        let one = parse_attribute_response(br#"{"id":1,"device":"Dev A","value":5}"#, &key_of).unwrap();
        assert_eq!(one.values["a"], 5);
        let many = parse_attribute_response(br#"{"id":2,"device":"Dev A","values":{"a":1,"b":2}}"#, &key_of).unwrap();
        assert_eq!(many.values.len(), 2);
        assert!(parse_attribute_response(br#"{"id":3,"device":"Dev A","value":5}"#, &key_of).is_err());
    }

    #[test]
    fn rpc_to_a_device_and_its_reply() {
        let r = parse_rpc_request(br#"{"device":"Dev A","data":{"id":7,"method":"toggle_gpio","params":{"pin":1}}}"#)
            .unwrap();
        assert_eq!(
            r,
            GatewayRpcRequest { device: "Dev A".into(), id: 7, method: "toggle_gpio".into(), params: json!({"pin":1}) }
        );
        assert_eq!(
            rpc_reply_payload("Dev A", 7, &Ok(json!({"success":true}))),
            r#"{"device":"Dev A","id":7,"data":{"success":true}}"#
        );
        for bad in [&b"{"[..], br#"{"device":"D"}"#, br#"{"device":"D","data":{"id":"x","method":"m"}}"#] {
            assert_eq!(parse_rpc_request(bad).unwrap_err().code(), "TB_INVALID_PAYLOAD");
        }
        let (dev, u) = parse_attribute_update(br#"{"device":"Dev A","data":{"x":1,"deleted":["y"]}}"#).unwrap();
        assert_eq!(
            (dev.as_str(), u.values["x"].as_i64(), u.deleted.as_slice()),
            ("Dev A", Some(1), &["y".to_string()][..])
        );
    }
}
