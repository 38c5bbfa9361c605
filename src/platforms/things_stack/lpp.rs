//! CayenneLPP decoding with the standard types, producing the same JSON as The Things Stack's own
//! CayenneLPP formatter (`temperature_1`, `gps_7: {latitude, longitude, altitude}`, ...).

use crate::json::{Map, Value};

use super::error::PayloadError;

/// One LPP data type: its code, name in TTS's output, and value size in bytes.
struct LppType {
    code: u8,
    name: &'static str,
    size: usize,
}

const TYPES: [LppType; 12] = [
    LppType { code: 0x00, name: "digital_in", size: 1 },
    LppType { code: 0x01, name: "digital_out", size: 1 },
    LppType { code: 0x02, name: "analog_in", size: 2 },
    LppType { code: 0x03, name: "analog_out", size: 2 },
    LppType { code: 0x65, name: "luminosity", size: 2 },
    LppType { code: 0x66, name: "presence", size: 1 },
    LppType { code: 0x67, name: "temperature", size: 2 },
    LppType { code: 0x68, name: "relative_humidity", size: 1 },
    LppType { code: 0x71, name: "accelerometer", size: 6 },
    LppType { code: 0x73, name: "barometric_pressure", size: 2 },
    LppType { code: 0x86, name: "gyrometer", size: 6 },
    LppType { code: 0x88, name: "gps", size: 9 },
];

/// One LPP record: `"<name>_<channel>"` and its value, a number or named numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub name: &'static str,
    pub channel: u8,
    pub value: LppValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LppValue {
    Number(f64),
    /// A whole number (digital in and out, luminosity, presence), written without a fraction.
    Whole(u16),
    /// Named parts: accelerometer and gyrometer `x, y, z`; GPS `latitude, longitude, altitude`.
    Parts([(&'static str, f64); 3]),
}

impl Reading {
    /// The key TTS's formatter gives it: `temperature_1`.
    pub fn key(&self) -> String {
        let mut key = String::with_capacity(self.name.len() + 4);
        key.push_str(self.name);
        key.push('_');
        let c = self.channel;
        for (digit, shown) in [(c / 100, c >= 100), ((c / 10) % 10, c >= 10), (c % 10, true)] {
            if shown {
                key.push(char::from(b'0' + digit));
            }
        }
        key
    }
}

/// Reads `channel, type, value...` records, in order (a later record on the same key wins in
/// [`decode_lpp`], as in TTS's formatter).
pub fn read_lpp(bytes: &[u8]) -> Result<Vec<Reading>, PayloadError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let bad = |reason: String| PayloadError::InvalidLpp { offset: i, reason };
        let (Some(&channel), Some(&code)) = (bytes.get(i), bytes.get(i + 1)) else {
            return Err(bad("a record needs a channel and a type byte".into()));
        };
        let Some(t) = TYPES.iter().find(|t| t.code == code) else {
            // No `{:02X}`: hex formatting would come into the package for this one message.
            let hex = |n: u8| char::from(b"0123456789ABCDEF"[usize::from(n & 15)]);
            return Err(bad(format!("unknown type 0x{}{} on channel {channel}", hex(code >> 4), hex(code))));
        };
        let Some(v) = bytes.get(i + 2..i + 2 + t.size) else {
            return Err(bad(format!("{} on channel {channel} needs {} bytes", t.name, t.size)));
        };
        out.push(Reading { name: t.name, channel, value: value(code, v) });
        i += 2 + t.size;
    }
    Ok(out)
}

/// Decodes into `{"<name>_<channel>": value}`, the JSON TTS's formatter produces.
pub fn decode_lpp(bytes: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    let mut out = Map::new();
    for r in read_lpp(bytes)? {
        let value = match r.value {
            LppValue::Number(n) => Value::from(n),
            LppValue::Whole(n) => Value::from(n),
            LppValue::Parts(parts) => {
                Value::Object(parts.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect())
            }
        };
        out.insert(r.key(), value);
    }
    Ok(out)
}

fn value(code: u8, v: &[u8]) -> LppValue {
    // `read_lpp` gives each type its whole size; `at` reads 0 past it, never panics.
    let at = |k: usize| v.get(k).copied().unwrap_or(0);
    let i16_at = |k: usize| f64::from(i16::from_be_bytes([at(k), at(k + 1)]));
    let u16_at = |k: usize| u16::from_be_bytes([at(k), at(k + 1)]);
    // 24-bit signed, big-endian, as LPP's GPS fields are.
    let i24_at = |k: usize| f64::from(i32::from_be_bytes([at(k), at(k + 1), at(k + 2), 0]) >> 8);
    let xyz = |scale: f64| [("x", i16_at(0) / scale), ("y", i16_at(2) / scale), ("z", i16_at(4) / scale)];
    match code {
        0x00 | 0x01 | 0x66 => LppValue::Whole(at(0).into()),
        0x02 | 0x03 => LppValue::Number(i16_at(0) / 100.0),
        0x65 => LppValue::Whole(u16_at(0)),
        0x67 => LppValue::Number(i16_at(0) / 10.0),
        0x68 => LppValue::Number(f64::from(at(0)) / 2.0),
        0x71 => LppValue::Parts(xyz(1000.0)),
        0x73 => LppValue::Number(f64::from(u16_at(0)) / 10.0),
        0x86 => LppValue::Parts(xyz(100.0)),
        _ => LppValue::Parts([
            ("latitude", i24_at(0) / 10000.0),
            ("longitude", i24_at(3) / 10000.0),
            ("altitude", i24_at(6) / 100.0),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn close(v: &Value, expected: f64) -> bool {
        v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
    }

    // lorawan-stack pkg/messageprocessors/cayennelpp/cayennelpp_test.go, TestDecode: every standard type.
    #[test]
    fn the_tts_formatter_test_vector_decodes_the_same() {
        let bytes = [
            1, 0x00, 255, 2, 0x01, 100, 3, 0x02, 21, 74, 4, 0x03, 234, 182, 5, 0x65, 1, 244, 6, 0x66, 50, 7, 0x67, 255,
            100, 8, 0x68, 99, 9, 0x71, 254, 88, 0, 15, 6, 130, 10, 0x73, 41, 239, 11, 0x86, 1, 99, 2, 49, 254, 102, 12,
            0x88, 7, 253, 135, 0, 190, 245, 0, 8, 106,
        ];
        let m = decode_lpp(&bytes).unwrap();
        assert_eq!(m.len(), 12);
        assert_eq!(m["digital_in_1"], json!(255));
        assert_eq!(m["digital_out_2"], json!(100));
        assert!(close(&m["analog_in_3"], 54.5));
        assert!(close(&m["analog_out_4"], -54.5));
        assert_eq!(m["luminosity_5"], json!(500));
        assert_eq!(m["presence_6"], json!(50));
        assert!(close(&m["temperature_7"], -15.6));
        assert!(close(&m["relative_humidity_8"], 49.5));
        assert!(close(&m["accelerometer_9"]["x"], -0.424));
        assert!(close(&m["accelerometer_9"]["y"], 0.015));
        assert!(close(&m["accelerometer_9"]["z"], 1.666));
        assert!(close(&m["barometric_pressure_10"], 1073.5));
        assert!(close(&m["gyrometer_11"]["x"], 3.55));
        assert!(close(&m["gyrometer_11"]["y"], 5.61));
        assert!(close(&m["gyrometer_11"]["z"], -4.10));
        assert!(close(&m["gps_12"]["latitude"], 52.3655));
        assert!(close(&m["gps_12"]["longitude"], 4.8885));
        assert!(close(&m["gps_12"]["altitude"], 21.54));
    }

    // The simulator's uplinks (sim/README.md): channel 1 temperature, channel 2 humidity.
    #[test]
    fn the_simulators_temperature_and_humidity_reading() {
        let m = decode_lpp(&[0x01, 0x67, 0x00, 0xD5, 0x02, 0x68, 0x5B]).unwrap();
        assert_eq!(Value::Object(m), json!({"temperature_1": 21.3, "relative_humidity_2": 45.5}));
    }

    #[test]
    fn negative_gps_coordinates_keep_their_sign() {
        // 0xFAD540 = -338624, 0xE8ED73 = -1512077, 0xFFFF9C = -100 (24-bit two's complement)
        let m = decode_lpp(&[1, 0x88, 0xFA, 0xD5, 0x40, 0xE8, 0xED, 0x73, 0xFF, 0xFF, 0x9C]).unwrap();
        assert!(close(&m["gps_1"]["latitude"], -33.8624), "{}", m["gps_1"]);
        assert!(close(&m["gps_1"]["longitude"], -151.2077), "{}", m["gps_1"]);
        assert!(close(&m["gps_1"]["altitude"], -1.0), "{}", m["gps_1"]);
    }

    #[test]
    fn truncated_or_unknown_records_are_errors_with_their_offset() {
        assert_eq!(
            decode_lpp(&[1, 0x67, 0x00]).unwrap_err(),
            PayloadError::InvalidLpp { offset: 0, reason: "temperature on channel 1 needs 2 bytes".into() }
        );
        let e = decode_lpp(&[1, 0x66, 1, 2, 0x42, 0]).unwrap_err();
        assert_eq!(e.code(), "TTS_INVALID_LPP");
        assert!(e.to_string().contains("byte 3") && e.to_string().contains("0x42"), "{e}");
        assert!(decode_lpp(&[7]).is_err());
        assert!(decode_lpp(&[]).unwrap().is_empty());
    }
}
