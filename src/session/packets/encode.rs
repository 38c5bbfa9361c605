//! Builds the packets a client sends (MQTT 3.1.1 §3, MQTT 5.0 §3). The session has validated
//! topics, filters and QoS before; what can still be too long for its length prefix is refused
//! with a typed error, never truncated.

use super::properties::{self as ids, MAXIMUM_PACKET_SIZE, SESSION_EXPIRY_INTERVAL, TOPIC_ALIAS_MAXIMUM};
use super::Ack;
use crate::session::options::{Authentication, SubscribeOptions};
use crate::session::options::{ConnectOptions, Outgoing, ProtocolVersion, PublishProperties, QoS};
use crate::session::topic_alias::Naming;
use crate::session::SessionError;

/// MQTT's largest Remaining Length, four bytes of variable byte integer (MQTT 3.1.1 §2.2.3).
pub const MAX_REMAINING: usize = 268_435_455;

/// A packet: the fixed header for `remaining` bytes, then room for them.
fn frame(first: u8, remaining: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + remaining);
    out.push(first);
    varint(&mut out, remaining);
    out
}

fn varint(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// How many bytes `varint` writes for `value` (below 2^28).
fn varint_len(value: usize) -> usize {
    1 + usize::from(value > 0x7F) + usize::from(value > 0x3FFF) + usize::from(value > 0x1F_FFFF)
}

/// A two-byte length and the bytes; the caller has checked that the length fits.
fn prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `remaining`: the packet's variable header and payload.
fn within_mqtt_limit(remaining: usize) -> Result<usize, SessionError> {
    match remaining > MAX_REMAINING {
        true => Err(SessionError::PacketTooLarge { size: 5 + remaining, max: 5 + MAX_REMAINING }),
        false => Ok(remaining),
    }
}

fn fits_u16(bytes: &[u8], field: &'static str) -> Result<(), SessionError> {
    match bytes.len() > usize::from(u16::MAX) {
        true => Err(SessionError::InvalidOption { field, reason: "is longer than 65,535 bytes".into() }),
        false => Ok(()),
    }
}

/// A string field: it fits, and has no U+0000 (MQTT 3.1.1 §1.5.3, MQTT 5.0 §1.5.4).
fn mqtt_string(text: &str, field: &'static str) -> Result<(), SessionError> {
    fits_u16(text.as_bytes(), field)?;
    match text.contains('\0') {
        true => Err(SessionError::InvalidOption { field, reason: "may not contain the NUL character".into() }),
        false => Ok(()),
    }
}

/// CONNECT. `resume` clears Clean Start so an MQTT 5 reconnect resumes the session it asked for.
pub fn connect(o: &ConnectOptions, resume: bool) -> Result<Vec<u8>, SessionError> {
    let v5 = o.version == ProtocolVersion::V5;
    if o.password.is_some() && o.username.is_none() && !v5 {
        return Err(SessionError::InvalidOption {
            field: "password",
            reason: "MQTT 3.1.1 allows a password only together with a user name".into(),
        });
    }
    let username = o.username.as_deref().map(str::as_bytes);
    let password = o.password.as_deref().map(str::as_bytes);
    mqtt_string(&o.client_id, "clientId")?;
    mqtt_string(o.username.as_deref().unwrap_or_default(), "username")?;
    fits_u16(password.unwrap_or_default(), "password")?;
    let mut flags = u8::from(o.clean_start && !resume) << 1;
    let mut payload = Vec::new();
    prefixed(&mut payload, o.client_id.as_bytes());
    if let Some(w) = &o.will {
        mqtt_string(&w.topic, "will")?;
        fits_u16(&w.payload, "will")?;
        flags |= 0x04 | (w.qos as u8) << 3 | u8::from(w.retain) << 5;
        if v5 {
            payload.push(0); // no will properties
        }
        prefixed(&mut payload, w.topic.as_bytes());
        prefixed(&mut payload, &w.payload);
    }
    if let Some(u) = username {
        flags |= 0x80;
        prefixed(&mut payload, u);
    }
    if let Some(p) = password {
        flags |= 0x40;
        prefixed(&mut payload, p);
    }
    let mut properties = Vec::new();
    if let Some(secs) = o.session_expiry_secs.filter(|_| v5) {
        properties.push(SESSION_EXPIRY_INTERVAL);
        properties.extend_from_slice(&secs.to_be_bytes());
    }
    // MQTT 5.0 §3.1.2.11.4: 0 is a protocol error; 3.1.1 has no way to say it, but the cap holds.
    if o.maximum_packet_size == 0 {
        return Err(SessionError::InvalidOption { field: "maximumPacketSize", reason: "must be at least 1".into() });
    }
    if v5 {
        properties.push(MAXIMUM_PACKET_SIZE);
        properties.extend_from_slice(&o.maximum_packet_size.to_be_bytes());
        if o.topic_alias_maximum > 0 {
            properties.push(TOPIC_ALIAS_MAXIMUM);
            properties.extend_from_slice(&o.topic_alias_maximum.to_be_bytes());
        }
    }
    #[cfg(feature = "auth")]
    if let Some(a) = &o.authentication {
        authentication(&mut properties, v5, a)?;
    }
    let header = 10 + if v5 { varint_len(properties.len()) + properties.len() } else { 0 };
    let mut out = frame(0x10, within_mqtt_limit(header + payload.len())?);
    out.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', if v5 { 5 } else { 4 }, flags]);
    out.extend_from_slice(&o.keepalive_secs.to_be_bytes());
    if v5 {
        varint(&mut out, properties.len());
        out.extend_from_slice(&properties);
    }
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The Authentication Method and Data properties of a CONNECT or AUTH (MQTT 5 only, §4.12).
fn authentication(properties: &mut Vec<u8>, v5: bool, a: &Authentication) -> Result<(), SessionError> {
    let refuse = |reason: &str| SessionError::InvalidOption { field: "authentication", reason: reason.into() };
    if !v5 {
        return Err(refuse("enhanced authentication is MQTT 5 only"));
    }
    if a.method.is_empty() {
        return Err(refuse("needs a method"));
    }
    mqtt_string(&a.method, "authentication")?;
    properties.push(ids::AUTHENTICATION_METHOD);
    prefixed(properties, a.method.as_bytes());
    if let Some(data) = &a.data {
        fits_u16(data, "authentication")?;
        properties.push(ids::AUTHENTICATION_DATA);
        prefixed(properties, data);
    }
    Ok(())
}

/// AUTH with `code` (0x18 to answer a challenge, 0x19 to re-authenticate) and the method and data
/// of `a` (MQTT 5.0 §3.15).
pub fn auth(code: u8, a: &Authentication) -> Result<Vec<u8>, SessionError> {
    let mut properties = Vec::new();
    authentication(&mut properties, true, a)?;
    let mut out = frame(0xF0, 1 + varint_len(properties.len()) + properties.len());
    out.push(code);
    varint(&mut out, properties.len());
    out.extend_from_slice(&properties);
    Ok(out)
}

/// PUBLISH; `dup` marks a resend of an unacknowledged QoS 1 or 2 message; `naming` says whether
/// an MQTT 5 Topic Alias goes with the topic or instead of it.
pub fn publish(
    version: ProtocolVersion,
    msg: &Outgoing,
    packet_id: Option<u16>,
    dup: bool,
    naming: Naming,
) -> Result<Vec<u8>, SessionError> {
    if msg.topic.is_empty() || msg.topic.len() > usize::from(u16::MAX) {
        return Err(SessionError::InvalidTopic {
            topic: msg.topic.chars().take(120).collect(),
            reason: "the topic could not be encoded",
        });
    }
    let props = match version {
        ProtocolVersion::V5 => properties(&msg.properties, naming.alias()),
        ProtocolVersion::V3_1_1 => Vec::new(),
    };
    let topic = match naming {
        Naming::Alias(_) => &[][..],
        _ => msg.topic.as_bytes(),
    };
    let id_len = if packet_id.is_some() { 2 } else { 0 };
    let remaining = within_mqtt_limit(2 + topic.len() + id_len + props.len() + msg.payload.len())?;
    let first = 0x30 | u8::from(dup) << 3 | (msg.qos as u8) << 1 | u8::from(msg.retain);
    let mut out = frame(first, remaining);
    prefixed(&mut out, topic);
    if let Some(id) = packet_id {
        out.extend_from_slice(&id.to_be_bytes());
    }
    out.extend_from_slice(&props);
    out.extend_from_slice(&msg.payload);
    Ok(out)
}

/// A PUBLISH's properties with their length in front, in the order of MQTT 5.0 §3.3.2.3; checked
/// before (`PublishProperties::check`), so every string and binary value fits its length.
pub fn publish_properties(p: &PublishProperties) -> Vec<u8> {
    properties(p, None)
}

/// `publish_properties` with a Topic Alias.
fn properties(p: &PublishProperties, alias: Option<u16>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(utf8) = p.payload_format_indicator {
        body.extend_from_slice(&[ids::PAYLOAD_FORMAT_INDICATOR, u8::from(utf8)]);
    }
    if let Some(secs) = p.message_expiry_interval {
        body.push(ids::MESSAGE_EXPIRY_INTERVAL);
        body.extend_from_slice(&secs.to_be_bytes());
    }
    if let Some(alias) = alias {
        body.push(ids::TOPIC_ALIAS);
        body.extend_from_slice(&alias.to_be_bytes());
    }
    let mut field = |id: u8, value: &[u8]| {
        body.push(id);
        prefixed(&mut body, value);
    };
    if let Some(t) = &p.content_type {
        field(ids::CONTENT_TYPE, t.as_bytes());
    }
    if let Some(t) = &p.response_topic {
        field(ids::RESPONSE_TOPIC, t.as_bytes());
    }
    if let Some(d) = &p.correlation_data {
        field(ids::CORRELATION_DATA, d);
    }
    for (name, value) in &p.user_properties {
        body.push(ids::USER_PROPERTY);
        prefixed(&mut body, name.as_bytes());
        prefixed(&mut body, value.as_bytes());
    }
    let mut out = Vec::with_capacity(4 + body.len());
    varint(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// SUBSCRIBE for each filter with its QoS (MQTT 5: the other subscription options at 0).
pub fn subscribe(version: ProtocolVersion, packet_id: u16, filters: &[(String, QoS)]) -> Result<Vec<u8>, SessionError> {
    list(version, 0x82, packet_id, filters.iter().map(|(f, q)| (f.as_str(), Some(*q as u8))), None)
}

/// SUBSCRIBE for each filter with its options byte, and (MQTT 5) a Subscription Identifier; the
/// session has checked both for the connection's version.
pub fn subscribe_with(
    version: ProtocolVersion,
    packet_id: u16,
    filters: &[(String, SubscribeOptions)],
    identifier: Option<u32>,
) -> Result<Vec<u8>, SessionError> {
    list(version, 0x82, packet_id, filters.iter().map(|(f, o)| (f.as_str(), Some(o.byte()))), identifier)
}

pub fn unsubscribe(version: ProtocolVersion, packet_id: u16, filters: &[String]) -> Result<Vec<u8>, SessionError> {
    list(version, 0xA2, packet_id, filters.iter().map(|f| (f.as_str(), None)), None)
}

/// SUBSCRIBE or UNSUBSCRIBE: a packet id, MQTT 5's properties (a SUBSCRIBE's Subscription
/// Identifier, or none), then each filter with its options byte when it has one.
fn list<'a>(
    version: ProtocolVersion,
    first: u8,
    packet_id: u16,
    filters: impl Iterator<Item = (&'a str, Option<u8>)> + Clone,
    identifier: Option<u32>,
) -> Result<Vec<u8>, SessionError> {
    let v5 = version == ProtocolVersion::V5;
    let mut props = Vec::new();
    if let Some(n) = identifier.filter(|_| v5) {
        props.push(ids::SUBSCRIPTION_IDENTIFIER);
        varint(&mut props, n as usize);
    }
    let mut remaining = 2 + usize::from(v5) + props.len();
    for (filter, options) in filters.clone() {
        if filter.len() > usize::from(u16::MAX) {
            return Err(SessionError::InvalidFilter {
                filter: filter.chars().take(120).collect(),
                reason: "the filter could not be encoded",
            });
        }
        remaining += 2 + filter.len() + usize::from(options.is_some());
    }
    let mut out = frame(first, within_mqtt_limit(remaining)?);
    out.extend_from_slice(&packet_id.to_be_bytes());
    if v5 {
        out.push(props.len() as u8);
        out.extend_from_slice(&props);
    }
    for (filter, options) in filters {
        prefixed(&mut out, filter.as_bytes());
        if let Some(byte) = options {
            out.push(byte);
        }
    }
    Ok(out)
}

/// An acknowledgement of `packet_id`. `found` false (PUBREL or PUBCOMP for a packet id this client
/// does not know) adds MQTT 5's reason 0x92 "packet identifier not found"; MQTT 3.1.1 has no codes.
pub fn ack(version: ProtocolVersion, kind: Ack, packet_id: u16, found: bool) -> Result<Vec<u8>, SessionError> {
    let first = match kind {
        Ack::PubAck => 0x40,
        Ack::PubRec => 0x50,
        Ack::PubRel => 0x62,
        Ack::PubComp => 0x70,
    };
    let [hi, lo] = packet_id.to_be_bytes();
    let not_found = version == ProtocolVersion::V5 && !found && matches!(kind, Ack::PubRel | Ack::PubComp);
    Ok(match not_found {
        true => vec![first, 3, hi, lo, 0x92],
        false => vec![first, 2, hi, lo],
    })
}

pub fn pingreq(_version: ProtocolVersion) -> Option<Vec<u8>> {
    Some(vec![0xC0, 0])
}

/// DISCONNECT: normal, or (MQTT 5) "keep alive timeout" when the broker stopped answering pings.
/// DISCONNECT; MQTT 5 carries `reason` (0x00 normal, 0x8D keep alive timeout, 0x95 packet too large).
pub fn disconnect(version: ProtocolVersion, reason: u8) -> Vec<u8> {
    match version {
        ProtocolVersion::V3_1_1 => vec![0xE0, 0],
        ProtocolVersion::V5 => vec![0xE0, 1, reason],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SUBSCRIBE and UNSUBSCRIBE of thousands of 65,535-byte filters would pass the limit too; the
    // sums they check are this function's input.
    #[test]
    fn mqtts_largest_remaining_length_is_the_limit_in_both_versions() {
        assert!(within_mqtt_limit(MAX_REMAINING).is_ok());
        let e = within_mqtt_limit(MAX_REMAINING + 1).unwrap_err();
        assert_eq!(e, SessionError::PacketTooLarge { size: 268_435_461, max: 268_435_460 });
        let filters = vec![("a".repeat(65_535), QoS::AtMostOnce); 4_096];
        assert!(matches!(subscribe(ProtocolVersion::V3_1_1, 1, &filters), Err(SessionError::PacketTooLarge { .. })));
        let names: Vec<String> = filters.into_iter().map(|(f, _)| f).collect();
        assert!(matches!(unsubscribe(ProtocolVersion::V5, 1, &names), Err(SessionError::PacketTooLarge { .. })));
    }

    #[test]
    fn variable_byte_integers_take_one_to_four_bytes() {
        for (value, bytes) in [
            (0, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (MAX_REMAINING, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut out = Vec::new();
            varint(&mut out, value);
            assert_eq!(out, bytes, "{value}");
        }
    }
}
