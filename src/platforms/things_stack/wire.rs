//! Serde adapters for how The Things Stack's JSON encodes protobuf types: `bytes` as base64
//! strings, and 64-bit integers (like `frequency`) as decimal strings.

use serde::{Deserialize, Deserializer, Serializer};

use super::payload::{base64_to_bytes, bytes_to_base64};

/// `Option<Vec<u8>>` as an optional base64 string.
pub mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_str(&bytes_to_base64(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => base64_to_bytes(&text).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// `Option<u64>` written as a decimal string, read from a string or a number.
pub mod u64_string {
    use super::*;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        Number(u64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<StringOrNumber>::deserialize(d)? {
            None => Ok(None),
            Some(StringOrNumber::Number(n)) => Ok(Some(n)),
            Some(StringOrNumber::Text(t)) => t.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

pub fn is_false(b: &bool) -> bool {
    !*b
}
