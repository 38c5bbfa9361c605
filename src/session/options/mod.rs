//! What a connection is opened with (CONNECT fields) and what a message carries: plain data.
//! `read` fills the options from an options object of any object model (JS, JSON).

use crate::json::Value;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::json::{expected, FromJson, ReadError};
use crate::session::error::SessionError;

pub mod properties;
pub mod read;
pub mod subscription;

pub use crate::session::auth::Authentication;
pub use properties::PublishProperties;
pub use subscription::{RetainHandling, SubscribeOptions};

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

impl ProtocolVersion {
    /// `"3.1.1"` (also `"4"`, `"v3.1.1"`) or `"5"` (also `"5.0"`, `"v5"`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "3.1.1" | "4" | "v3.1.1" => Some(Self::V3_1_1),
            "5" | "5.0" | "v5" => Some(Self::V5),
            _ => None,
        }
    }

    /// What a bad version is told.
    pub(crate) fn unknown(name: &str) -> String {
        format!("unknown version \"{name}\": expected \"3.1.1\" or \"5\"")
    }
}

impl FromJson for ProtocolVersion {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        match value.as_str() {
            Some(name) => Self::from_name(name).ok_or_else(|| ReadError::new(Self::unknown(name))),
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
    /// The largest packet the client takes, in bytes with its fixed header: announced in an MQTT 5
    /// CONNECT (Maximum Packet Size, §3.1.2.11.4) and enforced in both versions. A packet that
    /// announces more ends the connection before it is buffered.
    pub maximum_packet_size: u32,
    /// MQTT 5: how many Topic Aliases the broker may use for the topics it sends (Topic Alias
    /// Maximum, §3.1.2.11.5); 0, the default, allows none and is not sent.
    pub topic_alias_maximum: u16,
    /// MQTT 5 enhanced authentication (§4.12): the method and first data of the CONNECT. The
    /// broker's challenges come as `SessionEvent::NotifyAuthChallenge`. With the `auth` feature.
    #[cfg(feature = "auth")]
    pub authentication: Option<Authentication>,
}

/// The default `maximum_packet_size`: 16 MiB, far above any IoT message and far below the 256 MiB
/// MQTT's lengths allow a server to announce.
pub const DEFAULT_MAXIMUM_PACKET_SIZE: u32 = 16 << 20;

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
            maximum_packet_size: DEFAULT_MAXIMUM_PACKET_SIZE,
            topic_alias_maximum: 0,
            #[cfg(feature = "auth")]
            authentication: None,
        }
    }
}

impl ConnectOptions {
    /// Whether the broker keeps this session past the page that opened it: every CONNECT, the
    /// next page's first one too, resumes it (MQTT 3.1.1 without Clean Session; MQTT 5 without
    /// Clean Start and with a Session Expiry Interval).
    pub fn session_outlives_page(&self) -> bool {
        !self.clean_start
            && (self.version == ProtocolVersion::V3_1_1 || self.session_expiry_secs.is_some_and(|s| s > 0))
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

/// What happens to a publish when the offline queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueFullPolicy {
    /// Refuse the new publish with `OfflineQueueFull`.
    #[default]
    Reject,
    /// Drop the oldest QoS 0 messages to make room; QoS 1 and 2 are never dropped.
    DropOldestQos0,
}

impl QueueFullPolicy {
    /// `"reject"` or `"dropOldestQos0"`, as the options spell it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "reject" => Some(Self::Reject),
            "dropOldestQos0" => Some(Self::DropOldestQos0),
            _ => None,
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
    /// With several, a socket refused before it opens is tried again at once offering `mqtt` alone
    /// (the supervisor's `socket_closed`): RabbitMQ 3.10 answers a list with the whole list.
    pub websocket_protocols: Vec<String>,
    /// More servers after the client's URL, for failover: each reconnect attempt goes to the next
    /// one, round the list (the first connect goes to the URL).
    pub servers: Vec<String>,
    /// The shell has a credentials callback: each attempt asks it for a user name and password
    /// (`Event::RequestCredentials`) before its socket opens, so a token can be renewed. The Rust
    /// client's is `Client::set_credentials`; the npm package's, the `iotmqtt/mqtt5` entry's
    /// `credentials` option (cargo feature `credentials`).
    pub credentials: bool,
    /// Follow an MQTT 5 Server Reference (a CONNACK refusing with 0x9C "use another server" or
    /// 0x9D "server moved", or a DISCONNECT naming one): the next attempt goes to the server it
    /// names when that is a `ws://` or `wss://` URL. Off by default: a broker's word sends the
    /// client, and its credentials, elsewhere.
    pub follow_server_reference: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            reconnect: ReconnectOptions::default(),
            offline_queue: OfflineQueueOptions::default(),
            persistence: None,
            worker_timers: true,
            websocket_protocols: vec!["binary".into(), "mqtt".into()],
            servers: Vec::new(),
            credentials: false,
            follow_server_reference: false,
        }
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 only.
    pub properties: PublishProperties,
}

impl Outgoing {
    pub fn new(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PublishProperties::default(),
        }
    }

    pub fn properties(mut self, properties: PublishProperties) -> Self {
        self.properties = properties;
        self
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// MQTT 5: what the publisher set, as the broker forwarded it.
    pub properties: PublishProperties,
    /// MQTT 5: the identifiers of this client's subscriptions that matched (§3.3.2.3.8).
    pub subscription_identifiers: Vec<u32>,
}

impl Message {
    /// The payload as UTF-8 text, if it is.
    pub fn payload_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.payload).ok()
    }
}

/// What the broker said in a successful CONNACK: the session flag, and in MQTT 5 the properties
/// it announced (MQTT 5.0 §3.2.2.3), `None` or empty where it announced none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnAck {
    pub session_present: bool,
    /// Session Expiry Interval, when the broker set its own.
    pub session_expiry_interval: Option<u32>,
    /// Receive Maximum: how many QoS > 0 publishes may be in flight.
    pub receive_maximum: Option<u16>,
    /// Maximum QoS.
    pub maximum_qos: Option<QoS>,
    /// Retain Available: `Some(false)` and a retained publish is refused before it is sent.
    pub retain_available: Option<bool>,
    /// Maximum Packet Size.
    pub maximum_packet_size: Option<u32>,
    /// Assigned Client Identifier, when the client sent none.
    pub assigned_client_id: Option<String>,
    /// Topic Alias Maximum: how many aliases the broker takes from this client.
    pub topic_alias_maximum: Option<u16>,
    /// Reason String: a human-readable word from the broker.
    pub reason_string: Option<String>,
    /// User Properties, in their order.
    pub user_properties: Vec<(String, String)>,
    /// Wildcard Subscription Available.
    pub wildcard_subscription_available: Option<bool>,
    /// Subscription Identifiers Available.
    pub subscription_identifiers_available: Option<bool>,
    /// Shared Subscription Available.
    pub shared_subscription_available: Option<bool>,
    /// Server Keep Alive, which overrides ours.
    pub server_keepalive_secs: Option<u16>,
    /// Authentication Data: the last word of an enhanced authentication (§4.12). With the `auth`
    /// feature.
    #[cfg(feature = "auth")]
    pub authentication_data: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_three_is_a_typed_error() {
        assert_eq!(QoS::try_from(3), Err(SessionError::InvalidQos(3)));
        assert_eq!(QoS::try_from(2), Ok(QoS::ExactlyOnce));
    }

    use crate::json;

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
