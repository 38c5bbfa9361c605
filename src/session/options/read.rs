//! Reads the connection's options from an options object of any object model: the JS facades give
//! JS objects (`src/js/options.rs`), the tests JSON. Keys are camelCase, each absent (or `null`)
//! one at its default. A wrong type is refused by its path (`reconnect.factor`) with what was
//! expected and what came, and so is a key no reader asked for: a typo must not be silently
//! ignored. No JSON model is needed, so the npm package's generic entry carries none.

use super::{
    ClientOptions, ConnectOptions, OfflineQueueOptions, ProtocolVersion, QoS, QueueFullPolicy, ReconnectOptions, Will,
};
use crate::json::ReadError;

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

/// The fields of an object being read, and the keys asked for so far. Each accessor reads one
/// kind of value (the package's wasm has one copy of each, not one per field).
pub struct Fields<O> {
    object: O,
    asked: Vec<&'static str>,
}

impl<O: Object> Fields<O> {
    /// The object's fields; anything else is an error.
    pub fn new(item: Item<O>) -> Result<Self, ReadError> {
        match item {
            Item::Object(object) => Ok(Self { object, asked: Vec::new() }),
            other => Err(expected("an object", &other)),
        }
    }

    /// `key`'s value, `None` when absent or `null`; `read` turns it into the field's type.
    fn field<T>(
        &mut self,
        key: &'static str,
        read: impl FnOnce(Item<O>) -> Result<T, ReadError>,
    ) -> Result<Option<T>, ReadError> {
        match self.value(key)? {
            Item::Null => Ok(None),
            item => read(item).map(Some).map_err(|e| e.under(key)),
        }
    }

    #[inline(never)]
    fn value(&mut self, key: &'static str) -> Result<Item<O>, ReadError> {
        self.asked.push(key);
        self.object.get(key).map_err(|e| ReadError::new(e).under(key))
    }

    pub fn text(&mut self, key: &'static str) -> Result<Option<String>, ReadError> {
        self.field(key, |item| match item {
            Item::Text(s) => Ok(s),
            other => Err(expected("a string", &other)),
        })
    }

    pub fn flag(&mut self, key: &'static str) -> Result<Option<bool>, ReadError> {
        self.field(key, |item| match item {
            Item::Bool(b) => Ok(b),
            other => Err(expected("true or false", &other)),
        })
    }

    pub fn number(&mut self, key: &'static str) -> Result<Option<f64>, ReadError> {
        self.field(key, |item| match item {
            Item::Number(n) if n.is_finite() => Ok(n),
            other => Err(expected("a number", &other)),
        })
    }

    /// A whole number from 0 to `max` (`None`: any; beyond 2^64 it is 2^64 − 1).
    pub fn whole(&mut self, key: &'static str, max: Option<u32>) -> Result<Option<u64>, ReadError> {
        self.field(key, |item| match (&item, max) {
            (Item::Number(n), _) if n.fract() != 0.0 || *n < 0.0 => Err(range(max, &item)),
            (Item::Number(n), Some(max)) if *n > f64::from(max) => Err(range(max.into(), &item)),
            (Item::Number(n), _) => Ok(*n as u64),
            _ => Err(range(max, &item)),
        })
    }

    /// A name from a list: `parse` knows them, `names` says which they are.
    pub fn name<T>(
        &mut self,
        key: &'static str,
        names: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ReadError> {
        self.field(key, |item| match &item {
            Item::Text(name) => parse(name).ok_or_else(|| expected(names, &item)),
            _ => Err(expected(names, &item)),
        })
    }

    pub fn qos(&mut self, key: &'static str) -> Result<Option<QoS>, ReadError> {
        self.field(key, |item| match &item {
            Item::Number(n) if n.fract() == 0.0 && (0.0..=2.0).contains(n) => Ok(qos_of(*n as u8)),
            _ => Err(expected("0, 1 or 2", &item)),
        })
    }

    pub fn texts(&mut self, key: &'static str) -> Result<Option<Vec<String>>, ReadError> {
        self.field(key, |item| match item {
            Item::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Item::Text(s) => Ok(s),
                    other => Err(expected("a string", &other).under(&format!("[{i}]"))),
                })
                .collect(),
            other => Err(expected("an array", &other)),
        })
    }

    /// A nested object, read by `read`; its errors are under `key`.
    pub fn object<T>(
        &mut self,
        key: &'static str,
        read: fn(&mut Fields<O>) -> Result<T, ReadError>,
    ) -> Result<Option<T>, ReadError> {
        self.field(key, |item| {
            let mut fields = Fields::new(item)?;
            let value = read(&mut fields)?;
            fields.finish().map(|()| value)
        })
    }

    /// A payload field: text or bytes.
    pub fn payload(&mut self, key: &'static str) -> Result<Option<Vec<u8>>, ReadError> {
        self.asked.push(key);
        self.object.payload(key).map_err(|e| ReadError::new(e).under(key))
    }

    /// The end of an object: a key no reader asked for is refused by name, the known ones listed.
    pub fn finish(self) -> Result<(), ReadError> {
        let keys = self.object.keys().map_err(ReadError::new)?;
        match keys.into_iter().find(|k| !self.asked.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => {
                let known = self.asked.join(", ");
                Err(ReadError::new(format!("unknown option; the known ones are {known}")).under(&key))
            }
        }
    }
}

fn range<O>(max: Option<u32>, got: &Item<O>) -> ReadError {
    match max {
        Some(max) => expected(&format!("a whole number from 0 to {max}"), got),
        None => expected("a whole number from 0", got),
    }
}

fn qos_of(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

const U16: Option<u32> = Some(u16::MAX as u32);
const U32: Option<u32> = Some(u32::MAX);

/// A publish's `{qos, retain}`.
pub fn publish_options<O: Object>(options: Item<O>) -> Result<(QoS, bool), ReadError> {
    let mut f = Fields::new(options)?;
    let qos = f.qos("qos")?.unwrap_or_default();
    let retain = f.flag("retain")?.unwrap_or(false);
    f.finish().map(|()| (qos, retain))
}

/// A subscription's `{qos}`.
pub fn subscribe_options<O: Object>(options: Item<O>) -> Result<QoS, ReadError> {
    let mut f = Fields::new(options)?;
    let qos = f.qos("qos")?.unwrap_or_default();
    f.finish().map(|()| qos)
}

/// `[{filter, qos}]`, for one SUBSCRIBE.
pub fn subscriptions<O: Object>(requests: Item<O>) -> Result<Vec<(String, QoS)>, ReadError> {
    let Item::List(items) = requests else { return Err(expected("an array of {filter, qos}", &requests)) };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let request = (|| {
            let mut f = Fields::new(item)?;
            let filter = f.text("filter")?.ok_or_else(|| ReadError::new("is required").under("filter"))?;
            let qos = f.qos("qos")?.unwrap_or_default();
            f.finish().map(|()| (filter, qos))
        })();
        out.push(request.map_err(|e| e.under(&format!("[{i}]")))?);
    }
    Ok(out)
}

/// One topic filter or a list of them.
pub fn filters<O: Object>(filters: Item<O>) -> Result<Vec<String>, ReadError> {
    match filters {
        Item::Text(filter) => Ok(vec![filter]),
        Item::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Item::Text(s) => Ok(s),
                other => Err(expected("a string", &other).under(&format!("[{i}]"))),
            })
            .collect(),
        other => Err(expected("a string or an array of strings", &other)),
    }
}

/// The CONNECT options and the client options from one flat options object.
pub fn client_options<O: Object>(options: Item<O>) -> Result<(ConnectOptions, ClientOptions), ReadError> {
    let mut f = Fields::new(options)?;
    let (c, d) = (ConnectOptions::default(), ClientOptions::default());
    let version = f.field("version", |item| match item {
        Item::Text(name) => {
            ProtocolVersion::from_name(&name).ok_or_else(|| ReadError::new(ProtocolVersion::unknown(&name)))
        }
        other => Err(expected("\"3.1.1\" or \"5\"", &other)),
    })?;
    let connect = ConnectOptions {
        version: version.unwrap_or(c.version),
        client_id: f.text("clientId")?.unwrap_or(c.client_id),
        username: f.text("username")?,
        password: f.text("password")?,
        keepalive_secs: f.whole("keepaliveSecs", U16)?.map_or(c.keepalive_secs, |n| n as u16),
        clean_start: f.flag("cleanStart")?.unwrap_or(c.clean_start),
        will: f.object("will", will)?,
        session_expiry_secs: f.whole("sessionExpirySecs", U32)?.map(|n| n as u32),
        connect_timeout_ms: f.whole("connectTimeoutMs", None)?.unwrap_or(c.connect_timeout_ms),
        ping_timeout_ms: f.whole("pingTimeoutMs", None)?,
    };
    let client = ClientOptions {
        reconnect: f.object("reconnect", reconnect)?.unwrap_or(d.reconnect),
        offline_queue: f.object("offlineQueue", offline_queue)?.unwrap_or(d.offline_queue),
        persistence: f.text("persistence")?,
        worker_timers: f.flag("workerTimers")?.unwrap_or(d.worker_timers),
        websocket_protocols: f.texts("websocketProtocols")?.unwrap_or(d.websocket_protocols),
    };
    f.finish().map(|()| (connect, client))
}

fn will<O: Object>(f: &mut Fields<O>) -> Result<Will, ReadError> {
    let topic = f.text("topic")?.ok_or_else(|| ReadError::new("is required").under("topic"))?;
    Ok(Will {
        topic,
        payload: f.payload("payload")?.unwrap_or_default(),
        qos: f.qos("qos")?.unwrap_or(QoS::AtMostOnce),
        retain: f.flag("retain")?.unwrap_or(false),
    })
}

fn reconnect<O: Object>(f: &mut Fields<O>) -> Result<ReconnectOptions, ReadError> {
    let d = ReconnectOptions::default();
    Ok(ReconnectOptions {
        enabled: f.flag("enabled")?.unwrap_or(d.enabled),
        initial_delay_ms: f.whole("initialDelayMs", None)?.unwrap_or(d.initial_delay_ms),
        max_delay_ms: f.whole("maxDelayMs", None)?.unwrap_or(d.max_delay_ms),
        factor: f.number("factor")?.unwrap_or(d.factor),
        max_attempts: f.whole("maxAttempts", U32)?.map(|n| n as u32),
    })
}

fn offline_queue<O: Object>(f: &mut Fields<O>) -> Result<OfflineQueueOptions, ReadError> {
    let d = OfflineQueueOptions::default();
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(OfflineQueueOptions {
        max_messages: f.whole("maxMessages", None)?.map_or(d.max_messages, size),
        max_bytes: f.whole("maxBytes", None)?.map_or(d.max_bytes, size),
        policy: f.name("policy", "\"reject\" or \"dropOldestQos0\"", QueueFullPolicy::from_name)?.unwrap_or(d.policy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

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
        assert_eq!(publish_options(item(json!({"qos": 1, "retain": true}))), Ok((QoS::AtLeastOnce, true)));
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

    #[test]
    fn qos_is_0_1_or_2() {
        let qos = |v: Value| Fields::new(item(json!({ "qos": v }))).unwrap().qos("qos").map_err(|e| e.to_string());
        assert_eq!(qos(json!(2)), Ok(Some(QoS::ExactlyOnce)));
        assert_eq!(qos(json!(null)), Ok(None));
        for bad in [json!(3), json!(-1), json!(1.5), json!(256), json!("1")] {
            let e = qos(bad.clone()).unwrap_err();
            assert!(e.starts_with("qos: expected 0, 1 or 2, got a"), "{bad}: {e}");
        }
    }
}
