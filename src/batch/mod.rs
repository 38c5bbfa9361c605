//! The batch: how the pure core hands its events to a JavaScript shell in one crossing. Every input
//! the wasm facade takes (bytes from the socket, a timer, a command) returns one batch: the next
//! deadline, then records in the order they happened. The shell (`npm/src/batch.ts`) reads it with
//! a `DataView`; messages are built there, from slices of the batch.
//!
//! Layout, little-endian: `f64` deadline in ms (−1: none), then records, each a `u8` tag and its
//! fields. A string is a `u32` byte length and UTF-8; bytes the same; an error is its code (a `u8`
//! length and ASCII), then its arguments (a `u8` count, each a `u8` kind: 0 a string, 1 an `f64`).
//! The shell's message table turns code and arguments into the message.

pub mod client;
#[cfg(feature = "cloudplugs")]
pub mod cloudplugs;
#[cfg(any(feature = "cloudplugs", feature = "things-stack", feature = "thingsboard"))]
pub mod command;
pub mod error;
#[cfg(feature = "payload")]
pub mod lpp;
pub mod plain;
#[cfg(feature = "things-stack")]
pub mod things_stack;
#[cfg(feature = "thingsboard")]
pub mod thingsboard;

pub use error::{Arg, Coded, InvalidOption};

/// The tag of what a command threw: an error record follows. Every core's batches share it (and
/// `npm/src/batch.ts`, `npm/src/platform.ts`).
pub const THROW: u8 = 20;
/// The tag of what a command returned: its values follow, as each command names them.
pub const RETURN: u8 = 21;

/// One batch being written.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
}

impl Batch {
    /// An empty batch, its deadline not yet known.
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&(-1f64).to_le_bytes());
        Self { bytes }
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes.push(v);
        self
    }

    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.bytes.extend_from_slice(v);
        self
    }

    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// An optional number: a `u8` presence flag, then the `f64` when present.
    pub fn opt(&mut self, v: Option<f64>) -> &mut Self {
        match v {
            Some(v) => self.u8(1).f64(v),
            None => self.u8(0),
        }
    }

    /// An error: its code and the arguments of its message.
    pub fn error(&mut self, e: &impl Coded) -> &mut Self {
        let code = e.code();
        self.u8(code.len() as u8);
        self.bytes.extend_from_slice(code.as_bytes());
        let args = e.args();
        self.u8(args.len() as u8);
        for arg in args {
            match arg {
                Arg::Str(s) => self.u8(0).str(&s),
                Arg::Num(n) => self.u8(1).f64(n),
            };
        }
        self
    }

    /// The finished batch, with `deadline` (ms on the shell's clock) written in front.
    pub fn finish(mut self, deadline: Option<u64>) -> Vec<u8> {
        let d = deadline.map_or(-1.0, |d| d as f64);
        if let Some(head) = self.bytes.get_mut(..8) {
            head.copy_from_slice(&d.to_le_bytes());
        }
        self.bytes
    }
}
