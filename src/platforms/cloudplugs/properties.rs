//! Additional properties: the `set` object (static values and `{"channel":...}` references), the
//! `get` list, and reading the reply on the same channel, where nothing but the topic correlates.

use crate::collections::VecMap;
use crate::json::{Map, Value};
use serde::{Deserialize, Serialize};

use super::channel::validate_channel;
use super::enrollment::read_err;
use super::error::{shown, CloudPlugsError};
use crate::json::ToJson;

/// One property's value: a static JSON value, or a reference to the last value published on a
/// channel of the same device (docs/platforms/cloudplugs.md#properties: `"SampleProp2" : {"channel": "ChannelName" }`).
///
/// On the wire the two share one shape: a static object whose only field is a string `channel`
/// reads back as a reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Value", into = "Value")]
pub enum PropertyValue {
    Static(Value),
    Channel(String),
}

impl From<Value> for PropertyValue {
    fn from(value: Value) -> Self {
        match &value {
            Value::Object(o) if o.len() == 1 => match o.get("channel") {
                Some(Value::String(channel)) => Self::Channel(channel.clone()),
                _ => Self::Static(value),
            },
            _ => Self::Static(value),
        }
    }
}

impl From<PropertyValue> for Value {
    fn from(p: PropertyValue) -> Value {
        match p {
            PropertyValue::Static(v) => v,
            PropertyValue::Channel(channel) => {
                let mut object = crate::json::Map::new();
                object.insert("channel".into(), channel.into());
                Value::Object(object)
            }
        }
    }
}

/// Properties to set, by name. A [`VecMap`], not a `BTreeMap`: one tree type fewer in the package
/// (about 2 KB gzipped), and there are only ever a few.
pub type PropertyMap = VecMap<String, PropertyValue>;

fn validate_property_name(name: &str) -> Result<(), CloudPlugsError> {
    if name.is_empty() {
        return Err(CloudPlugsError::InvalidProperty {
            name: String::new(),
            reason: "a property name may not be empty",
        });
    }
    Ok(())
}

/// The payload for `PLUG_ID/ag/prop/set`: one JSON object; channel references are checked as
/// channels.
pub fn set_payload(properties: &PropertyMap) -> Result<Vec<u8>, CloudPlugsError> {
    if properties.is_empty() {
        return Err(CloudPlugsError::InvalidProperty { name: String::new(), reason: "there is nothing to set" });
    }
    let mut object = Map::new();
    for (name, value) in properties.iter() {
        validate_property_name(name)?;
        if let PropertyValue::Channel(channel) = value {
            validate_channel(channel)?;
        }
        object.insert(name.clone(), value.clone().into());
    }
    Ok(crate::json::text(&Value::Object(object)).into_bytes())
}

/// The payload for `PLUG_ID/ag/prop/get`: empty for every property, else a JSON array of names.
pub fn get_payload(names: Option<&[String]>) -> Result<Vec<u8>, CloudPlugsError> {
    let Some(names) = names else { return Ok(Vec::new()) };
    for name in names {
        validate_property_name(name)?;
    }
    Ok(names.to_json_text().into_bytes())
}

/// How a message on a property channel relates to the request in flight.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyReply<T> {
    /// The broker's copy of our own request (we are subscribed to the channel we publish on):
    /// not the answer, keep waiting.
    Echo,
    Answer(Result<T, CloudPlugsError>),
}

/// Reads a message on `ag/prop/set`: empty means done, `{"err",...}` a refusal.
pub fn read_set_reply(request: &[u8], reply: &[u8]) -> PropertyReply<()> {
    if reply == request {
        return PropertyReply::Echo;
    }
    if reply.iter().all(u8::is_ascii_whitespace) {
        return PropertyReply::Answer(Ok(()));
    }
    PropertyReply::Answer(match parse_error_object(reply) {
        Ok(Some(e)) => Err(e),
        Ok(None) => Err(malformed(format!("expected an empty reply or {{\"err\":...}}, got {}", text(reply)))),
        Err(e) => Err(e),
    })
}

/// Reads a message on `ag/prop/get`: the values by name, or `{"err",...}`. `requested` are the
/// names asked for: a property that is itself called `err` is then a value, not a refusal.
pub fn read_get_reply(request: &[u8], requested: Option<&[String]>, reply: &[u8]) -> PropertyReply<Map<String, Value>> {
    if reply == request {
        return PropertyReply::Echo;
    }
    if reply.iter().all(u8::is_ascii_whitespace) {
        return PropertyReply::Answer(Ok(Map::new()));
    }
    let value: Value = match crate::json::parse(reply) {
        Ok(v) => v,
        Err(e) => return PropertyReply::Answer(Err(malformed(format!("not JSON ({e})")))),
    };
    let Value::Object(values) = value else {
        return PropertyReply::Answer(Err(malformed(format!("expected a JSON object, got {}", text(reply)))));
    };
    let names_err = requested.is_some_and(|names| names.iter().any(|n| n == "err"));
    if !names_err {
        if let Some(e) = error_from(&values) {
            return PropertyReply::Answer(Err(e));
        }
    }
    PropertyReply::Answer(Ok(values))
}

fn parse_error_object(reply: &[u8]) -> Result<Option<CloudPlugsError>, CloudPlugsError> {
    let value: Value = crate::json::parse(reply).map_err(|e| malformed(format!("not JSON ({e})")))?;
    match value {
        Value::Object(o) => Ok(error_from(&o)),
        _ => Ok(None),
    }
}

/// `{"err": Number, "msg"?: String}` and nothing else is CloudPlugs' error shape.
fn error_from(object: &Map<String, Value>) -> Option<CloudPlugsError> {
    let err = object.get("err")?;
    if object.keys().any(|k| k != "err" && k != "msg") {
        return None;
    }
    let (err, msg) = read_err(err, object.get("msg")).ok()?;
    Some(CloudPlugsError::PropertyError { err, msg })
}

fn malformed(detail: String) -> CloudPlugsError {
    CloudPlugsError::MalformedReply { what: "property reply", detail }
}

fn text(bytes: &[u8]) -> String {
    shown(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn props(entries: &[(&str, PropertyValue)]) -> PropertyMap {
        entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    fn as_json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap_or(Value::Null)
    }

    // docs/platforms/cloudplugs.md#properties, set: static values and {"channel": "ChannelName"}.
    #[test]
    fn set_sends_static_values_and_channel_references_in_one_object() {
        let p = props(&[
            ("SampleProp1", PropertyValue::Static(json!("StaticValue"))),
            ("SampleProp2", PropertyValue::Channel("ChannelName".into())),
        ]);
        let payload = set_payload(&p).map(|b| as_json(&b));
        assert_eq!(payload, Ok(json!({"SampleProp1": "StaticValue", "SampleProp2": {"channel": "ChannelName"}})));
    }

    #[test]
    fn set_refuses_an_empty_request_an_empty_name_and_a_wildcard_reference() {
        assert_eq!(set_payload(&PropertyMap::new()).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_PROPERTY"));
        let p = props(&[("", PropertyValue::Static(json!(1)))]);
        assert_eq!(set_payload(&p).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_PROPERTY"));
        let p = props(&[("p", PropertyValue::Channel("a/#".into()))]);
        assert_eq!(set_payload(&p).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_CHANNEL"));
    }

    #[test]
    fn a_channel_reference_reads_back_from_json_as_a_reference() {
        let v: Result<PropertyValue, _> = serde_json::from_value(json!({"channel": "Temp"}).into());
        assert_eq!(v.ok(), Some(PropertyValue::Channel("Temp".into())));
        let v: Result<PropertyValue, _> = serde_json::from_value(json!({"channel": "Temp", "x": 1}).into());
        assert_eq!(v.ok(), Some(PropertyValue::Static(json!({"channel": "Temp", "x": 1}))));
    }

    // docs/platforms/cloudplugs.md#properties, get: "no payload" = all, else ["SampleProp1","SampleProp2"].
    #[test]
    fn get_sends_nothing_for_all_or_a_json_array_of_names() {
        assert_eq!(get_payload(None), Ok(Vec::new()));
        let names = vec!["SampleProp1".to_owned(), "SampleProp2".to_owned()];
        assert_eq!(get_payload(Some(&names)).map(|b| as_json(&b)), Ok(json!(["SampleProp1", "SampleProp2"])));
        assert_eq!(get_payload(Some(&[String::new()])).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_PROPERTY"));
    }

    // docs/platforms/cloudplugs.md#properties: the server answers on the same channel (empty = OK, or {"err":...}).
    #[test]
    fn an_empty_set_reply_means_ok() {
        assert_eq!(read_set_reply(br#"{"a":1}"#, b""), PropertyReply::Answer(Ok(())));
    }

    #[test]
    fn an_err_set_reply_is_a_typed_property_error() {
        let r = read_set_reply(br#"{"a":1}"#, br#"{"err":400,"msg":"bad"}"#);
        assert_eq!(r, PropertyReply::Answer(Err(CloudPlugsError::PropertyError { err: 400, msg: "bad".into() })));
    }

    #[test]
    fn our_own_request_coming_back_is_an_echo_not_the_answer() {
        assert_eq!(read_set_reply(br#"{"a":1}"#, br#"{"a":1}"#), PropertyReply::Echo);
        assert_eq!(read_get_reply(b"", None, b""), PropertyReply::Echo);
        assert_eq!(read_get_reply(br#"["a"]"#, None, br#"["a"]"#), PropertyReply::Echo);
    }

    #[test]
    fn an_unreadable_set_reply_is_malformed() {
        for bad in [&b"{"[..], br#"{"ok":true}"#, b"[1]"] {
            let r = match read_set_reply(b"{}", bad) {
                PropertyReply::Answer(r) => r.map_err(|e| e.code()),
                PropertyReply::Echo => Ok(()),
            };
            assert_eq!(r, Err("CLOUDPLUGS_MALFORMED_REPLY"), "{bad:?}");
        }
    }

    #[test]
    fn a_get_reply_gives_the_values_by_name() {
        let r = read_get_reply(br#"["a","b"]"#, None, br#"{"a":1,"b":{"x":true}}"#);
        let expected = json!({"a": 1, "b": {"x": true}}).as_object().cloned().unwrap_or_default();
        assert_eq!(r, PropertyReply::Answer(Ok(expected)));
    }

    #[test]
    fn an_err_get_reply_is_a_typed_error_unless_err_was_asked_for() {
        let r = read_get_reply(b"", None, br#"{"err":404,"msg":"plug not found"}"#);
        assert_eq!(
            r,
            PropertyReply::Answer(Err(CloudPlugsError::PropertyError { err: 404, msg: "plug not found".into() }))
        );
        let names = vec!["err".to_owned()];
        let r = read_get_reply(br#"["err"]"#, Some(&names), br#"{"err":3}"#);
        assert_eq!(r, PropertyReply::Answer(Ok(json!({"err": 3}).as_object().cloned().unwrap_or_default())));
    }

    #[test]
    fn an_unreadable_get_reply_is_malformed_not_a_panic() {
        for bad in [&b"{"[..], b"[1,2]", b"7", b"\xff"] {
            let r = match read_get_reply(b"", None, bad) {
                PropertyReply::Answer(r) => r.map(|_| ()).map_err(|e| e.code()),
                PropertyReply::Echo => Ok(()),
            };
            assert_eq!(r, Err("CLOUDPLUGS_MALFORMED_REPLY"), "{bad:?}");
        }
    }
}
