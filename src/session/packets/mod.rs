//! The packets of an MQTT client, both protocol versions, written and read by this crate's own
//! codec: `encode` builds what a client sends, `decode` reads what it receives, `properties`
//! reads MQTT 5 properties. A client needs a small part of MQTT (it never parses a CONNECT or
//! builds a SUBACK), and a general codec cost the npm package half its wasm (docs/size.md).
//! `tests/codec_reference/` checks both directions against mqtt-protocol-core.

mod decode;
mod encode;
pub mod properties;

pub(crate) use decode::read;
pub use decode::{first_byte, parse, LONG_VARINT};
pub use encode::subscribe_with;
pub use encode::{ack, auth, connect, disconnect, pingreq, publish, publish_properties, subscribe, unsubscribe};

use super::auth;
use super::options::{ConnAck, Message, QoS};
use super::said::Said;

/// What a client can receive. Reason and return codes are raw bytes (0 when the packet has none).
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// `code` is the MQTT 3.1.1 return code or the MQTT 5 reason code: 0 (or below 0x80) accepts.
    ConnAck {
        code: u8,
        ack: ConnAck,
        /// MQTT 5 Server Reference: where to go instead (with 0x9C or 0x9D).
        server_reference: Option<String>,
        /// MQTT 5 Authentication Method and Data (§4.12), with the `auth` feature.
        authentication: auth::Received,
    },
    /// An MQTT 5 PUBLISH with a Topic Alias may have an empty topic: the session resolves it.
    Publish {
        packet_id: Option<u16>,
        message: Message,
        alias: Option<u16>,
    },
    /// `said`: the Reason String and User Properties, with the `reason-strings` feature.
    PubAck {
        packet_id: u16,
        code: u8,
        said: Said,
    },
    PubRec {
        packet_id: u16,
        code: u8,
        said: Said,
    },
    PubRel {
        packet_id: u16,
    },
    PubComp {
        packet_id: u16,
        code: u8,
        said: Said,
    },
    SubAck {
        packet_id: u16,
        codes: Vec<u8>,
        said: Said,
    },
    /// MQTT 3.1.1 UNSUBACKs carry no codes.
    UnsubAck {
        packet_id: u16,
        codes: Vec<u8>,
        said: Said,
    },
    PingResp,
    /// MQTT 5 only.
    Disconnect {
        code: u8,
        /// The broker's Reason String and User Properties (with the `reason-strings` feature).
        said: Said,
        /// MQTT 5 Server Reference: where to go instead (with 0x9C or 0x9D).
        server_reference: Option<String>,
    },
    /// MQTT 5 only: a step of enhanced authentication (§4.12, `session::auth`).
    Auth {
        code: u8,
        authentication: auth::Received,
    },
}

/// The acknowledgements a client sends in the QoS 1 and 2 flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    PubAck,
    PubRec,
    PubRel,
    PubComp,
}

pub fn qos_from_u8(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}
