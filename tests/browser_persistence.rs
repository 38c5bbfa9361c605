//! Persistence (issue 7, point 4): unsent publishes live in IndexedDB, so a reload loses nothing.
//! A page's client is closed mid-run (what a reload does to it) and a new client with the same
//! store, as the reloaded page would create, resumes the delivery. Counts are exact.
//! Its own test binary, because it stops and starts the shared test broker.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use common::*;
use futures_util::future::join_all;
use futures_util::StreamExt;
use iotmqtt::client::time::sleep_ms;
use iotmqtt::client::MqttClient;
use iotmqtt::{ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, PublishProperties, QoS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn tester(client_id: &str, clean_start: bool) -> ConnectOptions {
    ConnectOptions {
        client_id: client_id.into(),
        username: Some("tester".into()),
        password: Some("secret".into()),
        clean_start,
        ..Default::default()
    }
}

fn persistent(store: &str) -> ClientOptions {
    ClientOptions { persistence: Some(store.into()), ..Default::default() }
}

async fn broker(path: &str) {
    assert_eq!(get_json(&control_url(path)).await["ok"], true, "{path}");
}

#[wasm_bindgen_test]
async fn a_reload_in_the_middle_of_a_run_loses_nothing() {
    let topic = unique("persist/run");
    let store = unique("iotmqtt-test-store").replace('/', "-");

    // The subscriber keeps a session on the broker, so it misses nothing across the outage.
    let sub = MqttClient::new(&broker_ws(), tester(&unique("sub").replace('/', "-"), false)).unwrap();
    let got: Rc<RefCell<BTreeMap<u32, u32>>> = Rc::default();
    let g = got.clone();
    sub.on_any_message(move |m| {
        if let Ok(b) = <[u8; 4]>::try_from(m.payload.as_slice()) {
            *g.borrow_mut().entry(u32::from_be_bytes(b)).or_default() += 1;
        }
    });
    sub.connect().await.unwrap();
    sub.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();

    // The first page: 500 messages delivered, then the broker goes away and 300 more wait.
    let page1 = MqttClient::with_options(&broker_ws(), tester("", true), persistent(&store)).unwrap();
    page1.connect().await.unwrap();
    let sent =
        (0..500u32).map(|i| page1.publish(Outgoing::new(&topic, i.to_be_bytes().to_vec()).qos(QoS::AtLeastOnce)));
    assert!(join_all(sent).await.iter().all(Result::is_ok));
    for _ in 0..50 {
        if page1.persisted_count().await.unwrap() == 0 {
            break;
        }
        sleep_ms(50).await;
    }
    assert_eq!(page1.persisted_count().await.unwrap(), 0, "delivered messages leave the store");
    broker("/stop").await;
    for i in 500..800u32 {
        let p = page1.clone();
        let t = topic.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = p.publish(Outgoing::new(t, i.to_be_bytes().to_vec()).qos(QoS::AtLeastOnce)).await;
        });
    }
    for _ in 0..100 {
        if page1.persisted_count().await.unwrap() == 300 {
            break;
        }
        sleep_ms(50).await;
    }
    assert_eq!(page1.persisted_count().await.unwrap(), 300, "the waiting messages are on disk");
    // The reload: this page's client is gone.
    page1.close();

    // The reloaded page: same store; the broker comes back.
    broker("/start").await;
    let page2 = MqttClient::with_options(&broker_ws(), tester("", true), persistent(&store)).unwrap();
    page2.connect().await.unwrap();
    for _ in 0..200 {
        if got.borrow().len() >= 800 {
            break;
        }
        sleep_ms(50).await;
    }
    let got = got.borrow().clone();
    assert_eq!(got.len(), 800, "every message arrived");
    assert!(got.keys().copied().eq(0..800));
    assert!(got.values().all(|n| *n == 1), "and none twice");
    for _ in 0..50 {
        if page2.persisted_count().await.unwrap() == 0 {
            break;
        }
        sleep_ms(50).await;
    }
    assert_eq!(page2.persisted_count().await.unwrap(), 0, "the store is empty once all is delivered");
    page2.close();
    sub.close();
}

#[wasm_bindgen_test]
async fn a_stored_publish_keeps_its_mqtt_5_properties_across_a_reload() {
    let topic = unique("persist/props");
    let store = unique("iotmqtt-test-props").replace('/', "-");
    let v5 = |id: &str, clean_start| ConnectOptions { version: ProtocolVersion::V5, ..tester(id, clean_start) };
    let sub_id = unique("sub5").replace('/', "-");
    let sub =
        MqttClient::new(&broker_ws(), ConnectOptions { session_expiry_secs: Some(600), ..v5(&sub_id, false) }).unwrap();
    let mut messages = sub.messages();
    sub.connect().await.unwrap();
    sub.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();

    let page1 = MqttClient::with_options(&broker_ws(), v5("", true), persistent(&store)).unwrap();
    page1.connect().await.unwrap();
    broker("/stop").await;
    let properties = PublishProperties {
        content_type: Some("text/plain".into()),
        correlation_data: Some(vec![7, 0, 7]),
        user_properties: vec![("n".into(), "1".into()), ("n".into(), "2".into())],
        ..Default::default()
    };
    let msg = Outgoing::new(topic.clone(), b"kept".to_vec()).qos(QoS::AtLeastOnce).properties(properties.clone());
    let p = page1.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = p.publish(msg).await;
    });
    for _ in 0..100 {
        if page1.persisted_count().await.unwrap() == 1 {
            break;
        }
        sleep_ms(50).await;
    }
    assert_eq!(page1.persisted_count().await.unwrap(), 1);
    page1.close();

    broker("/start").await;
    let page2 = MqttClient::with_options(&broker_ws(), v5("", true), persistent(&store)).unwrap();
    page2.connect().await.unwrap();
    let m = messages.next().await.unwrap();
    assert_eq!((m.topic.as_str(), m.payload.as_slice(), &m.properties), (topic.as_str(), &b"kept"[..], &properties));
    page2.close();
    sub.close();
}
