//! Byte-in, event-out specifications of MQTT 5 in the pure session: message properties (MQTT 5.0
//! §3.3.2.3: what a publish sends, what a received message carries), CONNACK properties, and
//! subscription options (§3.8.3.1, §4.8.2: the options byte and Subscription Identifier of each
//! SUBSCRIBE), with what is refused before anything is sent. Packets are written out by hand.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Session, SessionEvent as E};
use iotmqtt::{
    ConnectOptions, Message, Outgoing, ProtocolVersion, PublishProperties, QoS, RetainHandling, SessionError,
    SubscribeOptions,
};

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

fn all() -> PublishProperties {
    PublishProperties {
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(300),
        content_type: Some("text/plain".into()),
        response_topic: Some("r/1".into()),
        correlation_data: Some(vec![0xC0, 0x01]),
        user_properties: vec![("k".into(), "1".into()), ("k".into(), "2".into()), ("a".into(), "".into())],
    }
}

/// The property block of `all()`, by hand: each identifier, then its value.
const ALL: &[u8] = &[
    0x01, 0x01, // payload format indicator: UTF-8
    0x02, 0x00, 0x00, 0x01, 0x2C, // message expiry interval: 300 s
    0x03, 0x00, 0x0A, b't', b'e', b'x', b't', b'/', b'p', b'l', b'a', b'i', b'n', // content type
    0x08, 0x00, 0x03, b'r', b'/', b'1', // response topic
    0x09, 0x00, 0x02, 0xC0, 0x01, // correlation data
    0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'1', // user property k=1
    0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'2', // user property k=2, repeated
    0x26, 0x00, 0x01, b'a', 0x00, 0x00, // user property a=""
];

#[test]
fn a_publish_sends_every_property_in_order_with_repeats() {
    let mut s = v5();
    let msg = Outgoing::new("t", b"hi".to_vec()).qos(QoS::AtLeastOnce).properties(all());
    let (ticket, ev) = s.publish(&msg).unwrap();
    let mut expected = vec![0x32, 0x00, 0x00, 0x01, b't', 0x00, 0x01, ALL.len() as u8];
    expected.extend_from_slice(ALL);
    expected.extend_from_slice(b"hi");
    expected[1] = (expected.len() - 2) as u8;
    assert_eq!(ticket.packet_id, Some(1));
    assert_eq!(sent(&ev), vec![expected]);
}

#[test]
fn a_publish_without_properties_sends_an_empty_property_length() {
    let mut s = v5();
    let (_, ev) = s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap();
    assert_eq!(sent(&ev), vec![vec![0x30, 0x05, 0x00, 0x01, b't', 0x00, b'x']]);
}

#[test]
fn properties_on_an_mqtt_3_1_1_connection_are_refused_not_dropped() {
    let mut s = connected(ProtocolVersion::V3_1_1, &[0x20, 0x02, 0x00, 0x00]);
    let msg = Outgoing::new("t", b"x".to_vec())
        .properties(PublishProperties { content_type: Some("a".into()), ..Default::default() });
    let err = s.publish(&msg).unwrap_err();
    assert_eq!(
        err,
        SessionError::InvalidOption {
            field: "properties",
            reason: "needs MQTT 5: this connection is MQTT 3.1.1".into()
        }
    );
    assert_eq!(err.code(), "INVALID_OPTION");
}

#[test]
fn properties_that_break_a_rule_are_refused_naming_the_option() {
    let mut s = v5();
    let cases: [(PublishProperties, &[u8], &str); 6] = [
        (PublishProperties { response_topic: Some("r/+".into()), ..Default::default() }, b"x", "responseTopic"),
        (PublishProperties { response_topic: Some(String::new()), ..Default::default() }, b"x", "responseTopic"),
        (
            PublishProperties { payload_format_indicator: Some(true), ..Default::default() },
            b"\xFF",
            "payloadFormatIndicator",
        ),
        (PublishProperties { content_type: Some("a\0".into()), ..Default::default() }, b"x", "contentType"),
        (
            PublishProperties { user_properties: vec![("k".into(), "a".repeat(65_536))], ..Default::default() },
            b"x",
            "userProperties",
        ),
        (PublishProperties { correlation_data: Some(vec![0; 65_536]), ..Default::default() }, b"x", "correlationData"),
    ];
    for (properties, payload, field) in cases {
        let msg = Outgoing::new("t", payload.to_vec()).properties(properties);
        match s.publish(&msg) {
            Err(SessionError::InvalidOption { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // Binary payloads may say so; nothing above was sent.
    let binary = PublishProperties { payload_format_indicator: Some(false), ..Default::default() };
    let (_, ev) = s.publish(&Outgoing::new("t", b"\xFF".to_vec()).properties(binary)).unwrap();
    assert_eq!(sent(&ev), vec![vec![0x30, 0x07, 0x00, 0x01, b't', 0x02, 0x01, 0x00, 0xFF]]);
}

#[test]
fn the_brokers_maximum_packet_size_counts_the_properties() {
    // CONNACK with Maximum Packet Size 20.
    let mut s = connected(ProtocolVersion::V5, &[0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x14]);
    let with = |n: usize| {
        Outgoing::new("t", b"x".to_vec())
            .properties(PublishProperties { content_type: Some("c".repeat(n)), ..Default::default() })
    };
    // 2 + 3 (topic) + 1 (property length) + 3 + n (content type) + 1 (payload) bytes.
    assert_eq!(sent(&s.publish(&with(10)).unwrap().1)[0].len(), 20);
    assert_eq!(s.publish(&with(11)).unwrap_err(), SessionError::PacketTooLarge { size: 21, max: 20 });
}

#[test]
fn a_publish_queued_while_offline_keeps_its_properties() {
    let mut s =
        Session::new(ConnectOptions { version: ProtocolVersion::V5, client_id: "c1".into(), ..Default::default() });
    s.set_offline_queue(Default::default());
    let msg = Outgoing::new("t", b"hi".to_vec()).qos(QoS::AtLeastOnce).properties(all());
    let (ticket, ev) = s.publish(&msg).unwrap();
    assert!(ticket.queued && sent(&ev).is_empty());
    s.connect().unwrap();
    let ev = s.feed(&[0x20, 0x03, 0x00, 0x00, 0x00]);
    let publishes: Vec<Vec<u8>> = sent(&ev).into_iter().filter(|p| p[0] >> 4 == 3).collect();
    assert_eq!(publishes.len(), 1);
    assert!(publishes[0].windows(ALL.len()).any(|w| w == ALL), "{:02X?}", publishes[0]);
}

#[test]
fn a_received_message_carries_its_properties_and_subscription_identifiers() {
    let mut s = v5();
    let mut props = ALL.to_vec();
    props.extend_from_slice(&[0x0B, 0x07, 0x0B, 0x80, 0x01]); // subscription identifiers 7 and 128
    let mut body = vec![0x00, 0x01, b't'];
    body.push(props.len() as u8);
    body.extend_from_slice(&props);
    body.extend_from_slice(b"hi");
    let mut packet = vec![0x30, body.len() as u8];
    packet.extend(body);
    let ev = s.feed(&packet);
    assert_eq!(
        ev,
        vec![E::NotifyMessage(Message {
            topic: "t".into(),
            payload: b"hi".to_vec(),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            properties: all(),
            subscription_identifiers: vec![7, 128],
        })]
    );
}

#[test]
fn every_connack_property_reaches_the_connected_event() {
    let mut s = Session::new(ConnectOptions { version: ProtocolVersion::V5, ..Default::default() });
    s.connect().unwrap();
    let props: &[u8] = &[
        0x11, 0x00, 0x00, 0x00, 0x3C, // session expiry interval 60
        0x21, 0x00, 0x0A, // receive maximum 10
        0x24, 0x01, // maximum QoS 1
        0x25, 0x00, // retain available: no
        0x27, 0x00, 0x00, 0x10, 0x00, // maximum packet size 4096
        0x12, 0x00, 0x02, b'i', b'd', // assigned client identifier
        0x22, 0x00, 0x05, // topic alias maximum 5
        0x1F, 0x00, 0x02, b'o', b'k', // reason string
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property
        0x28, 0x00, // wildcard subscriptions: no
        0x29, 0x01, // subscription identifiers: yes
        0x2A, 0x00, // shared subscriptions: no
        0x13, 0x00, 0x1E, // server keep alive 30
        0x1A, 0x00, 0x02, b'r', b'/', // response information: read, not kept (this client never asks for it)
    ];
    let mut packet = vec![0x20, 3 + props.len() as u8, 0x00, 0x00, props.len() as u8];
    packet.extend_from_slice(props);
    let ev = s.feed(&packet);
    let ack = ev.iter().find_map(|e| if let E::NotifyConnected(a) = e { Some(a.clone()) } else { None });
    assert_eq!(
        ack,
        Some(iotmqtt::ConnAck {
            session_present: false,
            session_expiry_interval: Some(60),
            receive_maximum: Some(10),
            maximum_qos: Some(QoS::AtLeastOnce),
            retain_available: Some(false),
            maximum_packet_size: Some(4096),
            assigned_client_id: Some("id".into()),
            topic_alias_maximum: Some(5),
            reason_string: Some("ok".into()),
            user_properties: vec![("k".into(), "v".into())],
            wildcard_subscription_available: Some(false),
            subscription_identifiers_available: Some(true),
            shared_subscription_available: Some(false),
            server_keepalive_secs: Some(30),
            // Enhanced authentication's data: tests/session_auth.rs.
            authentication_data: None,
        })
    );
    // Retain Available 0: a retained publish is refused, a plain one goes.
    let err = s.publish(&Outgoing::new("t", b"x".to_vec()).retain(true)).unwrap_err();
    assert!(matches!(err, SessionError::InvalidOption { field: "retain", .. }), "{err:?}");
    assert_eq!(sent(&s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap().1).len(), 1);
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
