//! The client's core against the simulator's ThingsBoard on one virtual clock: connect and refusal,
//! the subscribe whitelist, keepalive and half-open detection, and outages counted exactly.
//! Rules: docs/platforms/thingsboard.md (#connack-codes, #subscribe-whitelist, #telemetry).
#![cfg(not(target_arch = "wasm32"))]

mod pair;

use iotmqtt::session::reason::{ConnectRefusal, ReasonCode};
use iotmqtt::supervisor::{ConnectionState as S, Event as E};
use iotmqtt::{
    ClientError, ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, QoS, ReconnectOptions, SessionError,
};
use pair::Pair;

const TOKEN: &str = "demo-thermostat-token";

fn device(token: &str, version: ProtocolVersion, keepalive_secs: u16) -> ConnectOptions {
    ConnectOptions {
        version,
        client_id: "pair-client".into(),
        username: Some(token.into()),
        keepalive_secs,
        ..Default::default()
    }
}

fn connack(pair: &Pair) -> iotmqtt::ConnAck {
    match pair.state() {
        S::Connected(ack) => ack.clone(),
        other => panic!("not connected: {other:?}"),
    }
}

#[test]
fn a_device_token_connects_with_exactly_these_events() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let tb = pair::thingsboard();
        let mut pair = Pair::thingsboard(&tb, device(TOKEN, version, 60), ClientOptions::default());
        pair.connect();
        let ack = connack(&pair);
        assert!(!ack.session_present);
        assert_eq!(
            pair.notifications_since(0),
            [E::NotifyState(S::Connecting), E::NotifyConnected(ack.clone()), E::NotifyState(S::Connected(ack))],
            "MQTT {version}"
        );
        assert_eq!(pair.sockets_accepted, 1);
    }
}

// ThingsBoard answers an unknown token with CONNACK 5 (3.1.1) / 0x86 (5): docs/platforms/thingsboard.md#connack-codes.
#[test]
fn an_unknown_token_is_refused_once_and_never_retried() {
    for (version, code, refusal) in [
        (ProtocolVersion::V3_1_1, 0x05, ConnectRefusal::NotAuthorized),
        (ProtocolVersion::V5, 0x86, ConnectRefusal::BadUserNameOrPassword),
    ] {
        let tb = pair::thingsboard();
        let mut pair = Pair::thingsboard(&tb, device("no-such-token", version, 60), ClientOptions::default());
        pair.connect();
        let refused = ClientError::Session(SessionError::ConnectRefused { version, code, refusal });
        assert_eq!(
            pair.notifications_since(0),
            [
                E::NotifyState(S::Connecting),
                E::NotifyConnectFailed(refused.clone()),
                E::NotifyState(S::Disconnected(refused.clone())),
                E::NotifyEnded(refused),
            ],
            "MQTT {version}"
        );
        pair.advance(3_600_000);
        assert_eq!(pair.sockets_accepted, 1, "an hour later, still one attempt");
    }
}

// docs/platforms/thingsboard.md#subscribe-whitelist: exact filters only; anything else gets 0x80.
#[test]
fn the_subscribe_whitelist_grants_exact_filters_and_refuses_wildcards() {
    let tb = pair::thingsboard();
    let mut pair = Pair::thingsboard(&tb, device(TOKEN, ProtocolVersion::V3_1_1, 60), ClientOptions::default());
    pair.connect();
    let filters = [
        ("v1/devices/me/attributes".to_string(), QoS::AtLeastOnce),
        ("v1/devices/me/#".to_string(), QoS::AtLeastOnce),
        ("v1/devices/me/rpc/request/+".to_string(), QoS::ExactlyOnce),
    ];
    let (packet_id, events) = pair.client.subscribe(pair.now, &filters).unwrap();
    let from = pair.events.len();
    pair.apply(events);
    assert_eq!(
        pair.notifications_since(from),
        [E::NotifySubscribed {
            packet_id,
            results: vec![
                Ok(QoS::AtLeastOnce),
                Err(ClientError::Session(SessionError::SubscribeRefused {
                    filter: "v1/devices/me/#".into(),
                    reason: ReasonCode(0x80),
                    said: None,
                })),
                Ok(QoS::AtLeastOnce),
            ],
        }]
    );
    assert_eq!(
        pair.client.session().subscriptions(),
        [
            ("v1/devices/me/attributes".to_string(), QoS::AtLeastOnce),
            ("v1/devices/me/rpc/request/+".to_string(), QoS::ExactlyOnce)
        ]
    );
}

#[test]
fn an_idle_connection_is_kept_alive_for_an_hour_by_pingreqs() {
    let tb = pair::thingsboard();
    let mut pair = Pair::thingsboard(&tb, device(TOKEN, ProtocolVersion::V3_1_1, 10), ClientOptions::default());
    pair.connect();
    let from = pair.events.len();
    pair.advance(3_600_000);
    let pings = pair.events[from..].iter().filter(|e| **e == E::RequestTransmit(vec![0xC0, 0x00])).count();
    assert_eq!(pings, 360, "one PINGREQ per 10 s keepalive");
    assert_eq!(pair.notifications_since(from), []);
    assert_eq!(pair.sockets_accepted, 1);
}

// A broker frozen with its socket open (the browser test's SIGSTOP): PINGREQ after the keepalive,
// PINGRESP awaited for half of it, so the reconnect starts 1.5 x keepalive after the last packet.
#[test]
fn a_frozen_broker_is_detected_one_and_a_half_keepalives_after_the_last_packet() {
    let tb = pair::thingsboard();
    let mut pair = Pair::thingsboard(&tb, device(TOKEN, ProtocolVersion::V3_1_1, 2), ClientOptions::default());
    pair.connect();
    pair.advance(700);
    let msg = Outgoing::new("v1/devices/me/telemetry", br#"{"t":1}"#.to_vec());
    let (_, events) = pair.client.publish(pair.now, &msg, None).unwrap();
    pair.apply(events);
    let last_packet_at = pair.now;
    pair.frozen = true;
    let from = pair.events.len();
    pair.advance(2_999);
    assert_eq!(pair.states_since(from), [], "1 ms before the limit nothing has happened");
    pair.advance(1);
    assert_eq!(pair.now, last_packet_at + 3_000);
    let states = pair.states_since(from);
    assert_eq!(states.len(), 1);
    assert!(
        matches!(
            &states[0],
            S::Reconnecting { attempt: 1, reason: ClientError::Session(SessionError::PingTimeout), .. }
        ),
        "{states:?}"
    );
}

/// One telemetry message per key `m{n}`, so the simulator keeps every one it accepted.
fn telemetry(n: u32) -> Outgoing {
    Outgoing::new("v1/devices/me/telemetry", format!(r#"{{"m{n}":{n}}}"#).into_bytes()).qos(QoS::AtLeastOnce)
}

/// How many telemetry messages of keys `m*` the simulator recorded for the thermostat, and how many
/// keys (distinct messages) they cover.
fn recorded(tb: &iotmqtt_sim::thingsboard::ThingsBoard) -> (usize, usize) {
    let st = tb.lock();
    let thermostat = st.devices.iter().find(|d| d.access_token.as_deref() == Some(TOKEN)).unwrap();
    let series = thermostat.telemetry.iter().filter(|(k, _)| k.starts_with('m'));
    series.fold((0, 0), |(values, keys), (_, s)| (values + s.len(), keys + 1))
}

// Outages with exact counts: 3,000 QoS 1 messages published 10 every 100 ms, with the broker's answers
// 20 ms on the way, through two 30 s outages. The broker dies in the middle of a batch, when it
// has taken 5 messages whose PUBACKs are still on the way: those 5 are sent again after the
// reconnect (clean session: as new messages), so the platform records each of them twice and
// everything else once. Every publish completes once, successfully.
#[test]
fn three_thousand_qos1_messages_cross_two_thirty_second_outages_with_exact_duplicates() {
    let tb = pair::thingsboard();
    let reconnect = ReconnectOptions { initial_delay_ms: 500, max_delay_ms: 5_000, ..Default::default() };
    let mut pair = Pair::thingsboard(
        &tb,
        device(TOKEN, ProtocolVersion::V3_1_1, 10),
        ClientOptions { reconnect, ..Default::default() },
    );
    pair.latency_ms = 20;
    pair.connect();
    pair.advance(100);
    assert!(matches!(pair.state(), S::Connected(_)));
    for n in 0..3_000u32 {
        if n == 1_005 || n == 2_005 {
            pair.kill_broker();
        }
        if n == 1_300 || n == 2_300 {
            pair.start_broker();
        }
        let (_, events) = pair.client.publish(pair.now, &telemetry(n), None).unwrap();
        pair.apply(events);
        if n % 10 == 9 {
            pair.advance(100);
        }
    }
    pair.advance(60_000);
    let pubacks_lost = pair.lost_to_client.iter().filter(|p| p[0] == 0x40).count();
    assert_eq!(pubacks_lost, 10, "5 per outage");
    let (mut completed, mut failed) = (0, Vec::new());
    for e in &pair.events {
        match e {
            E::NotifyPublishCompleted { result: Ok(()), .. } => completed += 1,
            E::NotifyPublishCompleted { token, result: Err(err) } => failed.push((*token, err.clone())),
            _ => {}
        }
    }
    assert_eq!(failed, []);
    assert_eq!(completed, 3_000);
    assert_eq!(recorded(&tb), (3_000 + 10, 3_000));
    assert!(matches!(pair.state(), S::Connected(_)));
    let outages = pair.states_since(0).into_iter().filter(|s| matches!(s, S::Reconnecting { attempt: 1, .. })).count();
    assert_eq!(outages, 2);
}
