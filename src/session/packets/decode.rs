//! Reads the packets a client receives (MQTT 3.1.1 §3, MQTT 5.0 §3). Anything malformed is a
//! protocol error naming what was wrong; nothing here panics or allocates more than the packet.

use super::properties::{self as props, Property};
use super::{qos_from_u8, Inbound};
use crate::session::options::{ConnAck, Message, ProtocolVersion};
use crate::session::said::{self, Said};
use crate::session::SessionError;
use crate::session::{auth, framing};

type Read<T> = Result<T, &'static str>;

/// A cursor over a packet's bytes.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(super) fn bytes(&mut self, n: usize) -> Read<&'a [u8]> {
        let (head, rest) = self.buf.split_at_checked(n).ok_or("a packet shorter than its fields")?;
        self.buf = rest;
        Ok(head)
    }

    /// `N` bytes, as an array.
    fn array<const N: usize>(&mut self) -> Read<[u8; N]> {
        self.bytes(N)?.try_into().map_err(|_| "a packet shorter than its fields")
    }

    pub(super) fn u8(&mut self) -> Read<u8> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(super) fn u16(&mut self) -> Read<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Read<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A variable byte integer: at most four 7-bit groups (MQTT 5.0 §1.5.5).
    pub(super) fn varint(&mut self) -> Read<u32> {
        let mut value = 0u32;
        for i in 0..4 {
            let b = self.u8()?;
            value |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(LONG_VARINT)
    }

    /// Binary data: a two-byte length, then the bytes.
    pub(super) fn binary(&mut self) -> Read<&'a [u8]> {
        let len = self.u16()?;
        self.bytes(len.into())
    }

    /// A UTF-8 string, which may not contain U+0000 (MQTT 5.0 §1.5.4, MQTT 3.1.1 §1.5.3).
    pub(super) fn string(&mut self) -> Read<&'a str> {
        let text = core::str::from_utf8(self.binary()?).map_err(|_| "a string that is not UTF-8")?;
        match text.contains('\0') {
            true => Err("a string with the NUL character"),
            false => Ok(text),
        }
    }

    fn packet_id(&mut self) -> Read<u16> {
        match self.u16()? {
            0 => Err("packet id 0"),
            id => Ok(id),
        }
    }

    fn end(&self) -> Read<()> {
        match self.buf.is_empty() {
            true => Ok(()),
            false => Err("bytes left over after the packet"),
        }
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
}

// The reason codes each packet may carry (MQTT 5.0 §3.2.2.2, §3.4.2.1, §3.5.2.1, §3.6.2.1,
// §3.7.2.1, §3.9.3, §3.11.3, §3.14.2.1, §3.15.2.1).
const CONNACK_CODES: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B,
    0x9C, 0x9D, 0x9F,
];
const PUBACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_CODES: &[u8] = &[0x00, 0x92];
const SUBACK_CODES: &[u8] = &[0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2];
const SUBACK_CODES_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
const UNSUBACK_CODES: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
const DISCONNECT_CODES: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
const AUTH_CODES: &[u8] = &[0x00, 0x18, 0x19];

/// MQTT 3.1.1 §3.4.1–§3.7.1, §3.11.1: these packets are their packet id alone.
const LONG_V3_ACK: &str = "an MQTT 3.1.1 acknowledgement longer than its packet id";

fn code_in(code: u8, allowed: &[u8]) -> Read<u8> {
    match allowed.contains(&code) {
        true => Ok(code),
        false => Err("a reason code this packet cannot carry"),
    }
}

/// Parses one whole packet (as `framing::next_frame` found it) of the connection's version.
pub fn parse(version: ProtocolVersion, packet: &[u8]) -> Result<Inbound, SessionError> {
    let v5 = version == ProtocolVersion::V5;
    let first = *packet.first().ok_or_else(|| SessionError::Protocol { detail: "an empty packet".into() })?;
    first_byte(first, v5)
        .and_then(|()| read(v5, packet))
        .map_err(|detail| SessionError::Protocol { detail: detail.into() })
}

/// Whether `first` can start a packet a client receives, so that the connection ends at the first
/// byte of anything else: its type (DISCONNECT and AUTH in MQTT 5 only), and the flags, which are
/// fixed for every type but PUBLISH (MQTT 3.1.1 §2.2.2, MQTT 5.0 §2.1.3), whose QoS is not 3.
pub fn first_byte(first: u8, v5: bool) -> Result<(), &'static str> {
    // By type: the fixed flags, ANY for PUBLISH, NONE for what a client never receives.
    const ANY: u8 = 0x10;
    const NONE: u8 = 0x20;
    const FLAGS: [u8; 16] = [NONE, NONE, 0, ANY, 0, 0, 2, 0, NONE, 0, NONE, 0, NONE, 0, 0, 0];
    let (kind, flags) = (first >> 4, first & 0x0F);
    match FLAGS[usize::from(kind)] {
        NONE => Err(NEVER_RECEIVED),
        _ if kind >= 14 && !v5 => Err(NEVER_RECEIVED),
        ANY if flags & 6 == 6 => Err("a PUBLISH with QoS 3"),
        ANY => Ok(()),
        fixed if fixed == flags => Ok(()),
        _ => Err("reserved fixed-header flags are set"),
    }
}

const NEVER_RECEIVED: &str = "a packet type a client never receives";

/// A variable byte integer (a remaining length, a property length) of more than four bytes.
pub const LONG_VARINT: &str = "a variable byte integer longer than four bytes";

/// A Server Reference property's value.
fn reference(p: &[Property]) -> Option<String> {
    props::string(p, props::SERVER_REFERENCE).map(str::to_owned)
}

/// What `parse` does for a packet whose first byte `framing::next_frame` has checked already
/// (`first_byte`), with what was wrong as the detail alone: the session's per-packet path.
pub(crate) fn read(v5: bool, packet: &[u8]) -> Read<Inbound> {
    let first = *packet.first().ok_or("an empty packet")?;
    let mut r = Reader::new(packet.get(framing::header_len(packet)..).unwrap_or(&[]));
    let (kind, flags) = (first >> 4, first & 0x0F);
    let inbound = match kind {
        2 => {
            let flags = r.u8()?;
            if flags > 1 {
                return Err("reserved CONNACK flags are set");
            }
            let mut code = r.u8()?;
            let (mut server_reference, mut authentication) = Default::default();
            let mut ack = ConnAck { session_present: flags == 1, ..ConnAck::default() };
            if v5 && code == 1 && r.is_empty() {
                // A server of MQTT 3.1.1 only (aedes) answers an MQTT 5 CONNECT with its own CONNACK:
                // no properties, return code 1 "unacceptable protocol version". That is MQTT 5's 0x84.
                code = 0x84;
            } else if v5 {
                code_in(code, CONNACK_CODES)?;
                let p = props::read(&mut r, props::IN_CONNACK)?;
                server_reference = props::connack(&p, &mut ack);
                authentication = auth::received(&p);
            } else if code > 5 {
                return Err("a CONNACK return code MQTT 3.1.1 does not define");
            }
            Inbound::ConnAck { code, ack, server_reference, authentication }
        }
        3 => {
            let qos = (flags >> 1) & 3;
            let topic = r.string()?;
            let packet_id = if qos > 0 { Some(r.packet_id()?) } else { None };
            let (mut properties, mut subscription_identifiers, mut alias) = Default::default();
            if v5 {
                if r.is_empty() {
                    return Err("an MQTT 5 PUBLISH without its property length");
                }
                let p: Vec<Property> = props::read(&mut r, props::IN_PUBLISH)?;
                // MQTT 5 §3.3.2.3.4: the session resolves the alias (`topic_alias`).
                alias = props::int(&p, props::TOPIC_ALIAS).map(|a| a as u16);
                (properties, subscription_identifiers) = props::message(&p);
            }
            // An empty topic stands for the topic its alias was set to.
            if topic.is_empty() && alias.is_none() {
                return Err("a PUBLISH without a topic name");
            }
            let message = Message {
                topic: topic.to_owned(),
                payload: r.rest().to_vec(),
                qos: qos_from_u8(qos),
                retain: flags & 1 != 0,
                dup: flags & 8 != 0,
                properties,
                subscription_identifiers,
            };
            Inbound::Publish { packet_id, message, alias }
        }
        4..=7 => {
            let packet_id = r.packet_id()?;
            let (mut code, mut said) = (0, Said::default());
            if !v5 && !r.is_empty() {
                return Err(LONG_V3_ACK);
            }
            if !r.is_empty() {
                code = code_in(r.u8()?, if kind < 6 { PUBACK_CODES } else { PUBREL_CODES })?;
                if !r.is_empty() {
                    said = said::read(&props::read(&mut r, props::IN_ACK)?);
                }
            }
            match kind {
                4 => Inbound::PubAck { packet_id, code, said },
                5 => Inbound::PubRec { packet_id, code, said },
                6 => Inbound::PubRel { packet_id },
                _ => Inbound::PubComp { packet_id, code, said },
            }
        }
        9 | 11 => {
            let packet_id = r.packet_id()?;
            let mut said = Said::default();
            if v5 {
                said = said::read(&props::read(&mut r, props::IN_ACK)?);
            } else if kind == 11 {
                if !r.is_empty() {
                    return Err(LONG_V3_ACK);
                }
                return Ok(Inbound::UnsubAck { packet_id, codes: Vec::new(), said });
            }
            let codes = r.rest();
            let allowed = match (kind, v5) {
                (9, true) => SUBACK_CODES,
                (9, false) => SUBACK_CODES_V3,
                _ => UNSUBACK_CODES,
            };
            if codes.is_empty() {
                return Err("an acknowledgement without its codes");
            }
            for &c in codes {
                code_in(c, allowed)?;
            }
            let codes = codes.to_vec();
            match kind {
                9 => Inbound::SubAck { packet_id, codes, said },
                _ => Inbound::UnsubAck { packet_id, codes, said },
            }
        }
        13 => Inbound::PingResp,
        14 | 15 if v5 => {
            let (mut code, mut server_reference, mut authentication, mut said) =
                (0, None, Default::default(), Default::default());
            if !r.is_empty() {
                code = code_in(r.u8()?, if kind == 14 { DISCONNECT_CODES } else { AUTH_CODES })?;
                // MQTT 5.0 §3.15.2.2.2: an AUTH that continues or restarts authentication names its
                // Authentication Method, so it has properties.
                if kind == 15 && code != 0 && r.is_empty() {
                    return Err("an AUTH without its property length");
                }
                if !r.is_empty() {
                    let p = props::read(&mut r, if kind == 14 { props::IN_DISCONNECT } else { props::IN_AUTH })?;
                    server_reference = reference(&p);
                    authentication = auth::received(&p);
                    said = said::read(&p);
                }
            }
            match kind {
                14 => Inbound::Disconnect { code, server_reference, said },
                _ => Inbound::Auth { code, authentication },
            }
        }
        _ => return Err(NEVER_RECEIVED),
    };
    r.end()?;
    Ok(inbound)
}
