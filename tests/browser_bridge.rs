//! The README's way to reach the real platforms, which serve MQTT over TCP only: a websockify
//! bridge (Debian's package) in front of the simulator's plain-TCP ports, the browser on the far side.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use iotmqtt::json;
use iotmqtt::platforms::cloudplugs::{CloudPlugsDevice, CloudPlugsOptions};
use iotmqtt::platforms::things_stack::{Subscription, ThingsStackApp};
use iotmqtt::platforms::thingsboard::{Credentials, DeviceOptions, ThingsBoardDevice};
use iotmqtt::ConnectOptions;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn bridge(port: Option<&'static str>) -> String {
    format!("ws://127.0.0.1:{}", port.expect("run through the test command, which starts the bridges"))
}

#[wasm_bindgen_test]
async fn thingsboard_through_websockify() {
    let url = bridge(option_env!("IOTMQTT_TEST_BRIDGE_THINGSBOARD_PORT"));
    let d = ThingsBoardDevice::connect(
        &url,
        Credentials::AccessToken { token: "demo-thermostat-token".into() },
        DeviceOptions::default(),
    )
    .await
    .expect("connected through the bridge");
    d.send_telemetry(&json!({"bridged": 7})).await.unwrap();
    let v = get_json(&sim_http(
        "/api/plugins/telemetry/DEVICE/Demo%20Thermostat/values/timeseries?useStrictDataTypes=true",
    ))
    .await;
    assert_eq!(v["bridged"][0]["value"], 7);
    assert_eq!(d.call("echo", json!({"via": "websockify"})).await.unwrap(), json!({"via": "websockify"}));
    d.close();
}

#[wasm_bindgen_test]
async fn the_things_stack_through_websockify() {
    let url = bridge(option_env!("IOTMQTT_TEST_BRIDGE_THETHINGSSTACK_PORT"));
    let app = ThingsStackApp::connect(&url, "demo-app@ttn", "NNSXS.DEMOKEY.SIMULATOR", ConnectOptions::default())
        .await
        .expect("connected through the bridge");
    let mut events = app.events();
    app.subscribe(&Subscription::application()).await.unwrap();
    let (status, _) = send_json(
        "POST",
        &sim_http("/api/sim/thethingsstack/applications/demo-app/devices/demo-sensor-1/uplink"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let event = futures_util::StreamExt::next(&mut events).await.unwrap().unwrap();
    assert_eq!(event.device_id, "demo-sensor-1");
    app.close();
}

#[wasm_bindgen_test]
async fn cloudplugs_through_websockify() {
    let url = bridge(option_env!("IOTMQTT_TEST_BRIDGE_CLOUDPLUGS_PORT"));
    let options = CloudPlugsOptions {
        username: "dev-000000000000000000000001".into(),
        auth: "demo-auth".into(),
        hwid: "bridge-hwid".into(),
        ..Default::default()
    };
    let device = CloudPlugsDevice::login(&url, &options).await.expect("logged in through the bridge");
    device.publish("bridge/check", json!({"ok": true}), None).await.unwrap();
    device.close();
}
