//! What a platform core's command carries in (`crate::batch::{cloudplugs, things_stack, thingsboard}`), and what
//! it throws: an option refused by its path, or the platform's own error.

use crate::json::Value;

use super::plain;
use super::{Arg, Coded, InvalidOption};
use crate::json::{Fields, ReadError};
use crate::session::options::read::Item;

/// One command and its arguments: `text`, `json` (JSON text of a caller's value) and `bytes` (plain
/// data, or a payload) carry what each command names.
#[derive(Debug, Default)]
pub struct Command<'a> {
    pub op: u8,
    pub now: u64,
    pub n: f64,
    pub text: &'a str,
    pub json: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// What a command throws.
pub enum Thrown<E> {
    Option(InvalidOption),
    Platform(E),
}

impl<E> From<E> for Thrown<E> {
    fn from(e: E) -> Self {
        Self::Platform(e)
    }
}

impl<E: Coded> Coded for Thrown<E> {
    fn code(&self) -> &'static str {
        match self {
            Self::Option(e) => e.code(),
            Self::Platform(e) => e.code(),
        }
    }

    fn args(&self) -> Vec<Arg> {
        match self {
            Self::Option(e) => e.args(),
            Self::Platform(e) => e.args(),
        }
    }
}

/// A reader's error as `INVALID_OPTION`, its path under the argument `name`.
pub fn invalid<E>(name: &str) -> impl Fn(ReadError) -> Thrown<E> + '_ {
    move |e| Thrown::Option(InvalidOption::new(e, name))
}

/// `INVALID_OPTION` for `field`.
pub fn option<E>(field: &str, reason: &str) -> Thrown<E> {
    Thrown::Option(InvalidOption { field: field.to_owned(), reason: reason.to_owned() })
}

/// An options argument (plain data) as fields to read; absent is an empty object.
pub fn fields<E>(bytes: &[u8], name: &str) -> Result<Fields, Thrown<E>> {
    let value = match plain::decode(bytes).map_err(invalid(name))? {
        Item::Null => Value::Object(Default::default()),
        item => plain::to_json(item).map_err(invalid(name))?,
    };
    Fields::new(value).map_err(invalid(name))
}

/// A caller's value as JSON text (the shell's `JSON.stringify`); none is `null`.
pub fn json<E>(text: Option<&str>, name: &str) -> Result<Value, Thrown<E>> {
    match text {
        None => Ok(Value::Null),
        Some(text) => crate::json::parse(text.as_bytes()).map_err(|e| invalid(name)(ReadError::new(e))),
    }
}
