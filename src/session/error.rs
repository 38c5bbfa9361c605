//! The session's errors: what the MQTT protocol layer refuses or reports. Connection-level and
//! browser failures (a socket closing, the application disconnecting, the store) are the
//! supervisor's and the shell's, in `crate::error::ClientError`, which wraps this one.

use super::reason::{ConnectRefusal, ReasonCode};
use super::said::{suffix, Said};
use super::{ProtocolVersion, QoS};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error("the broker refused the connection (CONNACK 0x{code:02X}, MQTT {version}): {}", refusal.advice())]
    ConnectRefused { version: ProtocolVersion, code: u8, refusal: ConnectRefusal },

    #[error("no CONNACK within {timeout_ms} ms: is the broker reachable at that URL, and does it speak MQTT over WebSocket?")]
    ConnectTimeout { timeout_ms: u64 },

    #[error("invalid topic {}: {reason}", crate::json::quoted(.topic))]
    InvalidTopic { topic: String, reason: &'static str },

    #[error("invalid topic filter {}: {reason}", crate::json::quoted(.filter))]
    InvalidFilter { filter: String, reason: &'static str },

    #[error("QoS {0} does not exist: use 0, 1 or 2")]
    InvalidQos(u8),

    #[error("QoS {requested} is above the broker's maximum QoS {maximum}")]
    QosNotSupported { requested: QoS, maximum: QoS },

    #[error("the packet would be {size} bytes, but the broker accepts at most {max}")]
    PacketTooLarge { size: usize, max: usize },

    #[error("the broker sent a packet of {size} bytes, over maximumPacketSize ({max})")]
    IncomingPacketTooLarge { size: usize, max: u32 },

    #[error("invalid option {field}: {reason}")]
    InvalidOption { field: &'static str, reason: String },

    /// `said`, here and below: the broker's Reason String and User Properties (with the
    /// `reason-strings` feature).
    #[error("the broker refused the publish to {}: {reason}{}", crate::json::quoted(.topic), suffix(.said))]
    PublishRefused { topic: String, reason: ReasonCode, said: Said },

    #[error("the broker refused the subscription to {}: {reason}{}", crate::json::quoted(.filter), suffix(.said))]
    SubscribeRefused { filter: String, reason: ReasonCode, said: Said },

    #[error("the broker refused to unsubscribe {}: {reason}{}", crate::json::quoted(.filter), suffix(.said))]
    UnsubscribeRefused { filter: String, reason: ReasonCode, said: Said },

    #[error("the broker disconnected: {reason}{}", suffix(.said))]
    ServerDisconnected { reason: ReasonCode, said: Said },

    #[error("no PINGRESP from the broker in time: the connection is dead")]
    PingTimeout,

    #[error("the bytes from the broker are not valid MQTT ({detail}); the connection was closed")]
    Protocol { detail: String },

    #[error("not connected: connect first, or wait for the reconnect")]
    NotConnected,

    #[error("the connection was lost before the broker answered")]
    ConnectionLost,

    #[error("the offline queue is full ({messages} messages, {bytes} bytes): the publish was refused")]
    OfflineQueueFull { messages: usize, bytes: usize },

    #[error("dropped from the full offline queue to make room for newer messages (QoS 0 only)")]
    DroppedFromQueue,

    #[error("no packet identifier is free: 65,535 requests are already in flight")]
    PacketIdsExhausted,
}

impl SessionError {
    /// A stable code for programs to switch on; the JS API exposes it as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ConnectRefused { refusal, .. } => refusal.code(),
            Self::ConnectTimeout { .. } => "CONNECT_TIMEOUT",
            Self::InvalidTopic { .. } => "INVALID_TOPIC",
            Self::InvalidFilter { .. } => "INVALID_TOPIC_FILTER",
            Self::InvalidQos(_) => "INVALID_QOS",
            Self::QosNotSupported { .. } => "QOS_NOT_SUPPORTED",
            Self::PacketTooLarge { .. } => "PACKET_TOO_LARGE",
            Self::IncomingPacketTooLarge { .. } => "INCOMING_PACKET_TOO_LARGE",
            Self::InvalidOption { .. } => "INVALID_OPTION",
            Self::PublishRefused { .. } => "PUBLISH_REFUSED",
            Self::SubscribeRefused { .. } => "SUBSCRIBE_REFUSED",
            Self::UnsubscribeRefused { .. } => "UNSUBSCRIBE_REFUSED",
            Self::ServerDisconnected { .. } => "SERVER_DISCONNECTED",
            Self::PingTimeout => "PING_TIMEOUT",
            Self::Protocol { .. } => "PROTOCOL_ERROR",
            Self::NotConnected => "NOT_CONNECTED",
            Self::ConnectionLost => "CONNECTION_LOST",
            Self::PacketIdsExhausted => "PACKET_IDS_EXHAUSTED",
            Self::OfflineQueueFull { .. } => "OFFLINE_QUEUE_FULL",
            Self::DroppedFromQueue => "DROPPED_FROM_QUEUE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_message_names_the_cause() {
        let e = SessionError::ConnectRefused {
            version: ProtocolVersion::V3_1_1,
            code: 5,
            refusal: ConnectRefusal::NotAuthorized,
        };
        assert_eq!(e.code(), "CONNACK_NOT_AUTHORIZED");
        let text = e.to_string();
        assert!(text.contains("0x05") && text.contains("3.1.1") && text.contains("credentials"), "{text}");
    }
}
