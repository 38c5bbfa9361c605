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
