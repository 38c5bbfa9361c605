//! The MQTT 5 properties of an application message (MQTT 5.0 §3.3.2.3): what a publish sends
//! with its payload and a received message carries, and the rules a client checks before sending.

use crate::session::error::SessionError;
use crate::session::options::ProtocolVersion;
use crate::session::topic::validate_topic_name;

/// A message's properties, the same going out and coming in. MQTT 3.1.1 has none: a publish that
/// sets one on a 3.1.1 connection is refused, never sent without them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishProperties {
    /// Payload Format Indicator: `Some(true)` says the payload is UTF-8 text, `Some(false)` bytes.
    pub payload_format_indicator: Option<bool>,
    /// Message Expiry Interval, in seconds: the broker drops the message when it could not be
    /// delivered in time. A received message carries what is left of it.
    pub message_expiry_interval: Option<u32>,
    /// Content Type: a MIME type or any other name the two sides agree on.
    pub content_type: Option<String>,
    /// Response Topic: where a request's answer goes (a topic name, without wildcards).
    pub response_topic: Option<String>,
    /// Correlation Data: what ties an answer to its request.
    pub correlation_data: Option<Vec<u8>>,
    /// User Properties: name–value pairs in their order, a name may repeat.
    pub user_properties: Vec<(String, String)>,
}

impl PublishProperties {
    pub fn is_empty(&self) -> bool {
        self.payload_format_indicator.is_none()
            && self.message_expiry_interval.is_none()
            && self.content_type.is_none()
            && self.response_topic.is_none()
            && self.correlation_data.is_none()
            && self.user_properties.is_empty()
    }

    /// The rules of MQTT 5.0 §3.3.2.3 a sender keeps, with the option that breaks one named as the
    /// JS API spells it: strings and binary data fit their two-byte length and strings have no
    /// U+0000 (§1.5.4), a response topic is a topic name (MQTT-3.3.2-14), and a payload said to be
    /// UTF-8 is (§3.3.2.3.2).
    pub fn check(&self, version: ProtocolVersion, payload: &[u8]) -> Result<(), SessionError> {
        if version == ProtocolVersion::V3_1_1 && !self.is_empty() {
            return Err(invalid("properties", crate::session::NEEDS_V5));
        }
        if let Some(t) = &self.response_topic {
            validate_topic_name(t)
                .map_err(|_| invalid("responseTopic", "must be a topic name: not empty, no + or #"))?;
        }
        if self.correlation_data.as_ref().is_some_and(|d| d.len() > usize::from(u16::MAX)) {
            return Err(invalid("correlationData", "is longer than 65,535 bytes"));
        }
        if let Some(t) = &self.content_type {
            string(t, "contentType")?;
        }
        for (name, value) in &self.user_properties {
            string(name, "userProperties")?;
            string(value, "userProperties")?;
        }
        if self.payload_format_indicator == Some(true) && core::str::from_utf8(payload).is_err() {
            return Err(invalid("payloadFormatIndicator", "says the payload is UTF-8, and it is not"));
        }
        Ok(())
    }
}

fn invalid(field: &'static str, reason: &str) -> SessionError {
    SessionError::InvalidOption { field, reason: reason.into() }
}

fn string(text: &str, field: &'static str) -> Result<(), SessionError> {
    if text.len() > usize::from(u16::MAX) {
        return Err(invalid(field, "is longer than 65,535 bytes"));
    }
    match text.contains('\0') {
        true => Err(invalid(field, "may not contain the NUL character")),
        false => Ok(()),
    }
}
