//! Shared helpers for the browser tests: where the test broker and simulator are (baked in at
//! compile time by the test command), a loopback HTTP call to their controllers, and waiting.
#![allow(dead_code)]

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The websockets listener of the harness's mosquitto (tests/harness/broker.py).
pub fn broker_ws() -> String {
    format!("ws://127.0.0.1:{}", harness_port(option_env!("IOTMQTT_TEST_BROKER_WS_PORT")))
}

/// A second harness mosquitto whose Receive Maximum (max_inflight_messages) is 5.
pub fn limited_broker_ws() -> String {
    format!("ws://127.0.0.1:{}", harness_port(option_env!("IOTMQTT_TEST_LIMITED_BROKER_WS_PORT")))
}

/// A path of the scripted server tests/js/hostile.mjs ("/auth": the broker's side of an MQTT 5
/// enhanced authentication).
pub fn hostile_ws(path: &str) -> String {
    format!("ws://127.0.0.1:{}{path}", harness_port(option_env!("IOTMQTT_TEST_HOSTILE_PORT")))
}

/// The harness's control API (stop/start mosquitto, run mosquitto_pub/mosquitto_sub).
pub fn control_url(path: &str) -> String {
    format!("http://127.0.0.1:{}{}", harness_port(option_env!("IOTMQTT_TEST_BROKER_CONTROL_PORT")), path)
}

/// A WebSocket endpoint of the platform simulator: "thingsboard", "thethingsstack" or "cloudplugs".
pub fn sim_ws(platform: &str) -> String {
    format!("ws://127.0.0.1:{}/mqtt/{platform}", harness_port(option_env!("IOTMQTT_TEST_SIM_HTTP_PORT")))
}

/// A URL of the simulator's admin HTTP API.
pub fn sim_http(path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", harness_port(option_env!("IOTMQTT_TEST_SIM_HTTP_PORT")))
}

/// Sends a request with a JSON body and returns the status and the parsed answer (Null when empty or not JSON).
pub async fn send_json(method: &str, url: &str, body: &iotmqtt::json::Value) -> (u16, iotmqtt::json::Value) {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    let window = web_sys::window().expect("a browser window");
    let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.expect("fetch");
    let resp: web_sys::Response = resp.dyn_into().expect("a Response");
    let text = JsFuture::from(resp.text().expect("text")).await.expect("body");
    let value = serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or(iotmqtt::json::Value::Null);
    (resp.status(), value)
}

/// The test command bakes the harness's ports in at compile time; without them the tests cannot run.
fn harness_port(port: Option<&'static str>) -> &'static str {
    match port {
        Some(p) => p,
        None => panic!("run the browser tests through the test command (scripts/test.sh), which starts mosquitto"),
    }
}

/// GETs a loopback URL and parses the JSON answer.
pub async fn get_json(url: &str) -> iotmqtt::json::Value {
    let window = web_sys::window().expect("a browser window");
    let resp = JsFuture::from(window.fetch_with_str(url)).await.expect("fetch");
    let resp: web_sys::Response = resp.dyn_into().expect("a Response");
    let text = JsFuture::from(resp.text().expect("text")).await.expect("body");
    serde_json::from_str(&text.as_string().unwrap_or_default()).expect("JSON from the harness")
}

pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// A topic no other test run shares.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}/{}", (js_sys::Math::random() * 1e12) as u64)
}

pub fn b64(bytes: &[u8]) -> String {
    let s: String = bytes.iter().map(|b| *b as char).collect();
    web_sys::window().unwrap().btoa(&s).unwrap()
}

pub fn unb64(text: &str) -> Vec<u8> {
    web_sys::window().unwrap().atob(text).unwrap().chars().map(|c| c as u32 as u8).collect()
}
