//! What a broker says beside a reason code: the MQTT 5 Reason String and User Properties of its
//! DISCONNECT (§3.14.2.2.3–4), kept with `SessionError::ServerDisconnected` so that an
//! application can show why the broker ended the connection in the broker's own words.
//!
//! In builds with the `reason-strings` feature: the npm package shows its own words for a code,
//! and carrying the broker's cost each entry about 0.2 KB (docs/size.md). Without it `Said` is
//! empty, and nothing is read.

use super::packets::properties::Property;
#[cfg(feature = "reason-strings")]
use super::packets::properties::{self as props, Value};

/// The broker's words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Words {
    pub reason_string: Option<String>,
    /// In the order the broker sent them; a name may repeat.
    pub user_properties: Vec<(String, String)>,
}

/// The broker's words, if it said any (boxed: errors stay small).
#[cfg(feature = "reason-strings")]
pub type Said = Option<Box<Words>>;
/// Without the feature: nothing.
#[cfg(not(feature = "reason-strings"))]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Said {}

/// A packet's Reason String and User Properties.
#[cfg(feature = "reason-strings")]
pub fn read(p: &[Property]) -> Said {
    let mut words = Words::default();
    for prop in p {
        match (prop.id, prop.value) {
            (props::REASON_STRING, Value::Str(v)) => words.reason_string = Some(v.to_owned()),
            (props::USER_PROPERTY, Value::Pair(k, v)) => words.user_properties.push((k.to_owned(), v.to_owned())),
            _ => {}
        }
    }
    (words != Words::default()).then(|| Box::new(words))
}
#[cfg(not(feature = "reason-strings"))]
pub fn read(_: &[Property]) -> Said {
    Said {}
}

/// The Reason String as the end of an error's message: `: "…"`, or nothing.
#[cfg(feature = "reason-strings")]
pub fn suffix(said: &Said) -> String {
    match said.as_ref().and_then(|w| w.reason_string.as_deref()) {
        Some(text) => format!(" ({})", crate::json::quoted(text)),
        None => String::new(),
    }
}
#[cfg(not(feature = "reason-strings"))]
pub fn suffix(_: &Said) -> &'static str {
    ""
}

/// The packet of a successful acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckPacket {
    PubAck,
    PubRec,
    PubComp,
    SubAck,
    UnsubAck,
}

/// A successful acknowledgement that said more than "success" (MQTT 5): a success code other than
/// 0x00 (PUBACK and PUBREC 0x10 "No matching subscribers", UNSUBACK 0x11 "No subscription
/// existed"), or a Reason String or User Properties. A refusal's words go with its error instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub packet: AckPacket,
    /// The publish's topic, or the filters of the SUBSCRIBE or UNSUBSCRIBE, in order.
    pub subjects: Vec<String>,
    /// The acknowledgement's codes: one for a publish, one per filter for a SUBACK (a granted
    /// QoS, or a refusal's code) or an UNSUBACK.
    pub codes: Vec<u8>,
    pub words: Words,
}

/// `Acknowledged`, when the acknowledgement said more than "success" (a SUBACK's codes are granted
/// QoS, which say nothing more). `subjects` is called only then: a plain PUBACK costs nothing.
#[cfg(feature = "reason-strings")]
pub fn acknowledged(
    packet: AckPacket,
    codes: &[u8],
    said: Said,
    subjects: impl FnOnce() -> Vec<String>,
) -> Option<Acknowledged> {
    let plain = match packet {
        AckPacket::SubAck => true,
        _ => codes.iter().all(|c| *c == 0),
    };
    if plain && said.is_none() {
        return None;
    }
    let words = said.map(|w| *w).unwrap_or_default();
    Some(Acknowledged { packet, subjects: subjects(), codes: codes.to_vec(), words })
}
