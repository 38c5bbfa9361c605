//! Splits the inbound byte stream into whole MQTT packets; `packets::parse` reads each one.

use super::packets;

/// The first thing in a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole packet of this many bytes.
    Packet(usize),
    /// Not all of the next packet has arrived.
    Incomplete,
    /// Not MQTT: the connection cannot go on.
    Malformed(&'static str),
    /// A packet of this many bytes (its fixed header included), more than the client takes: the
    /// connection ends before the rest is buffered.
    TooLarge(usize),
}

/// Finds the first packet in `buf` (MQTT 3.1.1 §2.2: one type byte, then a remaining length of
/// at most four 7-bit groups) of a connection of MQTT 5 (`v5`) or 3.1.1 that takes packets of at
/// most `max` bytes. A first byte that starts no packet a client receives is refused at once.
pub fn next_frame(buf: &[u8], v5: bool, max: u32) -> Frame {
    let Some(&first) = buf.first() else { return Frame::Incomplete };
    if let Err(why) = packets::first_byte(first, v5) {
        return Frame::Malformed(why);
    }
    let mut length: usize = 0;
    for i in 0..4 {
        let Some(&byte) = buf.get(1 + i) else { return Frame::Incomplete };
        length |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            let total = 1 + (i + 1) + length;
            return match total {
                _ if total > max as usize => Frame::TooLarge(total),
                _ if buf.len() >= total => Frame::Packet(total),
                _ => Frame::Incomplete,
            };
        }
    }
    Frame::Malformed(packets::LONG_VARINT)
}

/// The length of a whole packet's fixed header: its type byte and remaining-length bytes.
pub fn header_len(packet: &[u8]) -> usize {
    1 + packet.iter().skip(1).take(4).position(|b| b & 0x80 == 0).map_or(4, |p| p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_found_whole_or_reported_incomplete() {
        let next = |buf: &[u8]| next_frame(buf, false, u32::MAX);
        assert_eq!(next(&[0xD0, 0x00, 0xC0]), Frame::Packet(2));
        assert_eq!(next(&[]), Frame::Incomplete);
        assert_eq!(next(&[0x30]), Frame::Incomplete);
        assert_eq!(next(&[0x30, 0x05, 1, 2]), Frame::Incomplete);
        assert_eq!(next(&[0x30, 0x80, 0x01]), Frame::Incomplete, "128 bytes announced");
        let mut big = vec![0x30, 0x80, 0x01];
        big.extend(vec![0; 128]);
        assert_eq!(next(&big), Frame::Packet(131));
        assert_eq!(next(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), Frame::Malformed(packets::LONG_VARINT));
    }

    #[test]
    fn a_packet_over_the_cap_is_refused_from_its_header_alone() {
        // 256 MiB announced, nothing of it sent.
        assert_eq!(next_frame(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F], true, 1 << 24), Frame::TooLarge(268_435_460));
        assert_eq!(next_frame(&[0x30, 0x80, 0x01], false, 130), Frame::TooLarge(131));
        assert_eq!(next_frame(&[0x30, 0x80, 0x01], false, 131), Frame::Incomplete);
        assert_eq!(next_frame(&[0xD0, 0x00], false, 2), Frame::Packet(2));
        assert_eq!(next_frame(&[0xD0, 0x00], false, 1), Frame::TooLarge(2));
    }

    #[test]
    fn a_first_byte_that_starts_no_packet_a_client_receives_is_refused_alone() {
        let never = Frame::Malformed("a packet type a client never receives");
        let flags = Frame::Malformed("reserved fixed-header flags are set");
        // CONNECT, SUBSCRIBE, PINGREQ, a reserved type, and DISCONNECT and AUTH in 3.1.1.
        for first in [0x10, 0x82, 0xC0, 0x00, 0xE0, 0xF0] {
            assert_eq!(next_frame(&[first], false, u32::MAX), never, "{first:#04x}");
        }
        assert_eq!(next_frame(&[0x00], true, u32::MAX), never);
        // An HTTP answer ("HTTP/1.1 ...": a PUBACK with flags 8) among them.
        for first in [b'H', 0x21, 0x41, 0x60, 0x92, 0xD2, 0xE1, 0xF8] {
            assert_eq!(next_frame(&[first], true, u32::MAX), flags, "{first:#04x}");
        }
        assert_eq!(next_frame(&[0x36], true, u32::MAX), Frame::Malformed("a PUBLISH with QoS 3"));
        for first in [0x20, 0x30, 0x3B, 0x40, 0x50, 0x62, 0x70, 0x90, 0xB0, 0xD0, 0xE0, 0xF0] {
            assert_eq!(next_frame(&[first], true, u32::MAX), Frame::Incomplete, "{first:#04x}");
        }
    }
}
