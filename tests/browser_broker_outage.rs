//! A broker that goes away while connected: the application hears of it as a state change with a reason.
//! Its own test binary, because it stops the shared test broker.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use futures_util::StreamExt;
use iotmqtt::client::{ConnectionState, MqttClient};
use iotmqtt::SessionError;
use iotmqtt::{ClientError, ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, QoS, ReconnectOptions};

fn no_reconnect() -> ClientOptions {
    ClientOptions { reconnect: ReconnectOptions { enabled: false, ..Default::default() }, ..Default::default() }
}
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn stopping_mosquitto_produces_a_disconnect_event_with_a_reason() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let c = MqttClient::with_options(
            &broker_ws(),
            ConnectOptions {
                version,
                username: Some("tester".into()),
                password: Some("secret".into()),
                ..Default::default()
            },
            no_reconnect(),
        )
        .unwrap();
        c.connect().await.unwrap();
        let mut states = c.states();
        let r = get_json(&control_url("/stop")).await;
        assert_eq!(r["ok"], true);
        let state = states.next().await.unwrap();
        let restarted = get_json(&control_url("/start")).await;
        assert_eq!(restarted["ok"], true);
        match state {
            // MQTT 5: mosquitto says goodbye with DISCONNECT 0x8B "Server shutting down".
            ConnectionState::Disconnected(ClientError::Session(SessionError::ServerDisconnected {
                reason, ..
            })) => {
                assert_eq!(version, ProtocolVersion::V5);
                assert_eq!(reason.0, 0x8B);
            }
            ConnectionState::Disconnected(ClientError::SocketClosed { .. } | ClientError::Socket(_)) => {}
            other => panic!("{version}: {other:?}"),
        }
        assert!(!c.is_connected());
        assert_eq!(
            c.publish(Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap_err(),
            ClientError::Session(SessionError::NotConnected)
        );
        // The same client connects again once the broker is back.
        c.connect().await.expect("reconnect after the restart");
        c.close();
    }
}

fn tester(version: ProtocolVersion) -> ConnectOptions {
    ConnectOptions { version, username: Some("tester".into()), password: Some("secret".into()), ..Default::default() }
}

// A broker frozen with its socket open (SIGSTOP) answers no PINGREQ: with keepalive 1 s and the
// default ping timeout of half the keepalive, the client gives up with PingTimeout.
#[wasm_bindgen_test]
async fn a_frozen_broker_is_detected_by_ping_timeout() {
    let c = MqttClient::with_options(
        &broker_ws(),
        ConnectOptions { keepalive_secs: 1, ..tester(ProtocolVersion::V3_1_1) },
        no_reconnect(),
    )
    .unwrap();
    c.connect().await.unwrap();
    let mut states = c.states();
    assert_eq!(get_json(&control_url("/pause")).await["ok"], true);
    let state = states.next().await.unwrap();
    assert_eq!(get_json(&control_url("/resume")).await["ok"], true);
    assert_eq!(state, ConnectionState::Disconnected(ClientError::Session(SessionError::PingTimeout)));
    assert_eq!(c.live_resources(), (0, false), "no timer or socket left behind");
}

// Issue 7, point 6: a half-open connection starts a reconnect within 1.5 x keepalive of the last
// packet sent (PINGREQ after the keepalive, PINGRESP awaited for half of it).
#[wasm_bindgen_test]
async fn a_half_open_connection_starts_a_reconnect_within_one_and_a_half_keepalives() {
    let c =
        MqttClient::new(&broker_ws(), ConnectOptions { keepalive_secs: 2, ..tester(ProtocolVersion::V3_1_1) }).unwrap();
    c.connect().await.unwrap();
    c.publish(Outgoing::new(common::unique("halfopen"), b"last packet".to_vec())).await.unwrap();
    let sent_at = js_sys::Date::now();
    let mut states = c.states();
    assert_eq!(get_json(&control_url("/pause")).await["ok"], true);
    let state = states.next().await.unwrap();
    let detected_after = js_sys::Date::now() - sent_at;
    assert_eq!(get_json(&control_url("/resume")).await["ok"], true);
    assert!(
        matches!(
            &state,
            ConnectionState::Reconnecting { attempt: 1, reason: ClientError::Session(SessionError::PingTimeout), .. }
        ),
        "{state:?}"
    );
    assert!(detected_after <= 3_000.0 + 250.0, "1.5 x 2 s keepalive, plus timer slack: {detected_after} ms");
    c.close();
}

// With reconnect on (the default), a broker restart is a Reconnecting state with the reason,
// then Connected again without the application doing anything.
#[wasm_bindgen_test]
async fn a_broker_restart_is_survived_by_reconnecting() {
    let c = MqttClient::new(&broker_ws(), tester(ProtocolVersion::V5)).unwrap();
    c.connect().await.unwrap();
    let mut states = c.states();
    assert_eq!(get_json(&control_url("/stop")).await["ok"], true);
    let first = states.next().await.unwrap();
    assert_eq!(get_json(&control_url("/start")).await["ok"], true);
    match &first {
        // MQTT 5: DISCONNECT 0x8B "Server shutting down", when it reaches us before the socket closes.
        ConnectionState::Reconnecting {
            attempt: 1,
            reason: ClientError::Session(SessionError::ServerDisconnected { reason, .. }),
            ..
        } => {
            assert_eq!(reason.0, 0x8B, "server shutting down")
        }
        ConnectionState::Reconnecting {
            attempt: 1,
            reason: ClientError::SocketClosed { .. } | ClientError::Socket(_),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    loop {
        match states.next().await.unwrap() {
            ConnectionState::Connected(_) => break,
            ConnectionState::Reconnecting { .. } | ConnectionState::Connecting => {}
            other => panic!("{other:?}"),
        }
    }
    c.close();
}

// A restarted mosquitto keeps no session: the client makes its subscriptions again as they were
// made, MQTT 5 options and Subscription Identifier included (`session::resubscribe`).
#[wasm_bindgen_test]
async fn subscriptions_come_back_with_their_options_after_a_broker_restart() {
    use iotmqtt::SubscribeOptions;
    let c = MqttClient::new(&broker_ws(), tester(ProtocolVersion::V5)).unwrap();
    c.connect().await.unwrap();
    let base = unique("outage/options");
    let no_local = SubscribeOptions { no_local: true, ..SubscribeOptions::qos(QoS::AtLeastOnce) };
    c.subscribe_with(&[(format!("{base}/#"), no_local)], Some(5)).await.unwrap();
    let mut states = c.states();
    assert_eq!(get_json(&control_url("/stop")).await["ok"], true);
    assert_eq!(get_json(&control_url("/start")).await["ok"], true);
    loop {
        match states.next().await.unwrap() {
            ConnectionState::Connected(_) => break,
            ConnectionState::Reconnecting { .. } | ConnectionState::Connecting => {}
            other => panic!("{other:?}"),
        }
    }
    let mut messages = c.messages();
    // The SUBSCRIBE went before this publish on the same connection: its PUBACK means it is in place.
    c.publish(Outgoing::new(format!("{base}/own"), b"o".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap();
    let other = MqttClient::new(&broker_ws(), tester(ProtocolVersion::V5)).unwrap();
    other.connect().await.unwrap();
    other.publish(Outgoing::new(format!("{base}/other"), b"x".to_vec()).qos(QoS::AtLeastOnce)).await.unwrap();
    // No Local still holds (the client's own message never came back), and the identifier is 5.
    let m = messages.next().await.unwrap();
    assert_eq!((m.topic.as_str(), m.subscription_identifiers.as_slice()), (format!("{base}/other").as_str(), &[5][..]));
    other.close();
    c.close();
}

// The TCP connection is accepted by the kernel, but a frozen broker never completes the
// WebSocket handshake nor sends CONNACK.
#[wasm_bindgen_test]
async fn a_broker_that_never_answers_is_a_connect_timeout() {
    assert_eq!(get_json(&control_url("/pause")).await["ok"], true);
    let c = MqttClient::new(&broker_ws(), ConnectOptions { connect_timeout_ms: 800, ..tester(ProtocolVersion::V5) })
        .unwrap();
    let result = c.connect().await;
    assert_eq!(get_json(&control_url("/resume")).await["ok"], true);
    assert_eq!(result.unwrap_err(), ClientError::Session(SessionError::ConnectTimeout { timeout_ms: 800 }));
    assert!(matches!(
        c.state(),
        ConnectionState::Disconnected(ClientError::Session(SessionError::ConnectTimeout { .. }))
    ));
}
