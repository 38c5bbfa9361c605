//! Byte-in, event-out specifications of MQTT 5 subscription options in the pure session (MQTT 5.0
//! §3.8.3.1, §4.8.2): the options byte and the Subscription Identifier of each SUBSCRIBE, and what
//! is refused before anything is sent. Packets are written out by hand.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Session, SessionEvent as E};
use iotmqtt::{ConnectOptions, ProtocolVersion, QoS, RetainHandling, SessionError, SubscribeOptions};

fn connected(version: ProtocolVersion, connack: &[u8]) -> Session {
    let mut s = Session::new(ConnectOptions { version, client_id: "c1".into(), ..Default::default() });
    s.connect().unwrap();
    let ev = s.feed(connack);
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))), "{ev:?}");
    s
}

fn v5() -> Session {
    connected(ProtocolVersion::V5, &[0x20, 0x03, 0x00, 0x00, 0x00])
}

fn sent(events: &[E]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b.clone()) } else { None }).collect()
}

fn field(e: SessionError) -> String {
    match e {
        SessionError::InvalidOption { field, .. } => field.to_owned(),
        SessionError::InvalidFilter { reason, .. } => format!("filter: {reason}"),
        other => format!("{other:?}"),
    }
}

#[test]
fn each_filters_options_byte_and_the_subscription_identifier_go_out() {
    let mut s = v5();
    let all = SubscribeOptions {
        qos: QoS::ExactlyOnce,
        no_local: true,
        retain_as_published: true,
        retain_handling: RetainHandling::Never,
    };
    let filters = [("a/#".to_owned(), all), ("b".to_owned(), SubscribeOptions::qos(QoS::AtLeastOnce))];
    let (id, ev) = s.subscribe_with(&filters, Some(200)).unwrap();
    assert_eq!(id, 1);
    // Packet id 1; properties: Subscription Identifier 200 (0xC8 0x01); then "a/#" with
    // 0b10_1_1_10 (retain handling 2, RAP, NL, QoS 2) and "b" with QoS 1.
    let packet = vec![
        0x82, 0x10, 0x00, 0x01, 0x03, 0x0B, 0xC8, 0x01, 0x00, 0x03, b'a', b'/', b'#', 0x2E, 0x00, 0x01, b'b', 0x01,
    ];
    assert_eq!(sent(&ev), vec![packet]);
}

#[test]
fn retain_handling_1_and_no_identifier() {
    let mut s = v5();
    let once = SubscribeOptions {
        retain_handling: RetainHandling::OnNewSubscription,
        ..SubscribeOptions::qos(QoS::AtMostOnce)
    };
    let (_, ev) = s.subscribe_with(&[("t".to_owned(), once)], None).unwrap();
    assert_eq!(sent(&ev), vec![vec![0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b't', 0x10]]);
}

const SHAPE: &str = "filter: a shared subscription is $share/{name}/{filter}";

#[test]
fn what_mqtt_5_forbids_or_the_broker_lacks_is_refused_before_sending() {
    let mut s = v5();
    let nl = SubscribeOptions { no_local: true, ..SubscribeOptions::default() };
    let plain = SubscribeOptions::default();
    let cases: [(&str, SubscribeOptions, Option<u32>, &str); 6] = [
        ("$share/g/a/#", nl, None, "noLocal"),
        ("$share//a", plain, None, SHAPE),
        ("$share/g", plain, None, SHAPE),
        ("$share/+/a", plain, None, SHAPE),
        ("a", plain, Some(0), "subscriptionIdentifier"),
        ("a", plain, Some(268_435_456), "subscriptionIdentifier"),
    ];
    for (filter, options, identifier, want) in cases {
        let e = s.subscribe_with(&[(filter.to_owned(), options)], identifier).unwrap_err();
        assert_eq!(field(e), want, "{filter}");
    }
    // A shared subscription without No Local goes.
    let (_, ev) = s.subscribe_with(&[("$share/g/a/#".to_owned(), plain)], Some(268_435_455)).unwrap();
    assert_eq!(sent(&ev).len(), 1);
}

#[test]
fn options_beyond_qos_and_identifiers_need_mqtt_5() {
    let mut s = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    let rap = SubscribeOptions { retain_as_published: true, ..SubscribeOptions::default() };
    assert_eq!(field(s.subscribe_with(&[("a".to_owned(), rap)], None).unwrap_err()), "noLocal");
    let plain = SubscribeOptions::qos(QoS::AtLeastOnce);
    assert_eq!(field(s.subscribe_with(&[("a".to_owned(), plain)], Some(1)).unwrap_err()), "subscriptionIdentifier");
    let (_, ev) = s.subscribe_with(&[("a".to_owned(), plain)], None).unwrap();
    assert_eq!(sent(&ev), vec![vec![0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x01]]);
}

#[test]
fn what_the_connack_says_the_broker_lacks_is_refused() {
    // Wildcard, Subscription Identifier and Shared Subscription Available all 0.
    let mut s = connected(ProtocolVersion::V5, &[0x20, 0x09, 0x00, 0x00, 0x06, 0x28, 0x00, 0x29, 0x00, 0x2A, 0x00]);
    let plain = SubscribeOptions::default();
    let wildcard = s.subscribe_with(&[("a/+".to_owned(), plain)], None).unwrap_err();
    assert_eq!(field(wildcard), "filter: the broker's CONNACK refuses wildcards");
    let shared = s.subscribe_with(&[("$share/g/a".to_owned(), plain)], None).unwrap_err();
    assert_eq!(field(shared), "filter: the broker's CONNACK refuses shared subscriptions");
    assert_eq!(field(s.subscribe_with(&[("a".to_owned(), plain)], Some(5)).unwrap_err()), "subscriptionIdentifier");
    assert_eq!(sent(&s.subscribe_with(&[("a".to_owned(), plain)], None).unwrap().1).len(), 1);
}
