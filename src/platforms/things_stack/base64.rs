//! Base64 as protobuf's JSON mapping reads and writes `bytes`: written padded in the standard
//! alphabet; read padded or not, in the standard or the URL-safe alphabet (not both in one text),
//! refusing bits after the last byte. Own code rather than a crate: a few hundred bytes of wasm
//! instead of a general engine (tests/base64_reference.rs checks it against the `base64` crate).

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { STANDARD[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let all = text.as_bytes();
    let data = all.strip_suffix(b"==").or_else(|| all.strip_suffix(b"=")).unwrap_or(all);
    // Padding may be short ("Zg=" for "Zg=="), never more than the last group lacks.
    if all.len() - data.len() > (4 - data.len() % 4) % 4 {
        return Err("invalid padding".into());
    }
    if data.len() % 4 == 1 {
        return Err(format!("invalid length {}", data.len()));
    }
    let (mut standard, mut url_safe) = (false, false);
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    for (index, group) in data.chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, &c) in group.iter().enumerate() {
            let sextet = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' | b'/' if !url_safe => {
                    standard = true;
                    if c == b'+' {
                        62
                    } else {
                        63
                    }
                }
                b'-' | b'_' if !standard => {
                    url_safe = true;
                    if c == b'-' {
                        62
                    } else {
                        63
                    }
                }
                _ => return Err(format!("invalid symbol '{}' at offset {}", char::from(c), index * 4 + i)),
            };
            n |= u32::from(sextet) << (18 - 6 * i);
        }
        let bytes = group.len() - 1;
        if n & (0xFF_FFFF >> (8 * bytes)) != 0 {
            return Err("bits after the last byte".into());
        }
        out.extend_from_slice(&n.to_be_bytes()[1..=bytes]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length_of_a_group() {
        for (bytes, text) in [(&b""[..], ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"foob", "Zm9vYg==")]
        {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).unwrap(), bytes);
            assert_eq!(decode(text.trim_end_matches('=')).unwrap(), bytes, "unpadded {text}");
        }
    }

    #[test]
    fn refuses_what_is_not_base64() {
        for bad in ["Z", "Zm9v=", "Zg===", "Zh==", "Z+-_", "Zg==Zg==", "Zm9v=", "**", "Zg\n=="] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert_eq!(decode("-_8").unwrap(), decode("+/8").unwrap());
        assert_eq!(decode("Zg=").unwrap(), b"f", "short padding is read");
    }
}
