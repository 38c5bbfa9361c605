//! How The Things Stack's JSON encodes protobuf types: `bytes` as base64 strings, and 64-bit
//! integers (like `frequency`) as decimal strings. A writer and a reader each.

use crate::json::Value;

use super::payload::{base64_to_bytes, bytes_to_base64};
use crate::json::{expected, FromJson, ReadError};

/// `Option<Vec<u8>>` as an optional base64 string.
pub mod base64_bytes {
    use super::*;

    pub fn text(value: &Option<Vec<u8>>) -> Option<String> {
        value.as_deref().map(bytes_to_base64)
    }

    pub fn read(value: Value) -> Result<Vec<u8>, ReadError> {
        base64_to_bytes(&String::from_json(value)?).map_err(|e| ReadError::new(e.to_string()))
    }
}

/// `Option<u64>` written as a decimal string, read from a string or a number.
pub mod u64_string {
    use super::*;

    pub fn text(value: &Option<u64>) -> Option<String> {
        value.map(|n| itoa::Buffer::new().format(n).to_owned())
    }

    pub fn read(value: Value) -> Result<u64, ReadError> {
        match &value {
            Value::Number(_) => u64::from_json(value),
            Value::String(text) => text.parse().map_err(|_| expected("a whole number from 0 (in a string)", &value)),
            _ => Err(expected("a whole number or a string of one", &value)),
        }
    }
}
