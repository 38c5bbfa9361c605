// Realistic simulated LoRaWAN traffic: CayenneLPP temperature and humidity readings, and the
// ApplicationUp JSON around them (rx_metadata, settings, airtime) as The Things Stack publishes it.

use crate::clock;
use base64::Engine;
use serde_json::{json, Map, Value};

/// CayenneLPP: channel 1 temperature (type 0x67, 0.1 °C signed), channel 2 humidity (0x68, 0.5 %).
pub fn encode_lpp(temperature_c: f64, humidity_pct: f64) -> Vec<u8> {
    let t = (temperature_c * 10.0).round() as i16;
    let h = (humidity_pct * 2.0).round().clamp(0.0, 255.0) as u8;
    let tb = t.to_be_bytes();
    vec![0x01, 0x67, tb[0], tb[1], 0x02, 0x68, h]
}

/// Decodes the CayenneLPP types the simulator sends, with TTS's CayenneLPP formatter names.
pub fn decode_lpp(bytes: &[u8]) -> Option<Value> {
    let mut out = Map::new();
    let mut i = 0;
    while i + 2 <= bytes.len() {
        let (channel, kind) = (bytes[i], bytes[i + 1]);
        i += 2;
        match kind {
            0x67 => {
                let raw = i16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]);
                out.insert(format!("temperature_{channel}"), json!(f64::from(raw) / 10.0));
                i += 2;
            }
            0x68 => {
                out.insert(format!("relative_humidity_{channel}"), json!(f64::from(*bytes.get(i)?) / 2.0));
                i += 1;
            }
            _ => return None,
        }
    }
    (i == bytes.len() && !out.is_empty()).then_some(Value::Object(out))
}

/// LoRa time on air in seconds (Semtech AN1200.13), 125 kHz, coding rate 4/5, explicit header,
/// 8-symbol preamble; PHYPayload = 13 bytes of LoRaWAN overhead + FRMPayload.
pub fn airtime_s(spreading_factor: u8, frm_payload_len: usize) -> f64 {
    let sf = f64::from(spreading_factor);
    let bw = 125_000.0;
    let t_sym = 2f64.powf(sf) / bw;
    let low_dr_optimize = if spreading_factor >= 11 { 1.0 } else { 0.0 };
    let pl = (13 + frm_payload_len) as f64;
    let numerator = 8.0 * pl - 4.0 * sf + 28.0 + 16.0;
    let symbols = 8.0 + ((numerator / (4.0 * (sf - 2.0 * low_dr_optimize))).ceil() * 5.0).max(0.0);
    (8.0 + 4.25) * t_sym + symbols * t_sym
}

/// A reading that drifts slowly, so a dashboard shows something plausible.
pub fn reading(f_cnt: u32, device_index: usize) -> (f64, f64) {
    let phase = f64::from(f_cnt) / 6.0 + device_index as f64;
    let jitter = (clock::random_u64() % 10) as f64 / 20.0;
    let temperature = 21.0 + 3.0 * phase.sin() + jitter;
    let humidity = 45.0 + 10.0 * (phase / 2.0).cos();
    ((temperature * 10.0).round() / 10.0, (humidity * 2.0).round() / 2.0)
}

pub struct RadioSettings {
    pub spreading_factor: u8,
    pub frequency_hz: u64,
    pub rssi: i32,
    pub snr: f64,
}

impl RadioSettings {
    pub fn simulated(spreading_factor: u8) -> Self {
        let channels = [868_100_000u64, 868_300_000, 868_500_000];
        let r = clock::random_u64();
        Self {
            spreading_factor,
            frequency_hz: channels[(r % 3) as usize],
            rssi: -60 - ((r >> 8) % 50) as i32 - if spreading_factor >= 11 { 40 } else { 0 },
            snr: if spreading_factor >= 11 { -8.0 } else { 7.5 } + ((r >> 16) % 20) as f64 / 10.0,
        }
    }
}

/// The `uplink_message` of an ApplicationUp.
pub fn uplink_message(
    session_key_id: &str,
    f_port: u8,
    f_cnt: u32,
    frm_payload: &[u8],
    radio: &RadioSettings,
) -> Value {
    let now_ns = clock::now_ns();
    let received_at = clock::rfc3339_ns(now_ns);
    let gateway_time = clock::rfc3339_ns(now_ns - 30_000_000);
    let timestamp = (clock::random_u64() & 0xffff_ffff) as u32;
    let data_rate_index = 12u8.saturating_sub(radio.spreading_factor);
    let mut message = json!({
        "session_key_id": session_key_id,
        "f_port": f_port,
        "f_cnt": f_cnt,
        "frm_payload": base64::engine::general_purpose::STANDARD.encode(frm_payload),
        "rx_metadata": [{
            "gateway_ids": {"gateway_id": "sim-gateway-1", "eui": "B827EBFFFE000001"},
            "time": gateway_time,
            "timestamp": timestamp,
            "rssi": radio.rssi,
            "channel_rssi": radio.rssi,
            "snr": radio.snr,
            "uplink_token": base64::engine::general_purpose::STANDARD.encode(clock::random_u64().to_be_bytes()),
            "received_at": gateway_time,
        }],
        "settings": {
            "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": radio.spreading_factor, "coding_rate": "4/5"}},
            "data_rate_index": data_rate_index,
            "frequency": radio.frequency_hz.to_string(),
            "timestamp": timestamp,
            "time": gateway_time,
        },
        "received_at": received_at,
        "confirmed": false,
        "consumed_airtime": format!("{:.6}s", airtime_s(radio.spreading_factor, frm_payload.len())),
        "network_ids": {"net_id": "000013", "tenant_id": "ttn", "cluster_id": "eu1", "cluster_address": "eu1.cloud.thethings.network"},
    });
    if let Some(decoded) = decode_lpp(frm_payload) {
        message["decoded_payload"] = decoded;
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpp_round_trips_temperature_and_humidity() {
        let bytes = encode_lpp(21.3, 45.5);
        assert_eq!(bytes, vec![0x01, 0x67, 0x00, 0xD5, 0x02, 0x68, 0x5B]);
        assert_eq!(decode_lpp(&bytes), Some(json!({"temperature_1": 21.3, "relative_humidity_2": 45.5})));
        assert_eq!(decode_lpp(&encode_lpp(-4.2, 0.0)).unwrap()["temperature_1"], -4.2);
        assert_eq!(decode_lpp(&[0x01, 0x67, 0x00]), None);
        assert_eq!(decode_lpp(b"hello"), None);
    }

    #[test]
    fn airtime_matches_the_lora_calculator() {
        // 7-byte LPP payload (20-byte PHYPayload): SF7 ≈ 56.6 ms, SF12 ≈ 1318.9 ms at 125 kHz, CR 4/5.
        assert!((airtime_s(7, 7) - 0.056576).abs() < 1e-6, "{}", airtime_s(7, 7));
        assert!((airtime_s(12, 7) - 1.318912).abs() < 1e-6, "{}", airtime_s(12, 7));
    }

    // docs/platforms/things-stack.md#uplink: f_port, f_cnt, frm_payload, rx_metadata, settings.data_rate.lora.
    #[test]
    fn uplink_message_has_the_documented_fields() {
        let m = uplink_message("key", 1, 3, &encode_lpp(20.0, 50.0), &RadioSettings::simulated(7));
        for field in [
            "f_port",
            "f_cnt",
            "frm_payload",
            "decoded_payload",
            "rx_metadata",
            "settings",
            "received_at",
            "consumed_airtime",
        ] {
            assert!(m.get(field).is_some(), "{field}");
        }
        assert_eq!(m["settings"]["data_rate"]["lora"]["spreading_factor"], 7);
        assert_eq!(m["settings"]["data_rate"]["lora"]["bandwidth"], 125000);
        assert!(m["rx_metadata"][0]["gateway_ids"]["gateway_id"].is_string());
        assert!(m["rx_metadata"][0]["rssi"].is_i64());
    }
}
