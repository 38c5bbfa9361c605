//! Structs that keep the fields they do not know in an `extra` map, read without serde's
//! `flatten`: a flattened field makes the derive buffer every field of the struct in serde's
//! private `Content` type, code that weighed about 30 KB gzipped in the package.
//!
//! Such a struct derives serde with `#[serde(remote = "Self")]` (the derive then writes plain
//! functions instead of the traits), marks its map `#[serde(flatten, skip_deserializing)]` (still
//! flattened when written), and gets the traits from [`keeps_extra!`](crate::keeps_extra): the
//! object is split into the fields the derive knows, read by the derive, and the rest.
//!
//! `remote = "Self"` also leaves a public inherent `T::deserialize`, which reads the known fields
//! only; read such a type through serde's trait (`serde_json::from_value`, `from_str`, ...).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::{Map, Value};

/// A deserializer that only records the names serde's derive hands over: a struct's fields, an
/// enum's variants (in declaration order, after renaming).
pub struct SerdeNames;

#[derive(Debug)]
pub struct Names(&'static [&'static str]);

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

impl std::error::Error for Names {}

impl de::Error for Names {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Names(&[])
    }
}

impl<'de> Deserializer<'de> for SerdeNames {
    type Error = Names;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
        Err(Names(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Names> {
        Err(Names(fields))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Names> {
        Err(Names(variants))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The field names of a struct or the variant names of an enum, from its derived `Deserialize`
/// (e.g. `serde_names(UpMessage::deserialize)`).
pub fn serde_names<T>(derived: fn(SerdeNames) -> Result<T, Names>) -> &'static [&'static str] {
    match derived(SerdeNames) {
        Ok(_) => &[],
        Err(Names(names)) => names,
    }
}

/// Splits an object into the entries named in `fields` and the rest.
pub fn split_known(object: Map<String, Value>, fields: &[&str]) -> (Map<String, Value>, Map<String, Value>) {
    object.into_iter().partition(|(k, _)| fields.contains(&k.as_str()))
}

/// Reads an object: the fields the derive knows through `derived`, the others into `extra`.
pub fn read_keeping_extra<'de, D: Deserializer<'de>, T>(
    d: D,
    names: fn(SerdeNames) -> Result<T, Names>,
    derived: fn(Value) -> Result<T, serde_json::Error>,
    extra: fn(&mut T) -> &mut Map<String, Value>,
) -> Result<T, D::Error> {
    let fields = serde_names(names);
    if fields.is_empty() {
        // The derive read the struct as a map (a flattened field that is not skipped): every key
        // would land in `extra` and the typed fields would keep their defaults.
        return Err(de::Error::custom("a struct keeping unknown fields must be read with its field names"));
    }
    let (known, rest) = split_known(Map::deserialize(d)?, fields);
    let mut value = derived(Value::Object(known)).map_err(de::Error::custom)?;
    *extra(&mut value) = rest;
    Ok(value)
}

/// `Serialize` and `Deserialize` for a struct derived with `#[serde(remote = "Self")]` whose
/// `extra` map keeps unknown fields: see the module's documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! keeps_extra {
    ($($t:ty),+ $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::platforms::json::read_keeping_extra(d, <$t>::deserialize, <$t>::deserialize, |v| &mut v.extra)
            }
        }
    )+};
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::{json, Map, Value};

    use super::serde_names;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self")]
    struct Inner {
        #[serde(default)]
        n: u32,
        #[serde(flatten, skip_deserializing)]
        extra: Map<String, Value>,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self")]
    struct Outer {
        #[serde(rename = "innerList", default)]
        inner: Vec<Inner>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(flatten, skip_deserializing)]
        extra: Map<String, Value>,
    }

    crate::keeps_extra!(Inner, Outer);

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Kind {
        UplinkMessage(u8),
        JoinAccept(u8),
    }

    #[test]
    fn unknown_fields_are_kept_at_every_level_and_written_back() {
        let doc = json!({"innerList": [{"n": 1, "x": [true]}, {"n": 2, "y": null}], "name": "a", "z": {"deep": 1}});
        let outer: Outer = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(outer.inner[0].n, 1);
        assert_eq!(outer.inner[0].extra, json!({"x": [true]}).as_object().unwrap().clone());
        assert_eq!(outer.inner[1].extra, json!({"y": null}).as_object().unwrap().clone());
        assert_eq!(outer.extra, json!({"z": {"deep": 1}}).as_object().unwrap().clone());
        assert_eq!(serde_json::to_value(&outer).unwrap(), doc);
    }

    #[test]
    fn known_fields_keep_their_type_checks() {
        let err = serde_json::from_value::<Outer>(json!({"innerList": [{"n": "1"}]})).unwrap_err();
        assert!(err.to_string().contains("expected u32"), "{err}");
        assert!(serde_json::from_value::<Outer>(json!([1])).is_err());
    }

    #[test]
    fn names_come_from_the_derive_after_renaming() {
        assert_eq!(serde_names(Outer::deserialize), ["innerList", "name"]);
        assert_eq!(serde_names(<Kind as Deserialize>::deserialize), ["uplink_message", "join_accept"]);
    }
}
