//! How The Things Stack's JSON encodes protobuf types: `bytes` as base64 strings, and 64-bit
//! integers (like `frequency`) as decimal strings. A serde `serialize_with` and a reader each.

use serde::Serializer;
use serde_json::Value;

use super::payload::{base64_to_bytes, bytes_to_base64};
use crate::json::{expected, FromJson, ReadError};

/// `Option<Vec<u8>>` as an optional base64 string.
pub mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_str(&bytes_to_base64(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn read(value: Value) -> Result<Vec<u8>, ReadError> {
        base64_to_bytes(&String::from_json(value)?).map_err(|e| ReadError::new(e.to_string()))
    }
}

/// `Option<u64>` written as a decimal string, read from a string or a number.
pub mod u64_string {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn read(value: Value) -> Result<u64, ReadError> {
        match &value {
            Value::Number(_) => u64::from_json(value),
            Value::String(text) => text.parse().map_err(|_| expected("a whole number from 0 (in a string)", &value)),
            _ => Err(expected("a whole number or a string of one", &value)),
        }
    }
}

pub fn is_false(b: &bool) -> bool {
    !*b
}
