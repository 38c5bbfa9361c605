//! Splits the inbound byte stream into whole MQTT packets; `packets::parse` reads each one.

/// The first thing in a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole packet of this many bytes.
    Packet(usize),
    /// Not all of the next packet has arrived.
    Incomplete,
    /// Not MQTT: the connection cannot go on.
    Malformed(&'static str),
}

/// Finds the first packet in `buf` (MQTT 3.1.1 §2.2: one type byte, then a remaining length of
/// at most four 7-bit groups).
pub fn next_frame(buf: &[u8]) -> Frame {
    let mut length: usize = 0;
    for i in 0..4 {
        let Some(&byte) = buf.get(1 + i) else { return Frame::Incomplete };
        length |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            let total = 1 + (i + 1) + length;
            return if buf.len() >= total { Frame::Packet(total) } else { Frame::Incomplete };
        }
    }
    Frame::Malformed("the remaining length is longer than four bytes")
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
        assert_eq!(next_frame(&[0xD0, 0x00, 0xC0]), Frame::Packet(2));
        assert_eq!(next_frame(&[0x30]), Frame::Incomplete);
        assert_eq!(next_frame(&[0x30, 0x05, 1, 2]), Frame::Incomplete);
        assert_eq!(next_frame(&[0x30, 0x80, 0x01]), Frame::Incomplete, "128 bytes announced");
        let mut big = vec![0x30, 0x80, 0x01];
        big.extend(vec![0; 128]);
        assert_eq!(next_frame(&big), Frame::Packet(131));
        assert!(matches!(next_frame(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), Frame::Malformed(_)));
    }
}
