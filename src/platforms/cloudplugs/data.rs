//! Data documents: what is published to `PLUG_ID/data/CHANNEL` (`{"id"?, "data", "at"?}`) and the
//! typed record a subscriber receives, with fields CloudPlugs may add (`of`, `ttl`) kept.

use crate::json::{Map, Value};
use serde::Deserialize;

use super::channel::parse_data_topic;
use super::error::{shown, CloudPlugsError};
use crate::json::{text, FromJson, ReadError, ToJson};

/// The JSON object published on a data channel (docs/platforms/cloudplugs.md#data-document).
#[derive(Debug, Clone, PartialEq)]
pub struct DataDocument {
    /// The message's unique identifier; CloudPlugs assigns one when it is left out.
    pub id: Option<String>,
    /// Any JSON value, `null` included.
    pub data: Value,
    /// UTC milliseconds when the data was published; CloudPlugs uses its own clock when left out.
    pub at: Option<u64>,
    /// Other fields, such as `of` and `ttl` that the object-C library sends.
    pub extra: Map<String, Value>,
}

crate::write_fields!(DataDocument { ?id, data, ?at, ..extra });

crate::read_fields!(DataDocument { id: optional, data: required, at: optional_with(timestamp_ms), extra: rest });

impl DataDocument {
    pub fn new(data: Value, at: Option<u64>) -> Self {
        Self { id: None, data, at, extra: Map::new() }
    }

    /// The payload bytes.
    pub fn to_payload(&self) -> Vec<u8> {
        self.to_json_text().into_bytes()
    }
}

/// One piece of data received on a subscribed channel, with who sent it and where.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataRecord {
    /// The Plug-ID of the device that published it (the topic's first level).
    pub plug_id: String,
    /// The channel it was published on, such as `My/Sensor`.
    pub channel: String,
    pub data: Value,
    pub at: Option<u64>,
    pub id: Option<String>,
    #[serde(default)]
    pub extra: Map<String, Value>,
}

crate::write_fields!(DataRecord { plug_id = "plugId", channel, data, at, id, ?extra });

/// Reads a message from a data channel; anything that is not a data document is a typed error.
pub fn parse_data_record(topic: &str, payload: &[u8]) -> Result<DataRecord, CloudPlugsError> {
    let malformed = |detail: String| CloudPlugsError::MalformedData { topic: shown(topic), detail };
    let (plug_id, channel) =
        parse_data_topic(topic).ok_or_else(|| malformed("not a PLUG_ID/data/CHANNEL topic".into()))?;
    let value: Value = crate::json::parse(payload).map_err(|e| malformed(format!("not JSON ({e})")))?;
    if !value.is_object() {
        return Err(malformed("expected a JSON object {\"data\":...}".into()));
    }
    let doc = DataDocument::from_json(value).map_err(|e| malformed(e.to_string()))?;
    Ok(DataRecord {
        plug_id: plug_id.to_owned(),
        channel: channel.to_owned(),
        data: doc.data,
        at: doc.at,
        id: doc.id,
        extra: doc.extra,
    })
}

/// Milliseconds as JSON writes them: an integer, or a float with no fraction (as JavaScript may).
fn timestamp_ms(value: Value) -> Result<u64, ReadError> {
    match &value {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(ms), _) => Ok(ms),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(f as u64),
            _ => Err(ReadError::new(format!("\"at\" should be milliseconds since 1970, not {n}"))),
        },
        other => Err(ReadError::new(format!("\"at\" should be a number, not {}", text(other)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    const TOPIC: &str = "dev-123456789012345678901234/data/My/Sensor";

    fn payload_json(doc: &DataDocument) -> Value {
        serde_json::from_slice(&doc.to_payload()).unwrap_or(Value::Null)
    }

    // docs/platforms/cloudplugs.md#data-document: {"id": String, "data": JSON, "at": Number}; id and at optional.
    #[test]
    fn a_document_carries_data_and_only_the_optional_fields_given() {
        assert_eq!(payload_json(&DataDocument::new(json!(21.5), None)), json!({"data": 21.5}));
        assert_eq!(
            payload_json(&DataDocument::new(json!({"t": 1}), Some(1_700_000_000_000))),
            json!({"data": {"t": 1}, "at": 1_700_000_000_000u64})
        );
        let mut doc = DataDocument::new(Value::Null, None);
        doc.id = Some("m1".into());
        assert_eq!(payload_json(&doc), json!({"id": "m1", "data": null}));
    }

    #[test]
    fn a_received_document_becomes_a_record_with_sender_and_channel() {
        let r = parse_data_record(TOPIC, br#"{"id":"m1","data":[1,2],"at":1700000000000,"ttl":60}"#);
        assert_eq!(
            r,
            Ok(DataRecord {
                plug_id: "dev-123456789012345678901234".into(),
                channel: "My/Sensor".into(),
                data: json!([1, 2]),
                at: Some(1_700_000_000_000),
                id: Some("m1".into()),
                extra: json!({"ttl": 60}).as_object().cloned().unwrap_or_default(),
            })
        );
    }

    // docs/platforms/cloudplugs.md#data-document: data is "a JSON value (null, ...)", so null is data, not absence.
    #[test]
    fn null_data_is_data() {
        let r = parse_data_record(TOPIC, br#"{"data":null}"#).map(|r| (r.data, r.at, r.id));
        assert_eq!(r, Ok((Value::Null, None, None)));
    }

    #[test]
    fn a_whole_float_timestamp_is_accepted() {
        assert_eq!(parse_data_record(TOPIC, br#"{"data":1,"at":1.7e12}"#).map(|r| r.at), Ok(Some(1_700_000_000_000)));
    }

    #[test]
    fn bad_documents_are_typed_errors_not_panics() {
        for bad in
            [&b"{"[..], b"42", b"[]", br#"{"id":"x"}"#, br#"{"data":1,"at":"soon"}"#, br#"{"data":1,"at":-5}"#, b"\xff"]
        {
            let r = parse_data_record(TOPIC, bad).map_err(|e| e.code());
            assert_eq!(r, Err("CLOUDPLUGS_MALFORMED_DATA"), "{bad:?}");
        }
        assert_eq!(parse_data_record("a/b", b"{\"data\":1}").map_err(|e| e.code()), Err("CLOUDPLUGS_MALFORMED_DATA"));
    }
}
