//! The Things Stack codec against the documents (docs/platforms/things-stack.md): the MQTT docs' example
//! messages parse into typed events, unknown fields survive, bad input is an error, and payload forms
//! round-trip.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::platforms::things_stack::payload::*;
use iotmqtt::platforms::things_stack::{parse_event, ApplicationUid, EventKind, Priority, ThingsStackEvent, UpMessage};
use proptest::prelude::*;

fn app1() -> ApplicationUid {
    ApplicationUid::parse("app1").unwrap()
}

fn parse(kind: &str, body: &Value) -> ThingsStackEvent {
    let topic = format!("v3/app1/devices/dev1/{kind}");
    parse_event(&app1(), &topic, body.to_string().as_bytes()).unwrap().expect("an event topic")
}

fn end_device_ids() -> Value {
    json!({
        "device_id": "dev1",
        "application_ids": {"application_id": "app1"},
        "dev_eui": "4200000000000000",
        "join_eui": "4200000000000000",
        "dev_addr": "01DA1F15"
    })
}

// The MQTT docs' "Show example uplink message", verbatim (docs/platforms/things-stack.md#uplink).
fn seed_uplink() -> Value {
    json!({
        "end_device_ids": end_device_ids(),
        "correlation_ids": [
            "gs:conn:01D2CSNX7FJVKQPCVG612QF1TX",
            "gs:uplink:01D2CV8HF62ME0D7MZWE38HHH8",
            "ns:uplink:01D2CV8HF6FYJHKZ45YY1DB3MR",
            "rpc:/ttn.lorawan.v3.GsNs/HandleUplink:01D2CV8HF6XR7ZFVK768PDG3J4",
            "as:up:01D2CV8HNGJ57G25BW0FCZNY07"
        ],
        "uplink_message": {
            "session_key_id": "AWiZpAyXrAfEkUNkBljRoA==",
            "f_port": 15,
            "frm_payload": "VGVtcGVyYXR1cmUgPSAwLjA=",
            "rx_metadata": [{
                "gateway_ids": {"gateway_id": "eui-0242020000247803", "eui": "0242020000247803"},
                "time": "2019-01-29T13:02:34.981Z",
                "timestamp": 1283325000,
                "rssi": -35,
                "snr": 5,
                "uplink_token": "CiIKIAoUZXVpLTAyNDIwMjAwMDAyNDc4MDMSCAJCAgAAJHgDEMj49+ME"
            }],
            "settings": {
                "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}},
                "data_rate_index": 5,
                "coding_rate": "4/6",
                "frequency": "868500000",
                "gateway_channel_index": 2,
                "device_channel_index": 2
            }
        }
    })
}

// docs/platforms/things-stack.md#uplink: the example uplink message parses with every field the issue names.
#[test]
fn the_seed_uplink_parses_into_typed_fields() {
    let e = parse("up", &seed_uplink());
    assert_eq!((e.device_id.as_str(), e.kind), ("dev1", EventKind::Up));
    let up = &e.up;
    assert_eq!(up.end_device_ids.application_ids.application_id, "app1");
    assert_eq!(up.end_device_ids.dev_addr.as_deref(), Some("01DA1F15"));
    assert_eq!(up.correlation_ids.len(), 5);
    assert_eq!(up.f_port(), Some(15));
    assert_eq!(up.frm_payload(), Some(b"Temperature = 0.0".as_slice()));
    assert_eq!(up.rx_metadata()[0].gateway_ids.gateway_id, "eui-0242020000247803");
    assert_eq!(up.rx_metadata()[0].rssi, Some(-35.0));
    let settings = up.settings().unwrap();
    assert_eq!(settings.frequency, Some(868_500_000));
    assert_eq!(settings.data_rate.as_ref().unwrap().lora.as_ref().unwrap().spreading_factor, 7);
    assert_eq!(up.f_cnt(), None, "the seed's uplink has no f_cnt");
    assert_eq!(up.decoded_payload(), None);
}

// Issue 5: "Unknown fields are kept, not dropped" — and writing the event back gives the docs' example again.
#[test]
fn unknown_fields_survive_a_round_trip() {
    let e = parse("up", &seed_uplink());
    let UpMessage::UplinkMessage(u) = &e.up.message else { panic!("{:?}", e.up.message) };
    assert!(!u.extra.contains_key("session_key_id"), "session_key_id is a typed field");
    assert_eq!(u.settings.as_ref().unwrap().extra["coding_rate"], "4/6");
    assert!(u.rx_metadata[0].extra.contains_key("uplink_token"));
    let back = iotmqtt::json::to_value(&e.up);
    assert_eq!(back["uplink_message"]["settings"]["gateway_channel_index"], 2);
    assert_eq!(back["uplink_message"]["frm_payload"], "VGVtcGVyYXR1cmUgPSAwLjA=");
    assert_eq!(
        back["uplink_message"]["rx_metadata"][0]["uplink_token"],
        seed_uplink()["uplink_message"]["rx_metadata"][0]["uplink_token"]
    );
    assert_eq!(back["uplink_message"]["settings"]["frequency"], "868500000");
}

#[test]
fn unknown_envelope_fields_are_kept_apart_from_the_body() {
    let mut v = seed_uplink();
    v["future_field"] = json!({"x": 1});
    let e = parse("up", &v);
    assert_eq!(e.up.extra.get("future_field"), Some(&json!({"x": 1})));
    assert!(!e.up.extra.contains_key("uplink_message"), "the body is not duplicated into extra");
    assert!(!e.up.extra.contains_key("end_device_ids"));
}

// The MQTT docs' "Show example join accept message" (docs/platforms/things-stack.md#topics).
#[test]
fn the_seed_join_accept_parses() {
    let e = parse(
        "join",
        &json!({
            "end_device_ids": end_device_ids(),
            "correlation_ids": ["gs:conn:01D2CSNX7FJVKQPCVG612QF1TX", "as:up:01D2CT83AXQFQYQ35SR74CTWKH"],
            "join_accept": {"session_key_id": "AWiZpAyXrAfEkUNkBljRoA=="}
        }),
    );
    let UpMessage::JoinAccept(j) = &e.up.message else { panic!("{:?}", e.up.message) };
    assert_eq!(j.session_key_id.as_deref(), Some("AWiZpAyXrAfEkUNkBljRoA=="));
    assert_eq!(e.kind, EventKind::Join);
    assert_eq!(e.up.f_port(), None);
}

// The MQTT docs' "Show example downlink event message", the "..." ids kept as printed
// (docs/platforms/things-stack.md#downlink-tracking).
#[test]
fn the_seed_downlink_ack_parses() {
    let e = parse(
        "down/ack",
        &json!({
            "end_device_ids": end_device_ids(),
            "correlation_ids": ["my-correlation-id", "..."],
            "downlink_ack": {
                "session_key_id": "AWnj0318qrtJ7kbudd8Vmw==",
                "f_port": 15,
                "f_cnt": 11,
                "frm_payload": "vu8=",
                "confirmed": true,
                "priority": "NORMAL",
                "correlation_ids": ["my-correlation-id", "..."]
            }
        }),
    );
    let d = e.up.downlink().unwrap();
    assert_eq!((d.f_port, d.f_cnt, d.confirmed, d.priority), (15, Some(11), true, Some(Priority::Normal)));
    assert_eq!(e.up.frm_payload(), Some([0xBE, 0xEF].as_slice()));
    assert_eq!(e.up.f_cnt(), Some(11));
    assert!(e.head.correlation_ids.iter().any(|id| id == "my-correlation-id"));
}

// docs/platforms/things-stack.md#topics: every read topic is typed; messages.proto names each body.
#[test]
fn every_event_kind_has_a_typed_body() {
    let dl = json!({"f_port": 1, "frm_payload": "AQ=="});
    let cases = [
        (
            "up/normalized",
            "uplink_normalized",
            json!({"f_port": 1, "normalized_payload": {"air": {"temperature": 21.0}}}),
        ),
        ("down/queued", "downlink_queued", dl.clone()),
        ("down/sent", "downlink_sent", dl.clone()),
        ("down/nack", "downlink_nack", dl.clone()),
        (
            "down/failed",
            "downlink_failed",
            json!({"downlink": dl, "error": {"namespace": "pkg/networkserver", "name": "application_downlink_too_long", "code": 3}}),
        ),
        ("down/invalidated", "downlink_queue_invalidated", json!({"downlinks": [dl], "last_f_cnt_down": 4})),
        (
            "location/solved",
            "location_solved",
            json!({"service": "lora-cloud", "location": {"latitude": 52.3, "longitude": 4.9, "source": "SOURCE_GPS"}}),
        ),
        ("service/data", "service_data", json!({"service": "lora-cloud", "data": {"a": 1}})),
    ];
    for (topic, key, body) in cases {
        let mut v = json!({"end_device_ids": end_device_ids(), "correlation_ids": []});
        v[key] = body;
        let e = parse(topic, &v);
        assert_eq!(e.kind.topic_suffix(), topic);
        assert_eq!(e.up.message.kind(), e.kind, "{topic}");
    }
}

// Issue 5: bad input from the network is an error, never a panic.
#[test]
fn malformed_events_are_errors() {
    let app = app1();
    let bad = |topic: &str, payload: &[u8]| parse_event(&app, topic, payload).unwrap_err().code();
    assert_eq!(bad("v3/app1/devices/dev1/up", b"{not json"), "TTS_INVALID_EVENT");
    let mut v = seed_uplink();
    v["uplink_message"]["frm_payload"] = json!("***");
    assert_eq!(bad("v3/app1/devices/dev1/up", v.to_string().as_bytes()), "TTS_INVALID_EVENT");
    assert_eq!(bad("v3/app1/devices/dev1/join", seed_uplink().to_string().as_bytes()), "TTS_INVALID_EVENT");
    assert_eq!(bad("v3/app1/devices/dev1/up", br#"{"end_device_ids":{"device_id":"dev1"}}"#), "TTS_INVALID_EVENT");
    assert!(parse_event(&app, "v3/other/devices/dev1/up", b"garbage").unwrap().is_none());
}

proptest! {
    // Issue 5: hex/base64 round-trips, whatever the bytes.
    #[test]
    fn bytes_hex_base64_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let hex = bytes_to_hex(&bytes);
        prop_assert_eq!(hex_to_bytes(&hex).unwrap(), bytes.clone());
        prop_assert_eq!(hex_to_bytes(&hex.to_lowercase()).unwrap(), bytes.clone());
        let b64 = bytes_to_base64(&bytes);
        prop_assert_eq!(base64_to_bytes(&b64).unwrap(), bytes.clone());
        prop_assert_eq!(base64_to_hex(&hex_to_base64(&hex).unwrap()).unwrap(), hex);
    }

    #[test]
    fn separated_hex_reads_the_same(bytes in proptest::collection::vec(any::<u8>(), 1..64)) {
        let spaced: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
        prop_assert_eq!(hex_to_bytes(&spaced.join(" ")).unwrap(), bytes.clone());
        prop_assert_eq!(hex_to_bytes(&spaced.join(":")).unwrap(), bytes);
    }

    #[test]
    fn text_round_trips_through_base64(text in ".{0,64}") {
        prop_assert_eq!(base64_to_text(&text_to_base64(&text)).unwrap(), text);
    }

    #[test]
    fn arbitrary_payloads_never_panic_the_event_parser(payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_event(&app1(), "v3/app1/devices/dev1/up", &payload);
    }
}
