// ThingsBoard's JSON payloads as its transport parses them: telemetry in four shapes, attribute
// requests with comma-separated key lists, claims. Shapes follow JsonConverter / JsonMqttAdaptor.

use serde_json::{Map, Value};

/// One telemetry upload: a timestamp and the key/values recorded at it.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryEntry {
    pub ts: i64,
    pub values: Map<String, Value>,
}

/// Parses `{"k":v}`, `[{"k":v}]`, `{"ts":ms,"values":{..}}` and arrays of the ts form.
/// Values without a timestamp get `server_ts`, as the ThingsBoard docs promise.
pub fn parse_telemetry(value: &Value, server_ts: i64) -> Result<Vec<TelemetryEntry>, String> {
    match value {
        Value::Object(obj) => Ok(vec![telemetry_object(obj, server_ts)?]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(obj) => telemetry_object(obj, server_ts),
                _ => Err("telemetry array items must be JSON objects".to_string()),
            })
            .collect(),
        _ => Err("telemetry must be a JSON object or an array of objects".into()),
    }
}

fn telemetry_object(obj: &Map<String, Value>, server_ts: i64) -> Result<TelemetryEntry, String> {
    if let (Some(ts), Some(values)) = (obj.get("ts"), obj.get("values")) {
        let ts = ts.as_i64().ok_or_else(|| "\"ts\" must be an integer of milliseconds".to_string())?;
        let values = values.as_object().ok_or_else(|| "\"values\" must be a JSON object".to_string())?;
        return Ok(TelemetryEntry { ts, values: values.clone() });
    }
    Ok(TelemetryEntry { ts: server_ts, values: obj.clone() })
}

/// `{"clientKeys":"k1,k2","sharedKeys":"k3"}`; either may be absent (then that scope is not asked
/// for, unless both are absent, which asks for everything).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributeRequest {
    pub client_keys: Option<Vec<String>>,
    pub shared_keys: Option<Vec<String>>,
}

pub fn parse_attribute_request(value: &Value) -> Result<AttributeRequest, String> {
    let obj = value.as_object().ok_or_else(|| "attribute request must be a JSON object".to_string())?;
    let keys = |name: &str| -> Result<Option<Vec<String>>, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                Ok(Some(s.split(',').map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect()))
            }
            Some(_) => Err(format!("\"{name}\" must be a comma-separated string, e.g. \"k1,k2\"")),
        }
    };
    Ok(AttributeRequest { client_keys: keys("clientKeys")?, shared_keys: keys("sharedKeys")? })
}

/// `{"secretKey":"...","durationMs":60000}`, both optional.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRequest {
    pub secret_key: String,
    pub duration_ms: Option<i64>,
}

pub fn parse_claim(value: &Value) -> Result<ClaimRequest, String> {
    let obj = value.as_object().ok_or_else(|| "claim request must be a JSON object".to_string())?;
    let secret_key = match obj.get("secretKey") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"secretKey\" must be a string".into()),
    };
    let duration_ms = match obj.get("durationMs") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| "\"durationMs\" must be an integer".to_string())?),
    };
    Ok(ClaimRequest { secret_key, duration_ms })
}

/// How ThingsBoard's REST API prints a value when strict data types are off: as a string.
pub fn value_as_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a JSON payload; empty or non-UTF-8 bytes are invalid JSON too.
pub fn parse_json(payload: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // All four formats: docs/platforms/thingsboard.md#telemetry (the MQTT API docs' "Telemetry upload API").
    #[test]
    fn flat_object_gets_the_server_timestamp() {
        let e = parse_telemetry(&json!({"key1":"value1","key2":"value2"}), 7).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].ts, 7);
        assert_eq!(e[0].values["key2"], "value2");
    }

    #[test]
    fn array_of_objects_gets_the_server_timestamp() {
        let e = parse_telemetry(&json!([{"key1":"value1"},{"key2":true}]), 7).unwrap();
        assert_eq!(e.iter().map(|x| x.ts).collect::<Vec<_>>(), vec![7, 7]);
    }

    #[test]
    fn ts_form_keeps_the_client_timestamp() {
        let e = parse_telemetry(&json!({"ts":1451649600512i64,"values":{"k":1}}), 7).unwrap();
        assert_eq!(e[0].ts, 1451649600512);
        let e = parse_telemetry(&json!([{"ts":1,"values":{"a":1}},{"ts":2,"values":{"b":2}}]), 7).unwrap();
        assert_eq!(e.iter().map(|x| x.ts).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn scalar_telemetry_is_rejected() {
        assert!(parse_telemetry(&json!(42), 7).is_err());
        assert!(parse_telemetry(&json!([1, 2]), 7).is_err());
    }

    #[test]
    fn attribute_request_keys_are_comma_separated_strings() {
        // docs/platforms/thingsboard.md#attributes: comma-separated strings, not arrays; either key may be absent.
        let r = parse_attribute_request(&json!({"clientKeys":"a, b","sharedKeys":"c"})).unwrap();
        assert_eq!(r.client_keys, Some(vec!["a".into(), "b".into()]));
        assert_eq!(r.shared_keys, Some(vec!["c".into()]));
        let r = parse_attribute_request(&json!({"sharedKeys":"fw_title"})).unwrap();
        assert_eq!(r.client_keys, None);
        assert!(parse_attribute_request(&json!({"clientKeys":["a"]})).is_err());
    }

    #[test]
    fn claim_fields_are_optional() {
        let c = parse_claim(&json!({})).unwrap();
        assert_eq!(c.secret_key, "");
        assert_eq!(c.duration_ms, None);
        let c = parse_claim(&json!({"secretKey":"s","durationMs":60000})).unwrap();
        assert_eq!(c.duration_ms, Some(60000));
    }
}
