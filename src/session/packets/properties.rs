//! MQTT 5 properties as a client reads them (MQTT 5.0 §2.2.2): a length, then identifier–value
//! pairs. Each packet type allows its own set (Table 2-4), and every property but User Property
//! and Subscription Identifier appears at most once; anything else is a protocol error.

use super::decode::Reader;
use crate::session::options::{ConnAck, PublishProperties};
use crate::session::packets::qos_from_u8;

pub const PAYLOAD_FORMAT_INDICATOR: u8 = 0x01;
pub const MESSAGE_EXPIRY_INTERVAL: u8 = 0x02;
pub const CONTENT_TYPE: u8 = 0x03;
pub const RESPONSE_TOPIC: u8 = 0x08;
pub const CORRELATION_DATA: u8 = 0x09;
pub const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
pub const SESSION_EXPIRY_INTERVAL: u8 = 0x11;
pub const ASSIGNED_CLIENT_IDENTIFIER: u8 = 0x12;
pub const SERVER_KEEP_ALIVE: u8 = 0x13;
pub const AUTHENTICATION_METHOD: u8 = 0x15;
pub const AUTHENTICATION_DATA: u8 = 0x16;
pub const REQUEST_PROBLEM_INFORMATION: u8 = 0x17;
pub const WILL_DELAY_INTERVAL: u8 = 0x18;
pub const REQUEST_RESPONSE_INFORMATION: u8 = 0x19;
pub const RESPONSE_INFORMATION: u8 = 0x1A;
pub const SERVER_REFERENCE: u8 = 0x1C;
pub const REASON_STRING: u8 = 0x1F;
pub const RECEIVE_MAXIMUM: u8 = 0x21;
pub const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
pub const TOPIC_ALIAS: u8 = 0x23;
pub const MAXIMUM_QOS: u8 = 0x24;
pub const RETAIN_AVAILABLE: u8 = 0x25;
pub const USER_PROPERTY: u8 = 0x26;
pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;

/// A property's value in its wire form: every integer type widens to `Int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Int(u32),
    Str(&'a str),
    Bin(&'a [u8]),
    Pair(&'a str, &'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property<'a> {
    pub id: u8,
    pub value: Value<'a>,
}

/// The properties a packet type may carry, one bit per identifier (all are below 64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed(u64);

const fn set(ids: &[u8]) -> Allowed {
    let (mut bits, mut i) = (0u64, 0);
    while i < ids.len() {
        bits |= 1 << ids[i];
        i += 1;
    }
    Allowed(bits)
}

pub const IN_CONNACK: Allowed = set(&[
    SESSION_EXPIRY_INTERVAL,
    ASSIGNED_CLIENT_IDENTIFIER,
    SERVER_KEEP_ALIVE,
    AUTHENTICATION_METHOD,
    AUTHENTICATION_DATA,
    RESPONSE_INFORMATION,
    SERVER_REFERENCE,
    REASON_STRING,
    RECEIVE_MAXIMUM,
    TOPIC_ALIAS_MAXIMUM,
    MAXIMUM_QOS,
    RETAIN_AVAILABLE,
    USER_PROPERTY,
    MAXIMUM_PACKET_SIZE,
    WILDCARD_SUBSCRIPTION_AVAILABLE,
    SUBSCRIPTION_IDENTIFIER_AVAILABLE,
    SHARED_SUBSCRIPTION_AVAILABLE,
]);
pub const IN_PUBLISH: Allowed = set(&[
    PAYLOAD_FORMAT_INDICATOR,
    MESSAGE_EXPIRY_INTERVAL,
    CONTENT_TYPE,
    RESPONSE_TOPIC,
    CORRELATION_DATA,
    SUBSCRIPTION_IDENTIFIER,
    TOPIC_ALIAS,
    USER_PROPERTY,
]);
/// PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
pub const IN_ACK: Allowed = set(&[REASON_STRING, USER_PROPERTY]);
pub const IN_DISCONNECT: Allowed = set(&[SESSION_EXPIRY_INTERVAL, SERVER_REFERENCE, REASON_STRING, USER_PROPERTY]);
pub const IN_AUTH: Allowed = set(&[AUTHENTICATION_METHOD, AUTHENTICATION_DATA, REASON_STRING, USER_PROPERTY]);

/// The properties that may repeat.
const REPEATABLE: Allowed = set(&[USER_PROPERTY, SUBSCRIPTION_IDENTIFIER]);
/// The one-byte properties, whose only values are 0 and 1.
const FLAGS: Allowed = set(&[
    PAYLOAD_FORMAT_INDICATOR,
    REQUEST_PROBLEM_INFORMATION,
    REQUEST_RESPONSE_INFORMATION,
    MAXIMUM_QOS,
    RETAIN_AVAILABLE,
    WILDCARD_SUBSCRIPTION_AVAILABLE,
    SUBSCRIPTION_IDENTIFIER_AVAILABLE,
    SHARED_SUBSCRIPTION_AVAILABLE,
]);

impl Allowed {
    fn has(self, id: u8) -> bool {
        id < 64 && self.0 & (1 << id) != 0
    }
}

/// Reads a property length and the properties it covers, checked against `allowed`.
pub(super) fn read<'a>(r: &mut Reader<'a>, allowed: Allowed) -> Result<Vec<Property<'a>>, &'static str> {
    let len = r.varint()? as usize;
    let mut r = Reader::new(r.bytes(len)?);
    let (mut props, mut seen) = (Vec::new(), 0u64);
    while !r.is_empty() {
        let id = r.u8()?;
        if !allowed.has(id) {
            return Err("a property this packet may not carry");
        }
        if seen & (1 << id) != 0 && !REPEATABLE.has(id) {
            return Err("a property given twice");
        }
        seen |= 1 << id;
        let value = match id {
            _ if FLAGS.has(id) => Value::Int(r.u8()?.into()),
            SERVER_KEEP_ALIVE | RECEIVE_MAXIMUM | TOPIC_ALIAS_MAXIMUM | TOPIC_ALIAS => Value::Int(r.u16()?.into()),
            MESSAGE_EXPIRY_INTERVAL | SESSION_EXPIRY_INTERVAL | WILL_DELAY_INTERVAL | MAXIMUM_PACKET_SIZE => {
                Value::Int(r.u32()?)
            }
            SUBSCRIPTION_IDENTIFIER => Value::Int(r.varint()?),
            CORRELATION_DATA | AUTHENTICATION_DATA => Value::Bin(r.binary()?),
            USER_PROPERTY => Value::Pair(r.string()?, r.string()?),
            _ => Value::Str(r.string()?),
        };
        match value {
            Value::Int(v) if FLAGS.has(id) && v > 1 => return Err("a property that only takes 0 or 1"),
            Value::Int(0) if id == SUBSCRIPTION_IDENTIFIER => return Err("a subscription identifier of 0"),
            // MQTT 5.0 §3.2.2.3.3, §3.2.2.3.6: zero is not a limit a broker may announce.
            Value::Int(0) if id == RECEIVE_MAXIMUM || id == MAXIMUM_PACKET_SIZE => return Err("a limit of 0"),
            _ => {}
        }
        props.push(Property { id, value });
    }
    // MQTT 5.0 §3.15.2.2.3: an AUTH carries Authentication Data only with an Authentication Method.
    if allowed == IN_AUTH && seen & (1 << AUTHENTICATION_DATA) != 0 && seen & (1 << AUTHENTICATION_METHOD) == 0 {
        return Err("authentication data without an authentication method");
    }
    Ok(props)
}

/// The integer value of property `id`, if present.
pub fn int(props: &[Property], id: u8) -> Option<u32> {
    props.iter().find(|p| p.id == id).and_then(|p| match p.value {
        Value::Int(v) => Some(v),
        _ => None,
    })
}

/// The string value of property `id`, if present.
pub fn string<'a>(props: &[Property<'a>], id: u8) -> Option<&'a str> {
    props.iter().find(|p| p.id == id).and_then(|p| match p.value {
        Value::Str(v) => Some(v),
        _ => None,
    })
}

/// The binary value of property `id`, if present.
pub fn binary<'a>(props: &[Property<'a>], id: u8) -> Option<&'a [u8]> {
    props.iter().find(|p| p.id == id).and_then(|p| match p.value {
        Value::Bin(v) => Some(v),
        _ => None,
    })
}

/// A PUBLISH's properties as the message carries them, and the subscription identifiers that
/// matched. Topic Alias is the session's, not the message's.
pub fn message(props: &[Property]) -> (PublishProperties, Vec<u32>) {
    let (mut p, mut ids) = (PublishProperties::default(), Vec::new());
    for prop in props {
        match (prop.id, prop.value) {
            (PAYLOAD_FORMAT_INDICATOR, Value::Int(v)) => p.payload_format_indicator = Some(v == 1),
            (MESSAGE_EXPIRY_INTERVAL, Value::Int(v)) => p.message_expiry_interval = Some(v),
            (CONTENT_TYPE, Value::Str(v)) => p.content_type = Some(v.to_owned()),
            (RESPONSE_TOPIC, Value::Str(v)) => p.response_topic = Some(v.to_owned()),
            (CORRELATION_DATA, Value::Bin(v)) => p.correlation_data = Some(v.to_vec()),
            (USER_PROPERTY, Value::Pair(k, v)) => p.user_properties.push((k.to_owned(), v.to_owned())),
            (SUBSCRIPTION_IDENTIFIER, Value::Int(v)) => ids.push(v),
            _ => {}
        }
    }
    (p, ids)
}

/// Properties written by `encode::publish_properties` (kept with a stored publish) read back.
pub fn stored(bytes: &[u8]) -> Result<PublishProperties, &'static str> {
    const STORED: Allowed = set(&[
        PAYLOAD_FORMAT_INDICATOR,
        MESSAGE_EXPIRY_INTERVAL,
        CONTENT_TYPE,
        RESPONSE_TOPIC,
        CORRELATION_DATA,
        USER_PROPERTY,
    ]);
    let mut r = Reader::new(bytes);
    let props = read(&mut r, STORED)?;
    match r.is_empty() {
        true => Ok(message(&props).0),
        false => Err("bytes left over after the properties"),
    }
}

/// A CONNACK's properties into `ack`; its Server Reference is returned, as it is no part of a
/// successful connection.
pub fn connack(props: &[Property], ack: &mut ConnAck) -> Option<String> {
    let mut reference = None;
    let flag = |v: u32| Some(v == 1);
    for prop in props {
        match (prop.id, prop.value) {
            (SESSION_EXPIRY_INTERVAL, Value::Int(v)) => ack.session_expiry_interval = Some(v),
            (RECEIVE_MAXIMUM, Value::Int(v)) => ack.receive_maximum = Some(v as u16),
            (MAXIMUM_QOS, Value::Int(v)) => ack.maximum_qos = Some(qos_from_u8(v as u8)),
            (RETAIN_AVAILABLE, Value::Int(v)) => ack.retain_available = flag(v),
            (MAXIMUM_PACKET_SIZE, Value::Int(v)) => ack.maximum_packet_size = Some(v),
            (ASSIGNED_CLIENT_IDENTIFIER, Value::Str(v)) => ack.assigned_client_id = Some(v.to_owned()),
            (TOPIC_ALIAS_MAXIMUM, Value::Int(v)) => ack.topic_alias_maximum = Some(v as u16),
            (REASON_STRING, Value::Str(v)) => ack.reason_string = Some(v.to_owned()),
            (USER_PROPERTY, Value::Pair(k, v)) => ack.user_properties.push((k.to_owned(), v.to_owned())),
            (WILDCARD_SUBSCRIPTION_AVAILABLE, Value::Int(v)) => ack.wildcard_subscription_available = flag(v),
            (SUBSCRIPTION_IDENTIFIER_AVAILABLE, Value::Int(v)) => ack.subscription_identifiers_available = flag(v),
            (SHARED_SUBSCRIPTION_AVAILABLE, Value::Int(v)) => ack.shared_subscription_available = flag(v),
            (SERVER_KEEP_ALIVE, Value::Int(v)) => ack.server_keepalive_secs = Some(v as u16),
            (SERVER_REFERENCE, Value::Str(v)) => reference = Some(v.to_owned()),
            #[cfg(feature = "auth")]
            (AUTHENTICATION_DATA, Value::Bin(v)) => ack.authentication_data = Some(v.to_vec()),
            _ => {}
        }
    }
    reference
}
