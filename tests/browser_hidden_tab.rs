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

/// A connected client that reports its state changes.
async fn idle_client(worker_timers: bool) -> (MqttClient, Rc<RefCell<Vec<ConnectionState>>>) {
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
    (c, seen)
}

/// Counts each socket's sends from now on.
fn count_ws_sends_per_socket() {
    js_sys::Function::new_no_args(
        "const p = WebSocket.prototype; if (!p.send.__counting) { const o = p.send; \
         const f = function (d) { this.__sends = (this.__sends || 0) + 1; globalThis.__sockets.add(this); \
         return o.call(this, d); }; f.__counting = true; p.send = f; } globalThis.__sockets = new Set();",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

/// The send counts of the sockets that sent since `count_ws_sends_per_socket`, sorted.
fn ws_sends_per_socket() -> Vec<u32> {
    let counts =
        js_sys::Function::new_no_args("return [...globalThis.__sockets].map(s => s.__sends).sort((a, b) => a - b);")
            .call0(&wasm_bindgen::JsValue::NULL)
            .unwrap();
    js_sys::Array::from(&counts).iter().map(|v| v.as_f64().unwrap() as u32).collect()
}

// One 8 s window with the page's setTimeout throttled to a minute and nothing to publish, two
// clients side by side. With the worker clock a PINGREQ leaves every second (8, at least 6 on a
// loaded machine) and the broker keeps the connection. The control, so that this can fail:
// main-thread timers starve, and at most the PINGREQ armed before the throttling leaves. (Whether
// mosquitto then drops the silent control within the window depends on its once-a-second check and
// the machine's load: not asserted.)
#[wasm_bindgen_test]
async fn keepalive_holds_in_a_throttled_tab_only_with_worker_timers() {
    assert!(iotmqtt::transport::clock::uses_worker(), "this browser allows the worker clock");
    let (worker, worker_seen) = idle_client(true).await;
    let (main, main_seen) = idle_client(false).await;
    count_ws_sends_per_socket();
    throttle_page_timers();
    JsFuture::from(real_sleep(8_000)).await.unwrap();
    unthrottle_page_timers();
    let sends = ws_sends_per_socket();
    let alive = worker.is_connected();
    worker.close();
    main.close();
    let worker_seen = worker_seen.borrow().clone();
    assert!(alive, "state changes: {worker_seen:?}");
    assert!(worker_seen.iter().all(|s| !matches!(s, ConnectionState::Disconnected(_))), "{worker_seen:?}");
    // The worker-clock socket sent 6 to 9 PINGREQs; the main-thread one, if it sent at all, 1.
    match sends.as_slice() {
        [worker_sends] => assert!((6..=9).contains(worker_sends), "{sends:?}"),
        [main_sends, worker_sends] => {
            assert!(*main_sends <= 1, "main thread: {sends:?}; states {:?}", main_seen.borrow());
            assert!((6..=9).contains(worker_sends), "{sends:?}");
        }
        other => panic!("sends per socket: {other:?}"),
    }
}
