//! Typed objects read by hand from a parsed [`Value`]. Each field is taken out of the object by
//! name, so what is left at the end is exactly the fields the type does not know, kept in its
//! `extra` and written back unchanged.
//!
//! Why not serde's derive: reading a derived type from a `Value` instantiates serde_json's `Value`
//! deserializer once per type and field type, and keeping unknown fields needs serde's buffering
//! `flatten`. For The Things Stack's events and CloudPlugs' data documents that was about 24 KB of
//! the gzipped package; these readers are a few small functions per type.
//!
//! Rules, the same for every reader: a missing field or `null` is "not there" (its default, or
//! `None`), except for [`Fields::required`], where only `null` is a value (for `Value` fields);
//! any other type mismatch is an error naming the field path, such as
//! `uplink_message.rx_metadata[0].snr: expected a number, got a string`.

use std::fmt;

use crate::json::{Map, Value};

use super::describe;

/// A type read from a JSON value.
pub trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self, ReadError>;
}

/// What was wrong, and where: `list[1].n: expected a whole number ..., got a string`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    path: String,
    message: String,
}

impl ReadError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { path: String::new(), message: message.into() }
    }

    /// Where: a field path such as `reconnect.factor`, empty for the value itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `key` is no option a reader knows: "unknown option; the known ones are a, b, c", at `key`.
    pub fn unknown_option<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        let mut message = String::from("unknown option; the known ones are ");
        for (i, k) in known.into_iter().enumerate() {
            message.push_str(if i == 0 { "" } else { ", " });
            message.push_str(k);
        }
        Self::new(message).under(key)
    }

    /// The same error one level up: `key` (a field name or `[i]`) goes in front of the path.
    #[inline(never)]
    pub fn under(mut self, key: &str) -> Self {
        let key = if key.is_empty() { "\"\"" } else { key }; // the empty key, shown, not lost
        let joiner = if self.path.is_empty() || self.path.starts_with('[') { "" } else { "." };
        let mut path = String::with_capacity(key.len() + 1 + self.path.len());
        path.push_str(key);
        path.push_str(joiner);
        path.push_str(&self.path);
        self.path = path;
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Reads `T` from a JSON document (bytes), for the platforms' message bodies.
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, String> {
    T::from_json(super::parse(bytes)?).map_err(|e| e.to_string())
}

/// The fields of an object being read, and the keys asked for so far.
pub struct Fields {
    map: Map<String, Value>,
    asked: Vec<&'static str>,
}

impl Fields {
    /// The object's fields; anything else is an error.
    pub fn new(value: Value) -> Result<Self, ReadError> {
        match value {
            Value::Object(map) => Ok(Self { map, asked: Vec::new() }),
            other => Err(expected("an object", &other)),
        }
    }

    /// Takes `key` out, `null` included.
    pub fn take(&mut self, key: &'static str) -> Option<Value> {
        self.asked.push(key);
        self.map.remove(key)
    }

    /// A field that must be there (`null` only where `T` accepts it).
    pub fn required<T: FromJson>(&mut self, key: &'static str) -> Result<T, ReadError> {
        let value = self.take(key).ok_or_else(|| ReadError::new(format!("missing field `{key}`")))?;
        T::from_json(value).map_err(|e| e.under(key))
    }

    /// A field that may be missing or `null`.
    pub fn optional<T: FromJson>(&mut self, key: &'static str) -> Result<Option<T>, ReadError> {
        self.optional_with(key, T::from_json)
    }

    /// A field that may be missing or `null`, read by `read` (for wire encodings such as base64).
    pub fn optional_with<T>(
        &mut self,
        key: &'static str,
        read: impl FnOnce(Value) -> Result<T, ReadError>,
    ) -> Result<Option<T>, ReadError> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value).map(Some).map_err(|e| e.under(key)),
        }
    }

    /// A field whose absence (or `null`) means its default.
    pub fn or_default<T: FromJson + Default>(&mut self, key: &'static str) -> Result<T, ReadError> {
        Ok(self.optional(key)?.unwrap_or_default())
    }

    /// A field whose absence (or `null`) means `default`.
    pub fn or<T: FromJson>(&mut self, key: &'static str, default: T) -> Result<T, ReadError> {
        Ok(self.optional(key)?.unwrap_or(default))
    }

    /// The fields not taken: the type's `extra`.
    pub fn rest(self) -> Map<String, Value> {
        self.map
    }

    /// The end of an options object: a key no reader asked for is a typo, which must not be
    /// silently ignored. It is refused by name (`reconnect.enabeld`), the known keys listed.
    pub fn deny_unknown(self) -> Result<(), ReadError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(ReadError::unknown_option(key, self.asked.iter().copied())),
        }
    }
}

/// `impl FromJson` for a struct read field by field, each JSON key named as its field:
/// `read_fields!(Location { latitude: or_default, altitude: optional, extra: rest })`. A field is
/// read by the [`Fields`] method named after it (`required`, `optional`, `or_default`), by
/// `optional_with(reader)`, or is `rest` (the fields not taken; last).
#[macro_export]
macro_rules! read_fields {
    ($ty:ident { $($field:ident: $how:ident $(($reader:expr))?),* $(,)? }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(value: $crate::json::Value) -> Result<Self, $crate::json::ReadError> {
                #[allow(unused_mut)]
                let mut fields = $crate::json::Fields::new(value)?;
                Ok(Self { $($field: $crate::read_fields!(@read fields, $field, $how $(, $reader)?)),* })
            }
        }
    };
    (@read $fields:ident, $field:ident, rest) => {
        $fields.rest()
    };
    (@read $fields:ident, $field:ident, optional_with, $reader:expr) => {
        $fields.optional_with(stringify!($field), $reader)?
    };
    (@read $fields:ident, $field:ident, $how:ident) => {
        $fields.$how(stringify!($field))?
    };
}

/// "expected a string, got a number".
pub fn expected(what: &str, got: &Value) -> ReadError {
    ReadError::new(format!("expected {what}, got {}", describe(got)))
}

impl FromJson for Value {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        Ok(value)
    }
}

impl FromJson for Map<String, Value> {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        Fields::new(value).map(Fields::rest)
    }
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(expected("a string", &other)),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        value.as_bool().ok_or_else(|| expected("true or false", &value))
    }
}

impl FromJson for f64 {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        value.as_f64().ok_or_else(|| expected("a number", &value))
    }
}

impl FromJson for u64 {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        value.as_u64().ok_or_else(|| expected("a whole number from 0", &value))
    }
}

/// `u8`, `u16`, `u32`: a whole number in range, anything else an error naming the range.
macro_rules! whole_number {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: Value) -> Result<Self, ReadError> {
                let n = value.as_u64().and_then(|n| <$t>::try_from(n).ok());
                n.ok_or_else(|| expected(&format!("a whole number from 0 to {}", <$t>::MAX), &value))
            }
        }
    )*};
}

whole_number!(u8, u16, u32);

/// A size or a count: values beyond the platform's `usize` mean "as large as it gets".
impl FromJson for usize {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        u64::from_json(value).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| T::from_json(item).map_err(|e| e.under(&format!("[{i}]"))))
                .collect(),
            other => Err(expected("an array", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[derive(Debug, PartialEq, Default)]
    struct Inner {
        n: u32,
        extra: Map<String, Value>,
    }

    crate::read_fields!(Inner { n: required, extra: rest });

    #[derive(Debug, PartialEq)]
    struct Outer {
        name: Option<String>,
        list: Vec<Inner>,
        flag: bool,
        any: Value,
        extra: Map<String, Value>,
    }

    crate::read_fields!(Outer { name: optional, list: or_default, flag: or_default, any: required, extra: rest });

    #[test]
    fn fields_are_read_and_the_rest_is_kept_at_every_level() {
        let doc = json!({"name": "x", "list": [{"n": 1, "k": true}], "any": null, "z": [1]});
        let o = Outer::from_json(doc).unwrap();
        assert_eq!(o.name.as_deref(), Some("x"));
        assert_eq!(o.list, vec![Inner { n: 1, extra: json!({"k": true}).as_object().unwrap().clone() }]);
        assert!(!o.flag);
        assert_eq!(o.any, Value::Null, "null is a value for a required Value");
        assert_eq!(Value::Object(o.extra), json!({"z": [1]}));
    }

    #[test]
    fn missing_and_null_mean_absent_except_for_required_fields() {
        let o = Outer::from_json(json!({"name": null, "list": null, "any": 1})).unwrap();
        assert_eq!((o.name, o.list.len()), (None, 0));
        assert_eq!(Outer::from_json(json!({})).unwrap_err().to_string(), "missing field `any`");
    }

    #[test]
    fn errors_name_the_path_and_what_came_instead() {
        let err = |doc: Value| Outer::from_json(doc).unwrap_err().to_string();
        assert_eq!(
            err(json!({"any": 1, "list": [{"n": 1}, {"n": "2"}]})),
            "list[1].n: expected a whole number from 0 to 4294967295, got a string"
        );
        assert_eq!(err(json!({"any": 1, "list": [{}]})), "list[0]: missing field `n`");
        assert_eq!(err(json!({"any": 1, "list": {}})), "list: expected an array, got an object");
        assert_eq!(err(json!({"any": 1, "flag": "yes"})), "flag: expected true or false, got a string");
        assert_eq!(err(json!([1])), "expected an object, got an array");
        assert_eq!(ReadError::new("x").under("").to_string(), r#""": x"#);
        assert_eq!(ReadError::new("x").under("a").under("").to_string(), r#""".a: x"#);
        assert!(u32::from_json(json!(4_294_967_296u64)).is_err());
        assert!(u32::from_json(json!(-1)).is_err());
        assert!(u32::from_json(json!(1.5)).is_err());
        assert_eq!(f64::from_json(json!(2)), Ok(2.0));
    }

    #[test]
    fn options_take_defaults_and_refuse_keys_no_reader_asked_for() {
        let read = |doc: Value| {
            let mut f = Fields::new(doc)?;
            let n: u16 = f.or("n", 7)?;
            let inner: Option<Inner> = f.optional("inner")?;
            f.deny_unknown().map(|()| (n, inner.map(|i| i.n)))
        };
        assert_eq!(read(json!({})), Ok((7, None)));
        assert_eq!(read(json!({"n": null, "inner": {"n": 2}})), Ok((7, Some(2))));
        assert_eq!(read(json!({"n": 8})), Ok((8, None)));
        assert_eq!(
            read(json!({"n": 1, "m": 2})).unwrap_err().to_string(),
            "m: unknown option; the known ones are n, inner"
        );
        assert_eq!(
            read(json!({"n": 65_536})).unwrap_err().to_string(),
            "n: expected a whole number from 0 to 65535, got a number"
        );
    }

    #[test]
    fn whole_numbers_keep_to_their_range_and_sizes_saturate() {
        assert_eq!(u8::from_json(json!(255)), Ok(255));
        assert!(u8::from_json(json!(256)).is_err());
        assert_eq!(u16::from_json(json!(65_535)), Ok(65_535));
        assert!(u16::from_json(json!(-1)).is_err());
        assert!(u16::from_json(json!(1.5)).is_err());
        assert_eq!(usize::from_json(json!(3)), Ok(3));
        assert_eq!(usize::from_json(json!(u64::MAX)), Ok(usize::try_from(u64::MAX).unwrap_or(usize::MAX)));
        assert!(usize::from_json(json!("3")).is_err());
    }
}
