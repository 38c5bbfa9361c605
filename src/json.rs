//! Small JSON helpers the platform codecs and the options readers share: parsing a message body,
//! reading typed values from it, and words for what a value is, for error messages that tell the
//! user what they gave instead of what was expected.
//!
//! Parsing goes through the browser's own `JSON.parse` on wasm, so the package carries no JSON
//! parser of its own (serde_json's is generic and was instantiated once per parsed type); natively
//! it is serde_json's. Both give a [`Value`]; typed bodies are read from that value. On wasm a
//! number is a JS number first: whole ones (`1.0`, `1e3` too) become integers, integers beyond 2^53
//! arrive rounded, a duplicate key keeps its last value, and a lone surrogate becomes U+FFFD.

#[cfg(target_arch = "wasm32")]
mod browser;
mod read;
mod value;
mod write;

pub use read::{expected, from_slice, Fields, FromJson, ReadError};
#[doc(hidden)]
pub use serde_json as __serde_json;
pub use value::{Index, Map, Number, Value};
pub use write::{quoted, text, to_value, ToJson, Writer};

/// How many arrays and objects may nest inside each other (serde_json's own limit): deeper input
/// is an error, never a stack overflow.
pub const MAX_DEPTH: usize = 127;

/// Parses a JSON document. The error text says what was wrong, e.g. for an `InvalidEvent`.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    #[cfg(target_arch = "wasm32")]
    return browser::parse(bytes);
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::from_slice::<serde_json::Value>(bytes).map(Value::from).map_err(|e| e.to_string());
}

/// "an object", "a string", ... for "expected X, got {describe(v)}".
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whole numbers as integers, as serde_json reads `7` (and reads what `JSON.stringify` writes for
/// 2^60); others as floats. A JS number is exact only to 2^53, so larger integers from the network
/// arrive rounded, where serde_json would keep every digit. Out of range (`1e400`) is an error.
pub fn number(f: f64) -> Result<Value, ReadError> {
    const U64_END: f64 = 18_446_744_073_709_551_616.0; // 2^64
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0; // -2^63
    if f.fract() == 0.0 && (0.0..U64_END).contains(&f) {
        return Ok(Value::from(f as u64));
    }
    if f.fract() == 0.0 && (I64_MIN..0.0).contains(&f) {
        return Ok(Value::from(f as i64));
    }
    // No `{f}`: formatting a float would bring core's float printing into the package.
    let name = if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| ReadError::new(format!("expected a finite number, got {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn parses_documents_and_refuses_what_is_not_json() {
        assert_eq!(parse(br#"{"a":[1,-2,1.5,"x",true,null]}"#).unwrap(), json!({"a": [1, -2, 1.5, "x", true, null]}));
        assert!(parse(b"{\"a\":").is_err());
        assert!(parse(b"\xff").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"[1e400]").is_err());
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert!(parse(deep(MAX_DEPTH + 1).as_bytes()).is_err());
        assert!(parse(deep(100_000).as_bytes()).is_err());
    }

    #[test]
    fn typed_bodies_are_read_from_the_value() {
        assert_eq!(from_slice::<Vec<u32>>(b"[7]"), Ok(vec![7]));
        assert_eq!(
            from_slice::<Vec<u32>>(br#"["7"]"#).unwrap_err(),
            "[0]: expected a whole number from 0 to 4294967295, got a string"
        );
        assert!(from_slice::<Vec<u32>>(b"[").is_err());
    }
}
