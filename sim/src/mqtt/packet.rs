// The MQTT 3.1, 3.1.1 and 5.0 packets a server reads and writes, decoded from and encoded to bytes.
// Written for the server side only, so that every malformed input becomes an error value, never a panic.

use thiserror::Error;

/// The protocol level byte of CONNECT: 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolLevel {
    V3_1,
    V3_1_1,
    V5,
}

impl ProtocolLevel {
    pub fn is_v5(self) -> bool {
        self == ProtocolLevel::V5
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub level: ProtocolLevel,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Vec<u8>>,
    pub keep_alive_s: u16,
    pub clean_start: bool,
    pub will: Option<Will>,
}

impl Connect {
    pub fn username_str(&self) -> &str {
        self.username.as_deref().unwrap_or("")
    }

    pub fn password_str(&self) -> String {
        self.password.as_deref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    pub packet_id: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Connect(Connect),
    Publish(Publish),
    Puback(u16),
    Pubrec(u16),
    Pubrel(u16),
    Pubcomp(u16),
    Subscribe { packet_id: u16, filters: Vec<(String, u8)> },
    Unsubscribe { packet_id: u16, filters: Vec<String> },
    Pingreq,
    Disconnect,
    Auth,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
    #[error("packet of {size} bytes exceeds the maximum of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("unsupported protocol level {0}")]
    UnsupportedLevel(u8),
    #[error("packet type {0} is not one a client sends")]
    UnexpectedType(u8),
}

/// Accumulates bytes from the transport and cuts them into packets; one WebSocket message or TCP
/// read may hold several packets or only part of one.
#[derive(Debug)]
pub struct PacketFramer {
    buf: Vec<u8>,
    max_remaining: usize,
}

impl PacketFramer {
    pub fn new(max_remaining: usize) -> Self {
        Self { buf: Vec::new(), max_remaining }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete packet, `Ok(None)` when more bytes are needed. `level` is the session's
    /// protocol level once CONNECT is known; before that only CONNECT decodes.
    pub fn next_packet(&mut self, level: Option<ProtocolLevel>) -> Result<Option<Packet>, DecodeError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        // The first packet must be CONNECT: refuse anything else from its first byte, rather
        // than waiting for the rest of a packet that was never MQTT.
        if level.is_none() && self.buf[0] != 0x10 {
            return Err(DecodeError::Malformed("the first packet must be CONNECT"));
        }
        let Some((remaining, header_len)) = read_remaining_length(&self.buf[1..])? else {
            return Ok(None);
        };
        // Checked as soon as the fixed header is known, so an oversized packet is refused before
        // it is buffered (Netty's MqttDecoder does the same with maxBytesInMessage).
        if remaining > self.max_remaining {
            return Err(DecodeError::TooLarge { size: remaining, max: self.max_remaining });
        }
        let total = 1 + header_len + remaining;
        if self.buf.len() < total {
            return Ok(None);
        }
        let first = self.buf[0];
        let body: Vec<u8> = self.buf[1 + header_len..total].to_vec();
        self.buf.drain(..total);
        decode_packet(first, &body, level).map(Some)
    }
}

/// Remaining length and the number of bytes it took; `None` when incomplete.
fn read_remaining_length(bytes: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value: usize = 0;
    for i in 0..4 {
        let Some(&b) = bytes.get(i) else {
            return Ok(None);
        };
        value |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Err(DecodeError::Malformed("remaining length longer than 4 bytes"))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.pos).ok_or(DecodeError::Malformed("truncated"))?;
        self.pos += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(((self.u8()? as u16) << 8) | self.u8()? as u16)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Malformed("truncated"));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn binary(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.u16()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.u16()? as usize;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::Malformed("string is not UTF-8"))
    }
    fn varint(&mut self) -> Result<usize, DecodeError> {
        match read_remaining_length(&self.bytes[self.pos..])? {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(DecodeError::Malformed("truncated variable byte integer")),
        }
    }
    /// MQTT 5 properties: the simulator needs none of them, so they are skipped as a block.
    fn skip_properties(&mut self) -> Result<(), DecodeError> {
        let n = self.varint()?;
        self.take(n)?;
        Ok(())
    }
    fn rest(&mut self) -> Vec<u8> {
        let s = self.bytes[self.pos..].to_vec();
        self.pos = self.bytes.len();
        s
    }
}

fn decode_packet(first: u8, body: &[u8], level: Option<ProtocolLevel>) -> Result<Packet, DecodeError> {
    let kind = first >> 4;
    let flags = first & 0x0f;
    let mut r = Reader::new(body);
    let Some(level) = level else {
        if kind != 1 {
            return Err(DecodeError::Malformed("the first packet must be CONNECT"));
        }
        return decode_connect(&mut r).map(Packet::Connect);
    };
    let v5 = level.is_v5();
    match kind {
        1 => Err(DecodeError::Malformed("a second CONNECT")),
        3 => {
            let qos = (flags >> 1) & 0x03;
            if qos == 3 {
                return Err(DecodeError::Malformed("PUBLISH with QoS 3"));
            }
            let topic = r.string()?;
            let packet_id = if qos > 0 { Some(r.u16()?) } else { None };
            if v5 {
                r.skip_properties()?;
            }
            if topic.is_empty() {
                return Err(DecodeError::Malformed("PUBLISH without a topic name"));
            }
            if topic.contains(['+', '#']) {
                return Err(DecodeError::Malformed("PUBLISH topic with a wildcard"));
            }
            Ok(Packet::Publish(Publish { topic, payload: r.rest(), qos, retain: flags & 0x01 != 0, packet_id }))
        }
        4..=7 => {
            let id = r.u16()?;
            Ok(match kind {
                4 => Packet::Puback(id),
                5 => Packet::Pubrec(id),
                6 => Packet::Pubrel(id),
                _ => Packet::Pubcomp(id),
            })
        }
        8 => {
            if flags != 0x02 {
                return Err(DecodeError::Malformed("SUBSCRIBE flags must be 0010"));
            }
            let packet_id = r.u16()?;
            if v5 {
                r.skip_properties()?;
            }
            let mut filters = Vec::new();
            while r.remaining() > 0 {
                let filter = r.string()?;
                let options = r.u8()?;
                filters.push((filter, options & 0x03));
            }
            if filters.is_empty() {
                return Err(DecodeError::Malformed("SUBSCRIBE without filters"));
            }
            Ok(Packet::Subscribe { packet_id, filters })
        }
        10 => {
            if flags != 0x02 {
                return Err(DecodeError::Malformed("UNSUBSCRIBE flags must be 0010"));
            }
            let packet_id = r.u16()?;
            if v5 {
                r.skip_properties()?;
            }
            let mut filters = Vec::new();
            while r.remaining() > 0 {
                filters.push(r.string()?);
            }
            if filters.is_empty() {
                return Err(DecodeError::Malformed("UNSUBSCRIBE without filters"));
            }
            Ok(Packet::Unsubscribe { packet_id, filters })
        }
        12 => Ok(Packet::Pingreq),
        14 => Ok(Packet::Disconnect),
        15 if v5 => Ok(Packet::Auth),
        other => Err(DecodeError::UnexpectedType(other)),
    }
}

fn decode_connect(r: &mut Reader<'_>) -> Result<Connect, DecodeError> {
    let name = r.string()?;
    let level_byte = r.u8()?;
    let level = match (name.as_str(), level_byte) {
        ("MQIsdp", 3) => ProtocolLevel::V3_1,
        ("MQTT", 4) => ProtocolLevel::V3_1_1,
        ("MQTT", 5) => ProtocolLevel::V5,
        ("MQTT", other) | ("MQIsdp", other) => return Err(DecodeError::UnsupportedLevel(other)),
        _ => return Err(DecodeError::Malformed("unknown protocol name")),
    };
    let flags = r.u8()?;
    if flags & 0x01 != 0 {
        return Err(DecodeError::Malformed("CONNECT reserved flag set"));
    }
    let keep_alive_s = r.u16()?;
    if level.is_v5() {
        r.skip_properties()?;
    }
    let client_id = r.string()?;
    let will = if flags & 0x04 != 0 {
        if level.is_v5() {
            r.skip_properties()?;
        }
        let topic = r.string()?;
        let payload = r.binary()?;
        Some(Will { topic, payload, qos: (flags >> 3) & 0x03, retain: flags & 0x20 != 0 })
    } else {
        None
    };
    let username = if flags & 0x80 != 0 { Some(r.string()?) } else { None };
    let password = if flags & 0x40 != 0 { Some(r.binary()?) } else { None };
    Ok(Connect { level, client_id, username, password, keep_alive_s, clean_start: flags & 0x02 != 0, will })
}

fn encode_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        out.push(b);
        if len == 0 {
            break;
        }
    }
}

fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(first);
    encode_remaining_length(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

fn put_string(body: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let len = bytes.len().min(u16::MAX as usize);
    body.extend_from_slice(&(len as u16).to_be_bytes());
    body.extend_from_slice(&bytes[..len]);
}

/// CONNACK; `code` is the 3.1.1 return code or the MQTT 5 reason code, as the level requires.
pub fn encode_connack(level: ProtocolLevel, session_present: bool, code: u8) -> Vec<u8> {
    let mut body = vec![u8::from(session_present && code == 0), code];
    if level.is_v5() {
        body.push(0);
    }
    frame(0x20, &body)
}

pub fn encode_publish(level: ProtocolLevel, topic: &str, payload: &[u8], qos: u8, packet_id: u16) -> Vec<u8> {
    let mut body = Vec::with_capacity(topic.len() + payload.len() + 8);
    put_string(&mut body, topic);
    if qos > 0 {
        body.extend_from_slice(&packet_id.to_be_bytes());
    }
    if level.is_v5() {
        body.push(0);
    }
    body.extend_from_slice(payload);
    frame(0x30 | (qos.min(2) << 1), &body)
}

/// PUBACK; MQTT 3.1.x has no reason code, so `reason` only reaches MQTT 5 clients.
pub fn encode_puback(level: ProtocolLevel, packet_id: u16, reason: u8) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if level.is_v5() && reason != 0 {
        body.push(reason);
        body.push(0);
    }
    frame(0x40, &body)
}

pub fn encode_suback(level: ProtocolLevel, packet_id: u16, codes: &[u8]) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if level.is_v5() {
        body.push(0);
    }
    body.extend_from_slice(codes);
    frame(0x90, &body)
}

pub fn encode_unsuback(level: ProtocolLevel, packet_id: u16, count: usize) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if level.is_v5() {
        body.push(0);
        body.extend(std::iter::repeat_n(0u8, count));
    }
    frame(0xb0, &body)
}

pub fn encode_pubrec(packet_id: u16) -> Vec<u8> {
    frame(0x50, &packet_id.to_be_bytes())
}

pub fn encode_pubcomp(packet_id: u16) -> Vec<u8> {
    frame(0x70, &packet_id.to_be_bytes())
}

pub fn encode_pingresp() -> Vec<u8> {
    vec![0xd0, 0x00]
}

/// A server-sent DISCONNECT exists only in MQTT 5; on 3.1.x the server just closes the socket.
pub fn encode_disconnect_v5(reason: u8) -> Vec<u8> {
    frame(0xe0, &[reason, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect_v311(client_id: &str, user: Option<&str>) -> Vec<u8> {
        let mut body = Vec::new();
        put_string(&mut body, "MQTT");
        body.push(4);
        body.push(0x02 | if user.is_some() { 0x80 } else { 0 });
        body.extend_from_slice(&60u16.to_be_bytes());
        put_string(&mut body, client_id);
        if let Some(u) = user {
            put_string(&mut body, u);
        }
        frame(0x10, &body)
    }

    #[test]
    fn connect_split_across_two_reads_decodes_once_complete() {
        let bytes = connect_v311("c1", Some("token"));
        let mut framer = PacketFramer::new(65536);
        framer.push(&bytes[..5]);
        assert_eq!(framer.next_packet(None), Ok(None));
        framer.push(&bytes[5..]);
        let Some(Packet::Connect(c)) = framer.next_packet(None).unwrap() else {
            panic!("expected CONNECT");
        };
        assert_eq!(c.level, ProtocolLevel::V3_1_1);
        assert_eq!(c.client_id, "c1");
        assert_eq!(c.username.as_deref(), Some("token"));
    }

    #[test]
    fn two_packets_in_one_read_decode_one_at_a_time() {
        let mut framer = PacketFramer::new(65536);
        framer.push(&[0xc0, 0x00, 0xc0, 0x00]);
        let level = Some(ProtocolLevel::V3_1_1);
        assert_eq!(framer.next_packet(level), Ok(Some(Packet::Pingreq)));
        assert_eq!(framer.next_packet(level), Ok(Some(Packet::Pingreq)));
        assert_eq!(framer.next_packet(level), Ok(None));
    }

    #[test]
    fn oversized_packet_is_refused_from_its_fixed_header() {
        // ThingsBoard: "Max payload 65536 bytes by default; a larger packet is a decode failure"
        // (docs/platforms/thingsboard.md#max-payload; thingsboard MqttTransportServerInitializer's MqttDecoder).
        let mut framer = PacketFramer::new(65536);
        let mut header = vec![0x30];
        encode_remaining_length(&mut header, 65537);
        framer.push(&header);
        assert!(matches!(framer.next_packet(Some(ProtocolLevel::V3_1_1)), Err(DecodeError::TooLarge { .. })));
    }

    #[test]
    fn garbage_before_connect_is_an_error_not_a_panic() {
        let mut framer = PacketFramer::new(65536);
        framer.push(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x00]);
        assert!(framer.next_packet(None).is_err());
        let mut framer = PacketFramer::new(65536);
        framer.push(&[0x10, 0x03, 0x00, 0x09, b'M']);
        assert!(framer.next_packet(None).is_err());
    }

    #[test]
    fn publish_round_trips_through_encode_and_decode() {
        for level in [ProtocolLevel::V3_1_1, ProtocolLevel::V5] {
            let bytes = encode_publish(level, "a/b", b"xyz", 1, 7);
            let mut framer = PacketFramer::new(65536);
            framer.push(&bytes);
            let Some(Packet::Publish(p)) = framer.next_packet(Some(level)).unwrap() else {
                panic!("expected PUBLISH");
            };
            assert_eq!((p.topic.as_str(), p.payload.as_slice(), p.qos, p.packet_id), ("a/b", &b"xyz"[..], 1, Some(7)));
        }
    }

    #[test]
    fn subscribe_with_qos_options_decodes_every_filter() {
        let mut body = 5u16.to_be_bytes().to_vec();
        put_string(&mut body, "x/+");
        body.push(1);
        put_string(&mut body, "y/#");
        body.push(2);
        let mut framer = PacketFramer::new(65536);
        framer.push(&frame(0x82, &body));
        assert_eq!(
            framer.next_packet(Some(ProtocolLevel::V3_1_1)),
            Ok(Some(Packet::Subscribe { packet_id: 5, filters: vec![("x/+".into(), 1), ("y/#".into(), 2)] }))
        );
    }
}
