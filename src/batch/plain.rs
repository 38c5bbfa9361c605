//! Plain data from the shell: an options object, a list of requests or filters, as
//! `npm/src/plain.ts` encodes it after reading it once (getters, Proxy traps and cycles stay on the
//! JS side). The core's readers (`session::options::read`) read it as an object model.
//!
//! Layout, little-endian, one tag byte per value: 0 null or undefined, 1 false, 2 true, 3 an `f64`,
//! 4 a string and 5 bytes (a `u32` length, then UTF-8 or the bytes), 6 an array (a `u32` count,
//! then the items), 7 an object (a `u32` count, then each key as a string and its value), 8 what
//! plain data cannot hold, described (a `u8` length and ASCII: "a function", "NaN").

use crate::json::ReadError;
use crate::session::options::read::{Item, Object};

/// An object of plain data: its entries in order. A value read is taken out; its key stays.
#[derive(Debug, Default)]
pub struct Entries(Vec<(String, Item<Entries>)>);

impl Object for Entries {
    fn get(&mut self, key: &str) -> Result<Item<Self>, String> {
        Ok(match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, value)) => std::mem::replace(value, Item::Null),
            None => Item::Null,
        })
    }

    fn payload(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self.get(key)? {
            Item::Null => Ok(None),
            Item::Text(s) => Ok(Some(s.into_bytes())),
            Item::Bytes(b) => Ok(Some(b)),
            _ => Err("expected a string or bytes".into()),
        }
    }

    fn keys(&self) -> Result<Vec<String>, String> {
        Ok(self.0.iter().map(|(k, _)| k.clone()).collect())
    }
}

/// How deep arrays and objects may nest (the shell stops at the same depth).
const MAX_DEPTH: usize = 127;

/// Reads one value; bytes that are not plain data (never what the shell writes) are an error.
pub fn decode(bytes: &[u8]) -> Result<Item<Entries>, ReadError> {
    let mut r = Reader { bytes, at: 0 };
    let item = r.item(0).ok_or_else(|| ReadError::new("not plain data"))?;
    match r.at == bytes.len() {
        true => Ok(item),
        false => Err(ReadError::new("not plain data")),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len())?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()?;
        self.take(n).map(<[u8]>::to_vec)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }

    fn item(&mut self, depth: usize) -> Option<Item<Entries>> {
        let tag = *self.take(1)?.first()?;
        if depth > MAX_DEPTH && tag >= 6 {
            return None;
        }
        Some(match tag {
            0 => Item::Null,
            1 | 2 => Item::Bool(tag == 2),
            3 => Item::Number(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            4 => Item::Text(self.text()?),
            5 => Item::Bytes(self.bytes()?),
            6 => {
                // Each item takes a byte at least: a count beyond what is left is not plain data.
                let n = self.u32().filter(|&n| n <= self.bytes.len() - self.at)?;
                Item::List((0..n).map(|_| self.item(depth + 1)).collect::<Option<_>>()?)
            }
            7 => {
                let n = self.u32().filter(|&n| n <= self.bytes.len() - self.at)?;
                let entries = (0..n).map(|_| Some((self.text()?, self.item(depth + 1)?))).collect::<Option<_>>()?;
                Item::Object(Entries(entries))
            }
            8 => {
                let n = usize::from(*self.take(1)?.first()?);
                Item::Other(describe(self.take(n)?))
            }
            _ => return None,
        })
    }
}

/// The shell's descriptions of what plain data cannot hold, as the readers' static words.
fn describe(what: &[u8]) -> &'static str {
    match what {
        b"a function" => "a function",
        b"NaN" => "NaN",
        b"an infinite number" => "an infinite number",
        _ => "a value plain data cannot hold",
    }
}

/// Plain data as JSON data, for the platform readers (`crate::json::Fields`). Bytes are JSON text:
/// the shell writes the value at a payload path (a will's data, a downlink's decoded payload) as
/// `JSON.stringify` writes it. What plain data cannot hold is an error naming where it is.
pub fn to_json(item: Item<Entries>) -> Result<crate::json::Value, ReadError> {
    use crate::json::Value;
    Ok(match item {
        Item::Null => Value::Null,
        Item::Bool(b) => Value::Bool(b),
        Item::Number(n) => crate::json::number(n)?,
        Item::Text(s) => Value::String(s),
        Item::List(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| to_json(v).map_err(|e| e.under(&format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        ),
        Item::Object(Entries(entries)) => {
            let mut map = crate::json::Map::new();
            for (key, value) in entries {
                let value = to_json(value).map_err(|e| e.under(&key))?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Item::Bytes(json) => crate::json::parse(&json).map_err(ReadError::new)?,
        Item::Other(what) => return Err(ReadError::new(format!("expected JSON data, got {what}"))),
    })
}
