//! The history written out for a spreadsheet or a script: NDJSON (one JSON object per line) or CSV
//! (RFC 4180: a header, CRLF line ends, quoted where a field needs it), one row per message with its
//! time (ISO 8601, UTC), topic, QoS, retain flag and payload in the form the user chose.

use crate::json::quoted;
use crate::platforms::things_stack::payload::{bytes_to_base64, bytes_to_hex};

/// How a payload is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadForm {
    /// As UTF-8 text; bytes that are not UTF-8 become U+FFFD (choose hex or base64 for binary).
    #[default]
    Text,
    Hex,
    Base64,
}

impl PayloadForm {
    pub const ALL: [PayloadForm; 3] = [Self::Text, Self::Hex, Self::Base64];

    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }

    pub fn from_name(name: &str) -> Self {
        Self::ALL.into_iter().find(|f| f.name() == name).unwrap_or_default()
    }

    pub fn write(self, payload: &[u8]) -> String {
        match self {
            Self::Text => String::from_utf8_lossy(payload).into_owned(),
            Self::Hex => bytes_to_hex(payload),
            Self::Base64 => bytes_to_base64(payload),
        }
    }
}

/// One message of the history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry<'a> {
    /// When it arrived, in epoch milliseconds.
    pub at: f64,
    pub topic: &'a str,
    pub qos: u8,
    pub retain: bool,
    pub payload: &'a [u8],
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Ndjson,
    Csv,
}

impl Export {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Csv => "csv",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv;charset=utf-8",
        }
    }

    /// The whole file, oldest message first as `entries` come.
    pub fn write<'a>(self, entries: impl IntoIterator<Item = Entry<'a>>, form: PayloadForm) -> String {
        let mut out = String::new();
        if self == Self::Csv {
            out.push_str("time,topic,qos,retain,payload\r\n");
        }
        for e in entries {
            let (time, payload) = (iso_time(e.at), form.write(e.payload));
            match self {
                Self::Ndjson => {
                    let (topic, payload) = (quoted(e.topic), quoted(&payload));
                    let line = format!(
                        r#"{{"time":"{time}","topic":{topic},"qos":{},"retain":{},"payload":{payload}}}"#,
                        e.qos, e.retain
                    );
                    out.push_str(&line);
                    out.push('\n');
                }
                Self::Csv => {
                    let row = [time, csv_field(e.topic), e.qos.to_string(), e.retain.to_string(), csv_field(&payload)];
                    out.push_str(&row.join(","));
                    out.push_str("\r\n");
                }
            }
        }
        out
    }
}

/// A CSV field, quoted (with its quotes doubled) when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    match text.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_owned(),
    }
}

/// An epoch-ms instant as ISO 8601 in UTC, `2026-12-04T18:00:00.123Z`.
pub fn iso_time(ms: f64) -> String {
    let ms = ms.floor() as i64;
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (of_day / 3_600, of_day / 60 % 60, of_day % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso_time(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_time(1_796_407_200_123.4), "2026-12-04T18:00:00.123Z");
        assert_eq!(iso_time(-1.0), "1969-12-31T23:59:59.999Z");
    }

    fn entries() -> Vec<Entry<'static>> {
        vec![
            Entry { at: 1_796_407_200_123.0, topic: "a/b", qos: 1, retain: false, payload: br#"{"t":2.50}"# },
            Entry { at: 1_796_407_200_124.0, topic: "c,d", qos: 0, retain: true, payload: b"line 1\nsaid \"hi\"" },
            Entry { at: 1_796_407_200_125.0, topic: "bin", qos: 2, retain: false, payload: &[0xFF, 0x00] },
        ]
    }

    #[test]
    fn ndjson_has_one_object_per_message() {
        let text = Export::Ndjson.write(entries(), PayloadForm::Text);
        assert_eq!(
            text,
            concat!(
                r#"{"time":"2026-12-04T18:00:00.123Z","topic":"a/b","qos":1,"retain":false,"payload":"{\"t\":2.50}"}"#,
                "\n",
                r#"{"time":"2026-12-04T18:00:00.124Z","topic":"c,d","qos":0,"retain":true,"payload":"line 1\nsaid \"hi\""}"#,
                "\n",
                r#"{"time":"2026-12-04T18:00:00.125Z","topic":"bin","qos":2,"retain":false,"payload":"�\u0000"}"#,
                "\n",
            )
        );
        for line in text.lines() {
            serde_json::from_str::<crate::json::Value>(line).unwrap();
        }
        let hex = Export::Ndjson.write(entries().into_iter().skip(2), PayloadForm::Hex);
        assert_eq!(hex, "{\"time\":\"2026-12-04T18:00:00.125Z\",\"topic\":\"bin\",\"qos\":2,\"retain\":false,\"payload\":\"FF00\"}\n");
    }

    #[test]
    fn csv_quotes_what_needs_it_and_ends_lines_with_crlf() {
        assert_eq!(
            Export::Csv.write(entries(), PayloadForm::Base64),
            "time,topic,qos,retain,payload\r\n\
             2026-12-04T18:00:00.123Z,a/b,1,false,eyJ0IjoyLjUwfQ==\r\n\
             2026-12-04T18:00:00.124Z,\"c,d\",0,true,bGluZSAxCnNhaWQgImhpIg==\r\n\
             2026-12-04T18:00:00.125Z,bin,2,false,/wA=\r\n"
        );
        assert_eq!(
            Export::Csv.write(entries().into_iter().skip(1).take(1), PayloadForm::Text),
            "time,topic,qos,retain,payload\r\n2026-12-04T18:00:00.124Z,\"c,d\",0,true,\"line 1\nsaid \"\"hi\"\"\"\r\n"
        );
        assert_eq!(Export::Csv.write([], PayloadForm::Hex), "time,topic,qos,retain,payload\r\n");
    }
}
