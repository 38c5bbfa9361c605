//! Reading the batches the wasm facades return, as `npm/src/batch.ts` does: each test file adds
//! the records of its own facade.
#![allow(dead_code)]

use iotmqtt::json::Value;

/// Reads a batch back as `npm/src/batch.ts` does.
pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> (f64, Self) {
        (f64::from_le_bytes(bytes[..8].try_into().unwrap()), Self { bytes, at: 8 })
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        s
    }
    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap())
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    pub fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take(8).try_into().unwrap())
    }
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> String {
        String::from_utf8(self.bytes().to_vec()).unwrap()
    }
    pub fn opt(&mut self) -> String {
        if self.u8() == 1 {
            self.f64().to_string()
        } else {
            "-".into()
        }
    }
    pub fn error(&mut self) -> String {
        let n = self.u8() as usize;
        let code = String::from_utf8(self.take(n).to_vec()).unwrap();
        let args: Vec<String> = (0..self.u8())
            .map(|_| if self.u8() == 0 { format!("{:?}", self.str()) } else { self.f64().to_string() })
            .collect();
        format!("{code}({})", args.join(", "))
    }
}

/// A value as the shell's `plain()` writes it (`src/batch/plain.rs` has the layout).
pub fn plain(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, v);
    out
}

fn write(out: &mut Vec<u8>, v: &Value) {
    let text = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.push(1 + u8::from(*b)),
        Value::Number(n) => {
            out.push(3);
            out.extend_from_slice(&n.as_f64().unwrap().to_le_bytes());
        }
        Value::String(s) => {
            out.push(4);
            text(out, s);
        }
        Value::Array(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            items.iter().for_each(|i| write(out, i));
        }
        // `{"$bytes": "..."}` stands for bytes (a payload path the shell writes as JSON text).
        Value::Object(map) if map.len() == 1 && map.get("$bytes").is_some_and(Value::is_string) => {
            let b = map["$bytes"].as_str().unwrap_or_default();
            out.push(5);
            text(out, b);
        }
        Value::Object(map) => {
            out.push(7);
            out.extend_from_slice(&(map.len() as u32).to_le_bytes());
            for (k, v) in map {
                text(out, k);
                write(out, v);
            }
        }
    }
}

/// A batch as lines: `deadline …` when it has one, then one line per record, each read by `record`.
pub fn lines(bytes: &[u8], record: impl Fn(&mut Reader) -> String) -> Vec<String> {
    let (deadline, mut r) = Reader::new(bytes);
    let mut lines = Vec::new();
    if deadline >= 0.0 {
        lines.push(format!("deadline {deadline}"));
    }
    while r.at < bytes.len() {
        lines.push(record(&mut r));
    }
    lines
}

/// A batch that starts with a return record: its fields read by `fields`, then the rest as [`lines`].
pub fn returned<T>(
    b: &[u8],
    fields: impl FnOnce(&mut Reader) -> T,
    record: impl Fn(&mut Reader) -> String,
) -> (T, Vec<String>) {
    assert_eq!(b[8], 21, "expected a return, got {:?}", lines(b, record));
    let mut r = Reader { bytes: b, at: 9 };
    let value = fields(&mut r);
    let rest = [&b[..8], &b[r.at..]].concat();
    (value, lines(&rest, record))
}
