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

/// Connects and throttles the page's timers for 8 s. Mosquitto drops a client silent for 1.5 x the
/// keepalive of 1 s, checking about once a second: here that took 2.6 s, and more than 4 s on a
/// loaded machine, hence the margin. Returns whether it is still connected and the state changes.
async fn idle_while_throttled(worker_timers: bool) -> (bool, Vec<ConnectionState>) {
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
    throttle_page_timers();
    JsFuture::from(real_sleep(8_000)).await.unwrap();
    unthrottle_page_timers();
    let alive = c.is_connected();
    c.close();
    let seen = seen.borrow().clone();
    (alive, seen)
}

#[wasm_bindgen_test]
async fn keepalive_holds_in_a_throttled_tab_with_worker_timers() {
    assert!(iotmqtt::transport::clock::uses_worker(), "this browser allows the worker clock");
    let (alive, seen) = idle_while_throttled(true).await;
    assert!(alive, "state changes: {seen:?}");
    assert!(seen.iter().all(|s| !matches!(s, ConnectionState::Disconnected(_))), "{seen:?}");
}

// The control: the same with main-thread timers loses the connection, so the test above can fail.
#[wasm_bindgen_test]
async fn main_thread_timers_starve_in_a_throttled_tab() {
    let (alive, seen) = idle_while_throttled(false).await;
    assert!(!alive, "state changes: {seen:?}");
    assert!(seen.iter().any(|s| matches!(s, ConnectionState::Disconnected(_))), "{seen:?}");
}
