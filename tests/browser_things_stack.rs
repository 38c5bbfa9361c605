//! `ThingsStackApp` in headless Chromium against the simulator's The Things Stack endpoint
//! (application demo-app@ttn; uplinks every 300 ms, downlink events 100 ms apart in the harness).
#![cfg(target_arch = "wasm32")]

mod common;

use std::rc::Rc;

use common::*;
use futures_channel::mpsc::UnboundedReceiver;
use futures_util::StreamExt;
use iotmqtt::client::time::timeout;
use iotmqtt::json;
use iotmqtt::platforms::things_stack::{
    CayenneLpp, Downlink, DownlinkBuilder, DownlinkStatus, EventKind, JsFormatter, Priority, Subscription,
    ThingsStackApp, ThingsStackError, ThingsStackEvent, UplinkDecoder, UplinkInput,
};
use iotmqtt::ConnectOptions;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const APP: &str = "demo-app@ttn";
const KEY: &str = "NNSXS.DEMOKEY.SIMULATOR";

async fn connected() -> ThingsStackApp {
    ThingsStackApp::connect(&sim_ws("thethingsstack"), APP, KEY, ConnectOptions::default())
        .await
        .expect("the simulator accepts demo-app@ttn with the demo key")
}

type Events = UnboundedReceiver<Result<ThingsStackEvent, ThingsStackError>>;

/// The next event that `pred` accepts, within `ms`.
async fn next_event(events: &mut Events, ms: u32, pred: impl Fn(&ThingsStackEvent) -> bool) -> ThingsStackEvent {
    let found = timeout(ms, async {
        while let Some(item) = events.next().await {
            match item {
                Ok(e) if pred(&e) => return Some(e),
                Ok(_) => {}
                Err(e) => panic!("unexpected error event: {e}"),
            }
        }
        None
    })
    .await;
    found.flatten().unwrap_or_else(|| panic!("no matching event within {ms} ms"))
}

async fn queue_len(device: &str) -> usize {
    let q = get_json(&sim_http(&format!("/api/v3/as/applications/{APP}/devices/{device}/down"))).await;
    q["items"].as_array().map_or(usize::MAX, Vec::len)
}

// docs/platforms/things-stack.md#login: username `app@tenant`, password an API key; MQTT 3.1.1.
#[wasm_bindgen_test]
async fn connects_as_app_at_tenant_with_an_api_key() {
    let app = connected().await;
    assert!(app.client().is_some_and(|c| c.is_connected()));
    assert_eq!(app.application().uid(), APP);
    app.close();
}

// Issue 5: "a wrong key ... gets a clear error".
#[wasm_bindgen_test]
async fn a_wrong_api_key_is_refused_in_platform_words() {
    let url = sim_ws("thethingsstack");
    let err = ThingsStackApp::connect(&url, APP, "NNSXS.WRONG", ConnectOptions::default()).await.err().unwrap();
    assert_eq!(err.code(), "TTS_NOT_AUTHORIZED", "{err}");
    assert!(err.to_string().contains("API key") && err.to_string().contains("demo-app"), "{err}");
}

// Issue 5: "a wrong tenant suffix, for example `app1` where `app1@ttn` is needed".
#[wasm_bindgen_test]
async fn a_missing_tenant_suffix_is_refused_with_the_app_at_ttn_hint() {
    let url = sim_ws("thethingsstack");
    let err = ThingsStackApp::connect(&url, "demo-app", KEY, ConnectOptions::default()).await.err().unwrap();
    assert_eq!(err.code(), "TTS_NOT_AUTHORIZED", "{err}");
    assert!(err.to_string().contains("demo-app@ttn"), "{err}");
}

#[wasm_bindgen_test]
async fn login_mistakes_caught_before_connecting_have_their_own_codes() {
    let url = sim_ws("thethingsstack");
    let err = ThingsStackApp::connect(&url, "Demo App", KEY, ConnectOptions::default()).await.err().unwrap();
    assert_eq!(err.code(), "TTS_INVALID_ID", "{err}");
    let err = ThingsStackApp::connect(&url, APP, " ", ConnectOptions::default()).await.err().unwrap();
    assert_eq!(err.code(), "TTS_MISSING_API_KEY", "{err}");
}

// sim/README.md: CayenneLPP temperature + humidity uplinks as full ApplicationUp JSON;
// the same bytes decoded in the page give what the server's formatter gave.
#[wasm_bindgen_test]
async fn live_uplinks_are_typed_and_decoded_with_cayenne_lpp() {
    let app = connected().await;
    app.set_f_port_decoder(1, Rc::new(CayenneLpp));
    let mut events = app.events();
    app.subscribe(&Subscription::device("demo-sensor-1").with_event(EventKind::Up)).await.unwrap();
    let e = next_event(&mut events, 3000, |e| e.kind == EventKind::Up).await;
    app.close();
    assert_eq!(e.device_id, "demo-sensor-1");
    assert_eq!(e.up.f_port(), Some(1));
    assert!(e.up.f_cnt().is_some_and(|n| n > 0));
    let bytes = e.up.frm_payload().expect("frm_payload as bytes");
    assert_eq!((bytes.len(), bytes[1], bytes[5]), (7, 0x67, 0x68), "LPP temperature then humidity");
    assert!(!e.up.rx_metadata().is_empty());
    let sf =
        e.up.settings().and_then(|s| s.data_rate.as_ref()).and_then(|d| d.lora.as_ref()).map(|l| l.spreading_factor);
    assert_eq!(sf, Some(7));
    let decoded = e.decoded.expect("decoded in the page");
    assert!(decoded.is_ok(), "{decoded:?}");
    assert!(decoded.data["temperature_1"].is_number() && decoded.data["relative_humidity_2"].is_number());
    // Equal as JSON numbers: the server's `35.0` arrives through JSON.parse as the integer 35.
    assert_eq!(
        Some(as_numbers(&decoded.data)),
        e.up.decoded_payload().map(as_numbers),
        "same output as the server's formatter"
    );
}

/// An object's values as f64, keyed as they are: JSON does not tell 35 from 35.0.
/// The fields as numbers, by key: a JSON object's key order carries no meaning.
fn as_numbers(v: &iotmqtt::json::Value) -> Vec<(String, Option<f64>)> {
    let mut fields: Vec<_> = v.as_object().into_iter().flatten().map(|(k, n)| (k.clone(), n.as_f64())).collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields
}

// TTS payload formatter contract: decodeUplink({bytes, fPort, recvTime}) -> {data, warnings, errors}.
#[wasm_bindgen_test]
async fn a_javascript_decode_uplink_formatter_decodes_live_uplinks() {
    let source = r#"
        function decodeUplink(input) {
          return {
            data: { first: input.bytes[0], port: input.fPort, dated: input.recvTime instanceof Date, n: input.bytes.length },
            warnings: ["from js"],
            errors: []
          };
        }"#;
    let app = connected().await;
    app.set_device_decoder("demo-sensor-2", Rc::new(JsFormatter::new(source).unwrap()));
    let mut events = app.events();
    app.subscribe(&Subscription::device("demo-sensor-2").with_event(EventKind::Up)).await.unwrap();
    let e = next_event(&mut events, 3000, |_| true).await;
    app.close();
    let bytes = e.up.frm_payload().unwrap();
    let decoded = e.decoded.expect("the device's formatter ran");
    assert_eq!(decoded.data, json!({"first": bytes[0], "port": 1, "dated": true, "n": bytes.len()}));
    assert_eq!(decoded.warnings, vec!["from js".to_string()]);
    assert!(decoded.is_ok());
}

#[wasm_bindgen_test]
fn formatter_failures_follow_the_tts_contract() {
    let input = UplinkInput { bytes: vec![1, 2], f_port: 3, recv_time: None };
    let errors = JsFormatter::new("function decodeUplink(input) { return { errors: ['bad port ' + input.fPort] }; }")
        .unwrap()
        .decode_uplink(&input);
    assert_eq!(errors.errors, vec!["bad port 3".to_string()]);
    let thrown =
        JsFormatter::new("function decodeUplink() { throw new Error('boom'); }").unwrap().decode_uplink(&input);
    assert!(thrown.errors[0].contains("boom"), "{thrown:?}");
    let legacy = JsFormatter::new("function Decoder(bytes, port) { return { sum: bytes[0] + bytes[1], port: port }; }")
        .unwrap()
        .decode_uplink(&input);
    assert_eq!(legacy.data, json!({"sum": 3, "port": 3}));
    for broken in ["function decodeUplink( {", "var x = 1;", "throw new Error('at load')"] {
        let err = JsFormatter::new(broken).err().unwrap();
        assert_eq!(err.code(), "TTS_FORMATTER_ERROR", "{broken}: {err}");
    }
}

// docs/platforms/things-stack.md#downlink-tracking: a confirmed downlink's ack on down/ack carries the correlation ids;
// sim/README.md: down/queued at once, down/sent after the delay, then down/ack.
#[wasm_bindgen_test]
async fn a_confirmed_downlink_is_tracked_through_queued_sent_and_ack() {
    let app = connected().await;
    let downlink = DownlinkBuilder::new(15)
        .hex("BE EF")
        .priority(Priority::High)
        .confirmed(true)
        .correlation_id("my-correlation-id")
        .build()
        .unwrap();
    let mut handles = app.push("demo-sensor-1", &[downlink]).await.unwrap();
    let mut h = handles.remove(0);
    assert!(h.correlation_id().starts_with("iotmqtt:down:"));
    let outcome = h.outcome(3000).await.unwrap();
    app.close();
    assert_eq!(outcome, DownlinkStatus::Acked);
    assert_eq!(h.history(), &[DownlinkStatus::Queued, DownlinkStatus::Sent, DownlinkStatus::Acked]);
}

// docs/platforms/things-stack.md#downlinks: "It is also possible to send multiple downlink messages on a single push".
#[wasm_bindgen_test]
async fn several_downlinks_in_one_push_are_tracked_separately() {
    let app = connected().await;
    let first = DownlinkBuilder::new(1).text("one").build().unwrap();
    let second = DownlinkBuilder::new(2).base64("dHdv").build().unwrap();
    let mut handles = app.push("demo-sensor-1", &[first, second]).await.unwrap();
    assert_eq!(handles.len(), 2);
    assert_ne!(handles[0].correlation_id(), handles[1].correlation_id());
    for h in &mut handles {
        assert_eq!(h.outcome(3000).await.unwrap(), DownlinkStatus::Sent, "unconfirmed: done once sent");
    }
    app.close();
}

// sim/README.md: `down/nack` for a device flagged nack_confirmed (admin API flags).
#[wasm_bindgen_test]
async fn a_nacked_confirmed_downlink_reports_nacked() {
    let flags = sim_http(&format!("/api/sim/thethingsstack/applications/{APP}/devices/demo-sensor-2/flags"));
    assert_eq!(send_json("POST", &flags, &json!({"nack_confirmed": true})).await.0, 200);
    let app = connected().await;
    let d = DownlinkBuilder::new(5).hex("01").confirmed(true).build().unwrap();
    let mut h = app.push("demo-sensor-2", &[d]).await.unwrap().remove(0);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match h.next(3000).await {
            Ok(Some(s)) => seen.push(s),
            other => panic!("after {seen:?}: {other:?}"),
        }
    }
    send_json("POST", &flags, &json!({"nack_confirmed": false})).await;
    app.close();
    assert_eq!(seen, vec![DownlinkStatus::Queued, DownlinkStatus::Sent, DownlinkStatus::Nacked]);
    assert!(!h.is_done(), "the server may retry a nacked confirmed downlink");
}

// docs/platforms/things-stack.md#downlinks: "Replacing with an empty array clears the downlink queue."
#[wasm_bindgen_test]
async fn replace_with_an_empty_list_clears_the_queue() {
    let app = connected().await;
    let list: Vec<Downlink> = (1..=4).map(|p| DownlinkBuilder::new(p).hex("AA").build().unwrap()).collect();
    let mut handles = app.push("demo-sensor-2", &list).await.unwrap();
    assert!(queue_len("demo-sensor-2").await >= 3, "the push is queued before the clear");
    app.clear("demo-sensor-2").await.unwrap();
    assert_eq!(queue_len("demo-sensor-2").await, 0);
    sleep_ms(500).await;
    let mut sent = 0;
    for h in &mut handles {
        while let Ok(Some(s)) = h.next(10).await {
            sent += usize::from(s == DownlinkStatus::Sent);
        }
    }
    app.close();
    assert!(sent <= 1, "{sent} downlinks went out after the clear (one may already have been on its way)");
}

#[wasm_bindgen_test]
async fn replace_puts_its_downlinks_in_place_of_the_queue() {
    let app = connected().await;
    let old: Vec<Downlink> = (1..=3).map(|p| DownlinkBuilder::new(p).hex("AA").build().unwrap()).collect();
    app.push("demo-sensor-2", &old).await.unwrap();
    let new = DownlinkBuilder::new(9).hex("BB").build().unwrap();
    let mut h = app.replace("demo-sensor-2", &[new]).await.unwrap().remove(0);
    let q = get_json(&sim_http(&format!("/api/v3/as/applications/{APP}/devices/demo-sensor-2/down"))).await;
    assert_eq!(q["items"].as_array().map(Vec::len), Some(1), "{q}");
    assert_eq!(q["items"][0]["f_port"], 9);
    assert_eq!(h.outcome(3000).await.unwrap(), DownlinkStatus::Sent);
    app.close();
}

// docs/platforms/things-stack.md#downlink-too-long: down/failed with application_downlink_too_long;
// sim/README.md: demo-sensor-slow is SF12 with a 51-byte limit.
#[wasm_bindgen_test]
async fn a_payload_too_long_for_the_data_rate_ends_in_failed() {
    let app = connected().await;
    let d = DownlinkBuilder::new(3).bytes(vec![0x42; 60]).confirmed(true).build().unwrap();
    let mut h = app.push("demo-sensor-slow", &[d]).await.unwrap().remove(0);
    let outcome = h.outcome(3000).await.unwrap();
    app.close();
    let DownlinkStatus::Failed { error } = outcome else { panic!("{outcome:?}") };
    assert_eq!(error.name, "application_downlink_too_long");
    assert_eq!(h.history().first(), Some(&DownlinkStatus::Queued));
}

/// A push the client refuses: the error code, and the server's queue untouched.
async fn refused_before_sending(downlink: Downlink, code: &str) {
    let app = connected().await;
    app.clear("demo-sensor-1").await.unwrap();
    let err = app.push("demo-sensor-1", &[downlink]).await.err().expect("refused");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(queue_len("demo-sensor-1").await, 0, "nothing reached the server");
    assert_eq!(app.tracked_downlinks(), 0);
    app.close();
}

fn valid() -> Downlink {
    Downlink { f_port: 10, frm_payload: Some(vec![1]), ..Default::default() }
}

// docs/platforms/things-stack.md#downlink-validation: the server only logs an invalid downlink; the client validates.
#[wasm_bindgen_test]
async fn an_f_port_outside_1_to_223_is_refused() {
    refused_before_sending(Downlink { f_port: 224, ..valid() }, "TTS_INVALID_FPORT").await;
}

#[wasm_bindgen_test]
async fn a_payload_over_255_bytes_is_refused() {
    refused_before_sending(Downlink { frm_payload: Some(vec![0; 256]), ..valid() }, "TTS_PAYLOAD_TOO_LONG").await;
}

#[wasm_bindgen_test]
async fn a_correlation_id_over_100_characters_is_refused() {
    let d = Downlink { correlation_ids: vec!["c".repeat(101)], ..valid() };
    refused_before_sending(d, "TTS_CORRELATION_ID_TOO_LONG").await;
}

#[wasm_bindgen_test]
async fn both_frm_payload_and_decoded_payload_is_refused() {
    refused_before_sending(Downlink { decoded_payload: Some(json!({"on": 1})), ..valid() }, "TTS_PAYLOAD_CONFLICT")
        .await;
}

#[wasm_bindgen_test]
fn a_priority_outside_the_enum_is_refused() {
    let err = DownlinkBuilder::new(1).hex("01").priority_name("URGENT").build().unwrap_err();
    assert_eq!(err.code(), "TTS_INVALID_PRIORITY");
    let bad = <Downlink as iotmqtt::json::FromJson>::from_json(json!({"f_port": 1, "priority": "URGENT"}));
    assert!(bad.is_err(), "a Downlink cannot hold an unknown priority");
}

// sim/README.md admin API: a join event on demo; docs/platforms/things-stack.md#topics (`join`).
#[wasm_bindgen_test]
async fn join_events_are_typed() {
    let app = connected().await;
    let mut events = app.events();
    app.subscribe(&Subscription::event(EventKind::Join)).await.unwrap();
    let join = sim_http(&format!("/api/sim/thethingsstack/applications/{APP}/devices/demo-sensor-slow/join"));
    assert_eq!(send_json("POST", &join, &json!({})).await.0, 200);
    let e = next_event(&mut events, 3000, |e| e.device_id == "demo-sensor-slow").await;
    app.close();
    assert_eq!(e.kind, EventKind::Join);
    assert_eq!(e.up.end_device_ids.application_ids.application_id, "demo-app");
    assert!(!e.up.correlation_ids.is_empty());
}

// Issue 5: bad input from the network becomes an error event, never a panic.
#[wasm_bindgen_test]
async fn an_event_with_bad_base64_becomes_an_error_event() {
    let app = connected().await;
    let mut events = app.events();
    app.subscribe(&Subscription::device("demo-sensor-slow").with_event(EventKind::Up)).await.unwrap();
    let simulate = sim_http(&format!("/api/v3/as/applications/{APP}/devices/demo-sensor-slow/up/simulate"));
    let body = json!({"uplink_message": {"f_port": 2, "frm_payload": "not*base64"}});
    assert_eq!(send_json("POST", &simulate, &body).await.0, 200);
    let err = timeout(3000, async {
        loop {
            match events.next().await {
                Some(Err(e)) => return Some(e),
                Some(Ok(_)) => {}
                None => return None,
            }
        }
    })
    .await
    .flatten()
    .expect("an error event");
    assert_eq!(err.code(), "TTS_INVALID_EVENT");
    assert!(err.to_string().contains("demo-sensor-slow/up"), "{err}");
    assert!(app.client().is_some_and(|c| c.is_connected()), "the connection survives bad input");
    app.close();
}

// Issue 5: "Subscribe to a whole application, or to one device and event type."
#[wasm_bindgen_test]
async fn a_device_and_event_subscription_delivers_only_those() {
    let app = connected().await;
    let mut events = app.events();
    app.subscribe(&Subscription::device("demo-sensor-2").with_event(EventKind::Up)).await.unwrap();
    sleep_ms(1000).await;
    app.close();
    let mut seen = 0;
    while let Ok(item) = events.try_recv() {
        let e = item.unwrap();
        assert_eq!((e.device_id.as_str(), e.kind), ("demo-sensor-2", EventKind::Up));
        seen += 1;
    }
    assert!(seen >= 2, "uplinks every 300 ms, saw {seen} in 1 s");
}

#[wasm_bindgen_test]
async fn an_application_subscription_delivers_every_device() {
    let app = connected().await;
    let mut events = app.events();
    app.subscribe(&Subscription::application()).await.unwrap();
    let mut devices = std::collections::BTreeSet::new();
    let _ = timeout(3000, async {
        while devices.len() < 3 {
            if let Some(Ok(e)) = events.next().await {
                devices.insert(e.device_id);
            }
        }
    })
    .await;
    app.close();
    let expected: std::collections::BTreeSet<String> =
        ["demo-sensor-1", "demo-sensor-2", "demo-sensor-slow"].map(String::from).into();
    assert_eq!(devices, expected);
}
