//! Telemetry and attribute payloads (docs/platforms/thingsboard.md#telemetry and #attributes):
//! validation before sending, and splitting big batches so no PUBLISH exceeds the max payload.

use crate::json::{Map, Value};

use super::error::ThingsBoardError;
use crate::json::{describe, text, ToJson, Writer};

/// One record: key-values with an optional client-side timestamp in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryRecord {
    pub ts: Option<i64>,
    pub values: Map<String, Value>,
}

impl TelemetryRecord {
    pub fn new(values: Map<String, Value>) -> Self {
        Self { ts: None, values }
    }

    pub fn at(ts: i64, values: Map<String, Value>) -> Self {
        Self { ts: Some(ts), values }
    }
}

/// `{"ts": ..., "values": {...}}` with a timestamp, the values alone without one.
impl ToJson for TelemetryRecord {
    fn write_json(&self, out: &mut Writer) {
        match self.ts {
            Some(ts) => {
                out.open().field("ts", &ts).field("values", &self.values).close();
            }
            None => self.values.write_json(out),
        }
    }
}

/// Reads any of the four documented formats: `{k:v}`, `[{k:v}]`, `{ts, values}`, `[{ts, values}]`.
pub fn parse_telemetry(value: &Value) -> Result<Vec<TelemetryRecord>, ThingsBoardError> {
    let records = match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(ThingsBoardError::InvalidTelemetry("the array is empty".into()));
            }
            items.iter().map(parse_record).collect::<Result<Vec<_>, _>>()?
        }
        Value::Object(_) => vec![parse_record(value)?],
        other => return Err(ThingsBoardError::InvalidTelemetry(format!("got {}", describe(other)))),
    };
    Ok(records)
}

fn parse_record(value: &Value) -> Result<TelemetryRecord, ThingsBoardError> {
    let Value::Object(map) = value else {
        return Err(ThingsBoardError::InvalidTelemetry(format!("an array item is {}", describe(value))));
    };
    // ThingsBoard's JsonConverter reads any object with both `ts` and `values` as the timestamped
    // form and drops its other keys: those are refused here rather than lost there.
    if let (Some(ts), Some(values)) = (map.get("ts"), map.get("values")) {
        if let Some(other) = map.keys().find(|k| !matches!(k.as_str(), "ts" | "values")) {
            return Err(ThingsBoardError::InvalidTelemetry(format!(
                "{} next to ts and values would be dropped by ThingsBoard: move it into values",
                crate::json::quoted(other)
            )));
        }
        let ts = ts
            .as_i64()
            .ok_or_else(|| ThingsBoardError::InvalidTelemetry("ts must be an integer in milliseconds".into()))?;
        let Value::Object(values) = values else {
            return Err(ThingsBoardError::InvalidTelemetry("values must be an object".into()));
        };
        check_keys(values).map_err(ThingsBoardError::InvalidTelemetry)?;
        return Ok(TelemetryRecord::at(ts, values.clone()));
    }
    check_keys(map).map_err(ThingsBoardError::InvalidTelemetry)?;
    Ok(TelemetryRecord::new(map.clone()))
}

/// Attributes are a flat JSON object with non-empty keys.
pub fn validate_attributes(value: &Value) -> Result<&Map<String, Value>, ThingsBoardError> {
    match value {
        Value::Object(map) => {
            check_keys(map).map_err(ThingsBoardError::InvalidAttributes)?;
            Ok(map)
        }
        other => Err(ThingsBoardError::InvalidAttributes(format!("got {}", describe(other)))),
    }
}

fn check_keys(map: &Map<String, Value>) -> Result<(), String> {
    if map.is_empty() {
        return Err("there are no keys to send".into());
    }
    if map.keys().any(|k| k.trim().is_empty()) {
        return Err("a key is empty".into());
    }
    Ok(())
}

/// How many data points (key-values) the records hold: ThingsBoard rate-limits them.
pub fn data_points(records: &[TelemetryRecord]) -> usize {
    records.iter().map(|r| r.values.len()).sum()
}

/// A payload ready to publish, with its data-point count.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryPayload {
    pub json: String,
    pub data_points: usize,
}

/// Packs records into as few payloads as fit in `max_payload` bytes each, keeping order and
/// timestamps. A single key-value larger than the limit is an error, since it can never be sent.
pub fn split_payloads(
    records: &[TelemetryRecord],
    max_payload: usize,
) -> Result<Vec<TelemetryPayload>, ThingsBoardError> {
    let whole = records_json(records);
    if whole.len() <= max_payload {
        return Ok(vec![TelemetryPayload { json: whole, data_points: data_points(records) }]);
    }
    // Worst-case framing of one record in an array: `{"ts":-9223372036854775808,"values":{` + `}},`.
    const RECORD_OVERHEAD: usize = 40;
    let mut out = Vec::new();
    let mut batch: Vec<TelemetryRecord> = Vec::new();
    let mut size = 2; // the array's brackets
    for record in records {
        // Whether the batch's last record is (a part of) this one, so a key-value can join it.
        let mut open = false;
        for (k, v) in &record.values {
            let entry = k.to_json_text().len() + 1 + text(v).len() + 1;
            if entry + RECORD_OVERHEAD + 2 > max_payload {
                return Err(ThingsBoardError::PayloadTooLarge { size: entry + RECORD_OVERHEAD, max: max_payload });
            }
            let extra = if open { entry } else { entry + RECORD_OVERHEAD };
            if size + extra > max_payload {
                out.push(finish(&batch));
                batch.clear();
                size = 2;
                open = false;
            }
            match batch.last_mut() {
                Some(last) if open => {
                    last.values.insert(k.clone(), v.clone());
                    size += entry;
                }
                _ => {
                    let mut values = Map::new();
                    values.insert(k.clone(), v.clone());
                    batch.push(TelemetryRecord { ts: record.ts, values });
                    size += entry + RECORD_OVERHEAD;
                    open = true;
                }
            }
        }
    }
    if !batch.is_empty() {
        out.push(finish(&batch));
    }
    Ok(out)
}

fn finish(batch: &[TelemetryRecord]) -> TelemetryPayload {
    TelemetryPayload { json: records_json(batch), data_points: data_points(batch) }
}

fn records_json(records: &[TelemetryRecord]) -> String {
    match records {
        [one] => one.to_json_text(),
        many => many.to_json_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    // The docs' telemetry-data-as-object.json (docs/platforms/thingsboard.md#telemetry).
    fn seed_object() -> Value {
        json!({"stringKey": "value1", "booleanKey": true, "doubleKey": 42.0, "longKey": 73,
               "jsonKey": {"someNumber": 42, "someArray": [1,2,3], "someNestedObject": {"key": "value"}}})
    }

    #[test]
    fn the_four_documented_formats_parse() {
        let object = parse_telemetry(&seed_object()).unwrap();
        assert_eq!(object.len(), 1);
        assert_eq!(object[0].ts, None);
        assert_eq!(object[0].values.len(), 5);
        // telemetry-data-as-array.json
        let array = parse_telemetry(&json!([{"key1":"value1"}, {"key2":true}])).unwrap();
        assert_eq!(array.len(), 2);
        // telemetry-data-with-ts.json
        let with_ts = parse_telemetry(&json!({"ts": 1451649600512i64, "values": seed_object()})).unwrap();
        assert_eq!(with_ts[0].ts, Some(1_451_649_600_512));
        assert_eq!(with_ts[0].values["longKey"], 73);
        let ts_array = parse_telemetry(&json!([{"ts": 1, "values": {"a": 1}}, {"ts": 2, "values": {"a": 2}}])).unwrap();
        assert_eq!(ts_array.iter().map(|r| r.ts).collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!(data_points(&ts_array), 2);
    }

    // ThingsBoard's JsonConverter: `ts` and `values` together make the timestamped form, whatever
    // else is there (and the rest is dropped); `ts` without `values` is a plain key.
    #[test]
    fn ts_with_values_is_the_timestamped_form_and_other_keys_beside_them_are_refused() {
        let e = parse_telemetry(&json!({"ts": 5, "values": {"a": 1}, "other": 2})).unwrap_err();
        assert_eq!(e.code(), "TB_INVALID_TELEMETRY");
        assert!(e.to_string().contains("\"other\""), "{e}");
        let plain = parse_telemetry(&json!({"ts": 5, "other": 2})).unwrap();
        assert_eq!((plain[0].ts, plain[0].values.len()), (None, 2));
    }

    #[test]
    fn telemetry_that_is_not_an_object_or_array_or_has_an_empty_key_is_refused() {
        for bad in [
            json!(1),
            json!("x"),
            json!(null),
            json!([]),
            json!([1]),
            json!({}),
            json!({"": 1}),
            json!({"ts": "x", "values": {"a": 1}}),
            json!({"ts": 1, "values": [1]}),
            json!({"ts": 1, "values": {" ": 1}}),
        ] {
            let e = parse_telemetry(&bad).unwrap_err();
            assert_eq!(e.code(), "TB_INVALID_TELEMETRY", "{bad}");
        }
        assert_eq!(validate_attributes(&json!([1])).unwrap_err().code(), "TB_INVALID_ATTRIBUTES");
        assert_eq!(validate_attributes(&json!({"": 1})).unwrap_err().code(), "TB_INVALID_ATTRIBUTES");
    }

    #[test]
    fn a_small_batch_is_one_payload_in_its_own_format() {
        let records = parse_telemetry(&json!({"ts": 7, "values": {"a": 1}})).unwrap();
        let p = split_payloads(&records, 65_536).unwrap();
        assert_eq!(p, vec![TelemetryPayload { json: r#"{"ts":7,"values":{"a":1}}"#.into(), data_points: 1 }]);
    }

    // docs/platforms/thingsboard.md#max-payload: 65536 bytes by default; a larger packet disconnects.
    #[test]
    fn big_batches_split_under_the_limit_and_lose_nothing() {
        let mut records = Vec::new();
        for ts in 0..300i64 {
            let mut values = Map::new();
            for k in 0..40 {
                values.insert(format!("sensor_{k}"), json!(ts as f64 * 1.5 + k as f64));
            }
            records.push(TelemetryRecord::at(1_700_000_000_000 + ts, values));
        }
        let max = 4_096;
        let payloads = split_payloads(&records, max).unwrap();
        assert!(payloads.len() > 1);
        let mut seen = Vec::new();
        for p in &payloads {
            assert!(p.json.len() <= max, "{} bytes", p.json.len());
            let back = parse_telemetry(&serde_json::from_str(&p.json).unwrap()).unwrap();
            assert_eq!(data_points(&back), p.data_points);
            for r in back {
                for (k, v) in r.values {
                    seen.push((r.ts, k, v));
                }
            }
        }
        let expected: Vec<_> =
            records.iter().flat_map(|r| r.values.iter().map(move |(k, v)| (r.ts, k.clone(), v.clone()))).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn one_key_value_over_the_limit_is_an_error_not_a_disconnect() {
        let records = vec![TelemetryRecord::new(Map::from_iter([("blob".to_string(), json!("x".repeat(70_000)))]))];
        assert_eq!(split_payloads(&records, 65_536).unwrap_err().code(), "TB_PAYLOAD_TOO_LARGE");
    }
}
