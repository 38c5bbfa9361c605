//! Attributes (docs/platforms/thingsboard.md#attributes): requests with comma-joined keys, `{client, shared}`
//! responses, shared-attribute updates with `deleted`, and a local mirror kept consistent with both.

use crate::json::{Map, Value};

use super::error::ThingsBoardError;

/// `{"clientKeys":"k1,k2","sharedKeys":"k3"}`: comma-separated strings, each present only when asked for.
pub fn attribute_request_payload(client_keys: &[&str], shared_keys: &[&str]) -> Result<String, ThingsBoardError> {
    let mut body = Map::new();
    for (name, keys) in [("clientKeys", client_keys), ("sharedKeys", shared_keys)] {
        if keys.iter().any(|k| k.trim().is_empty() || k.contains(',')) {
            return Err(ThingsBoardError::InvalidAttributes(format!("{name}: a key is empty or contains a comma")));
        }
        if !keys.is_empty() {
            // Joined by hand: `join` would bring its code into the wasm for this one use.
            let mut joined = String::new();
            for (i, key) in keys.iter().enumerate() {
                joined.push_str(if i == 0 { "" } else { "," });
                joined.push_str(key);
            }
            body.insert(name.into(), Value::String(joined));
        }
    }
    if body.is_empty() {
        return Err(ThingsBoardError::InvalidAttributes("ask for at least one client or shared key".into()));
    }
    Ok(crate::json::text(&Value::Object(body)))
}

/// The answer to an attribute request; a scope with no values is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeResponse {
    pub client: Map<String, Value>,
    pub shared: Map<String, Value>,
}

crate::write_fields!(AttributeResponse { client, shared });

pub fn parse_attribute_response(payload: &[u8]) -> Result<AttributeResponse, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "attribute response", detail };
    let value: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let Value::Object(mut map) = value else { return Err(invalid("not a JSON object".into())) };
    let mut scope = |name: &str| match map.remove(name) {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(invalid(format!("{name} is not an object"))),
    };
    Ok(AttributeResponse { client: scope("client")?, shared: scope("shared")? })
}

/// A push on `v1/devices/me/attributes`: the changed shared attributes, and the deleted keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharedAttributesUpdate {
    pub values: Map<String, Value>,
    pub deleted: Vec<String>,
}

crate::write_fields!(SharedAttributesUpdate { values, deleted });

pub fn parse_shared_update(payload: &[u8]) -> Result<SharedAttributesUpdate, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "shared attribute update", detail };
    let value: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let Value::Object(mut values) = value else { return Err(invalid("not a JSON object".into())) };
    let deleted = match values.remove("deleted") {
        None => Vec::new(),
        Some(Value::Array(keys)) => keys.into_iter().filter_map(|k| k.as_str().map(String::from)).collect(),
        Some(_) => return Err(invalid("deleted is not an array of keys".into())),
    };
    Ok(SharedAttributesUpdate { values, deleted })
}

/// The device's view of its attributes, updated by responses, pushes and its own publishes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeMirror {
    pub client: Map<String, Value>,
    pub shared: Map<String, Value>,
}

crate::write_fields!(AttributeMirror { client, shared });

impl AttributeMirror {
    pub fn apply_response(&mut self, response: &AttributeResponse) {
        self.client.extend(response.client.clone());
        self.shared.extend(response.shared.clone());
    }

    pub fn apply_update(&mut self, update: &SharedAttributesUpdate) {
        self.shared.extend(update.values.clone());
        for key in &update.deleted {
            self.shared.remove(key);
        }
    }

    pub fn apply_client(&mut self, published: &Map<String, Value>) {
        self.client.extend(published.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    // The docs' mqtt-js-attributes-request.js (docs/platforms/thingsboard.md#attributes).
    #[test]
    fn requests_join_keys_with_commas_as_the_seed_does() {
        let p = attribute_request_payload(&["attribute1", "attribute2"], &["shared1", "shared2"]).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&p).unwrap(),
            json!({"clientKeys":"attribute1,attribute2", "sharedKeys":"shared1,shared2"})
        );
        let shared_only = attribute_request_payload(&[], &["fw_title", "fw_version"]).unwrap();
        assert_eq!(shared_only, r#"{"sharedKeys":"fw_title,fw_version"}"#);
        assert!(attribute_request_payload(&[], &[]).is_err());
        assert!(attribute_request_payload(&["a,b"], &[]).is_err());
        assert!(attribute_request_payload(&[""], &[]).is_err());
    }

    // docs/platforms/thingsboard.md#attributes: the attribute response, and the firmware flow's shared response.
    #[test]
    fn responses_parse_with_either_scope_absent() {
        let r = parse_attribute_response(
            br#"{"client":{"attribute1":"value1","attribute2":"value2"},"shared":{"shared1":"value1"}}"#,
        )
        .unwrap();
        assert_eq!(r.client["attribute2"], "value2");
        assert_eq!(r.shared["shared1"], "value1");
        let fw = parse_attribute_response(br#"{"shared":{"fw_title":"TA652FC-W-TB","fw_version":"1.6.8","fw_size":1315392,"fw_checksum_algorithm":"MD5","fw_checksum":"9cd4197f260254ac7b6e761b89c7cb66"}}"#).unwrap();
        assert!(fw.client.is_empty());
        assert_eq!(fw.shared["fw_size"], 1_315_392);
    }

    #[test]
    fn invalid_responses_are_typed_errors() {
        for bad in [&b"not json"[..], b"[1]", br#"{"client":1}"#] {
            assert_eq!(parse_attribute_response(bad).unwrap_err().code(), "TB_INVALID_PAYLOAD");
        }
        assert!(parse_shared_update(b"{").is_err());
        assert!(parse_shared_update(br#"{"deleted":"a"}"#).is_err());
    }

    // docs/platforms/thingsboard.md#attributes: a flat map of changed keys plus "deleted".
    #[test]
    fn the_mirror_follows_updates_and_deletions() {
        let mut m = AttributeMirror::default();
        m.apply_response(&parse_attribute_response(br#"{"shared":{"a":1,"b":2}}"#).unwrap());
        m.apply_update(&parse_shared_update(br#"{"b":3,"c":4}"#).unwrap());
        assert_eq!(Value::Object(m.shared.clone()), json!({"a":1,"b":3,"c":4}));
        let u = parse_shared_update(br#"{"deleted":["a","c"]}"#).unwrap();
        assert_eq!(u.deleted, ["a", "c"]);
        m.apply_update(&u);
        assert_eq!(Value::Object(m.shared.clone()), json!({"b":3}));
        m.apply_client(json!({"x": true}).as_object().unwrap());
        assert_eq!(m.client["x"], true);
    }
}
