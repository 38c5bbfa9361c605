//! RPC both ways (docs/platforms/thingsboard.md#rpc): server-side requests carry their id only in the topic;
//! client-side calls get the rule chain's JSON back, or `{"error": ...}`.

use crate::json::Value;

use crate::json::{text, Writer};

use super::error::ThingsBoardError;
use super::topics;

/// A server-side RPC, as the device receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcRequest {
    /// The integer id from the topic, as ThingsBoard sent it.
    pub id: u64,
    pub method: String,
    pub params: Value,
}

crate::write_fields!(RpcRequest { id, method, params });

/// Reads `v1/devices/me/rpc/request/{id}` with `{"method":"...","params":...}`.
pub fn parse_rpc_request(topic: &str, payload: &[u8]) -> Result<RpcRequest, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "RPC request", detail };
    let id = topics::id_after(topic, topics::RPC_REQUEST_PREFIX)
        .ok_or_else(|| invalid(format!("topic {} has no request id", crate::json::quoted(topic))))?;
    let id: u64 =
        id.parse().map_err(|_| invalid(format!("request id {} is not an integer", crate::json::quoted(id))))?;
    let value: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let method =
        value.get("method").and_then(Value::as_str).ok_or_else(|| invalid("no \"method\" string".into()))?.to_owned();
    let params = value.get("params").cloned().unwrap_or(Value::Null);
    Ok(RpcRequest { id, method, params })
}

/// The reply body: the handler's JSON, or `{"error": message}` so the server's call does not hang.
pub fn rpc_reply_payload(result: &Result<Value, String>) -> String {
    match result {
        Ok(v) => text(v),
        Err(e) => {
            let mut out = Writer::default();
            out.open().field("error", e).close();
            out.finish()
        }
    }
}

/// The body of a client-side call.
pub fn rpc_call_payload(method: &str, params: &Value) -> Result<String, ThingsBoardError> {
    if method.trim().is_empty() {
        return Err(ThingsBoardError::InvalidOption { field: "method", reason: "the RPC method is empty".into() });
    }
    let mut out = Writer::default();
    out.open().field("method", method).field("params", params).close();
    Ok(out.finish())
}

/// The server's answer to a client-side call: its JSON, or a typed `RpcError` for `{"error": ...}`.
pub fn parse_rpc_result(method: &str, payload: &[u8]) -> Result<Value, ThingsBoardError> {
    let value: Value = crate::json::parse(payload)
        .map_err(|e| ThingsBoardError::InvalidPayload { what: "RPC response", detail: e.to_string() })?;
    if let Value::Object(map) = &value {
        if map.len() == 1 {
            if let Some(error) = map.get("error") {
                let error = error.as_str().map(String::from).unwrap_or_else(|| text(error));
                return Err(ThingsBoardError::RpcError { method: method.to_owned(), error });
            }
        }
    }
    Ok(value)
}

/// `{"secretKey":"...","durationMs":60000}`, both optional (docs/platforms/thingsboard.md#claiming).
pub fn claim_payload(secret_key: Option<&str>, duration_ms: Option<u64>) -> String {
    let mut body = crate::json::Map::new();
    if let Some(k) = secret_key {
        body.insert("secretKey".into(), Value::String(k.into()));
    }
    if let Some(d) = duration_ms {
        body.insert("durationMs".into(), d.into());
    }
    text(&Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    // docs/platforms/thingsboard.md#rpc: {"method":"setSpValue","params":14.5} on v1/devices/me/rpc/request/$request_id
    #[test]
    fn server_requests_parse_with_the_id_from_the_topic() {
        let r = parse_rpc_request("v1/devices/me/rpc/request/42", br#"{"method":"setSpValue","params":14.5}"#).unwrap();
        assert_eq!(r, RpcRequest { id: 42, method: "setSpValue".into(), params: json!(14.5) });
        let r = parse_rpc_request(
            "v1/devices/me/rpc/request/1",
            br#"{"method":"remoteOTA","params":"http://192.168.xx.xxx/abc.bin"}"#,
        )
        .unwrap();
        assert_eq!(r.params, "http://192.168.xx.xxx/abc.bin");
        let no_params = parse_rpc_request("v1/devices/me/rpc/request/2", br#"{"method":"reboot"}"#).unwrap();
        assert_eq!(no_params.params, Value::Null);
    }

    #[test]
    fn bad_ids_and_bodies_are_typed_errors() {
        for (topic, body) in [
            ("v1/devices/me/rpc/request/abc", &br#"{"method":"m"}"#[..]),
            ("v1/devices/me/rpc/request/-1", br#"{"method":"m"}"#),
            ("v1/devices/me/rpc/request/", br#"{"method":"m"}"#),
            ("v1/devices/me/rpc/request/1", b"{oops"),
            ("v1/devices/me/rpc/request/1", br#"{"params":1}"#),
            ("v1/devices/me/rpc/request/1", br#"{"method":3}"#),
        ] {
            assert_eq!(parse_rpc_request(topic, body).unwrap_err().code(), "TB_INVALID_PAYLOAD", "{topic} {body:?}");
        }
    }

    // docs/platforms/thingsboard.md#rpc, mqtt-js-rpc-from-client.js: {"method":"getTime","params":{}}
    #[test]
    fn client_calls_and_their_results() {
        assert_eq!(rpc_call_payload("getTime", &json!({})).unwrap(), r#"{"method":"getTime","params":{}}"#);
        assert!(rpc_call_payload(" ", &Value::Null).is_err());
        assert_eq!(parse_rpc_result("getTime", br#"{"time":"2016-01-01"}"#).unwrap()["time"], "2016-01-01");
        let e = parse_rpc_result("nope", br#"{"error":"Unsupported method"}"#).unwrap_err();
        assert_eq!(e, ThingsBoardError::RpcError { method: "nope".into(), error: "Unsupported method".into() });
        assert_eq!(e.code(), "TB_RPC_ERROR");
        assert!(parse_rpc_result("m", b"not json").is_err());
    }

    #[test]
    fn replies_are_json_or_an_error_object() {
        assert_eq!(rpc_reply_payload(&Ok(json!({"result":"success"}))), r#"{"result":"success"}"#);
        assert_eq!(rpc_reply_payload(&Err("unknown method: x".into())), r#"{"error":"unknown method: x"}"#);
    }

    // docs/platforms/thingsboard.md#claiming: both fields optional.
    #[test]
    fn claim_payload_has_only_what_was_given() {
        assert_eq!(claim_payload(Some("value"), Some(60_000)), r#"{"secretKey":"value","durationMs":60000}"#);
        assert_eq!(claim_payload(None, None), "{}");
    }
}
