//! The fuzz harnesses, shared by the cargo-fuzz targets (fuzz/fuzz_targets/) and by the
//! regression test that replays the committed corpus and every crash found (tests/fuzz_regressions.rs).
#![allow(dead_code)]

use iotmqtt::platforms::cloudplugs::{enrollment, parse_data_record, parse_data_topic, properties};
use iotmqtt::platforms::things_stack::{decode_lpp, parse_event, payload, ApplicationUid, EventKind, Subscription};
use iotmqtt::platforms::thingsboard::{attributes, gateway, limits, provision, rpc, telemetry};
use iotmqtt::session::{Session, TimerKind};
use iotmqtt::{ConnectOptions, OfflineQueueOptions, Outgoing, ProtocolVersion, QoS};

/// The inbound path: any bytes, in any chunking, fed to a connecting or connected session of
/// either MQTT version, with timers firing in between. Nothing may panic.
pub fn session_feed(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else { return };
    let version = if control & 1 == 0 { ProtocolVersion::V3_1_1 } else { ProtocolVersion::V5 };
    let mut s = Session::new(ConnectOptions {
        version,
        client_id: "fuzz".into(),
        keepalive_secs: 10,
        clean_start: control & 8 == 0,
        ..Default::default()
    });
    if control & 16 != 0 {
        s.set_offline_queue(OfflineQueueOptions::default());
    }
    let _ = s.connect();
    if control & 2 != 0 {
        let connack: &[u8] = if version == ProtocolVersion::V3_1_1 { &[0x20, 2, 0, 0] } else { &[0x20, 3, 0, 0, 0] };
        let _ = s.feed(connack);
        let _ = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce));
        let _ = s.subscribe(&[("a/#".into(), QoS::ExactlyOnce)]);
    }
    let chunk = 1 + (control >> 5) as usize;
    for (i, piece) in rest.chunks(chunk).enumerate() {
        let _ = s.feed(piece);
        if i % 7 == 3 {
            let _ = s.timer_fired(TimerKind::PingreqSend);
        }
        if i % 11 == 5 {
            let _ = s.timer_fired(TimerKind::PingrespRecv);
        }
    }
    let _ = s.notify_closed();
    let _ = s.connect();
    let _ = s.feed(rest);
}

/// Every ThingsBoard payload the server can send, parsed from arbitrary bytes. Nothing may panic.
pub fn thingsboard_payloads(data: &[u8]) {
    let topic = format!("v1/devices/me/rpc/request/{}", String::from_utf8_lossy(&data[..data.len().min(12)]));
    let _ = rpc::parse_rpc_request(&topic, data);
    let _ = rpc::parse_rpc_result("m", data);
    let _ = attributes::parse_attribute_response(data);
    let _ = attributes::parse_shared_update(data);
    let _ = provision::parse_provision_response(data);
    let _ = gateway::parse_rpc_request(data);
    let _ = gateway::parse_attribute_update(data);
    let _ = gateway::parse_attribute_response(data, &|id| (id % 2 == 0).then(|| "k".to_string()));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = limits::parse_rate_windows(text);
    }
    if let Ok(value) = serde_json::from_slice::<iotmqtt::json::Value>(data) {
        let _ = limits::parse_session_limits(&value);
        if let Ok(records) = telemetry::parse_telemetry(&value) {
            let _ = telemetry::split_payloads(&records, 256);
        }
        let _ = telemetry::validate_attributes(&value);
    }
}

/// The Things Stack: events on every topic and the payload helpers, from arbitrary bytes.
pub fn things_stack_payloads(data: &[u8]) {
    let Ok(app) = ApplicationUid::parse("demo-app@ttn") else { return };
    for kind in ["up", "join", "down/queued", "down/sent", "down/ack", "down/nack", "down/failed", "location/solved"] {
        let _ = parse_event(&app, &format!("v3/demo-app@ttn/devices/dev1/{kind}"), data);
    }
    let _ = decode_lpp(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = payload::hex_to_bytes(text);
        let _ = payload::base64_to_bytes(text);
        let _ = payload::base64_to_text(text);
        let _ = ApplicationUid::parse(text);
        let _ = Subscription::device(text).with_event(EventKind::Up);
    }
}

/// CloudPlugs: data records, enrollment replies and property replies, from arbitrary bytes.
pub fn cloudplugs_payloads(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(24));
    let topic = String::from_utf8_lossy(head);
    let _ = parse_data_topic(&topic);
    let _ = parse_data_record(&topic, body);
    let _ = parse_data_record("dev-1/data/temp", data);
    let _ = enrollment::parse_enrollment_reply(data);
    let _ = properties::read_set_reply(br#"{"a":1}"#, data);
    let _ = properties::read_get_reply(br#"["a"]"#, Some(&["a".to_string()]), data);
    let _ = properties::read_get_reply(b"", None, data);
}
