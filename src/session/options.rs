//! What a connection is opened with (CONNECT fields) and what a message carries:
//! plain data, serde-friendly so the JS facade and the dashboard can fill it from JSON.

use core::fmt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{expected, Fields, FromJson, ReadError};
use crate::session::error::SessionError;

/// The MQTT protocol version, chosen per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ProtocolVersion {
    #[default]
    #[serde(rename = "3.1.1", alias = "4", alias = "v3.1.1")]
    V3_1_1,
    #[serde(rename = "5", alias = "5.0", alias = "v5")]
    V5,
}

impl ProtocolVersion {
    /// `"3.1.1"` or `"5"`, as the options spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_1_1 => "3.1.1",
            Self::V5 => "5",
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `"3.1.1"` (also `"4"`, `"v3.1.1"`) or `"5"` (also `"5.0"`, `"v5"`).
impl FromJson for ProtocolVersion {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        match value.as_str() {
            Some("3.1.1" | "4" | "v3.1.1") => Ok(Self::V3_1_1),
            Some("5" | "5.0" | "v5") => Ok(Self::V5),
            Some(other) => Err(ReadError::new(format!("unknown version {other:?}: expected \"3.1.1\" or \"5\""))),
            None => Err(expected("\"3.1.1\" or \"5\"", &value)),
        }
    }
}

/// Quality of service. Built from a number with `QoS::try_from`, which refuses 3 and above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum QoS {
    #[default]
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl TryFrom<u8> for QoS {
    type Error = SessionError;
    fn try_from(value: u8) -> Result<Self, SessionError> {
        match value {
            0 => Ok(Self::AtMostOnce),
            1 => Ok(Self::AtLeastOnce),
            2 => Ok(Self::ExactlyOnce),
            other => Err(SessionError::InvalidQos(other)),
        }
    }
}

impl From<QoS> for u8 {
    fn from(q: QoS) -> u8 {
        q as u8
    }
}

impl fmt::Display for QoS {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", *self as u8)
    }
}

/// 0, 1 or 2.
impl FromJson for QoS {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let qos = value.as_u64().and_then(|q| u8::try_from(q).ok()).and_then(|q| QoS::try_from(q).ok());
        qos.ok_or_else(|| expected("0, 1 or 2", &value))
    }
}

/// The last will the broker publishes when the connection drops without DISCONNECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
}

/// The CONNECT fields. `client_id` empty means "generate one" (the shell supplies the randomness).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    pub version: ProtocolVersion,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Seconds; 0 turns keepalive off.
    pub keepalive_secs: u16,
    /// 3.1.1 clean session / 5 clean start.
    pub clean_start: bool,
    pub will: Option<Will>,
    /// MQTT 5 only: how long the broker keeps the session after the connection closes.
    pub session_expiry_secs: Option<u32>,
    /// How long to wait for CONNACK after the socket opens.
    pub connect_timeout_ms: u64,
    /// How long to wait for PINGRESP; `None` picks half the keepalive, so a dead
    /// connection is noticed within 1.5 x keepalive.
    pub ping_timeout_ms: Option<u64>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            version: ProtocolVersion::V3_1_1,
            client_id: String::new(),
            username: None,
            password: None,
            keepalive_secs: 60,
            clean_start: true,
            will: None,
            session_expiry_secs: None,
            connect_timeout_ms: 10_000,
            ping_timeout_ms: None,
        }
    }
}

impl ConnectOptions {
    /// The CONNECT fields of a JS options object (camelCase), each absent one at its default. The
    /// `will` is left to the caller: its payload may be bytes, which JSON data cannot hold.
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        let d = Self::default();
        Ok(Self {
            version: f.or("version", d.version)?,
            client_id: f.or("clientId", d.client_id)?,
            username: f.optional("username")?,
            password: f.optional("password")?,
            keepalive_secs: f.or("keepaliveSecs", d.keepalive_secs)?,
            clean_start: f.or("cleanStart", d.clean_start)?,
            will: None,
            session_expiry_secs: f.optional("sessionExpirySecs")?,
            connect_timeout_ms: f.or("connectTimeoutMs", d.connect_timeout_ms)?,
            ping_timeout_ms: f.optional("pingTimeoutMs")?,
        })
    }

    pub fn effective_ping_timeout_ms(&self) -> u64 {
        self.ping_timeout_ms.unwrap_or(u64::from(self.keepalive_secs) * 500)
    }
}

/// Automatic reconnect: exponential backoff with full jitter. The delay before attempt n is a random
/// value in [0, min(max_delay, initial_delay * factor^(n-1))].
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectOptions {
    pub enabled: bool,
    pub initial_delay_ms: u64,
    pub max_delay_ms: u64,
    pub factor: f64,
    /// `None` retries for ever.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectOptions {
    fn default() -> Self {
        Self { enabled: true, initial_delay_ms: 1_000, max_delay_ms: 30_000, factor: 2.0, max_attempts: None }
    }
}

impl FromJson for ReconnectOptions {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let (mut f, d) = (Fields::new(value)?, Self::default());
        let o = Self {
            enabled: f.or("enabled", d.enabled)?,
            initial_delay_ms: f.or("initialDelayMs", d.initial_delay_ms)?,
            max_delay_ms: f.or("maxDelayMs", d.max_delay_ms)?,
            factor: f.or("factor", d.factor)?,
            max_attempts: f.optional("maxAttempts")?,
        };
        f.deny_unknown().map(|()| o)
    }
}

/// What happens to a publish when the offline queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueFullPolicy {
    /// Refuse the new publish with `OfflineQueueFull`.
    #[default]
    Reject,
    /// Drop the oldest QoS 0 messages to make room; QoS 1 and 2 are never dropped.
    DropOldestQos0,
}

/// `"reject"` or `"dropOldestQos0"`.
impl FromJson for QueueFullPolicy {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        match value.as_str() {
            Some("reject") => Ok(Self::Reject),
            Some("dropOldestQos0") => Ok(Self::DropOldestQos0),
            _ => Err(expected("\"reject\" or \"dropOldestQos0\"", &value)),
        }
    }
}

/// Publishes made while disconnected wait here, in order, bounded in messages and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineQueueOptions {
    pub max_messages: usize,
    pub max_bytes: usize,
    pub policy: QueueFullPolicy,
}

impl Default for OfflineQueueOptions {
    fn default() -> Self {
        Self { max_messages: 10_000, max_bytes: 16 * 1024 * 1024, policy: QueueFullPolicy::Reject }
    }
}

impl FromJson for OfflineQueueOptions {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let (mut f, d) = (Fields::new(value)?, Self::default());
        let o = Self {
            max_messages: f.or("maxMessages", d.max_messages)?,
            max_bytes: f.or("maxBytes", d.max_bytes)?,
            policy: f.or("policy", d.policy)?,
        };
        f.deny_unknown().map(|()| o)
    }
}

/// How the client behaves around the connection, beyond the CONNECT fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    pub reconnect: ReconnectOptions,
    pub offline_queue: OfflineQueueOptions,
    /// An IndexedDB database name: the offline queue and in-flight QoS >= 1 packets survive reloads.
    pub persistence: Option<String>,
    /// Run keepalive and reconnect timers in a Web Worker, so a background tab's timer
    /// throttling cannot starve the keepalive. Off: plain setTimeout on the page.
    pub worker_timers: bool,
    /// WebSocket subprotocols offered. MQTT requires `mqtt` (brokers select it wherever it is in
    /// the list); `binary` lets a websockify bridge accept the handshake, since websockify only
    /// ever selects `binary`, and Debian's 0.10 finds it only as the first entry of the list.
    pub websocket_protocols: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            reconnect: ReconnectOptions::default(),
            offline_queue: OfflineQueueOptions::default(),
            persistence: None,
            worker_timers: true,
            websocket_protocols: vec!["binary".into(), "mqtt".into()],
        }
    }
}

impl ClientOptions {
    /// The client's own fields of a JS options object (camelCase), each absent one at its default.
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        let d = Self::default();
        Ok(Self {
            reconnect: f.or("reconnect", d.reconnect)?,
            offline_queue: f.or("offlineQueue", d.offline_queue)?,
            persistence: f.optional("persistence")?,
            worker_timers: f.or("workerTimers", d.worker_timers)?,
            websocket_protocols: f.or("websocketProtocols", d.websocket_protocols)?,
        })
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
}

impl Outgoing {
    pub fn new(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self { topic: topic.into(), payload: payload.into(), qos: QoS::AtMostOnce, retain: false }
    }

    pub fn qos(mut self, qos: QoS) -> Self {
        self.qos = qos;
        self
    }

    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = retain;
        self
    }
}

/// A message the broker delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
}

impl Message {
    /// The payload as UTF-8 text, if it is.
    pub fn payload_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.payload).ok()
    }
}

/// What the broker said in a successful CONNACK.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnAck {
    pub session_present: bool,
    /// MQTT 5 Maximum Packet Size, when the broker announced one.
    pub maximum_packet_size: Option<u32>,
    /// MQTT 5 Maximum QoS, when the broker announced one.
    pub maximum_qos: Option<QoS>,
    /// MQTT 5 Receive Maximum: how many QoS > 0 publishes may be in flight.
    pub receive_maximum: Option<u16>,
    /// MQTT 5 Assigned Client Identifier, when the client sent none.
    pub assigned_client_id: Option<String>,
    /// MQTT 5 Server Keep Alive, which overrides ours.
    pub server_keepalive_secs: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_three_is_a_typed_error() {
        assert_eq!(QoS::try_from(3), Err(SessionError::InvalidQos(3)));
        assert_eq!(QoS::try_from(2), Ok(QoS::ExactlyOnce));
    }

    use serde_json::json;

    /// The connect and client fields of one flat options object, as the JS facade reads them.
    fn read(doc: Value) -> Result<(ConnectOptions, ClientOptions), String> {
        let mut f = Fields::new(doc).map_err(|e| e.to_string())?;
        let connect = ConnectOptions::read(&mut f).map_err(|e| e.to_string())?;
        let client = ClientOptions::read(&mut f).map_err(|e| e.to_string())?;
        f.deny_unknown().map(|()| (connect, client)).map_err(|e| e.to_string())
    }

    #[test]
    fn options_are_read_from_camel_case_json_with_defaults() {
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
        let (_, c) = read(json!({
            "reconnect": {"enabled": false, "factor": 1.5, "maxAttempts": 3},
            "offlineQueue": {"maxMessages": 5, "policy": "dropOldestQos0"},
            "persistence": "db", "workerTimers": false, "websocketProtocols": ["mqtt"],
        }))
        .unwrap();
        assert_eq!((c.reconnect.enabled, c.reconnect.factor, c.reconnect.max_attempts), (false, 1.5, Some(3)));
        assert_eq!(c.reconnect.max_delay_ms, ReconnectOptions::default().max_delay_ms);
        assert_eq!((c.offline_queue.max_messages, c.offline_queue.policy), (5, QueueFullPolicy::DropOldestQos0));
        assert_eq!(
            (c.persistence.as_deref(), c.worker_timers, c.websocket_protocols),
            (Some("db"), false, vec!["mqtt".into()])
        );
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
    }

    #[test]
    fn a_typo_is_refused_at_any_level() {
        let err = |doc: Value| read(doc).unwrap_err();
        assert!(err(json!({"keepAliveSecs": 30}))
            .starts_with("keepAliveSecs: unknown option; the known ones are version, clientId,"));
        assert!(err(json!({"reconnect": {"enabeld": false}})).starts_with("reconnect.enabeld: unknown option; the known ones are enabled, initialDelayMs, maxDelayMs, factor, maxAttempts"));
        assert!(err(json!({"offlineQueue": {"max": 5}})).starts_with("offlineQueue.max: unknown option"));
    }

    #[test]
    fn qos_is_0_1_or_2() {
        assert_eq!(QoS::from_json(json!(2)), Ok(QoS::ExactlyOnce));
        for bad in [json!(3), json!(-1), json!(1.5), json!(256), json!("1")] {
            assert_eq!(
                QoS::from_json(bad.clone()).unwrap_err().to_string().split(',').next(),
                Some("expected 0"),
                "{bad}"
            );
        }
    }
}
