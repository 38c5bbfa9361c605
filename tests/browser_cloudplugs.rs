//! CloudPlugs in headless Chromium against the simulator's `/mqtt/cloudplugs` endpoint: enrollment,
//! login with the new credentials, data between two clients, and additional properties (docs/platforms/cloudplugs.md).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use futures_util::StreamExt;
use iotmqtt::json;
use iotmqtt::json::Value;
use iotmqtt::platforms::cloudplugs::{
    CloudPlugsDevice, CloudPlugsError, CloudPlugsOptions, Credentials, PropertyMap, PropertyValue,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The simulator's demo production template and its enrollment pass (sim/README.md).
const MODEL: &str = "DEMO-MODEL";
const PASS: &str = "demo-pass";

/// A hardware ID or channel level no other test run shares.
fn fresh(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

async fn enroll_new_thing() -> (String, Credentials) {
    let hwid = fresh("HW");
    let creds = CloudPlugsDevice::enroll_thing(&sim_ws("cloudplugs"), MODEL, &hwid, Some("Test Thing"), PASS)
        .await
        .expect("the simulator enrolls a thing with the demo pass");
    (hwid, creds)
}

async fn login(hwid: &str, creds: &Credentials) -> CloudPlugsDevice {
    let options = CloudPlugsOptions::new(&creds.plug_id, &creds.auth, hwid);
    CloudPlugsDevice::login(&sim_ws("cloudplugs"), &options).await.expect("login with the enrolled credentials")
}

/// The simulator's record of one plug (GET /api/sim/cloudplugs).
async fn sim_plug(plug_id: &str) -> Value {
    let all = get_json(&sim_http("/api/sim/cloudplugs")).await;
    let plugs = all["plugs"].as_array().cloned().unwrap_or_default();
    plugs.into_iter().find(|p| p["id"] == plug_id).unwrap_or(Value::Null)
}

// docs/platforms/cloudplugs.md#enrollment: CONNECT with empty credentials, SUBSCRIBE MODEL/thing/PASS,
// reply {"id","auth"}; #login: the Plug-ID and auth code then log in.
#[wasm_bindgen_test]
async fn an_enrolled_thing_logs_in_at_once_with_its_new_credentials() {
    let (hwid, creds) = enroll_new_thing().await;
    assert!(!creds.plug_id.is_empty() && !creds.auth.is_empty(), "{creds:?}");
    let device = login(&hwid, &creds).await;
    assert_eq!(device.plug_id(), Some(creds.plug_id.as_str()));
    let plug = sim_plug(&creds.plug_id).await;
    assert_eq!((plug["hwid"].as_str(), plug["kind"].as_str()), (Some(hwid.as_str()), Some("thing")));
    assert_eq!(plug["name"], "Test Thing", "the client id carried HWID/NAME");
    assert_eq!(plug["connected"], true);
    device.close();
}

// docs/platforms/cloudplugs.md#enrollment: "MODEL/ctrl/THING_HWID/PASS" enrolls a controller of that thing.
#[wasm_bindgen_test]
async fn an_enrolled_controller_controls_its_thing_and_logs_in() {
    let (thing_hwid, thing) = enroll_new_thing().await;
    let ctrl_hwid = fresh("CTRL");
    let creds = CloudPlugsDevice::enroll_controller(&sim_ws("cloudplugs"), MODEL, &thing_hwid, PASS, &ctrl_hwid, None)
        .await
        .expect("the simulator enrolls a controller of an enrolled thing");
    assert_ne!(creds.plug_id, thing.plug_id);
    let plug = sim_plug(&creds.plug_id).await;
    assert_eq!(plug["kind"], "controller");
    assert_eq!(plug["controls"], thing.plug_id.as_str());
    let controller = login(&ctrl_hwid, &creds).await;
    assert!(controller.client().is_some_and(|c| c.is_connected()));
    controller.close();
}

// docs/platforms/cloudplugs.md#enrollment: on failure the reply is {"err": Number, "msg": String}, then a close.
#[wasm_bindgen_test]
async fn enrollment_with_a_wrong_pass_is_a_typed_refusal_with_err_and_msg() {
    let err = CloudPlugsDevice::enroll_thing(&sim_ws("cloudplugs"), MODEL, &fresh("HW"), None, "wrong-pass")
        .await
        .expect_err("a wrong enrollment pass is refused");
    assert_eq!(err.code(), "CLOUDPLUGS_ENROLLMENT_REFUSED", "{err}");
    match err {
        CloudPlugsError::EnrollmentRefused { err, msg } => {
            assert!(err > 0, "a numeric error code, got {err}");
            assert!(!msg.is_empty(), "CloudPlugs' message is kept");
        }
        other => panic!("expected EnrollmentRefused, got {other:?}"),
    }
}

// docs/platforms/cloudplugs.md#data-channels: "+/data/CHANNEL" retrieves the data published on CHANNEL by all devices.
#[wasm_bindgen_test]
async fn two_clients_exchange_data_through_plus_data_channel() {
    let (hwid_a, creds_a) = enroll_new_thing().await;
    let (hwid_b, creds_b) = enroll_new_thing().await;
    let reader = login(&hwid_a, &creds_a).await;
    let writer = login(&hwid_b, &creds_b).await;
    let channel = format!("Test/{}", fresh("ch"));
    let mut records = reader.subscribe(None, &channel).await.expect("subscribe +/data/CHANNEL");

    writer.publish(&channel, json!({"temp": 21.5}), Some(1_700_000_000_000)).await.expect("publish");
    let record = records.next().await.expect("a record").expect("a well-formed data document");

    assert_eq!(record.plug_id, creds_b.plug_id, "the sender's Plug-ID comes from the topic");
    assert_eq!(record.channel, channel);
    assert_eq!(record.data, json!({"temp": 21.5}));
    assert_eq!(record.at, Some(1_700_000_000_000));
    assert!(record.id.as_deref().is_some_and(|id| !id.is_empty()), "CloudPlugs gives every document an id");
    reader.close();
    writer.close();
}

// docs/platforms/cloudplugs.md#data-channels: "dev-.../data/#" is all data published by that device, and no other.
#[wasm_bindgen_test]
async fn a_plug_id_filter_with_hash_takes_only_that_devices_data() {
    let (hwid_a, creds_a) = enroll_new_thing().await;
    let (hwid_b, creds_b) = enroll_new_thing().await;
    let reader = login(&hwid_a, &creds_a).await;
    let writer = login(&hwid_b, &creds_b).await;
    let mut records = reader.subscribe(Some(&creds_b.plug_id), "#").await.expect("subscribe PLUG_ID/data/#");

    reader.publish("Mine", json!("not for this filter"), None).await.expect("publish own");
    writer.publish("Deep/Channel", json!(7), None).await.expect("publish other");
    let record = records.next().await.expect("a record").expect("a data document");

    assert_eq!((record.plug_id.as_str(), record.channel.as_str()), (creds_b.plug_id.as_str(), "Deep/Channel"));
    assert_eq!(record.data, json!(7));
    reader.close();
    writer.close();
}

// docs/platforms/cloudplugs.md#properties: static values and {"channel": ...} references,
// answered on the same channel.
#[wasm_bindgen_test]
async fn properties_are_set_then_read_back() {
    let (hwid, creds) = enroll_new_thing().await;
    let device = login(&hwid, &creds).await;
    let channel = fresh("Level");
    device.publish(&channel, json!(73), None).await.expect("publish the referenced channel");
    let mut props = PropertyMap::new();
    props.insert("Serial".into(), PropertyValue::Static(json!("SN-42")));
    props.insert("Limits".into(), PropertyValue::Static(json!({"min": 1, "max": 9})));
    props.insert("Level".into(), PropertyValue::Channel(channel.clone()));

    device.set_properties(&props).await.expect("an empty reply means OK");
    let all = device.get_properties(None).await.expect("all properties");
    let some = device.get_properties(Some(&["Serial".to_owned()])).await.expect("named properties");

    assert_eq!(all.get("Serial"), Some(&json!("SN-42")));
    assert_eq!(all.get("Limits"), Some(&json!({"min": 1, "max": 9})));
    assert_eq!(all.get("Level"), Some(&json!(73)), "a channel reference reads as the channel's last value");
    assert_eq!(Value::Object(some), json!({"Serial": "SN-42"}));
    device.close();
}

// Replies carry no id: requests on one channel must take turns, or two answers could be swapped.
#[wasm_bindgen_test]
async fn concurrent_property_requests_each_get_their_own_answer() {
    let (hwid, creds) = enroll_new_thing().await;
    let device = login(&hwid, &creds).await;
    let mut props = PropertyMap::new();
    props.insert("A".into(), PropertyValue::Static(json!(1)));
    props.insert("B".into(), PropertyValue::Static(json!(2)));
    device.set_properties(&props).await.expect("set");

    let a = ["A".to_owned()];
    let b = ["B".to_owned()];
    let (ra, rb) = futures_util::future::join(device.get_properties(Some(&a)), device.get_properties(Some(&b))).await;

    assert_eq!(ra.map(Value::Object).map_err(|e| e.code()), Ok(json!({"A": 1})));
    assert_eq!(rb.map(Value::Object).map_err(|e| e.code()), Ok(json!({"B": 2})));
    device.close();
}

// docs/platforms/cloudplugs.md#properties: the server answers "{"err":...}" on the same channel.
#[wasm_bindgen_test]
async fn a_property_error_reply_is_a_typed_error() {
    // An account login may act for any Plug-ID, so the simulator answers rather than drops.
    let options = CloudPlugsOptions::new("demo@cloudplugs.local", "demo-account-pass", &fresh("ACCT"));
    let account = CloudPlugsDevice::login(&sim_ws("cloudplugs"), &options).await.expect("account login");
    assert_eq!(account.plug_id(), None);
    let err = account
        .get_properties_of("dev-999999999999999999999999", None)
        .await
        .expect_err("an unknown plug has no properties");
    assert_eq!(err.code(), "CLOUDPLUGS_PROPERTY_ERROR", "{err}");
    assert!(matches!(err, CloudPlugsError::PropertyError { err: 404, .. }), "{err:?}");
    account.close();
}

// docs/platforms/cloudplugs.md#login: the password is the authorization code related to the username.
#[wasm_bindgen_test]
async fn a_wrong_auth_code_is_refused_at_connect() {
    let options = CloudPlugsOptions::new("dev-000000000000000000000001", "not-the-auth", "DEMO-HWID-1");
    let err = CloudPlugsDevice::login(&sim_ws("cloudplugs"), &options).await.err().map(|e| e.code());
    assert!(err.is_some_and(|c| c.starts_with("CONNACK_")), "{err:?}");
}
