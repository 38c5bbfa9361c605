//! Reads the connection's options from an options object of any object model: the shell gives plain
//! data (`npm/src/plain.ts` → `src/batch/plain.rs`), the tests JSON. Keys are camelCase, each absent (or `null`)
//! one at its default. A wrong type is refused by its path (`reconnect.factor`) with what was
//! expected and what came, and so is a key no reader asked for: a typo must not be silently
//! ignored. No JSON model is needed, so the npm package's generic entry carries none.

use super::{
    ClientOptions, ConnectOptions, OfflineQueueOptions, ProtocolVersion, PublishProperties, QoS, QueueFullPolicy,
    ReconnectOptions, Will,
};
use crate::json::ReadError;
use crate::session::packets::qos_from_u8;

/// One value of an options object, as its object model holds it.
#[derive(Debug)]
pub enum Item<O> {
    /// Absent, `null` or `undefined`.
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Bytes(Vec<u8>),
    List(Vec<Item<O>>),
    Object(O),
    /// Anything else, described: "bytes", "a function".
    Other(&'static str),
}

/// An object of the model: its values by key, and its own keys.
pub trait Object: Sized {
    /// The value at `key`. An error (a getter that threw) is its message.
    fn get(&mut self, key: &str) -> Result<Item<Self>, String>;
    /// The value at `key` as bytes to publish (text as UTF-8, bytes as they are); `None` when
    /// absent or `null`.
    fn payload(&mut self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// The object's own keys.
    fn keys(&self) -> Result<Vec<String>, String>;
}

/// "expected {what}, got {a string}".
pub fn expected<O>(what: &str, got: &Item<O>) -> ReadError {
    let got = match got {
        Item::Null => "null",
        Item::Bool(_) => "a boolean",
        Item::Number(_) => "a number",
        Item::Text(_) => "a string",
        Item::Bytes(_) => "bytes",
        Item::List(_) => "an array",
        Item::Object(_) => "an object",
        Item::Other(what) => what,
    };
    ReadError::new(format!("expected {what}, got {got}"))
}

/// What a field holds, and so how it is read. The readers are this table, read by one loop: the
/// package's wasm has one copy of each kind's reading, not one per field.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    Flag,
    Number,
    /// A whole number from 0 to the bound (`None`: any; beyond 2^64 it is 2^64 − 1).
    Whole(Option<u32>),
    Qos,
    Version,
    Policy,
    Texts,
    /// Text or bytes to publish.
    Payload,
    /// An object of names to a string or an array of strings: MQTT 5 user properties, in the
    /// object's key order, a name repeated once per string of its array.
    Pairs,
    /// An object of these fields.
    Object(&'static [Field]),
}

/// A key and what its value holds.
pub type Field = (&'static str, Kind);

/// A field's value, read; `Absent` when it was missing or `null`.
#[derive(Debug)]
pub enum Value {
    Absent,
    Text(String),
    Flag(bool),
    Number(f64),
    Whole(u64),
    Qos(QoS),
    Version(ProtocolVersion),
    Policy(QueueFullPolicy),
    Texts(Vec<String>),
    Bytes(Vec<u8>),
    Pairs(Vec<(String, String)>),
    Object(Vec<Value>),
}

/// Reads an object of `fields`: their values, in their order. A key that is not one of them is
/// refused by name, the known ones listed.
pub fn object<O: Object>(item: Item<O>, fields: &'static [Field]) -> Result<Vec<Value>, ReadError> {
    let mut o = match item {
        Item::Object(o) => o,
        other => return Err(expected("an object", &other)),
    };
    let mut values = Vec::with_capacity(fields.len());
    for &(key, kind) in fields {
        let v = match kind {
            Kind::Payload => o.payload(key).map(|p| p.map_or(Value::Absent, Value::Bytes)).map_err(ReadError::new),
            _ => o.get(key).map_err(ReadError::new).and_then(|item| value(item, kind)),
        };
        values.push(v.map_err(|e| e.under(key))?);
    }
    let keys = o.keys().map_err(ReadError::new)?;
    match keys.iter().find(|k| !fields.iter().any(|(f, _)| f == k)) {
        None => Ok(values),
        Some(key) => Err(ReadError::unknown_option(key, fields.iter().map(|(field, _)| *field))),
    }
}

fn value<O: Object>(item: Item<O>, kind: Kind) -> Result<Value, ReadError> {
    let whole = |n: f64, max: Option<u32>| n.fract() == 0.0 && n >= 0.0 && max.is_none_or(|m| n <= f64::from(m));
    Ok(match (kind, item) {
        (_, Item::Null) => Value::Absent,
        (Kind::Text, Item::Text(s)) => Value::Text(s),
        (Kind::Flag, Item::Bool(b)) => Value::Flag(b),
        (Kind::Number, Item::Number(n)) if n.is_finite() => Value::Number(n),
        (Kind::Whole(max), Item::Number(n)) if whole(n, max) => Value::Whole(n as u64),
        (Kind::Qos, Item::Number(n)) if whole(n, Some(2)) => Value::Qos(qos_from_u8(n as u8)),
        (Kind::Version, Item::Text(name)) => match ProtocolVersion::from_name(&name) {
            Some(v) => Value::Version(v),
            None => return Err(ReadError::new(ProtocolVersion::unknown(&name))),
        },
        (Kind::Policy, Item::Text(name)) => match QueueFullPolicy::from_name(&name) {
            Some(policy) => Value::Policy(policy),
            None => return Err(expected(&what(kind), &Item::<O>::Text(name))),
        },
        (Kind::Texts, Item::List(items)) => {
            let mut texts = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Item::Text(s) => texts.push(s),
                    other => return Err(expected("a string", &other).under(&format!("[{i}]"))),
                }
            }
            Value::Texts(texts)
        }
        (Kind::Object(fields), item @ Item::Object(_)) => Value::Object(object(item, fields)?),
        #[cfg(feature = "mqtt5")]
        (Kind::Pairs, Item::Object(mut o)) => {
            let mut pairs = Vec::new();
            for key in o.keys().map_err(ReadError::new)? {
                let texts = match o.get(&key).map_err(ReadError::new)? {
                    Item::Text(s) => vec![s],
                    list @ Item::List(_) => {
                        value(list, Kind::Texts).map_err(|e| e.under(&key))?.texts().unwrap_or_default()
                    }
                    other => return Err(expected("a string or an array of strings", &other).under(&key)),
                };
                pairs.extend(texts.into_iter().map(|t| (key.clone(), t)));
            }
            Value::Pairs(pairs)
        }
        (kind, item) => return Err(expected(&what(kind), &item)),
    })
}

/// What a field of `kind` expects, for its error.
fn what(kind: Kind) -> String {
    match kind {
        Kind::Text => "a string".into(),
        Kind::Flag => "true or false".into(),
        Kind::Number => "a number".into(),
        Kind::Whole(Some(max)) => format!("a whole number from 0 to {max}"),
        Kind::Whole(None) => "a whole number from 0".into(),
        Kind::Qos => "0, 1 or 2".into(),
        Kind::Version => "\"3.1.1\" or \"5\"".into(),
        Kind::Policy => "\"reject\" or \"dropOldestQos0\"".into(),
        Kind::Texts => "an array".into(),
        Kind::Payload => "a string or bytes".into(),
        Kind::Pairs => "an object of strings or arrays of strings".into(),
        Kind::Object(_) => "an object".into(),
    }
}

impl Value {
    fn text(self) -> Option<String> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
    fn flag(self) -> Option<bool> {
        match self {
            Self::Flag(b) => Some(b),
            _ => None,
        }
    }
    fn number(self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }
    fn whole(self) -> Option<u64> {
        match self {
            Self::Whole(n) => Some(n),
            _ => None,
        }
    }
    fn qos(self) -> Option<QoS> {
        match self {
            Self::Qos(q) => Some(q),
            _ => None,
        }
    }
    #[cfg(feature = "mqtt5")]
    fn pairs(self) -> Vec<(String, String)> {
        match self {
            Self::Pairs(p) => p,
            _ => Vec::new(),
        }
    }

    #[cfg(feature = "mqtt5")]
    fn bytes(self) -> Option<Vec<u8>> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    fn texts(self) -> Option<Vec<String>> {
        match self {
            Self::Texts(t) => Some(t),
            _ => None,
        }
    }
    fn object(self) -> Option<Vec<Value>> {
        match self {
            Self::Object(v) => Some(v),
            _ => None,
        }
    }
}

const U16: Option<u32> = Some(u16::MAX as u32);
const U32: Option<u32> = Some(u32::MAX);

/// MQTT 5 enhanced authentication's method and first data (the `iotmqtt/mqtt5` entry).
#[cfg(feature = "auth")]
const AUTHENTICATION: &[Field] = &[("method", Kind::Text), ("data", Kind::Payload)];
const WILL: &[Field] = &[("topic", Kind::Text), ("payload", Kind::Payload), ("qos", Kind::Qos), ("retain", Kind::Flag)];
const RECONNECT: &[Field] = &[
    ("enabled", Kind::Flag),
    ("initialDelayMs", Kind::Whole(None)),
    ("maxDelayMs", Kind::Whole(None)),
    ("factor", Kind::Number),
    ("maxAttempts", Kind::Whole(U32)),
];
const OFFLINE_QUEUE: &[Field] =
    &[("maxMessages", Kind::Whole(None)), ("maxBytes", Kind::Whole(None)), ("policy", Kind::Policy)];
/// The `MqttClient` options: the CONNECT fields, then the client's own.
const CLIENT: &[Field] = &[
    ("version", Kind::Version),
    ("clientId", Kind::Text),
    ("username", Kind::Text),
    ("password", Kind::Text),
    ("keepaliveSecs", Kind::Whole(U16)),
    ("cleanStart", Kind::Flag),
    ("will", Kind::Object(WILL)),
    ("sessionExpirySecs", Kind::Whole(U32)),
    ("connectTimeoutMs", Kind::Whole(None)),
    ("pingTimeoutMs", Kind::Whole(None)),
    ("maximumPacketSize", Kind::Whole(U32)),
    ("topicAliasMaximum", Kind::Whole(U16)),
    #[cfg(feature = "auth")]
    ("authentication", Kind::Object(AUTHENTICATION)),
    ("reconnect", Kind::Object(RECONNECT)),
    ("offlineQueue", Kind::Object(OFFLINE_QUEUE)),
    ("persistence", Kind::Text),
    ("workerTimers", Kind::Flag),
    ("websocketProtocols", Kind::Texts),
    ("servers", Kind::Texts),
    ("followServerReference", Kind::Flag),
    // The shell has the page's callback; the core only knows that it must ask.
    #[cfg(feature = "credentials")]
    ("credentials", Kind::Flag),
];
/// A credentials callback's answer.
#[cfg(feature = "credentials")]
const LOGIN: &[Field] = &[("username", Kind::Text), ("password", Kind::Text)];
const PUBLISH: &[Field] = &[
    ("qos", Kind::Qos),
    ("retain", Kind::Flag),
    #[cfg(feature = "mqtt5")]
    ("properties", Kind::Object(PROPERTIES)),
];
/// MQTT 5 message properties, named as MQTT.js names them.
#[cfg(feature = "mqtt5")]
const PROPERTIES: &[Field] = &[
    ("payloadFormatIndicator", Kind::Flag),
    ("messageExpiryInterval", Kind::Whole(U32)),
    ("contentType", Kind::Text),
    ("responseTopic", Kind::Text),
    ("correlationData", Kind::Payload),
    ("userProperties", Kind::Pairs),
];
const SUBSCRIBE: &[Field] = &[("qos", Kind::Qos)];
const REQUEST: &[Field] = &[("filter", Kind::Text), ("qos", Kind::Qos)];
/// With the `subscription-options` feature (the `iotmqtt/mqtt5` entry): MQTT 5 subscription options,
/// named as MQTT.js names them (`nl`, `rap` and `rh` there), and the Subscription Identifier.
#[cfg(feature = "subscription-options")]
const SUBSCRIBE_WITH: &[Field] = &[
    ("qos", Kind::Qos),
    ("noLocal", Kind::Flag),
    ("retainAsPublished", Kind::Flag),
    ("retainHandling", Kind::Whole(Some(2))),
    ("subscriptionIdentifier", Kind::Whole(Some(268_435_455))),
];
#[cfg(feature = "subscription-options")]
const REQUEST_WITH: &[Field] = &[
    ("filter", Kind::Text),
    ("qos", Kind::Qos),
    ("noLocal", Kind::Flag),
    ("retainAsPublished", Kind::Flag),
    ("retainHandling", Kind::Whole(Some(2))),
];

/// The values of `fields`, one at a time in their order.
struct Values(std::vec::IntoIter<Value>);

impl Values {
    fn next(&mut self) -> Value {
        self.0.next().unwrap_or(Value::Absent)
    }
}

fn values<O: Object>(item: Item<O>, fields: &'static [Field]) -> Result<Values, ReadError> {
    object(item, fields).map(|v| Values(v.into_iter()))
}

/// A publish's `{qos, retain, properties}`.
pub fn publish_options<O: Object>(options: Item<O>) -> Result<(QoS, bool, PublishProperties), ReadError> {
    let mut v = values(options, PUBLISH)?;
    let (qos, retain) = (v.next().qos().unwrap_or_default(), v.next().flag().unwrap_or(false));
    #[cfg(not(feature = "mqtt5"))]
    let properties = PublishProperties::default();
    #[cfg(feature = "mqtt5")]
    let mut p = Values(v.next().object().unwrap_or_default().into_iter());
    #[cfg(feature = "mqtt5")]
    let properties = PublishProperties {
        payload_format_indicator: p.next().flag(),
        message_expiry_interval: p.next().whole().map(|n| n as u32),
        content_type: p.next().text(),
        response_topic: p.next().text(),
        correlation_data: p.next().bytes(),
        user_properties: p.next().pairs(),
    };
    Ok((qos, retain, properties))
}

/// A subscription's `{qos}`.
pub fn subscribe_options<O: Object>(options: Item<O>) -> Result<QoS, ReadError> {
    Ok(values(options, SUBSCRIBE)?.next().qos().unwrap_or_default())
}

/// A subscription's options and Subscription Identifier, from the values of `SUBSCRIBE_WITH` or
/// `REQUEST_WITH` after the filter.
#[cfg(feature = "subscription-options")]
fn options_from(v: &mut Values) -> crate::session::SubscribeOptions {
    use crate::session::{RetainHandling, SubscribeOptions};
    SubscribeOptions {
        qos: v.next().qos().unwrap_or_default(),
        no_local: v.next().flag().unwrap_or(false),
        retain_as_published: v.next().flag().unwrap_or(false),
        retain_handling: v.next().whole().and_then(|n| RetainHandling::from_number(n as u8)).unwrap_or_default(),
    }
}

/// `{qos, noLocal, retainAsPublished, retainHandling, subscriptionIdentifier}`.
#[cfg(feature = "subscription-options")]
pub fn subscribe_with_options<O: Object>(
    options: Item<O>,
) -> Result<(crate::session::SubscribeOptions, Option<u32>), ReadError> {
    let mut v = values(options, SUBSCRIBE_WITH)?;
    Ok((options_from(&mut v), v.next().whole().map(|n| n as u32)))
}

/// `[{filter, qos, noLocal, retainAsPublished, retainHandling}]`, for one SUBSCRIBE.
#[cfg(feature = "subscription-options")]
pub fn subscriptions_with_options<O: Object>(
    requests: Item<O>,
) -> Result<Vec<(String, crate::session::SubscribeOptions)>, ReadError> {
    each_filter(requests, REQUEST_WITH, options_from)
}

/// `[{filter, qos}]`, for one SUBSCRIBE.
pub fn subscriptions<O: Object>(requests: Item<O>) -> Result<Vec<(String, QoS)>, ReadError> {
    each_filter(requests, REQUEST, |v| v.next().qos().unwrap_or_default())
}

/// `[{filter, ...}]`: each request's filter, and what `rest` reads of its other `fields`.
fn each_filter<O: Object, T>(
    requests: Item<O>,
    fields: &'static [Field],
    rest: impl Fn(&mut Values) -> T,
) -> Result<Vec<(String, T)>, ReadError> {
    let Item::List(items) = requests else { return Err(expected("an array of {filter, qos}", &requests)) };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let request = values(item, fields).and_then(|mut v| {
            let filter = v.next().text().ok_or_else(|| ReadError::new("is required").under("filter"))?;
            Ok((filter, rest(&mut v)))
        });
        out.push(request.map_err(|e| e.under(&format!("[{i}]")))?);
    }
    Ok(out)
}

/// One topic filter or a list of them.
pub fn filters<O: Object>(filters: Item<O>) -> Result<Vec<String>, ReadError> {
    match filters {
        Item::Text(filter) => Ok(vec![filter]),
        list @ Item::List(_) => match value(list, Kind::Texts)? {
            Value::Texts(texts) => Ok(texts),
            _ => Ok(Vec::new()),
        },
        other => Err(expected("a string or an array of strings", &other)),
    }
}

/// The CONNECT options and the client options from one flat options object.
pub fn client_options<O: Object>(options: Item<O>) -> Result<(ConnectOptions, ClientOptions), ReadError> {
    let mut v = values(options, CLIENT)?;
    let (c, d) = (ConnectOptions::default(), ClientOptions::default());
    let version = match v.next() {
        Value::Version(version) => version,
        _ => c.version,
    };
    let connect = ConnectOptions {
        version,
        client_id: v.next().text().unwrap_or(c.client_id),
        username: v.next().text(),
        password: v.next().text(),
        keepalive_secs: v.next().whole().map_or(c.keepalive_secs, |n| n as u16),
        clean_start: v.next().flag().unwrap_or(c.clean_start),
        will: v.next().object().map(will).transpose().map_err(|e| e.under("will"))?,
        session_expiry_secs: v.next().whole().map(|n| n as u32),
        connect_timeout_ms: v.next().whole().unwrap_or(c.connect_timeout_ms),
        ping_timeout_ms: v.next().whole(),
        maximum_packet_size: v.next().whole().map_or(c.maximum_packet_size, |n| n as u32),
        topic_alias_maximum: v.next().whole().map_or(c.topic_alias_maximum, |n| n as u16),
        #[cfg(feature = "auth")]
        authentication: v.next().object().map(authentication).transpose().map_err(|e| e.under("authentication"))?,
    };
    let client = ClientOptions {
        reconnect: v.next().object().map_or(d.reconnect, reconnect),
        offline_queue: v.next().object().map_or(d.offline_queue, offline_queue),
        persistence: v.next().text(),
        worker_timers: v.next().flag().unwrap_or(d.worker_timers),
        websocket_protocols: v.next().texts().unwrap_or(d.websocket_protocols),
        servers: v.next().texts().unwrap_or(d.servers),
        credentials: d.credentials,
        follow_server_reference: v.next().flag().unwrap_or(d.follow_server_reference),
    };
    #[cfg(feature = "credentials")]
    let client = ClientOptions { credentials: v.next().flag().unwrap_or(false), ..client };
    Ok((connect, client))
}

/// A credentials callback's `{username, password}`.
#[cfg(feature = "credentials")]
pub fn login<O: Object>(answer: Item<O>) -> Result<(Option<String>, Option<String>), ReadError> {
    let mut v = values(answer, LOGIN)?;
    Ok((v.next().text(), v.next().text()))
}

#[cfg(feature = "auth")]
fn authentication(values: Vec<Value>) -> Result<crate::session::Authentication, ReadError> {
    let mut v = Values(values.into_iter());
    let method = v.next().text().ok_or_else(|| ReadError::new("is required").under("method"))?;
    Ok(crate::session::Authentication { method, data: v.next().bytes() })
}

fn will(values: Vec<Value>) -> Result<Will, ReadError> {
    let mut v = Values(values.into_iter());
    let topic = v.next().text().ok_or_else(|| ReadError::new("is required").under("topic"))?;
    let payload = match v.next() {
        Value::Bytes(b) => b,
        _ => Vec::new(),
    };
    Ok(Will { topic, payload, qos: v.next().qos().unwrap_or_default(), retain: v.next().flag().unwrap_or(false) })
}

fn reconnect(values: Vec<Value>) -> ReconnectOptions {
    let (mut v, d) = (Values(values.into_iter()), ReconnectOptions::default());
    ReconnectOptions {
        enabled: v.next().flag().unwrap_or(d.enabled),
        initial_delay_ms: v.next().whole().unwrap_or(d.initial_delay_ms),
        max_delay_ms: v.next().whole().unwrap_or(d.max_delay_ms),
        factor: v.next().number().unwrap_or(d.factor),
        max_attempts: v.next().whole().map(|n| n as u32),
    }
}

fn offline_queue(values: Vec<Value>) -> OfflineQueueOptions {
    let (mut v, d) = (Values(values.into_iter()), OfflineQueueOptions::default());
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    OfflineQueueOptions {
        max_messages: v.next().whole().map_or(d.max_messages, size),
        max_bytes: v.next().whole().map_or(d.max_bytes, size),
        policy: match v.next() {
            Value::Policy(p) => p,
            _ => d.policy,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::json::{Map, Value};

    /// JSON as an object model.
    struct Json(Map<String, Value>);

    fn item(v: Value) -> Item<Json> {
        match v {
            Value::Null => Item::Null,
            Value::Bool(b) => Item::Bool(b),
            Value::Number(n) => Item::Number(n.as_f64().unwrap()),
            Value::String(s) => Item::Text(s),
            Value::Array(items) => Item::List(items.into_iter().map(item).collect()),
            Value::Object(map) => Item::Object(Json(map)),
        }
    }

    impl Object for Json {
        fn get(&mut self, key: &str) -> Result<Item<Self>, String> {
            Ok(self.0.get(key).cloned().map_or(Item::Null, item))
        }
        fn payload(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
            match self.0.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone().into_bytes())),
                Some(_) => Err("not a payload".into()),
            }
        }
        fn keys(&self) -> Result<Vec<String>, String> {
            Ok(self.0.keys().cloned().collect())
        }
    }

    fn read(doc: Value) -> Result<(ConnectOptions, ClientOptions), String> {
        client_options(item(doc)).map_err(|e| e.to_string())
    }

    // A platform hands its connection to the client in memory (`batch::client::Connection`); read
    // back from the generic client's options, it is the same connection.
    #[test]
    fn a_platforms_connection_is_what_its_options_read_back_to() {
        use crate::batch::client::Connection;
        let connect = ConnectOptions {
            version: ProtocolVersion::V5,
            client_id: "c".into(),
            username: Some("u".into()),
            password: Some("p".into()),
            keepalive_secs: 30,
            clean_start: false,
            session_expiry_secs: Some(5),
            connect_timeout_ms: 2_000,
            ping_timeout_ms: Some(700),
            maximum_packet_size: 4_096,
            ..Default::default()
        };
        for reconnect in [true, false] {
            let c = Connection { connect: connect.clone(), reconnect };
            let doc: Value = serde_json::from_str(&c.options_json()).unwrap();
            assert_eq!(read(doc).unwrap(), (connect.clone(), c.client()));
        }
        let will =
            Will { topic: "t".into(), payload: br#"{"up":false}"#.to_vec(), qos: QoS::AtLeastOnce, retain: true };
        let c = Connection { connect: ConnectOptions { will: Some(will), ..connect }, reconnect: true };
        let doc: Value = serde_json::from_str(&c.options_json()).unwrap();
        assert_eq!(doc["will"], json!({"topic": "t", "payload": "{\"up\":false}", "qos": 1, "retain": true}));
    }

    #[test]
    fn options_are_read_from_camel_case_keys_with_defaults() {
        let (o, c) =
            read(json!({"version": "5", "clientId": "c1", "keepaliveSecs": 30, "pingTimeoutMs": null})).unwrap();
        assert_eq!((o.version, o.client_id.as_str(), o.keepalive_secs), (ProtocolVersion::V5, "c1", 30));
        assert!(o.clean_start);
        assert_eq!(o.effective_ping_timeout_ms(), 15_000);
        assert_eq!(c, ClientOptions::default());
        assert_eq!(read(json!({})).unwrap(), (ConnectOptions::default(), ClientOptions::default()));
        for (alias, version) in [
            ("4", ProtocolVersion::V3_1_1),
            ("v3.1.1", ProtocolVersion::V3_1_1),
            ("5.0", ProtocolVersion::V5),
            ("v5", ProtocolVersion::V5),
        ] {
            assert_eq!(read(json!({ "version": alias })).unwrap().0.version, version);
        }
        let (o, c) = read(json!({
            "reconnect": {"enabled": false, "factor": 1.5, "maxAttempts": 3},
            "offlineQueue": {"maxMessages": 5, "policy": "dropOldestQos0"},
            "persistence": "db", "workerTimers": false, "websocketProtocols": ["mqtt"],
            "will": {"topic": "w", "payload": "gone", "qos": 1, "retain": true},
            "sessionExpirySecs": 4_294_967_295u32, "connectTimeoutMs": 1e15,
        }))
        .unwrap();
        assert_eq!((c.reconnect.enabled, c.reconnect.factor, c.reconnect.max_attempts), (false, 1.5, Some(3)));
        assert_eq!(c.reconnect.max_delay_ms, ReconnectOptions::default().max_delay_ms);
        assert_eq!((c.offline_queue.max_messages, c.offline_queue.policy), (5, QueueFullPolicy::DropOldestQos0));
        assert_eq!(
            (c.persistence.as_deref(), c.worker_timers, c.websocket_protocols),
            (Some("db"), false, vec!["mqtt".into()])
        );
        let will = Will { topic: "w".into(), payload: b"gone".to_vec(), qos: QoS::AtLeastOnce, retain: true };
        assert_eq!(o.will, Some(will));
        assert_eq!((o.session_expiry_secs, o.connect_timeout_ms), (Some(u32::MAX), 1_000_000_000_000_000));
    }

    #[test]
    fn a_bad_option_is_refused_by_its_path() {
        let err = |doc: Value| read(doc).unwrap_err();
        assert_eq!(err(json!({"version": "6"})), "version: unknown version \"6\": expected \"3.1.1\" or \"5\"");
        assert_eq!(err(json!({"version": 5})), "version: expected \"3.1.1\" or \"5\", got a number");
        assert_eq!(
            err(json!({"keepaliveSecs": "sixty"})),
            "keepaliveSecs: expected a whole number from 0 to 65535, got a string"
        );
        assert_eq!(
            err(json!({"keepaliveSecs": 65_536})),
            "keepaliveSecs: expected a whole number from 0 to 65535, got a number"
        );
        assert_eq!(
            err(json!({"sessionExpirySecs": 1.5})),
            "sessionExpirySecs: expected a whole number from 0 to 4294967295, got a number"
        );
        assert_eq!(
            err(json!({"connectTimeoutMs": -1})),
            "connectTimeoutMs: expected a whole number from 0, got a number"
        );
        assert_eq!(err(json!({"reconnect": {"factor": "x"}})), "reconnect.factor: expected a number, got a string");
        assert_eq!(
            err(json!({"offlineQueue": {"policy": "drop"}})),
            "offlineQueue.policy: expected \"reject\" or \"dropOldestQos0\", got a string"
        );
        assert_eq!(
            err(json!({"websocketProtocols": ["mqtt", 1]})),
            "websocketProtocols[1]: expected a string, got a number"
        );
        assert_eq!(err(json!({"reconnect": true})), "reconnect: expected an object, got a boolean");
        assert_eq!(err(json!([])), "expected an object, got an array");
        assert_eq!(err(json!({"will": {"qos": 1}})), "will.topic: is required");
        assert_eq!(err(json!({"will": {"topic": "w", "qos": 7}})), "will.qos: expected 0, 1 or 2, got a number");
        assert_eq!(err(json!({"will": {"topic": "w", "payload": 1}})), "will.payload: not a payload");
    }

    #[test]
    fn a_typo_is_refused_at_any_level() {
        let err = |doc: Value| read(doc).unwrap_err();
        assert!(err(json!({"keepAliveSecs": 30}))
            .starts_with("keepAliveSecs: unknown option; the known ones are version, clientId,"));
        assert!(err(json!({"reconnect": {"enabeld": false}})).starts_with(
            "reconnect.enabeld: unknown option; the known ones are enabled, initialDelayMs, maxDelayMs, factor, maxAttempts"
        ));
        assert!(err(json!({"offlineQueue": {"max": 5}})).starts_with("offlineQueue.max: unknown option"));
        assert_eq!(
            err(json!({"will": {"topic": "w", "retian": true}})),
            "will.retian: unknown option; the known ones are topic, payload, qos, retain"
        );
    }

    #[test]
    fn publish_and_subscribe_arguments() {
        let none = PublishProperties::default();
        assert_eq!(publish_options(item(json!({"qos": 1, "retain": true}))), Ok((QoS::AtLeastOnce, true, none)));
        let e = publish_options(item(json!({"qos": 1, "retian": true}))).unwrap_err();
        assert_eq!(e.path(), "retian");
        assert_eq!(subscribe_options(item(json!({}))), Ok(QoS::AtMostOnce));
        assert_eq!(subscribe_options(item(json!(1))).unwrap_err().to_string(), "expected an object, got a number");
        assert_eq!(
            subscriptions(item(json!([{"filter": "a/#", "qos": 2}, {"filter": "b"}]))),
            Ok(vec![("a/#".into(), QoS::ExactlyOnce), ("b".into(), QoS::AtMostOnce)])
        );
        assert_eq!(subscriptions(item(json!([{"qos": 1}]))).unwrap_err().to_string(), "[0].filter: is required");
        assert_eq!(filters(item(json!("a"))), Ok(vec!["a".to_owned()]));
        assert_eq!(filters(item(json!(["a", 1]))).unwrap_err().to_string(), "[1]: expected a string, got a number");
    }

    #[cfg(feature = "mqtt5")]
    #[test]
    fn publish_properties_are_read_as_mqtt_js_names_them() {
        let options = json!({"properties": {
            "payloadFormatIndicator": true,
            "messageExpiryInterval": 60,
            "contentType": "text/plain",
            "responseTopic": "r/1",
            "correlationData": "c-1",
            "userProperties": {"b": "1", "a": ["2", "3"], "b2": []},
        }});
        let (_, _, p) = publish_options(item(options)).unwrap();
        assert_eq!(
            p,
            PublishProperties {
                payload_format_indicator: Some(true),
                message_expiry_interval: Some(60),
                content_type: Some("text/plain".into()),
                response_topic: Some("r/1".into()),
                correlation_data: Some(b"c-1".to_vec()),
                user_properties: vec![("b".into(), "1".into()), ("a".into(), "2".into()), ("a".into(), "3".into())],
            }
        );
        let err = |v: Value| publish_options(item(json!({ "properties": v }))).unwrap_err().to_string();
        assert_eq!(
            err(json!({"userProperties": {"k": 1}})),
            "properties.userProperties.k: expected a string or an array of strings, got a number"
        );
        assert_eq!(
            err(json!({"userProperties": {"k": ["a", 2]}})),
            "properties.userProperties.k[1]: expected a string, got a number"
        );
        assert_eq!(
            err(json!({"messageExpiryInterval": -1})),
            "properties.messageExpiryInterval: expected a whole number from 0 to 4294967295, got a number"
        );
        assert!(err(json!({"topicAlias": 1})).starts_with("properties.topicAlias: unknown option; the known ones are"));
    }

    #[test]
    fn qos_is_0_1_or_2() {
        let qos = |v: Value| subscribe_options(item(json!({ "qos": v }))).map_err(|e| e.to_string());
        assert_eq!(qos(json!(2)), Ok(QoS::ExactlyOnce));
        assert_eq!(qos(json!(null)), Ok(QoS::AtMostOnce));
        for bad in [json!(3), json!(-1), json!(1.5), json!(256), json!("1")] {
            let e = qos(bad.clone()).unwrap_err();
            assert!(e.starts_with("qos: expected 0, 1 or 2, got a"), "{bad}: {e}");
        }
    }
}
