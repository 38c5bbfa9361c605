//! Background tabs: Chrome throttles a hidden page's timers to about once a minute, which starves a
//! main-thread keepalive (a top complaint against MQTT.js). Here the page's setTimeout is throttled
//! the same way; keepalive must still hold with the worker clock, and does not without it.
//! Its own test binary, because it patches the page's timers.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::*;
use iotmqtt::client::{ConnectionState, MqttClient};
use iotmqtt::{ClientOptions, ConnectOptions, ReconnectOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function throttle_page_timers() {
  if (!globalThis.__realSetTimeout) globalThis.__realSetTimeout = globalThis.setTimeout;
  const real = globalThis.__realSetTimeout;
  globalThis.setTimeout = (f, ms, ...args) => real(f, Math.max(ms || 0, 60000), ...args);
}
export function unthrottle_page_timers() {
  if (globalThis.__realSetTimeout) globalThis.setTimeout = globalThis.__realSetTimeout;
}
export function real_sleep(ms) {
  const real = globalThis.__realSetTimeout || globalThis.setTimeout;
  return new Promise(r => real(r, ms));
}
")]
extern "C" {
    fn throttle_page_timers();
    fn unthrottle_page_timers();
    fn real_sleep(ms: u32) -> js_sys::Promise;
}

fn options() -> ConnectOptions {
    ConnectOptions {
        username: Some("tester".into()),
        password: Some("secret".into()),
        keepalive_secs: 1,
        ..Default::default()
    }
}

/// Counts `WebSocket.prototype.send` calls on this page from now on; `ws_sends()` reads the count.
fn count_ws_sends() {
    js_sys::Function::new_no_args(
        "const p = WebSocket.prototype; if (!p.send.__counting) { const o = p.send; \
         const f = function (d) { globalThis.__wsSends++; return o.call(this, d); }; \
         f.__counting = true; p.send = f; } globalThis.__wsSends = 0;",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

fn ws_sends() -> u32 {
    js_sys::Reflect::get(&js_sys::global(), &"__wsSends".into()).unwrap().as_f64().unwrap() as u32
}

/// Connects, then throttles the page's timers for 8 s with nothing to publish. Returns whether it
/// is still connected, the state changes, and how many WebSocket messages (PINGREQs) it sent then.
async fn idle_while_throttled(worker_timers: bool) -> (bool, Vec<ConnectionState>, u32) {
    let client_options = ClientOptions {
        worker_timers,
        reconnect: ReconnectOptions { enabled: false, ..Default::default() },
        ..Default::default()
    };
    let c = MqttClient::with_options(&broker_ws(), options(), client_options).unwrap();
    c.connect().await.unwrap();
    let seen: Rc<RefCell<Vec<ConnectionState>>> = Rc::default();
    let s = seen.clone();
    c.on_state(move |st| s.borrow_mut().push(st.clone()));
    count_ws_sends();
    throttle_page_timers();
    JsFuture::from(real_sleep(8_000)).await.unwrap();
    unthrottle_page_timers();
    let sends = ws_sends();
    let alive = c.is_connected();
    c.close();
    let seen = seen.borrow().clone();
    (alive, seen, sends)
}

// With the worker clock a PINGREQ leaves every second: 8 in the 8 s, at least 6 on a loaded machine.
#[wasm_bindgen_test]
async fn keepalive_holds_in_a_throttled_tab_with_worker_timers() {
    assert!(iotmqtt::transport::clock::uses_worker(), "this browser allows the worker clock");
    let (alive, seen, sends) = idle_while_throttled(true).await;
    assert!(alive, "state changes: {seen:?}");
    assert!(seen.iter().all(|s| !matches!(s, ConnectionState::Disconnected(_))), "{seen:?}");
    assert!((6..=9).contains(&sends), "{sends} PINGREQs in 8 s");
}

// The control, so the test above can fail: main-thread timers are throttled to a minute, so at most
// the PINGREQ armed before the throttling leaves. (Whether mosquitto then drops the silent client
// within the 8 s depends on its once-a-second check and the machine's load: not asserted.)
#[wasm_bindgen_test]
async fn main_thread_timers_starve_in_a_throttled_tab() {
    let (_, seen, sends) = idle_while_throttled(false).await;
    assert!(sends <= 1, "{sends} PINGREQs in 8 s; state changes: {seen:?}");
}
