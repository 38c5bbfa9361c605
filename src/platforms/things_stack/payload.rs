//! Payload conversions between the forms LoRaWAN tools use: bytes, hex (as the Console shows it),
//! base64 (as the MQTT API carries it) and UTF-8 text.

use super::base64;
use super::error::PayloadError;

/// Hex to bytes. Accepts either case, spaces, colons and `0x` prefixes: `BE EF`, `be:ef`, `0xBEEF`, `0xBE 0xEF`.
pub fn hex_to_bytes(hex: &str) -> Result<Vec<u8>, PayloadError> {
    let bad = |reason: String| PayloadError::InvalidHex { input: hex.to_owned(), reason };
    let mut digits = Vec::with_capacity(hex.len());
    let mut chars = hex.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() || c == ':' => {}
            '0' if matches!(chars.peek(), Some('x' | 'X')) => {
                chars.next();
            }
            c => match c.to_digit(16) {
                Some(d) => digits.push(d as u8),
                None => return Err(bad(format!("'{c}' is not a hex digit"))),
            },
        }
    }
    if digits.len() % 2 != 0 {
        return Err(bad(format!("{} hex digits: a byte needs two", digits.len())));
    }
    Ok(digits.chunks_exact(2).map(|pair| pair.iter().fold(0, |byte, d| byte << 4 | d)).collect())
}

/// Bytes to upper-case hex without separators, as the Console shows payloads.
pub fn bytes_to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0F)] as char);
    }
    out
}

/// Base64 to bytes, padded or not, in the standard or the URL-safe alphabet, as protobuf's JSON
/// mapping of `bytes` reads it; surrounding whitespace is ignored.
pub fn base64_to_bytes(text: &str) -> Result<Vec<u8>, PayloadError> {
    base64::decode(text.trim()).map_err(PayloadError::InvalidBase64)
}

/// Bytes to padded standard base64, the form `frm_payload` takes on the wire.
pub fn bytes_to_base64(bytes: &[u8]) -> String {
    base64::encode(bytes)
}

pub fn hex_to_base64(hex: &str) -> Result<String, PayloadError> {
    hex_to_bytes(hex).map(|b| bytes_to_base64(&b))
}

pub fn base64_to_hex(text: &str) -> Result<String, PayloadError> {
    base64_to_bytes(text).map(|b| bytes_to_hex(&b))
}

pub fn text_to_bytes(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

pub fn bytes_to_text(bytes: &[u8]) -> Result<String, PayloadError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| PayloadError::InvalidUtf8(e.to_string()))
}

pub fn text_to_base64(text: &str) -> String {
    bytes_to_base64(text.as_bytes())
}

pub fn base64_to_text(text: &str) -> Result<String, PayloadError> {
    bytes_to_text(&base64_to_bytes(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/platforms/things-stack.md#downlinks: "the hexadecimal payload BE EF" is pushed as "frm_payload": "vu8=".
    #[test]
    fn the_seed_payload_be_ef_is_vu8() {
        assert_eq!(hex_to_base64("BE EF").unwrap(), "vu8=");
        assert_eq!(base64_to_hex("vu8=").unwrap(), "BEEF");
    }

    #[test]
    fn hex_accepts_spaces_colons_0x_and_either_case() {
        for input in ["BEEF", "be ef", "be:EF", "0xBEEF", "0xbe 0xef", " 0XBE:0xEf\n"] {
            assert_eq!(hex_to_bytes(input).unwrap(), vec![0xBE, 0xEF], "{input}");
        }
        assert_eq!(hex_to_bytes("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn bad_hex_says_why() {
        let e = hex_to_bytes("BEE").unwrap_err();
        assert_eq!(e.code(), "TTS_INVALID_HEX");
        assert!(e.to_string().contains("3 hex digits"), "{e}");
        assert!(hex_to_bytes("GG").unwrap_err().to_string().contains("'G'"));
        assert!(hex_to_bytes("0x").is_ok(), "a bare prefix is zero bytes");
    }

    #[test]
    fn base64_decoding_accepts_missing_padding_and_the_url_safe_alphabet() {
        assert_eq!(base64_to_bytes("vu8").unwrap(), vec![0xBE, 0xEF]);
        assert_eq!(base64_to_bytes("-_8=").unwrap(), vec![0xFB, 0xFF]);
        assert_eq!(base64_to_bytes("+/8=").unwrap(), vec![0xFB, 0xFF]);
        assert_eq!(base64_to_bytes("***").unwrap_err().code(), "TTS_INVALID_BASE64");
    }

    // The docs' example uplink (docs/platforms/things-stack.md#uplink): "frm_payload": "VGVtcGVyYXR1cmUgPSAwLjA=".
    #[test]
    fn the_seed_uplink_payload_is_text() {
        assert_eq!(base64_to_text("VGVtcGVyYXR1cmUgPSAwLjA=").unwrap(), "Temperature = 0.0");
        assert_eq!(text_to_base64("Temperature = 0.0"), "VGVtcGVyYXR1cmUgPSAwLjA=");
        assert_eq!(bytes_to_text(&[0xFF]).unwrap_err().code(), "TTS_INVALID_UTF8");
    }
}
