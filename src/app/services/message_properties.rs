//! MQTT 5 message properties on the generic page: the rows a received message's detail view
//! shows, and the publish form's fields read into `PublishProperties`.

use crate::app::error::AppError;
use crate::platforms::things_stack::payload::bytes_to_hex;
use crate::{Message, PublishProperties};

/// A received message's properties as labelled rows, in the order MQTT 5.0 §3.3.2.3 lists them;
/// empty when it has none.
pub fn rows(m: &Message) -> Vec<(String, String)> {
    let p = &m.properties;
    let mut out = Vec::new();
    if let Some(utf8) = p.payload_format_indicator {
        out.push(("Payload format".into(), if utf8 { "UTF-8 text" } else { "bytes" }.into()));
    }
    if let Some(secs) = p.message_expiry_interval {
        out.push(("Expires in".into(), format!("{secs} s")));
    }
    if let Some(t) = &p.content_type {
        out.push(("Content type".into(), t.clone()));
    }
    if let Some(t) = &p.response_topic {
        out.push(("Response topic".into(), t.clone()));
    }
    if let Some(d) = &p.correlation_data {
        let text = std::str::from_utf8(d).map(str::to_owned).unwrap_or_else(|_| format!("(hex) {}", bytes_to_hex(d)));
        out.push(("Correlation data".into(), text));
    }
    for (name, value) in &p.user_properties {
        out.push((format!("User property {name}"), value.clone()));
    }
    if !m.subscription_identifiers.is_empty() {
        let ids: Vec<String> = m.subscription_identifiers.iter().map(u32::to_string).collect();
        out.push(("Subscription identifiers".into(), ids.join(", ")));
    }
    out
}

/// The publish form's MQTT 5 fields; the session checks the rest (a response topic without
/// wildcards, lengths) when the message is published.
pub struct PropertyFields<'a> {
    pub content_type: &'a str,
    pub response_topic: &'a str,
    /// Seconds, or empty.
    pub expiry: &'a str,
    /// One `name=value` per line; a name may repeat.
    pub user_properties: &'a str,
}

impl PropertyFields<'_> {
    pub fn read(&self) -> Result<PublishProperties, AppError> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let expiry = match self.expiry.trim() {
            "" => None,
            n => Some(n.parse::<u32>().map_err(|_| AppError::input("pub-expiry", "a whole number of seconds"))?),
        };
        let mut user_properties = Vec::new();
        for (i, line) in self.user_properties.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let Some((name, value)) = line.split_once('=') else {
                return Err(AppError::input("pub-user-properties", format!("line {}: write name=value", i + 1)));
            };
            user_properties.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(PublishProperties {
            content_type: text(self.content_type),
            response_topic: text(self.response_topic),
            message_expiry_interval: expiry,
            user_properties,
            ..PublishProperties::default()
        })
    }
}
