//! Payload forms typed by the user (text, JSON, hex, base64), their previews in the other forms,
//! typed values for key-value forms, and numeric fields picked from JSON by a path.

use crate::json::Value;

use crate::platforms::things_stack::payload::{base64_to_bytes, bytes_to_base64, bytes_to_hex, hex_to_bytes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadFormat {
    #[default]
    Text,
    Json,
    Hex,
    Base64,
}

impl PayloadFormat {
    pub const ALL: [PayloadFormat; 4] = [Self::Text, Self::Json, Self::Hex, Self::Base64];

    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "JSON",
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }

    pub fn from_name(name: &str) -> Self {
        Self::ALL.into_iter().find(|f| f.name() == name).unwrap_or_default()
    }
}

/// The bytes a payload typed in `format` stands for, or why it cannot be read.
pub fn encode(format: PayloadFormat, input: &str) -> Result<Vec<u8>, String> {
    match format {
        PayloadFormat::Text => Ok(input.as_bytes().to_vec()),
        // Checked, then sent exactly as typed: key order, `2.50` and the spacing are the user's
        // (MQTTX does the same).
        PayloadFormat::Json => serde_json::from_str::<Value>(input)
            .map(|_| input.as_bytes().to_vec())
            .map_err(|e| format!("not valid JSON: {e}")),
        PayloadFormat::Hex => hex_to_bytes(input).map_err(|e| e.to_string()),
        PayloadFormat::Base64 => base64_to_bytes(input.trim()).map_err(|e| e.to_string()),
    }
}

/// The same bytes as hex, base64 and (when it is UTF-8) text.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub hex: String,
    pub base64: String,
    pub text: Option<String>,
}

pub fn preview(bytes: &[u8]) -> Preview {
    Preview {
        hex: bytes_to_hex(bytes),
        base64: bytes_to_base64(bytes),
        text: std::str::from_utf8(bytes).ok().map(visible_text),
    }
}

/// Text with control characters shown as the Unicode control pictures (U+0001 as ␁, DEL as ␡,
/// others as U+FFFD), so nothing invisible hides in a preview and no programming-language escape
/// shows up in it.
pub fn visible_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// A value typed in a key-value form: a number, `true`/`false`, `null`, a JSON object or array,
/// or else the text itself.
pub fn typed_value(text: &str) -> Value {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() {
            return Value::from(f);
        }
    }
    match t {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') {
        if let Ok(v) = serde_json::from_str(t) {
            return v;
        }
    }
    Value::String(text.to_owned())
}

/// The number at `path` (`a.b[0].c` or `a.b.0.c`) in `value`; numeric strings count too.
pub fn number_at(value: &Value, path: &str) -> Option<f64> {
    let mut current = value;
    for part in path.split(['.', '[', ']']).filter(|p| !p.is_empty()) {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match current {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Every top-level numeric field of a JSON object, for charts of telemetry.
pub fn numeric_fields(value: &Value) -> Vec<(String, f64)> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Number(n) => n.as_f64().map(|f| (k.clone(), f)),
                Value::Bool(b) => Some((k.clone(), f64::from(u8::from(*b)))),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// JSON for people: indented, and anything else shown as it is.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The local time of an epoch-ms instant, `HH:MM:SS.mmm`.
pub fn clock(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!("{:02}:{:02}:{:02}.{:03}", d.get_hours(), d.get_minutes(), d.get_seconds(), d.get_milliseconds())
}
