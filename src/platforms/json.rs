//! Small JSON helpers the platform codecs share: words for what a value is, for error messages
//! that tell the user what they gave instead of what was expected.

use serde_json::Value;

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
