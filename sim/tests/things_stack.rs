// The Things Stack MQTT server, as specified in docs/platforms/things-stack.md,
// driven over TCP by rumqttc and the admin API.

mod common;

use common::raw::{self, RawClient};
use common::*;
use iotmqtt_sim::SimConfig;
use rumqttc::{ConnectReturnCode, QoS, SubscribeReasonCode};
use serde_json::{json, Value};
use std::time::Duration;

const USER: &str = "demo-app@ttn";
const KEY: &str = "NNSXS.DEMOKEY.SIMULATOR";
const UP: &str = "v3/demo-app@ttn/devices/demo-sensor-1/up";

async fn app(port: u16) -> Client {
    connect(port, "integration", Some((USER, KEY))).await.expect("application login")
}

/// The next event on `v3/demo-app@ttn/devices/{dev}/{event}`, skipping others.
async fn event(c: &mut Client, dev: &str, event: &str) -> Value {
    c.next_json_on(&format!("v3/demo-app@ttn/devices/{dev}/{event}")).await
}

// docs/platforms/things-stack.md#login: application id as user name, API key as password; on multi-tenant
// deployments `app@tenant` (on TTN: `app1@ttn`).
#[tokio::test]
async fn login_needs_the_tenant_form_and_the_right_api_key() {
    let sim = start().await;
    let port = sim.ports.thethingsstack_tcp;
    app(port).await;
    assert_eq!(connect(port, "x", Some((USER, "NNSXS.WRONG"))).await.err(), Some(ConnectReturnCode::NotAuthorized));
    assert_eq!(connect(port, "x", Some(("demo-app", KEY))).await.err(), Some(ConnectReturnCode::NotAuthorized));
    assert_eq!(connect(port, "x", Some(("other@ttn", KEY))).await.err(), Some(ConnectReturnCode::NotAuthorized));
}

// docs/platforms/things-stack.md#login: "The Things Stack supports the MQTT Standard Version 3.1.1."
#[tokio::test]
async fn mqtt5_is_refused_as_an_unsupported_protocol_version() {
    let sim = start().await;
    let mut c = RawClient::open(sim.ports.thethingsstack_tcp).await;
    c.send(&raw::connect(5, "x", Some(USER), Some(KEY))).await;
    let (first, body) = c.read().await.expect("CONNACK");
    assert_eq!((first, body[1]), (0x20, 0x84));
}

// docs/platforms/things-stack.md#subscriptions: `#` and `v3/#` are rewritten to `v3/{uid}/#`; `v3/+/...` has `+`
// replaced by the uid; another application's id is refused. A join message when a device joins
// (docs/platforms/things-stack.md#topics).
#[tokio::test]
async fn wildcards_are_rewritten_to_the_own_application_and_devices_join() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    assert_eq!(c.subscribe("v3/other-app@ttn/#", QoS::AtMostOnce).await, vec![SubscribeReasonCode::Failure]);
    assert_eq!(c.subscribe("v3/demo-app/#", QoS::AtMostOnce).await, vec![SubscribeReasonCode::Failure]);
    assert_eq!(c.subscribe("#", QoS::AtMostOnce).await, vec![SubscribeReasonCode::Success(QoS::AtMostOnce)]);
    let mut joined = Vec::new();
    while joined.len() < 3 {
        let (topic, payload) = c.next_publish().await;
        assert!(topic.starts_with("v3/demo-app@ttn/devices/"), "{topic}");
        let join: Value = serde_json::from_slice(&payload).unwrap();
        assert!(join["join_accept"]["session_key_id"].is_string());
        assert_eq!(join["end_device_ids"]["application_ids"]["application_id"], "demo-app");
        joined.push(join["end_device_ids"]["device_id"].as_str().unwrap().to_string());
    }
    joined.sort();
    assert_eq!(joined, ["demo-sensor-1", "demo-sensor-2", "demo-sensor-slow"]);
    // `v3/+/...` works too.
    let mut c2 = app(sim.ports.thethingsstack_tcp).await;
    assert_eq!(
        c2.subscribe("v3/+/devices/+/up", QoS::AtMostOnce).await,
        vec![SubscribeReasonCode::Success(QoS::AtMostOnce)]
    );
    http(sim.ports.http, "POST", "/api/sim/thethingsstack/applications/demo-app/devices/demo-sensor-1/uplink", b"")
        .await;
    c2.next_on(UP).await;
}

// docs/platforms/things-stack.md#upstream-qos: upstream messages are published at QoS 0, whatever QoS was granted.
#[tokio::test]
async fn events_are_published_at_qos_0_on_a_qos_1_subscription() {
    let sim = start().await;
    let mut c = RawClient::open(sim.ports.thethingsstack_tcp).await;
    c.send(&raw::connect(4, "raw", Some(USER), Some(KEY))).await;
    assert_eq!(c.read().await.map(|(first, body)| (first, body[1])), Some((0x20, 0)));
    c.send(&raw::subscribe(4, 1, &[(UP, 1)])).await;
    assert_eq!(c.read().await, Some((0x90, vec![0, 1, 1])), "SUBACK granting QoS 1");
    http(sim.ports.http, "POST", "/api/sim/thethingsstack/applications/demo-app/devices/demo-sensor-1/uplink", b"")
        .await;
    let (first, body) = c.read().await.expect("the uplink");
    assert_eq!(first & 0xF0, 0x30, "a PUBLISH");
    assert_eq!((first >> 1) & 0x03, 0, "at QoS 0");
    assert_eq!(raw_publish_v311(first, &body).0, UP);
}

// docs/platforms/things-stack.md#uplink: the docs' example uplink and the envelope fields.
#[tokio::test]
async fn uplinks_are_realistic_application_up_messages_with_lpp_readings() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/+/up", QoS::AtMostOnce).await;
    let (s, _) =
        http(sim.ports.http, "POST", "/api/sim/thethingsstack/applications/demo-app/devices/demo-sensor-1/uplink", b"")
            .await;
    assert_eq!(s, 200);
    let up = c.next_json_on(UP).await;
    let ids = &up["end_device_ids"];
    assert_eq!((ids["device_id"].as_str(), ids["dev_eui"].as_str()), (Some("demo-sensor-1"), Some("70B3D57ED0000001")));
    assert!(up["correlation_ids"].as_array().unwrap().iter().any(|i| i.as_str().unwrap().starts_with("as:up:")));
    let m = &up["uplink_message"];
    assert_eq!(m["f_port"], 1);
    assert!(m["f_cnt"].as_u64().unwrap() >= 1);
    assert!(m["decoded_payload"]["temperature_1"].is_f64());
    assert!(m["decoded_payload"]["relative_humidity_2"].is_number());
    let bytes = base64_decode(m["frm_payload"].as_str().unwrap());
    assert_eq!((bytes[0], bytes[1], bytes[4], bytes[5]), (1, 0x67, 2, 0x68), "CayenneLPP temperature + humidity");
    assert!(m["rx_metadata"][0]["gateway_ids"]["gateway_id"].is_string());
    assert!(m["rx_metadata"][0]["rssi"].is_i64());
    assert!(m["rx_metadata"][0]["snr"].is_number());
    assert!(m["rx_metadata"][0]["time"].is_string());
    assert_eq!(m["settings"]["data_rate"]["lora"]["spreading_factor"], 7);
    assert_eq!(m["settings"]["data_rate"]["lora"]["bandwidth"], 125000);
    assert!(m["settings"]["frequency"].as_str().unwrap().starts_with("868"));
    assert!(m["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(m["consumed_airtime"].as_str().unwrap().ends_with('s'));
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        bits = (bits << 6) | A.iter().position(|a| *a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[tokio::test]
async fn periodic_uplinks_follow_the_join() {
    let mut config = SimConfig::for_tests();
    config.timings.uplink_period_ms = 50;
    let sim = start_with(config).await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/+/devices/demo-sensor-1/#", QoS::AtMostOnce).await;
    event(&mut c, "demo-sensor-1", "join").await;
    let first = c.next_json_on(UP).await["uplink_message"]["f_cnt"].as_u64().unwrap();
    let second = c.next_json_on(UP).await["uplink_message"]["f_cnt"].as_u64().unwrap();
    assert_eq!(second, first + 1);
}

// The Things Stack's simulate endpoint: POST .../up/simulate with an ApplicationUp.
#[tokio::test]
async fn a_simulated_uplink_from_the_admin_api_is_published() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-2/up", QoS::AtMostOnce).await;
    let body = json!({"uplink_message": {"f_port": 2, "frm_payload": "AWcA1QJoWw=="}});
    let (s, _) =
        http_json(sim.ports.http, "POST", "/api/v3/as/applications/demo-app/devices/demo-sensor-2/up/simulate", &body)
            .await;
    assert_eq!(s, 200);
    let up = event(&mut c, "demo-sensor-2", "up").await;
    assert_eq!(up["simulated"], true);
    assert_eq!(up["uplink_message"]["f_port"], 2);
    assert_eq!(up["uplink_message"]["frm_payload"], "AWcA1QJoWw==");
    assert_eq!(up["uplink_message"]["decoded_payload"], json!({"temperature_1": 21.3, "relative_humidity_2": 45.5}));
}

// docs/platforms/things-stack.md#downlink-tracking: a confirmed downlink with own correlation ids; "Once the downlink
// gets acknowledged, a message is published to the topic .../down/ack"; events carry the correlation ids.
#[tokio::test]
async fn a_confirmed_downlink_is_queued_then_sent_then_acked_with_its_correlation_id() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-1/down/#", QoS::AtMostOnce).await;
    let push = json!({"downlinks": [{"f_port": 15, "frm_payload": "vu8=", "priority": "HIGH", "confirmed": true, "correlation_ids": ["my-correlation-id"]}]});
    c.publish_json("v3/demo-app@ttn/devices/demo-sensor-1/down/push", &push).await;
    let mut order = Vec::new();
    while order.len() < 3 {
        let (topic, payload) = c.next_publish().await;
        let v: Value = serde_json::from_slice(&payload).unwrap();
        assert!(v["correlation_ids"].as_array().unwrap().contains(&json!("my-correlation-id")), "{topic}: {v}");
        order.push(topic.rsplit('/').next().unwrap().to_string());
        if topic.ends_with("/ack") {
            assert_eq!(v["downlink_ack"]["frm_payload"], "vu8=");
            assert_eq!(v["downlink_ack"]["confirmed"], true);
            assert_eq!(v["downlink_ack"]["priority"], "HIGH");
            assert!(v["downlink_ack"]["correlation_ids"].as_array().unwrap().contains(&json!("my-correlation-id")));
        }
    }
    assert_eq!(order, ["queued", "sent", "ack"]);
}

#[tokio::test]
async fn an_unconfirmed_downlink_is_queued_and_sent_and_nothing_more() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-1/down/#", QoS::AtMostOnce).await;
    c.publish_json(
        "v3/demo-app@ttn/devices/demo-sensor-1/down/push",
        &json!({"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}]}),
    )
    .await;
    let queued = event(&mut c, "demo-sensor-1", "down/queued").await;
    assert_eq!(queued["downlink_queued"]["priority"], "LOWEST");
    let sent = event(&mut c, "demo-sensor-1", "down/sent").await;
    assert!(sent["downlink_sent"]["f_cnt"].is_u64());
    assert!(c.quiet_for(Duration::from_millis(150)).await);
}

// Simulator flag `nack_confirmed` (configurable in TOML and via the admin API).
#[tokio::test]
async fn a_device_flagged_to_nack_answers_a_confirmed_downlink_with_down_nack() {
    let sim = start().await;
    let (s, _) = http_json(
        sim.ports.http,
        "POST",
        "/api/sim/thethingsstack/applications/demo-app/devices/demo-sensor-2/flags",
        &json!({"nack_confirmed": true}),
    )
    .await;
    assert_eq!(s, 200);
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-2/down/#", QoS::AtMostOnce).await;
    c.publish_json(
        "v3/demo-app@ttn/devices/demo-sensor-2/down/push",
        &json!({"downlinks": [{"f_port": 1, "frm_payload": "AQ==", "confirmed": true, "correlation_ids": ["n1"]}]}),
    )
    .await;
    let nack = event(&mut c, "demo-sensor-2", "down/nack").await;
    assert!(nack["correlation_ids"].as_array().unwrap().contains(&json!("n1")));
    assert!(nack["downlink_nack"].is_object());
}

// docs/platforms/things-stack.md#downlink-too-long: a payload too long for the data rate fails at
// scheduling: `down/failed` with error `application_downlink_too_long` (SF12: at most 51 bytes).
#[tokio::test]
async fn a_payload_too_long_for_sf12_fails_with_application_downlink_too_long() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-slow/down/#", QoS::AtMostOnce).await;
    let payload = "A".repeat(80); // 60 bytes decoded
    c.publish_json(
        "v3/demo-app@ttn/devices/demo-sensor-slow/down/push",
        &json!({"downlinks": [{"f_port": 1, "frm_payload": payload, "correlation_ids": ["big"]}]}),
    )
    .await;
    event(&mut c, "demo-sensor-slow", "down/queued").await;
    let failed = event(&mut c, "demo-sensor-slow", "down/failed").await;
    assert_eq!(failed["downlink_failed"]["error"]["name"], "application_downlink_too_long");
    assert!(failed["correlation_ids"].as_array().unwrap().contains(&json!("big")));
}

// docs/platforms/things-stack.md#downlink-validation: an invalid downlink is only logged, no error
// topic, no disconnect.
#[tokio::test]
async fn invalid_downlinks_are_only_logged() {
    let sim = start().await;
    let mut c = app(sim.ports.thethingsstack_tcp).await;
    c.subscribe("v3/demo-app@ttn/devices/demo-sensor-1/down/#", QoS::AtMostOnce).await;
    for bad in [
        json!({"downlinks": [{"f_port": 0, "frm_payload": "AQ=="}]}),
        json!({"downlinks": [{"f_port": 224}]}),
        json!({"downlinks": [{"f_port": 1, "frm_payload": "not base64!"}]}),
        json!({"downlinks": [{"f_port": 1, "priority": "URGENT"}]}),
        json!({"downlinks": [{"f_port": 1, "correlation_ids": ["x".repeat(101)]}]}),
        json!({"no": "downlinks"}),
    ] {
        c.publish_json("v3/demo-app@ttn/devices/demo-sensor-1/down/push", &bad).await;
    }
    c.publish("v3/demo-app@ttn/devices/demo-sensor-1/down/push", "{garbage").await;
    assert!(c.quiet_for(Duration::from_millis(150)).await, "no event for an invalid downlink");
    // Still connected: a valid one goes through.
    c.publish_json(
        "v3/demo-app@ttn/devices/demo-sensor-1/down/push",
        &json!({"downlinks": [{"f_port": 2, "decoded_payload": {"led": true}}]}),
    )
    .await;
    event(&mut c, "demo-sensor-1", "down/queued").await;
}

// docs/platforms/things-stack.md#downlinks: /replace replaces the downlink queue, and an empty array clears it.
#[tokio::test]
async fn replace_with_an_empty_list_clears_the_queue() {
    let mut config = SimConfig::for_tests();
    config.timings.downlink_event_delay_ms = 2000;
    let sim = start_with(config).await;
    let c = app(sim.ports.thethingsstack_tcp).await;
    let topic = "v3/demo-app@ttn/devices/demo-sensor-1/down";
    c.publish_json(
        &format!("{topic}/push"),
        &json!({"downlinks": [{"f_port": 1, "frm_payload": "AQ=="}, {"f_port": 2, "frm_payload": "Ag=="}]}),
    )
    .await;
    let queue_path = "/api/v3/as/applications/demo-app/devices/demo-sensor-1/down";
    let mut items = 0;
    for _ in 0..50 {
        items = get_json(sim.ports.http, queue_path).await["items"].as_array().unwrap().len();
        if items == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(items, 2);
    c.publish_json(&format!("{topic}/replace"), &json!({"downlinks": []})).await;
    for _ in 0..50 {
        items = get_json(sim.ports.http, queue_path).await["items"].as_array().unwrap().len();
        if items == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(items, 0);
}
