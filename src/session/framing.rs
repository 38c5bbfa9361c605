//! Splits the inbound byte stream into whole MQTT packets and vets each one before it is parsed:
//! a packet id 0 where one is required, or QoS 3, ends the connection with an error. (Fuzzing
//! found that mqtt-protocol-core's `Connection`, which the session once used, panicked on such a
//! PUBLISH; a wasm panic kills the whole client.)

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

/// Rejects what the packet parsers would let through: packet id 0 where one is required, and QoS 3.
pub fn check_packet(packet: &[u8]) -> Result<(), &'static str> {
    let Some(&first) = packet.first() else { return Err("an empty packet") };
    let body = packet.get(header_len(packet)..).unwrap_or(&[]);
    let id_at = |at: usize| body.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match first >> 4 {
        3 => {
            let qos = (first >> 1) & 3;
            if qos == 3 {
                return Err("a PUBLISH with QoS 3");
            }
            if qos > 0 {
                let topic_len = usize::from(id_at(0).ok_or("a truncated PUBLISH")?);
                if id_at(2 + topic_len).ok_or("a PUBLISH without its packet id")? == 0 {
                    return Err("a PUBLISH with packet id 0");
                }
            }
        }
        4 | 5 | 6 | 7 | 9 | 11 if id_at(0) == Some(0) => return Err("an acknowledgement for packet id 0"),
        _ => {}
    }
    Ok(())
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

    // Found by `cargo fuzz run session_feed`: the core unwraps a PUBACK build for packet id 0.
    #[test]
    fn packet_id_zero_and_qos_3_are_refused() {
        assert!(check_packet(&[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00]).is_err());
        assert!(check_packet(&[0x34, 0x05, 0x00, 0x01, b't', 0x00, 0x00]).is_err());
        assert!(check_packet(&[0x36, 0x03, 0x00, 0x01, b't']).is_err(), "QoS 3");
        assert!(check_packet(&[0x32, 0x03, 0x00, 0x01, b't']).is_err(), "no packet id");
        assert!(check_packet(&[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x07]).is_ok());
        assert!(check_packet(&[0x30, 0x03, 0x00, 0x01, b't']).is_ok(), "QoS 0 has no packet id");
        for kind in [0x40, 0x50, 0x62, 0x70, 0x90, 0xB0] {
            assert!(check_packet(&[kind, 0x02, 0x00, 0x00]).is_err(), "0x{kind:02X}");
            assert!(check_packet(&[kind, 0x02, 0x00, 0x09]).is_ok(), "0x{kind:02X}");
        }
    }
}
