//! Field conditions against a real mosquitto (tests/harness/broker.py, persistence on, no queue
//! caps): the broker restarting under load, a long outage, backoff bounds, resubscription.
//! Its own test binary, because it stops and starts the shared test broker. Counts are exact.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use common::*;
use futures_util::future::join_all;
use iotmqtt::client::time::sleep_ms;
use iotmqtt::client::{ConnectionState, MqttClient};
use iotmqtt::{ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, QoS, ReconnectOptions};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(client_id: &str, clean_start: bool) -> ConnectOptions {
    ConnectOptions {
        version: ProtocolVersion::V3_1_1,
        client_id: client_id.into(),
        username: Some("tester".into()),
        password: Some("secret".into()),
        keepalive_secs: 5,
        clean_start,
        ..Default::default()
    }
}

fn fast_reconnect() -> ClientOptions {
    ClientOptions {
        reconnect: ReconnectOptions { initial_delay_ms: 100, max_delay_ms: 1_000, ..Default::default() },
        ..Default::default()
    }
}

async fn broker(path: &str) {
    assert_eq!(get_json(&control_url(path)).await["ok"], true, "{path}");
}

/// Payload → (copies received, copies with DUP).
type Received = Rc<RefCell<BTreeMap<u32, (u32, u32)>>>;

async fn subscriber(topic: &str) -> (MqttClient, Received) {
    let id = unique("sub").replace('/', "-");
    let sub = MqttClient::with_options(&broker_ws(), options(&id, false), fast_reconnect()).unwrap();
    let got: Received = Rc::default();
    let g = got.clone();
    sub.on_any_message(move |m| {
        if let Ok(bytes) = <[u8; 4]>::try_from(m.payload.as_slice()) {
            let mut map = g.borrow_mut();
            let entry = map.entry(u32::from_be_bytes(bytes)).or_default();
            entry.0 += 1;
            entry.1 += u32::from(m.dup);
        }
    });
    sub.connect().await.unwrap();
    sub.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    (sub, got)
}

/// Publishes `n` QoS 1 messages with up to `window` in flight. An outage `(count, pause_ms)` starts
/// once `count` messages completed and runs while the next batches are in flight: the broker is
/// stopped (gracefully, so its persistence is saved), kept down for `pause_ms`, then started.
async fn publish_all(client: &MqttClient, topic: &str, n: u32, window: usize, outages: &[(u32, u32)]) {
    let mut next = 0u32;
    let mut pending = outages.to_vec();
    let mut outage: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> = None;
    while next < n {
        if outage.is_none() {
            if let Some(pos) = pending.iter().position(|(count, _)| *count <= next) {
                let (_, pause_ms) = pending.remove(pos);
                outage = Some(Box::pin(async move {
                    broker("/stop").await;
                    sleep_ms(pause_ms).await;
                    broker("/start").await;
                }));
            }
        }
        let batch: Vec<u32> = (next..(next + window as u32).min(n)).collect();
        next += batch.len() as u32;
        let sends = join_all(
            batch.iter().map(|i| client.publish(Outgoing::new(topic, i.to_be_bytes().to_vec()).qos(QoS::AtLeastOnce))),
        );
        let results = match outage.take() {
            Some(o) => futures_util::future::join(sends, o).await.0,
            None => sends.await,
        };
        for r in results {
            r.expect("every publish completes, across outages");
        }
    }
}

async fn wait_for(got: &Received, n: usize, ms: u32) -> bool {
    for _ in 0..ms / 100 {
        if got.borrow().len() >= n {
            return true;
        }
        sleep_ms(100).await;
    }
    got.borrow().len() >= n
}

// Issue: 10,000 QoS 1 messages while the broker is stopped and restarted twice (persistence on).
#[wasm_bindgen_test]
async fn ten_thousand_qos1_messages_arrive_across_two_broker_restarts() {
    let topic = unique("rel/restart");
    let (sub, got) = subscriber(&topic).await;
    let publisher = MqttClient::with_options(&broker_ws(), options("", true), fast_reconnect()).unwrap();
    let states = Rc::new(RefCell::new(Vec::new()));
    let s = states.clone();
    publisher.on_state(move |st| s.borrow_mut().push(st.clone()));
    publisher.connect().await.unwrap();
    // Each outage overlaps a batch of 200 in flight; publishes during it wait in the offline queue.
    publish_all(&publisher, &topic, 10_000, 200, &[(2_000, 1_500), (6_000, 2_000)]).await;
    assert!(wait_for(&got, 10_000, 30_000).await, "received {} of 10000", got.borrow().len());
    let received = got.borrow();
    assert_eq!(received.len(), 10_000);
    assert!(received.keys().copied().eq(0..10_000));
    let restarts =
        states.borrow().iter().filter(|s| matches!(s, ConnectionState::Reconnecting { attempt: 1, .. })).count();
    assert_eq!(restarts, 2, "the publisher noticed both outages");
    // MQTT 3.1.1 §3.3.1.1: DUP is set per hop. The broker's retransmissions to the subscriber (its
    // session survives the restart) carry it. A message the publisher had to send again (its PUBACK
    // lost in the outage) reaches the subscriber as a new delivery without DUP: only messages in
    // flight at one of the two outages can, so at most two windows of them.
    let extra: u32 = received.values().map(|(copies, _)| copies - 1).sum();
    let flagged: u32 = received.values().map(|(_, dups)| *dups).sum();
    let resent_by_publisher: u32 = received.values().map(|(copies, dups)| (copies - dups).saturating_sub(1)).sum();
    web_sys::console::log_1(&format!("duplicates: {extra} extra copies, {flagged} with DUP").into());
    assert!(resent_by_publisher <= 2 * 200, "{resent_by_publisher} copies without DUP beyond the first");
    drop(received);
    publisher.close();
    sub.close();
}

// Issue: the same with the broker away for 30 s in the middle; publishes made meanwhile are queued.
#[wasm_bindgen_test]
async fn a_30_second_outage_in_the_middle_loses_nothing() {
    let topic = unique("rel/outage");
    let (sub, got) = subscriber(&topic).await;
    let publisher = MqttClient::with_options(&broker_ws(), options("", true), fast_reconnect()).unwrap();
    publisher.connect().await.unwrap();
    publish_all(&publisher, &topic, 1_000, 100, &[]).await;
    broker("/stop").await;
    // The broker is down: these wait in the offline queue while it stays down for 30 s.
    let queued: Vec<_> = (1_000..2_000u32)
        .map(|i| publisher.publish(Outgoing::new(&topic, i.to_be_bytes().to_vec()).qos(QoS::AtLeastOnce)))
        .collect();
    let outage = async {
        sleep_ms(500).await;
        assert_eq!(publisher.pending().0, 1_000, "all 1000 wait in the offline queue");
        sleep_ms(29_500).await;
        broker("/start").await;
    };
    let (results, ()) = futures_util::future::join(join_all(queued), outage).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(wait_for(&got, 2_000, 30_000).await, "received {}", got.borrow().len());
    assert_eq!(got.borrow().len(), 2_000);
    publisher.close();
    sub.close();
}

// Issue: resubscription happens after a clean-session reconnect.
#[wasm_bindgen_test]
async fn subscriptions_are_restored_after_a_clean_session_reconnect() {
    let topic = unique("rel/resub");
    let c = MqttClient::with_options(&broker_ws(), options("", true), fast_reconnect()).unwrap();
    let mut messages = c.messages();
    c.connect().await.unwrap();
    c.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();
    broker("/stop").await;
    broker("/start").await;
    for _ in 0..100 {
        if c.is_connected() {
            break;
        }
        sleep_ms(100).await;
    }
    assert!(c.is_connected());
    sleep_ms(300).await;
    let r =
        get_json(&control_url(&format!("/pub?topic={topic}&qos=1&b64={}", b64(b"after").replace('=', "%3D")))).await;
    assert_eq!(r["ok"], true);
    let m = futures_util::StreamExt::next(&mut messages).await.unwrap();
    assert_eq!(m.payload, b"after");
    c.close();
}

/// A connected client with these reconnect options, and every state it reports from now on.
async fn connected_recording_states(reconnect: ReconnectOptions) -> (MqttClient, Rc<RefCell<Vec<ConnectionState>>>) {
    let c =
        MqttClient::with_options(&broker_ws(), options("", true), ClientOptions { reconnect, ..Default::default() })
            .unwrap();
    c.connect().await.unwrap();
    let seen: Rc<RefCell<Vec<ConnectionState>>> = Rc::default();
    let s = seen.clone();
    c.on_state(move |st| s.borrow_mut().push(st.clone()));
    (c, seen)
}

// Issue 7, point 1: a cap on attempts ends in a typed give-up after exactly that many.
#[wasm_bindgen_test]
async fn reconnecting_gives_up_after_max_attempts() {
    let reconnect =
        ReconnectOptions { initial_delay_ms: 50, max_delay_ms: 200, max_attempts: Some(3), ..Default::default() };
    let (c, seen) = connected_recording_states(reconnect).await;
    broker("/stop").await;
    for _ in 0..100 {
        if matches!(c.state(), ConnectionState::Disconnected(_)) {
            break;
        }
        sleep_ms(100).await;
    }
    broker("/start").await;
    let attempts: Vec<u32> = seen
        .borrow()
        .iter()
        .filter_map(|s| if let ConnectionState::Reconnecting { attempt, .. } = s { Some(*attempt) } else { None })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(c.state(), ConnectionState::Disconnected(iotmqtt::ClientError::ReconnectGaveUp { attempts: 3 }));
    c.close();
}

// Issue 7, point 1: the browser's offline event pauses attempts; online retries at once.
#[wasm_bindgen_test]
async fn offline_pauses_reconnecting_and_online_retries_at_once() {
    let reconnect = ReconnectOptions { initial_delay_ms: 200, max_delay_ms: 400, ..Default::default() };
    let (c, seen) = connected_recording_states(reconnect).await;
    let window = web_sys::window().unwrap();
    broker("/stop").await;
    sleep_ms(100).await;
    window.dispatch_event(&web_sys::Event::new("offline").unwrap()).unwrap();
    broker("/start").await;
    let before = seen.borrow().len();
    sleep_ms(2_000).await;
    let while_offline: Vec<ConnectionState> = seen.borrow()[before..].to_vec();
    assert!(while_offline.is_empty(), "no attempt while the browser is offline: {while_offline:?}");
    assert!(!c.is_connected());
    window.dispatch_event(&web_sys::Event::new("online").unwrap()).unwrap();
    for _ in 0..30 {
        if c.is_connected() {
            break;
        }
        sleep_ms(100).await;
    }
    assert!(c.is_connected(), "online retried at once: {:?}", seen.borrow());
    c.close();
}
