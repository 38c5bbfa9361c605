//! Typed values written as JSON text by hand, the other half of [`super::read`].
//!
//! Why not serde's `Serialize`: its derive and serde_json's serializer were instantiated once per
//! type and writer, with `std::io` and formatting behind them: 4 to 8 KB of each platform entry's
//! gzipped wasm in the npm package (docs/size.md). A writer is one small function per type, and the
//! text is serde_json's: keys in the order written, strings escaped as serde_json escapes them,
//! integers exact, other numbers in their shortest round-trip form. serde stays where a Rust
//! caller's own types are written (`send_telemetry_of`) and for the dashboard's stored profiles;
//! nothing the npm package's cores write goes through it.

use crate::json::{Map, Number, Value};

/// A type written as JSON.
pub trait ToJson {
    fn write_json(&self, out: &mut Writer);

    /// Left out by [`Writer::present`]: `None`, `false`, an empty list or object.
    fn is_absent(&self) -> bool {
        false
    }

    /// The JSON text.
    fn to_json_text(&self) -> String {
        let mut out = Writer::default();
        self.write_json(&mut out);
        out.text
    }
}

/// JSON text being written: values, and objects and arrays opened and closed around them.
#[derive(Default)]
pub struct Writer {
    text: String,
    /// A value was written at this level, so the next one needs a comma first.
    comma: bool,
}

impl Writer {
    fn separate(&mut self) {
        if self.comma {
            self.text.push(',');
        }
        self.comma = true;
    }

    fn start(&mut self, bracket: char) -> &mut Self {
        self.separate();
        self.text.push(bracket);
        self.comma = false;
        self
    }

    fn end(&mut self, bracket: char) -> &mut Self {
        self.text.push(bracket);
        self.comma = true;
        self
    }

    /// `{`, for the fields that follow.
    pub fn open(&mut self) -> &mut Self {
        self.start('{')
    }

    /// `}`.
    pub fn close(&mut self) -> &mut Self {
        self.end('}')
    }

    /// `[`, for the values that follow.
    pub fn open_array(&mut self) -> &mut Self {
        self.start('[')
    }

    /// `]`.
    pub fn close_array(&mut self) -> &mut Self {
        self.end(']')
    }

    /// An array of `items`.
    pub fn array<'a, T: ToJson + 'a>(&mut self, items: impl IntoIterator<Item = &'a T>) -> &mut Self {
        self.open_array();
        for item in items {
            item.write_json(self);
        }
        self.close_array()
    }

    /// `"key":` in the open object; the value written next is its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.separate();
        escape(&mut self.text, key);
        self.text.push(':');
        self.comma = false;
        self
    }

    /// A field of the open object.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.key(key);
        value.write_json(self);
        self
    }

    /// A field, left out when [`ToJson::is_absent`].
    pub fn present<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        if !value.is_absent() {
            self.field(key, value);
        }
        self
    }

    /// Fields kept from a read object, written back after the known ones.
    pub fn extra(&mut self, fields: &Map<String, Value>) -> &mut Self {
        for (key, value) in fields {
            self.field(key, value);
        }
        self
    }

    /// The text of a JSON value written before (e.g. a document a caller gave), as it is.
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.separate();
        self.text.push_str(json);
        self
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// `"text"`, escaped as serde_json escapes it: quote, backslash and control characters only.
fn escape(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let short = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'\n' => 'n',
            b'\r' => 'r',
            b'\t' => 't',
            0x08 => 'b',
            0x0c => 'f',
            0x00..=0x1f => 'u',
            _ => continue,
        };
        // `get`, not `[..]`: every index is at an ASCII byte, and indexing a `str` brings the
        // panic path that formats a char boundary (4 KB of wasm).
        out.push_str(text.get(start..i).unwrap_or_default());
        out.push('\\');
        out.push(short);
        if short == 'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
        start = i + 1;
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

impl ToJson for str {
    fn write_json(&self, out: &mut Writer) {
        out.separate();
        escape(&mut out.text, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut Writer) {
        self.as_str().write_json(out)
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut Writer) {
        out.raw(if *self { "true" } else { "false" });
    }

    fn is_absent(&self) -> bool {
        !*self
    }
}

impl ToJson for Number {
    fn write_json(&self, out: &mut Writer) {
        match (self.as_u64(), self.as_i64()) {
            (Some(n), _) => out.raw(itoa::Buffer::new().format(n)),
            (None, Some(n)) => out.raw(itoa::Buffer::new().format(n)),
            // serde_json's own float form; a Number is never NaN or infinite.
            _ => out.raw(zmij::Buffer::new().format_finite(self.as_f64().unwrap_or_default())),
        };
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut Writer) {
                out.raw(itoa::Buffer::new().format(*self));
            }
        }
    )*};
}
integers!(u8, u16, u32, u64, usize, i32, i64);

/// A finite number in its shortest form; NaN and the infinities as `null`, as JSON has no words
/// for them (serde_json and `JSON.stringify` both write `null`).
impl ToJson for f64 {
    fn write_json(&self, out: &mut Writer) {
        match Number::from_f64(*self) {
            Some(n) => n.write_json(out),
            None => {
                out.raw("null");
            }
        }
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut Writer) {
        match self {
            Some(value) => value.write_json(out),
            None => {
                out.raw("null");
            }
        }
    }

    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut Writer) {
        out.array(self);
    }

    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut Writer) {
        out.array(self);
    }

    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut Writer) {
        (**self).write_json(out)
    }

    fn is_absent(&self) -> bool {
        (**self).is_absent()
    }
}

impl ToJson for Map<String, Value> {
    fn write_json(&self, out: &mut Writer) {
        out.open().extra(self).close();
    }

    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut Writer) {
        match self {
            Value::Null => {
                out.raw("null");
            }
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => n.write_json(out),
            Value::String(s) => s.write_json(out),
            Value::Array(items) => items.write_json(out),
            Value::Object(fields) => fields.write_json(out),
        }
    }
}

/// The JSON text of a value (what `value.to_string()` gave through serde_json).
pub fn text(value: &Value) -> String {
    value.to_json_text()
}

/// `"text"` as a JSON string, for naming a value in a message: the quoting the shell's messages use
/// (`JSON.stringify`), and no `{:?}` formatting in the package.
pub fn quoted(text: &str) -> String {
    text.to_json_text()
}

/// What a type writes, read back as a [`Value`]: for tests that compare it with `json!`.
pub fn to_value<T: ToJson + ?Sized>(typed: &T) -> Value {
    super::parse(typed.to_json_text().as_bytes()).unwrap_or(Value::Null)
}

/// `impl ToJson` for a struct written field by field, each JSON key named as its field unless
/// renamed: `write_fields!(Location { latitude, ?altitude, ?source = "src", ?payload(base64), ..extra })`.
/// `?` leaves the field out when it is absent ([`ToJson::is_absent`]); `(f)` writes `f(&field)`
/// instead of the field; `..extra` writes the kept unknown fields (last).
#[macro_export]
macro_rules! write_fields {
    ($ty:ty { $($body:tt)* }) => {
        impl $crate::json::ToJson for $ty {
            fn write_json(&self, out: &mut $crate::json::Writer) {
                out.open();
                $crate::write_fields!(@ self, out; $($body)*);
                out.close();
            }
        }
    };
    (@ $s:ident, $o:ident; ) => {};
    (@ $s:ident, $o:ident; .. $f:ident $(,)?) => {
        $o.extra(&$s.$f);
    };
    (@ $s:ident, $o:ident; ? $f:ident $(= $k:literal)? $(($w:path))? $(, $($rest:tt)*)?) => {
        $o.present($crate::write_fields!(@key $f $($k)?), &$crate::write_fields!(@value $s $f $($w)?));
        $crate::write_fields!(@ $s, $o; $($($rest)*)?);
    };
    (@ $s:ident, $o:ident; $f:ident $(= $k:literal)? $(($w:path))? $(, $($rest:tt)*)?) => {
        $o.field($crate::write_fields!(@key $f $($k)?), &$crate::write_fields!(@value $s $f $($w)?));
        $crate::write_fields!(@ $s, $o; $($($rest)*)?);
    };
    (@key $f:ident) => { stringify!($f) };
    (@key $f:ident $k:literal) => { $k };
    (@value $s:ident $f:ident) => { $s.$f };
    (@value $s:ident $f:ident $w:path) => { $w(&$s.$f) };
}

/// `impl ToJson` for a type written as the string its method gives, e.g. an enum by its name:
/// `write_name!(Priority, as_str)`.
#[macro_export]
macro_rules! write_name {
    ($ty:ty, $name:ident) => {
        impl $crate::json::ToJson for $ty {
            fn write_json(&self, out: &mut $crate::json::Writer) {
                $crate::json::ToJson::write_json(self.$name(), out)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[cfg(not(target_arch = "wasm32"))] // proptest is a native dev-dependency
    mod serde_json_text {
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                "\\PC*|[\\x00-\\x1f\"\\\\/]*".prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec(("[a-z\\x00-\\x1f\"]{0,4}", inner), 0..6)
                        .prop_map(|fields| Value::Object(fields.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            // The writer's text is serde_json's, byte for byte, for every value.
            #[test]
            fn values_are_written_as_serde_json_writes_them(v in value()) {
                prop_assert_eq!(text(&v), serde_json::to_string(&v).unwrap());
            }
        }
    }

    #[test]
    fn escapes_numbers_and_the_values_json_has_no_words_for() {
        assert_eq!(text(&json!("a\"b\\c\n\u{1}\u{7f}é/")), "\"a\\\"b\\\\c\\n\\u0001\u{7f}é/\"");
        assert_eq!(
            text(&json!([u64::MAX, i64::MIN, 1.5, -0.0, 1e21, 0.1])),
            "[18446744073709551615,-9223372036854775808,1.5,-0.0,1e+21,0.1]"
        );
        assert_eq!(f64::NAN.to_json_text(), "null");
        assert_eq!(f64::INFINITY.to_json_text(), "null");
        assert_eq!(2.0f64.to_json_text(), "2.0");
    }

    #[derive(Default)]
    struct Shape {
        name: String,
        size: Option<u32>,
        tags: Vec<String>,
        on: bool,
        extra: Map<String, Value>,
    }

    crate::write_fields!(Shape { name = "shapeName", ?size, ?tags, on, ..extra });

    #[test]
    fn fields_in_order_absent_ones_left_out_and_the_kept_ones_last() {
        let mut extra = Map::new();
        extra.insert("z".into(), json!(1));
        extra.insert("a".into(), json!(null));
        let s = Shape { name: "n".into(), size: None, tags: Vec::new(), on: false, extra };
        assert_eq!(s.to_json_text(), r#"{"shapeName":"n","on":false,"z":1,"a":null}"#);
        let s = Shape { size: Some(3), tags: vec!["t".into()], ..Shape::default() };
        assert_eq!(s.to_json_text(), r#"{"shapeName":"","size":3,"tags":["t"],"on":false}"#);
        let mut out = Writer::default();
        out.open_array().open().close().open_array().close_array().raw("7").close_array();
        assert_eq!(out.finish(), "[{},[],7]");
    }
}
