//! Byte-in, event-out specifications of the pure session (MQTT 3.1.1 and 5.0 packet layouts are
//! written out by hand, so these tests do not trust the encoder they test).
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::reason::{ConnectRefusal, ReasonCode};
use iotmqtt::session::{publish_packet_size, Session, SessionEvent as E, TimerKind};
use iotmqtt::{ConnectOptions, Outgoing, ProtocolVersion, QoS, SessionError, Will};

fn options(version: ProtocolVersion) -> ConnectOptions {
    ConnectOptions { version, client_id: "c1".into(), keepalive_secs: 10, ..Default::default() }
}

fn sent(events: &[E]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            E::RequestSend(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

fn connack(version: ProtocolVersion, code: u8) -> Vec<u8> {
    match version {
        ProtocolVersion::V3_1_1 => vec![0x20, 0x02, 0x00, code],
        ProtocolVersion::V5 => vec![0x20, 0x03, 0x00, code, 0x00],
    }
}

fn connected(version: ProtocolVersion) -> Session {
    let mut s = Session::new(options(version));
    s.connect().unwrap();
    let ev = s.feed(&connack(version, 0));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))), "{ev:?}");
    s
}

fn publish_v3(topic: &str, qos: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![(topic.len() >> 8) as u8, topic.len() as u8];
    body.extend_from_slice(topic.as_bytes());
    if qos > 0 {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let mut p = vec![0x30 | (qos << 1)];
    encode_len(&mut p, body.len());
    p.extend(body);
    p
}

fn encode_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn messages(events: &[E]) -> Vec<(String, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            E::NotifyMessage(m) => Some((m.topic.clone(), m.payload.clone())),
            _ => None,
        })
        .collect()
}

// MQTT 3.1.1 §3.1: CONNECT with protocol level 4, clean session, keepalive, user and password.
#[test]
fn connect_v3_encodes_every_field_and_arms_the_connect_timer() {
    let mut s = Session::new(ConnectOptions {
        username: Some("u".into()),
        password: Some("p".into()),
        will: Some(Will { topic: "w".into(), payload: b"x".to_vec(), qos: QoS::AtLeastOnce, retain: true }),
        connect_timeout_ms: 1234,
        ..options(ProtocolVersion::V3_1_1)
    });
    let ev = s.connect().unwrap();
    let expected: Vec<u8> = [
        &[0x10, 26][..],
        &[0, 4, b'M', b'Q', b'T', b'T', 4],
        &[0b1110_1110], // user, password, will retain, will QoS 1, will, clean session
        &[0, 10],
        &[0, 2, b'c', b'1'],
        &[0, 1, b'w', 0, 1, b'x'],
        &[0, 1, b'u', 0, 1, b'p'],
    ]
    .concat();
    assert_eq!(sent(&ev), vec![expected]);
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::ConnectTimeout, duration_ms: 1234 }));
}

// MQTT 5.0 §3.1.2.11.2: Session Expiry Interval property (0x11) in CONNECT.
#[test]
fn connect_v5_carries_session_expiry_and_clean_start_off() {
    let mut s = Session::new(ConnectOptions {
        clean_start: false,
        session_expiry_secs: Some(300),
        ..options(ProtocolVersion::V5)
    });
    let bytes = sent(&s.connect().unwrap()).remove(0);
    assert_eq!(&bytes[2..9], &[0, 4, b'M', b'Q', b'T', b'T', 5]);
    assert_eq!(bytes[9] & 0b10, 0, "clean start off");
    assert_eq!(
        &bytes[12..23],
        &[10, 0x11, 0, 0, 1, 44, 0x27, 1, 0, 0, 0],
        "property length 10, session expiry 300, maximum packet size 16 MiB"
    );
}

// The keepalive counts from the last packet sent, CONNECT included.
#[test]
fn connack_accepted_connects_and_keepalive_runs_from_connect() {
    let mut s = Session::new(options(ProtocolVersion::V3_1_1));
    let ev = s.connect().unwrap();
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 10_000 }), "{ev:?}");
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, 0));
    assert!(ev.contains(&E::RequestTimerCancel(TimerKind::ConnectTimeout)));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(c) if !c.session_present)));
}

// MQTT 3.1.1 §3.2.2.3: return codes 0x01-0x05 each refuse the connection.
#[test]
fn every_v3_connack_refusal_fails_the_connect_and_closes() {
    for code in 1..=5u8 {
        let mut s = Session::new(options(ProtocolVersion::V3_1_1));
        s.connect().unwrap();
        let ev = s.feed(&connack(ProtocolVersion::V3_1_1, code));
        let refusal = ConnectRefusal::from_v3(code);
        assert!(
            ev.contains(&E::NotifyConnectFailed(SessionError::ConnectRefused {
                version: ProtocolVersion::V3_1_1,
                code,
                refusal
            })),
            "code {code}: {ev:?}"
        );
        assert!(ev.contains(&E::RequestClose));
    }
}

// MQTT 5.0 §3.2.2.2: every CONNACK error reason code.
#[test]
fn every_v5_connack_reason_code_fails_the_connect_with_its_name() {
    let codes = [
        0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B,
        0x9C, 0x9D, 0x9F,
    ];
    for code in codes {
        let mut s = Session::new(options(ProtocolVersion::V5));
        s.connect().unwrap();
        let ev = s.feed(&connack(ProtocolVersion::V5, code));
        let failure = ev.iter().find_map(|e| match e {
            E::NotifyConnectFailed(err) => Some(err.clone()),
            _ => None,
        });
        match failure {
            Some(SessionError::ConnectRefused { code: c, refusal, .. }) => {
                assert_eq!(c, code);
                assert_eq!(refusal, ConnectRefusal::from_v5(code));
                assert_ne!(refusal, ConnectRefusal::Unknown);
            }
            other => panic!("code 0x{code:02X}: {other:?}"),
        }
    }
}

// MQTT 5.0 §3.2.2.3: Maximum Packet Size (0x27) and Maximum QoS (0x24) in CONNACK.
#[test]
fn v5_connack_properties_limit_what_may_be_published() {
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let ev = s.feed(&[0x20, 0x0A, 0x00, 0x00, 0x07, 0x27, 0, 0, 0, 100, 0x24, 0x01]);
    let ack = ev.iter().find_map(|e| match e {
        E::NotifyConnected(c) => Some(c.clone()),
        _ => None,
    });
    let ack = ack.expect("connected");
    assert_eq!(ack.maximum_packet_size, Some(100));
    assert_eq!(ack.maximum_qos, Some(QoS::AtLeastOnce));

    let big = Outgoing::new("t", vec![0u8; 100]);
    assert!(matches!(s.publish(&big), Err(SessionError::PacketTooLarge { max: 100, .. })));
    let q2 = Outgoing::new("t", b"x".to_vec()).qos(QoS::ExactlyOnce);
    assert!(matches!(s.publish(&q2), Err(SessionError::QosNotSupported { .. })));
    let fits = Outgoing::new("t", vec![0u8; 90]);
    assert_eq!(sent(&s.publish(&fits).unwrap().1).len(), 1, "a publish that fits still goes out");
}

#[test]
fn publish_qos0_is_one_exact_packet_with_retain() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (ticket, ev) = s.publish(&Outgoing::new("a/b", b"hi".to_vec()).retain(true)).unwrap();
    assert_eq!(ticket.packet_id, None);
    assert!(!ticket.completes_later(), "QoS 0 completes on hand-off");
    assert_eq!(sent(&ev), vec![vec![0x31, 7, 0, 3, b'a', b'/', b'b', b'h', b'i']]);
}

// MQTT 3.1.1 §4.3.2: QoS 1 completes on PUBACK.
#[test]
fn publish_qos1_completes_on_puback() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (ticket, ev) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let id = ticket.packet_id.unwrap();
    assert_eq!(sent(&ev)[0][0], 0x32);
    let ev = s.feed(&[0x40, 0x02, (id >> 8) as u8, id as u8]);
    assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: Ok(()) }), "{ev:?}");
}

// MQTT 3.1.1 §4.3.3: QoS 2 sends PUBREL on PUBREC and completes on PUBCOMP.
#[test]
fn publish_qos2_releases_on_pubrec_and_completes_on_pubcomp() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let id = ticket.packet_id.unwrap();
    let [hi, lo] = id.to_be_bytes();
    let ev = s.feed(&[0x50, 0x02, hi, lo]);
    assert_eq!(sent(&ev), vec![vec![0x62, 0x02, hi, lo]], "PUBREL");
    assert!(!ev.iter().any(|e| matches!(e, E::NotifyPublishCompleted { .. })));
    let ev = s.feed(&[0x70, 0x02, hi, lo]);
    assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: Ok(()) }));
}

// MQTT 5.0 §3.4.2.1: PUBACK reason codes >= 0x80 fail the publish.
#[test]
fn every_v5_puback_error_reason_fails_the_publish() {
    for code in [0x80u8, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99] {
        let mut s = connected(ProtocolVersion::V5);
        let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
        let [hi, lo] = ticket.packet_id.unwrap().to_be_bytes();
        let ev = s.feed(&[0x40, 0x03, hi, lo, code]);
        let expected = Err(SessionError::PublishRefused { topic: "t".into(), reason: ReasonCode(code), said: None });
        assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: expected }), "{ev:?}");
    }
    // 0x10 "No matching subscribers" is a success.
    let mut s = connected(ProtocolVersion::V5);
    let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let [hi, lo] = ticket.packet_id.unwrap().to_be_bytes();
    let ev = s.feed(&[0x40, 0x03, hi, lo, 0x10]);
    assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: Ok(()) }));
}

// MQTT 5.0 §3.7.2.1: a PUBCOMP ends the QoS 2 flow whatever its reason code; 0x92 only says the
// broker already completed a resent PUBREL, and the message was delivered.
#[test]
fn a_v5_pubcomp_packet_id_not_found_still_completes_the_publish() {
    let mut s = connected(ProtocolVersion::V5);
    let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let [hi, lo] = ticket.packet_id.unwrap().to_be_bytes();
    s.feed(&[0x50, 0x02, hi, lo]);
    let ev = s.feed(&[0x70, 0x03, hi, lo, 0x92]);
    assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: Ok(()) }), "{ev:?}");
}

// Acknowledgements that do not fit a message's flow are ignored; MQTT 5 answers a PUBREC or PUBREL
// for an unknown packet id with reason 0x92 (§4.3.3).
#[test]
fn acknowledgements_that_do_not_fit_the_flow_are_ignored_or_answered_not_found() {
    let mut s = connected(ProtocolVersion::V5);
    let (q2, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let [hi, lo] = q2.packet_id.unwrap().to_be_bytes();
    assert!(completed_tokens(&s.feed(&[0x40, 0x02, hi, lo])).is_empty(), "a PUBACK does not end a QoS 2 flow");
    assert!(completed_tokens(&s.feed(&[0x70, 0x02, hi, lo])).is_empty(), "nor does a PUBCOMP before PUBREC");
    let (q1, _) = s.publish(&Outgoing::new("t", b"y".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let [h1, l1] = q1.packet_id.unwrap().to_be_bytes();
    assert_eq!(
        sent(&s.feed(&[0x50, 0x02, h1, l1])),
        vec![vec![0x62, 0x03, h1, l1, 0x92]],
        "a PUBREC for a QoS 1 message"
    );
    assert_eq!(sent(&s.feed(&[0x50, 0x02, 0x7F, 0x00])), vec![vec![0x62, 0x03, 0x7F, 0x00, 0x92]]);
    assert_eq!(sent(&s.feed(&[0x62, 0x02, 0x7F, 0x01])), vec![vec![0x70, 0x03, 0x7F, 0x01, 0x92]]);
    assert_eq!(s.in_flight(), 2, "both messages are still waiting");
    assert!(s.phase() == iotmqtt::session::Phase::Connected);
}

fn completed_tokens(events: &[E]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| if let E::NotifyPublishCompleted { token, .. } = e { Some(*token) } else { None })
        .collect()
}

// MQTT 5.0 §3.5.2.1: a PUBREC with an error reason ends a QoS 2 publish.
#[test]
fn v5_pubrec_error_fails_a_qos2_publish() {
    let mut s = connected(ProtocolVersion::V5);
    let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let [hi, lo] = ticket.packet_id.unwrap().to_be_bytes();
    let ev = s.feed(&[0x50, 0x03, hi, lo, 0x87]);
    assert!(ev.iter().any(|e| matches!(
        e,
        E::NotifyPublishCompleted { result: Err(SessionError::PublishRefused { reason: ReasonCode(0x87), .. }), .. }
    )));
}

// MQTT 3.1.1 §3.8/§3.9: several filters with their own QoS; SUBACK answers each, 0x80 = failure.
#[test]
fn subscribe_several_filters_reports_each_result() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let filters =
        vec![("a/+".to_string(), QoS::AtMostOnce), ("b/#".into(), QoS::ExactlyOnce), ("c".into(), QoS::AtLeastOnce)];
    let (id, ev) = s.subscribe(&filters).unwrap();
    let [hi, lo] = id.to_be_bytes();
    let expected: Vec<u8> =
        [&[0x82, 18, hi, lo][..], &[0, 3, b'a', b'/', b'+', 0], &[0, 3, b'b', b'/', b'#', 2], &[0, 1, b'c', 1]]
            .concat();
    assert_eq!(sent(&ev), vec![expected]);
    let ev = s.feed(&[0x90, 0x05, hi, lo, 0x00, 0x02, 0x80]);
    let results = vec![
        Ok(QoS::AtMostOnce),
        Ok(QoS::ExactlyOnce),
        Err(SessionError::SubscribeRefused { filter: "c".into(), reason: ReasonCode(0x80), said: None }),
    ];
    assert!(ev.contains(&E::NotifySubscribed { packet_id: id, results }), "{ev:?}");
}

// MQTT 5.0 §3.9.3: SUBACK reason codes.
#[test]
fn every_v5_suback_error_reason_is_reported_per_filter() {
    for code in [0x80u8, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2] {
        let mut s = connected(ProtocolVersion::V5);
        let (id, _) = s.subscribe(&[("x/#".to_string(), QoS::AtLeastOnce)]).unwrap();
        let [hi, lo] = id.to_be_bytes();
        let ev = s.feed(&[0x90, 0x04, hi, lo, 0x00, code]);
        let results =
            vec![Err(SessionError::SubscribeRefused { filter: "x/#".into(), reason: ReasonCode(code), said: None })];
        assert!(ev.contains(&E::NotifySubscribed { packet_id: id, results }), "0x{code:02X}: {ev:?}");
    }
}

#[test]
fn unsubscribe_completes_on_unsuback_in_both_versions() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (id, ev) = s.unsubscribe(&["a/b".to_string()]).unwrap();
    let [hi, lo] = id.to_be_bytes();
    assert_eq!(sent(&ev), vec![vec![0xA2, 7, hi, lo, 0, 3, b'a', b'/', b'b']]);
    let ev = s.feed(&[0xB0, 0x02, hi, lo]);
    assert!(ev.contains(&E::NotifyUnsubscribed { packet_id: id, results: vec![Ok(())] }));

    let mut s = connected(ProtocolVersion::V5);
    let (id, _) = s.unsubscribe(&["a".to_string(), "b".to_string()]).unwrap();
    let [hi, lo] = id.to_be_bytes();
    let ev = s.feed(&[0xB0, 0x05, hi, lo, 0x00, 0x11, 0x87]);
    let results = vec![
        Ok(()),
        Err(SessionError::UnsubscribeRefused { filter: "b".into(), reason: ReasonCode(0x87), said: None }),
    ];
    assert!(ev.contains(&E::NotifyUnsubscribed { packet_id: id, results }), "{ev:?}");
}

// MQTT 3.1.1 §4.3.2-4.3.3: inbound QoS 1 is acknowledged with PUBACK, QoS 2 with PUBREC then PUBCOMP.
#[test]
fn inbound_publishes_are_delivered_and_acknowledged() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let ev = s.feed(&publish_v3("t/1", 1, 7, b"one"));
    assert_eq!(messages(&ev), vec![("t/1".to_string(), b"one".to_vec())]);
    assert_eq!(sent(&ev), vec![vec![0x40, 0x02, 0, 7]]);

    let ev = s.feed(&publish_v3("t/2", 2, 8, b"two"));
    assert_eq!(messages(&ev).len(), 1);
    assert_eq!(sent(&ev), vec![vec![0x50, 0x02, 0, 8]]);
    let ev = s.feed(&[0x62, 0x02, 0, 8]);
    assert_eq!(sent(&ev), vec![vec![0x70, 0x02, 0, 8]]);
}

#[test]
fn retained_and_dup_flags_reach_the_message() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let mut p = publish_v3("t", 1, 3, b"r");
    p[0] |= 0x08 | 0x01; // DUP and RETAIN
    let ev = s.feed(&p);
    let m = ev.iter().find_map(|e| if let E::NotifyMessage(m) = e { Some(m.clone()) } else { None }).unwrap();
    assert!(m.retain && m.dup);
    assert_eq!(m.qos, QoS::AtLeastOnce);
}

// A WebSocket message may hold several packets, and a packet may span several messages.
#[test]
fn merged_packets_in_one_feed_are_all_consumed() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let bytes = [publish_v3("a", 0, 0, b"1"), publish_v3("b", 0, 0, b"2"), publish_v3("c", 1, 9, b"3")].concat();
    let ev = s.feed(&bytes);
    let topics: Vec<_> = messages(&ev).into_iter().map(|(t, _)| t).collect();
    assert_eq!(topics, ["a", "b", "c"]);
}

#[test]
fn a_packet_split_byte_by_byte_arrives_once_whole() {
    let mut s = connected(ProtocolVersion::V5);
    let payload: Vec<u8> = (0..=255u8).collect();
    let mut p = vec![0x30];
    let body: Vec<u8> = [&[0, 1, b'z', 0][..], &payload].concat();
    encode_len(&mut p, body.len());
    p.extend(body);
    let mut got = Vec::new();
    for b in &p {
        got.extend(messages(&s.feed(std::slice::from_ref(b))));
    }
    assert_eq!(got, vec![("z".to_string(), payload)]);
}

#[test]
fn splits_across_packet_boundaries_keep_order() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let bytes = [publish_v3("a", 0, 0, b"1"), publish_v3("b", 0, 0, &[7u8; 300]), publish_v3("c", 0, 0, b"3")].concat();
    let mut got = Vec::new();
    for chunk in bytes.chunks(7) {
        got.extend(messages(&s.feed(chunk)).into_iter().map(|(t, _)| t));
    }
    assert_eq!(got, ["a", "b", "c"]);
}

// MQTT 3.1.1 §3.1.2.10: keepalive; the session asks for timers and the shell reports them fired.
#[test]
fn keepalive_sends_pingreq_and_a_missing_pingresp_ends_the_connection() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let ev = s.timer_fired(TimerKind::PingreqSend);
    assert_eq!(sent(&ev), vec![vec![0xC0, 0x00]]);
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingrespRecv, duration_ms: 5_000 }), "{ev:?}");

    let ev = s.feed(&[0xD0, 0x00]);
    assert!(ev.contains(&E::RequestTimerCancel(TimerKind::PingrespRecv)), "{ev:?}");

    s.timer_fired(TimerKind::PingreqSend);
    let ev = s.timer_fired(TimerKind::PingrespRecv);
    assert!(ev.contains(&E::NotifyConnectionLost(SessionError::PingTimeout)), "{ev:?}");
    assert!(ev.contains(&E::RequestClose));
}

// The keepalive counts from the CONNECT; when it runs out before a slow CONNACK, the PINGREQ goes
// as soon as the CONNACK comes, and the ping timers run again from there.
#[test]
fn a_pingreq_due_before_the_connack_goes_when_it_comes() {
    let mut s = Session::new(options(ProtocolVersion::V3_1_1));
    s.connect().unwrap();
    assert!(sent(&s.timer_fired(TimerKind::PingreqSend)).is_empty(), "nothing before the CONNACK");
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, 0));
    assert_eq!(sent(&ev), vec![vec![0xC0, 0x00]], "{ev:?}");
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 10_000 }), "{ev:?}");
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingrespRecv, duration_ms: 5_000 }), "{ev:?}");

    // MQTT 5 with the broker's Server Keep Alive: the PINGREQ still goes, at the broker's interval.
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    s.timer_fired(TimerKind::PingreqSend);
    let ev = s.feed(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x05]); // Server Keep Alive 5 s
    assert_eq!(sent(&ev), vec![vec![0xC0, 0x00]], "{ev:?}");
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 5_000 }), "{ev:?}");
    // ... and none when the broker turns keepalive off.
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    s.timer_fired(TimerKind::PingreqSend);
    assert!(sent(&s.feed(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x00])).is_empty());

    // Without an overdue timer, the CONNACK sends nothing.
    let mut s = Session::new(options(ProtocolVersion::V3_1_1));
    s.connect().unwrap();
    assert!(sent(&s.feed(&connack(ProtocolVersion::V3_1_1, 0))).is_empty());
}

#[test]
fn sending_anything_pushes_the_next_pingreq_back() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (_, ev) = s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap();
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 10_000 }), "{ev:?}");
}

#[test]
fn keepalive_zero_arms_no_ping_timer() {
    let mut s = Session::new(ConnectOptions { keepalive_secs: 0, ..options(ProtocolVersion::V3_1_1) });
    let mut ev = s.connect().unwrap();
    ev.extend(s.feed(&connack(ProtocolVersion::V3_1_1, 0)));
    assert!(!ev.iter().any(|e| matches!(e, E::RequestTimerReset { kind: TimerKind::PingreqSend, .. })));
}

#[test]
fn no_connack_in_time_is_a_connect_timeout() {
    let mut s = Session::new(ConnectOptions { connect_timeout_ms: 500, ..options(ProtocolVersion::V3_1_1) });
    s.connect().unwrap();
    let ev = s.timer_fired(TimerKind::ConnectTimeout);
    assert!(ev.contains(&E::NotifyConnectFailed(SessionError::ConnectTimeout { timeout_ms: 500 })));
    assert!(ev.contains(&E::RequestClose));
    assert!(s.timer_fired(TimerKind::ConnectTimeout).is_empty(), "a late timer after the failure does nothing");
}

// MQTT 5.0 §3.14.2.1: a server DISCONNECT carries its reason.
#[test]
fn every_v5_server_disconnect_reason_reaches_the_application() {
    for code in [
        0x00u8, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x93, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9C, 0x9F,
        0xA0,
    ] {
        let mut s = connected(ProtocolVersion::V5);
        let ev = s.feed(&[0xE0, 0x01, code]);
        assert!(
            ev.contains(&E::NotifyConnectionLost(SessionError::ServerDisconnected {
                reason: ReasonCode(code),
                said: None
            })),
            "0x{code:02X}: {ev:?}"
        );
        assert!(ev.contains(&E::RequestClose));
    }
}

#[test]
fn client_disconnect_sends_disconnect_then_closes() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let ev = s.disconnect();
    assert_eq!(sent(&ev), vec![vec![0xE0, 0x00]]);
    assert_eq!(ev.last(), Some(&E::RequestClose));
}

#[test]
fn a_closed_socket_fails_everything_in_flight() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let (sid, _) = s.subscribe(&[("f".to_string(), QoS::AtMostOnce)]).unwrap();
    let ev = s.notify_closed();
    assert!(ev.contains(&E::NotifyPublishCompleted { token: ticket.token, result: Err(SessionError::ConnectionLost) }));
    assert!(ev.contains(&E::NotifySubscribed { packet_id: sid, results: vec![Err(SessionError::ConnectionLost)] }));
    assert_eq!(s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap_err(), SessionError::NotConnected);
}

#[test]
fn the_session_reconnects_after_a_close() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, 0));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))));
}

// Bad input from the application: each is a typed error and nothing is sent.
#[test]
fn bad_topics_filters_and_qos_are_refused_before_sending() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    for topic in ["a/+", "a/#", "", "a\0b"] {
        assert!(
            matches!(s.publish(&Outgoing::new(topic, b"x".to_vec())), Err(SessionError::InvalidTopic { .. })),
            "{topic:?}"
        );
    }
    let long = "t".repeat(65_536);
    assert!(matches!(s.publish(&Outgoing::new(long, b"x".to_vec())), Err(SessionError::InvalidTopic { .. })));
    for filter in ["a/#/b", "a#", "+a", ""] {
        assert!(matches!(
            s.subscribe(&[(filter.to_string(), QoS::AtMostOnce)]),
            Err(SessionError::InvalidFilter { .. })
        ));
        assert!(matches!(s.unsubscribe(&[filter.to_string()]), Err(SessionError::InvalidFilter { .. })));
    }
    assert_eq!(QoS::try_from(3u8), Err(SessionError::InvalidQos(3)));
    // The session is untouched: a good publish still gets packet id 1.
    let (ticket, _) = s.publish(&Outgoing::new("ok", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(ticket.packet_id, Some(1));
}

#[test]
fn publishing_before_connack_is_not_connected() {
    let mut s = Session::new(options(ProtocolVersion::V3_1_1));
    assert_eq!(s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap_err(), SessionError::NotConnected);
    s.connect().unwrap();
    assert_eq!(s.subscribe(&[("t".into(), QoS::AtMostOnce)]).unwrap_err(), SessionError::NotConnected);
}

// Malformed bytes from the server end the connection with an error event, never a panic.
#[test]
fn garbage_from_the_server_is_an_error_event_not_a_panic() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let ev = s.feed(&[0x00, 0x00]); // packet type 0 is reserved
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnectionLost(SessionError::Protocol { .. }))), "{ev:?}");
    assert!(ev.contains(&E::RequestClose));
    assert!(s.feed(&[0x30, 0x03, 0, 1, b'a']).is_empty(), "nothing is read after the error");

    // A length that never ends (MQTT allows at most 4 length bytes).
    let mut s = connected(ProtocolVersion::V5);
    let ev = s.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnectionLost(_))), "{ev:?}");
}

#[test]
fn random_garbage_never_panics_in_any_phase() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3_000 {
        let version = if round % 2 == 0 { ProtocolVersion::V3_1_1 } else { ProtocolVersion::V5 };
        let mut s = Session::new(options(version));
        s.connect().unwrap();
        if round % 3 != 0 {
            s.feed(&connack(version, 0));
        }
        let len = (next() % 64) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 5 == 0 && !bytes.is_empty() {
            bytes[0] = [0x20, 0x30, 0x40, 0x90, 0xB0, 0xD0, 0xE0][(next() % 7) as usize];
        }
        let _ = s.feed(&bytes);
        let _ = s.timer_fired(TimerKind::PingreqSend);
        let _ = s.timer_fired(TimerKind::PingrespRecv);
        let _ = s.notify_closed();
    }
}

// MQTT 5.0 §3.2.2.3.3/§3.2.2.3.6: Receive Maximum and Maximum Packet Size of 0 are protocol errors.
#[test]
fn zero_limits_in_a_v5_connack_are_an_error_not_a_panic() {
    for prop in [[0x21u8, 0, 0].to_vec(), [0x27u8, 0, 0, 0, 0].to_vec()] {
        let mut s = Session::new(options(ProtocolVersion::V5));
        s.connect().unwrap();
        let mut p = vec![0x20, 3 + prop.len() as u8, 0x00, 0x00, prop.len() as u8];
        p.extend(&prop);
        let ev = s.feed(&p);
        assert!(ev.iter().any(|e| matches!(e, E::NotifyConnectFailed(_))), "{ev:?}");
    }
}

// MQTT 3.1.1 §4.3.3: a QoS 2 PUBLISH sent again before its PUBREL is acknowledged again but
// delivered once; after PUBREL the packet id names a new message.
#[test]
fn an_inbound_qos2_resend_is_acknowledged_but_delivered_once() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let first = s.feed(&publish_v3("t", 2, 5, b"once"));
    assert_eq!(messages(&first).len(), 1);
    let mut resend = publish_v3("t", 2, 5, b"once");
    resend[0] |= 0x08; // DUP
    let ev = s.feed(&resend);
    assert_eq!(sent(&ev), vec![vec![0x50, 0x02, 0, 5]], "PUBREC again");
    assert!(messages(&ev).is_empty(), "not delivered twice: {ev:?}");
    assert_eq!(sent(&s.feed(&[0x62, 0x02, 0, 5])), vec![vec![0x70, 0x02, 0, 5]]);
    assert_eq!(messages(&s.feed(&publish_v3("t", 2, 5, b"next"))).len(), 1, "a new message with the same id");
}

// MQTT 5.0 §3.2.2.3.3 and §4.9: no more unacknowledged QoS 1/2 messages than the broker's
// Receive Maximum; the rest wait, in order, for acknowledgements to free a slot.
#[test]
fn publishes_beyond_the_receive_maximum_wait_for_a_free_slot() {
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    s.feed(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x02]); // Receive Maximum 2
    let mut tickets = Vec::new();
    let mut ids = Vec::new();
    for i in 0..5u8 {
        let (t, ev) = s.publish(&Outgoing::new("t", vec![i]).qos(QoS::AtLeastOnce)).unwrap();
        ids.extend(sent(&ev).iter().map(|p| u16::from_be_bytes([p[5], p[6]])));
        tickets.push(t);
    }
    assert_eq!(ids.len(), 2, "two in flight");
    assert!(tickets[2..].iter().all(|t| t.queued && t.packet_id.is_none() && t.completes_later()));
    assert_eq!((s.in_flight(), s.queued()), (2, 3));
    let (t0, ev) = s.publish(&Outgoing::new("t", b"q0".to_vec())).unwrap();
    assert!(!t0.completes_later() && sent(&ev).len() == 1, "QoS 0 is not limited");

    let [hi, lo] = ids[0].to_be_bytes();
    let ev = s.feed(&[0x40, 0x02, hi, lo]);
    assert!(ev.contains(&E::NotifyPublishCompleted { token: tickets[0].token, result: Ok(()) }));
    let next = sent(&ev);
    assert_eq!(next.len(), 1, "one slot freed, one held message sent: {ev:?}");
    assert_eq!(next[0].last(), Some(&2u8), "the oldest held one");
    assert_eq!((s.in_flight(), s.queued()), (2, 2));

    // Without an offline queue, held messages fail with the connection.
    let ev = s.notify_closed();
    let failed: Vec<u64> = ev
        .iter()
        .filter_map(|e| match e {
            E::NotifyPublishCompleted { token, result: Err(SessionError::ConnectionLost) } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 4, "two in flight, two held: {ev:?}");
    assert!(failed.contains(&tickets[4].token));
    assert_eq!(s.queued(), 0);
}

// Packet ids in use by any pending request are skipped; when all 65,535 are in use, the request
// is refused with a typed error and a freed id is used again.
#[test]
fn packet_ids_are_never_shared_and_running_out_is_a_typed_error() {
    let mut s = connected(ProtocolVersion::V3_1_1);
    let (sub, _) = s.subscribe(&[("f".to_string(), QoS::AtMostOnce)]).unwrap();
    assert_eq!(sub, 1);
    let mut seen = std::collections::HashSet::from([sub]);
    for _ in 1..u16::MAX {
        let (t, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
        assert!(seen.insert(t.packet_id.unwrap()), "id {:?} reused while pending", t.packet_id);
    }
    let full = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce));
    assert_eq!(full.unwrap_err(), SessionError::PacketIdsExhausted);
    assert_eq!(s.subscribe(&[("g".to_string(), QoS::AtMostOnce)]).unwrap_err(), SessionError::PacketIdsExhausted);
    s.feed(&[0x90, 0x03, 0, 1, 0x00]); // the SUBACK frees id 1
    let (t, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(t.packet_id, Some(1));
}

// MQTT 5.0 §3.2.2.3.14: the broker's Server Keep Alive replaces the client's keepalive.
#[test]
fn the_server_keep_alive_replaces_the_keepalive() {
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let ev = s.feed(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x03]); // Server Keep Alive 3 s
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 3_000 }), "{ev:?}");
    let (_, ev) = s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap();
    assert!(ev.contains(&E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 3_000 }), "{ev:?}");

    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let ev = s.feed(&[0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x00]); // 0: no pings at all
    assert!(ev.contains(&E::RequestTimerCancel(TimerKind::PingreqSend)), "{ev:?}");
    let (_, ev) = s.publish(&Outgoing::new("t", b"x".to_vec())).unwrap();
    assert!(!ev.iter().any(|e| matches!(e, E::RequestTimerReset { .. })), "{ev:?}");
}

// MQTT 5.0 §4.13.2: a client that gives up on pings says why: DISCONNECT 0x8D "keep alive timeout".
#[test]
fn a_v5_ping_timeout_sends_disconnect_keep_alive_timeout() {
    let mut s = connected(ProtocolVersion::V5);
    s.timer_fired(TimerKind::PingreqSend);
    let ev = s.timer_fired(TimerKind::PingrespRecv);
    assert_eq!(sent(&ev), vec![vec![0xE0, 0x01, 0x8D]]);
    assert!(ev.contains(&E::NotifyConnectionLost(SessionError::PingTimeout)));
    assert!(ev.contains(&E::RequestClose));
}

// What a server may not send a client ends the connection with a protocol error.
#[test]
fn packets_a_client_never_receives_are_protocol_errors() {
    let cases: [(&str, Vec<u8>); 6] = [
        ("CONNECT", vec![0x10, 0x00]),
        ("SUBSCRIBE", vec![0x82, 0x02, 0x00, 0x01]),
        ("PINGREQ", vec![0xC0, 0x00]),
        ("a second CONNACK", connack(ProtocolVersion::V3_1_1, 0)),
        ("PUBACK with reserved flags", vec![0x42, 0x02, 0x00, 0x01]),
        ("PUBREL without its fixed flags", vec![0x60, 0x02, 0x00, 0x01]),
    ];
    for (what, bytes) in cases {
        let mut s = connected(ProtocolVersion::V3_1_1);
        let ev = s.feed(&bytes);
        assert!(
            ev.iter().any(|e| matches!(e, E::NotifyConnectionLost(SessionError::Protocol { .. }))),
            "{what}: {ev:?}"
        );
        assert!(ev.contains(&E::RequestClose), "{what}");
    }
    let mut s = Session::new(options(ProtocolVersion::V3_1_1));
    s.connect().unwrap();
    let ev = s.feed(&publish_v3("t", 0, 0, b"early"));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnectFailed(SessionError::Protocol { .. }))), "{ev:?}");
}

// MQTT 3.1.1 §2.2.3: a Remaining Length takes at most four bytes. Past that a packet cannot be
// framed (mqtt-protocol-core's encoder, the codec once used, panicked): the session refuses it.
#[test]
fn a_publish_past_mqtts_largest_packet_is_refused_not_a_panic() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut s = connected(version);
        let payload = vec![0u8; 268_435_455 - 2];
        let e = s.publish(&Outgoing::new("t", payload)).unwrap_err();
        assert!(matches!(e, SessionError::PacketTooLarge { max: 268_435_460, .. }), "{e:?}");
        assert!(s.publish(&Outgoing::new("t", b"x".to_vec())).is_ok(), "the session goes on");
    }
}

#[test]
fn publish_size_formula_matches_the_encoder() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        for (qos, len) in
            [(QoS::AtMostOnce, 0), (QoS::AtLeastOnce, 120), (QoS::ExactlyOnce, 20_000), (QoS::AtMostOnce, 3_000_000)]
        {
            let mut s = connected(version);
            let (_, ev) = s.publish(&Outgoing::new("topic/x", vec![1u8; len]).qos(qos)).unwrap();
            assert_eq!(sent(&ev)[0].len(), publish_packet_size(version, 7, len, qos), "{version} {qos} {len}");
        }
    }
}

#[test]
fn generated_client_ids_are_distinct_and_short() {
    let a = iotmqtt::session::generate_client_id(1);
    let b = iotmqtt::session::generate_client_id(2);
    assert_ne!(a, b);
    assert!(a.len() <= 23, "MQTT 3.1.1 servers must accept ids up to 23 bytes");
}

// One result per filter goes back to the shell counted in 16 bits: a longer list is refused whole.
#[test]
fn more_than_65535_filters_at_once_are_refused() {
    let mut s = connected(ProtocolVersion::V5);
    let filters: Vec<String> = (0..65_536).map(|i| format!("f/{i}")).collect();
    let e = s.unsubscribe(&filters).unwrap_err();
    assert!(matches!(e, SessionError::InvalidOption { field: "filters", .. }), "{e:?}");
    let with_qos: Vec<(String, QoS)> = filters.into_iter().map(|f| (f, QoS::AtMostOnce)).collect();
    assert!(matches!(s.subscribe(&with_qos), Err(SessionError::InvalidOption { field: "filters", .. })));
    let (_, ev) = s.unsubscribe(&with_qos[..65_535].iter().map(|(f, _)| f.clone()).collect::<Vec<_>>()).unwrap();
    let sends: Vec<u8> = ev.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b[0]) } else { None }).collect();
    assert_eq!(sends, [0xA2], "one UNSUBSCRIBE sent for 65,535 filters");
}

// Issue 21: the largest packet the client takes is announced (MQTT 5) and enforced (both versions)
// from a packet's fixed header alone, so a broker cannot make it buffer up to 256 MiB.
#[test]
fn a_packet_announcing_more_than_the_maximum_ends_the_connection_from_its_header() {
    let ended = |size, max| {
        vec![
            E::RequestTimerCancel(TimerKind::ConnectTimeout),
            E::RequestTimerCancel(TimerKind::PingreqSend),
            E::RequestTimerCancel(TimerKind::PingrespRecv),
            E::NotifyConnectionLost(SessionError::IncomingPacketTooLarge { size, max }),
            E::RequestClose,
        ]
    };
    // 256 MiB announced by a PUBLISH header: 5 bytes are enough to refuse it.
    let mut s = connected(ProtocolVersion::V3_1_1);
    assert_eq!(s.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]), ended(268_435_460, 16 << 20));
    assert!(s.feed(&[0; 4096]).is_empty(), "the rest is not read");

    // MQTT 5 tells the broker why first (§4.13.1: DISCONNECT 0x95 "packet too large").
    let mut s = connected(ProtocolVersion::V5);
    let mut expected = vec![E::RequestSend(vec![0xE0, 0x01, 0x95])];
    expected.extend(ended(268_435_460, 16 << 20));
    assert_eq!(s.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]), expected);

    // A cap of the user's: a packet of exactly that many bytes is taken, one byte more is not,
    // even when it comes after a whole packet in the same WebSocket message.
    let capped = |max| {
        let mut s = Session::new(ConnectOptions { maximum_packet_size: max, ..options(ProtocolVersion::V3_1_1) });
        s.connect().unwrap();
        s.feed(&connack(ProtocolVersion::V3_1_1, 0));
        s
    };
    let packet = publish_v3("t", 0, 0, &[7; 20]); // 2 + 2 + 1 + 20 bytes
    assert_eq!(packet.len(), 25);
    let mut s = capped(25);
    assert_eq!(messages(&s.feed(&packet)), vec![("t".to_string(), vec![7; 20])]);
    let mut s = capped(24);
    let mut two = publish_v3("t", 0, 0, &[1; 10]);
    two.extend_from_slice(&packet);
    let ev = s.feed(&two);
    assert_eq!(messages(&ev), vec![("t".to_string(), vec![1; 10])]);
    assert_eq!(ev[ev.len() - 5..], ended(25, 24)[..]);
}

// Issue 21: a first byte that starts no packet a client receives ends the connection at once,
// not when the connect timeout fires (an HTTP answer, a proxy's banner, a server's CONNECT).
#[test]
fn a_byte_that_starts_no_packet_fails_the_connect_at_once() {
    for (what, first, detail) in [
        ("an HTTP answer", b'H', "reserved fixed-header flags are set"),
        ("a CONNECT", 0x10, "a packet type a client never receives"),
        ("a PUBLISH with QoS 3", 0x36, "a PUBLISH with QoS 3"),
    ] {
        let mut s = Session::new(options(ProtocolVersion::V5));
        s.connect().unwrap();
        let ev = s.feed(&[first]);
        assert_eq!(
            ev,
            vec![
                E::RequestSend(vec![0xE0, 0x01, 0x81]), // MQTT 5: DISCONNECT "malformed packet"
                E::RequestTimerCancel(TimerKind::ConnectTimeout),
                E::RequestTimerCancel(TimerKind::PingreqSend),
                E::RequestTimerCancel(TimerKind::PingrespRecv),
                E::NotifyConnectFailed(SessionError::Protocol { detail: detail.into() }),
                E::RequestClose,
            ],
            "{what}"
        );
    }
    // After the CONNACK, in the middle of a WebSocket message, the same.
    let mut s = connected(ProtocolVersion::V3_1_1);
    let mut bytes = publish_v3("t", 0, 0, b"ok");
    bytes.push(0xF0); // AUTH, which MQTT 3.1.1 does not have
    let ev = s.feed(&bytes);
    assert_eq!(messages(&ev), vec![("t".to_string(), b"ok".to_vec())]);
    let lost = SessionError::Protocol { detail: "a packet type a client never receives".into() };
    assert_eq!(ev[ev.len() - 2..], [E::NotifyConnectionLost(lost), E::RequestClose]);
}

#[test]
fn a_maximum_packet_size_of_0_is_refused_before_connecting() {
    let mut s = Session::new(ConnectOptions { maximum_packet_size: 0, ..options(ProtocolVersion::V5) });
    let e = s.connect().unwrap_err();
    assert!(matches!(e, SessionError::InvalidOption { field: "maximumPacketSize", .. }), "{e:?}");
}

// aedes speaks MQTT 3.1.1 only and answers an MQTT 5 CONNECT with its own CONNACK (no properties,
// return code 1): the connect fails as MQTT 5's "unsupported protocol version", which says to try
// 3.1.1, not as a protocol error.
#[test]
fn an_mqtt_3_server_refusing_an_mqtt_5_connect_is_an_unsupported_version() {
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let refused = SessionError::ConnectRefused {
        version: ProtocolVersion::V5,
        code: 0x84,
        refusal: ConnectRefusal::UnsupportedProtocolVersion,
    };
    assert_eq!(
        s.feed(&[0x20, 0x02, 0x00, 0x01]),
        [
            E::RequestTimerCancel(TimerKind::ConnectTimeout),
            E::RequestTimerCancel(TimerKind::PingreqSend),
            E::RequestTimerCancel(TimerKind::PingrespRecv),
            E::NotifyConnectFailed(refused),
            E::RequestClose,
        ]
    );
    // Other 3.1.1 return codes in an MQTT 5 CONNACK stay malformed.
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let ev = s.feed(&[0x20, 0x02, 0x00, 0x05]);
    let malformed = SessionError::Protocol { detail: "a reason code this packet cannot carry".into() };
    assert_eq!(ev[0], E::RequestSend(vec![0xE0, 0x01, 0x81]));
    assert_eq!(ev[4..], [E::NotifyConnectFailed(malformed), E::RequestClose]);
}

// MQTT 5.0 §4.13.1: before closing for bad input, an MQTT 5 client says why. A Topic Alias the
// client never allowed (it announces no Topic Alias Maximum) is 0x94 (§3.3.2.3.4); a malformed packet
// 0x81; a packet out of place (a second CONNACK) 0x82. MQTT 3.1.1 has no reason to send.
#[test]
fn an_mqtt_5_client_says_why_it_closes_for_bad_input() {
    let ended = |reason: u8, detail: &str| {
        vec![
            E::RequestSend(vec![0xE0, 0x01, reason]),
            E::RequestTimerCancel(TimerKind::ConnectTimeout),
            E::RequestTimerCancel(TimerKind::PingreqSend),
            E::RequestTimerCancel(TimerKind::PingrespRecv),
            E::NotifyConnectionLost(SessionError::Protocol { detail: detail.into() }),
            E::RequestClose,
        ]
    };
    // PUBLISH "t", QoS 0, properties: Topic Alias 1.
    let aliased = [0x30, 0x07, 0x00, 0x01, b't', 0x03, 0x23, 0x00, 0x01];
    let mut s = connected(ProtocolVersion::V5);
    assert_eq!(s.feed(&aliased), ended(0x94, "a topic alias this client never allowed"));
    // PUBLISH whose topic length runs past the packet.
    let mut s = connected(ProtocolVersion::V5);
    assert_eq!(s.feed(&[0x30, 0x03, 0x00, 0x09, b't']), ended(0x81, "a packet shorter than its fields"));
    let mut s = connected(ProtocolVersion::V5);
    assert_eq!(s.feed(&connack(ProtocolVersion::V5, 0)), ended(0x82, "a second CONNACK"));
    // MQTT 3.1.1: the same bytes end the connection without a word.
    let mut s = connected(ProtocolVersion::V3_1_1);
    assert_eq!(s.feed(&[0x30, 0x03, 0x00, 0x09, b't']), ended(0x81, "a packet shorter than its fields")[1..]);
}

// MQTT 5 Server Reference (§4.11): a refusing CONNACK or a DISCONNECT may name another server; the
// session reports it before the failure it comes with.
#[test]
fn a_server_reference_is_reported_before_the_refusal_or_disconnect() {
    let reference = |packet: &[u8]| {
        let url = b"ws://other.example/mqtt";
        let mut props = vec![0x1C, 0x00, url.len() as u8];
        props.extend_from_slice(url);
        let mut body = packet.to_vec();
        body.push(props.len() as u8);
        body.extend(props);
        body
    };
    let other = E::NotifyServerReference("ws://other.example/mqtt".into());
    // CONNACK 0x9D "server moved".
    let mut s = Session::new(options(ProtocolVersion::V5));
    s.connect().unwrap();
    let body = reference(&[0x00, 0x9D]);
    let mut connack = vec![0x20, body.len() as u8];
    connack.extend(body);
    let moved =
        SessionError::ConnectRefused { version: ProtocolVersion::V5, code: 0x9D, refusal: ConnectRefusal::ServerMoved };
    let ev = s.feed(&connack);
    assert_eq!(ev[0], other);
    assert_eq!(ev[ev.len() - 2..], [E::NotifyConnectFailed(moved), E::RequestClose]);
    // DISCONNECT 0x9C "use another server".
    let mut s = connected(ProtocolVersion::V5);
    let body = reference(&[0x9C]);
    let mut disconnect = vec![0xE0, body.len() as u8];
    disconnect.extend(body);
    let ev = s.feed(&disconnect);
    assert_eq!(ev[0], other);
    assert_eq!(
        ev[ev.len() - 2..],
        [
            E::NotifyConnectionLost(SessionError::ServerDisconnected { reason: ReasonCode(0x9C), said: None }),
            E::RequestClose
        ]
    );
}

// MQTT 5.0 §3.14.2.2.3–4: the broker's Reason String and User Properties reach the application with
// the code, and the message says the Reason String.
#[test]
fn a_disconnects_reason_string_and_user_properties_reach_the_application() {
    use iotmqtt::session::said::Words;
    let mut s = connected(ProtocolVersion::V5);
    #[rustfmt::skip]
    let props = [
        0x1F, 0x00, 0x0A, b't', b'a', b'k', b'e', b'n', b' ', b'o', b'v', b'e', b'r',
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v',
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'w',
    ];
    let mut disconnect = vec![0xE0, 2 + props.len() as u8, 0x8E, props.len() as u8];
    disconnect.extend(props);
    let ev = s.feed(&disconnect);
    let words = Words {
        reason_string: Some("taken over".into()),
        user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
    };
    let e = SessionError::ServerDisconnected { reason: ReasonCode(0x8E), said: Some(Box::new(words)) };
    assert_eq!(ev[ev.len() - 2..], [E::NotifyConnectionLost(e.clone()), E::RequestClose]);
    assert_eq!(e.to_string(), format!("the broker disconnected: {} (\"taken over\")", ReasonCode(0x8E)));
    assert_eq!(e.code(), "SERVER_DISCONNECTED");
}

// MQTT 5.0 §3.4.2.2, §3.5.2.2, §3.9.2.1, §3.11.2.1: a refusal's Reason String and User Properties
// stay with the error; a SUBACK's and an UNSUBACK's go with each filter they refused.
#[test]
fn a_refusals_reason_string_and_user_properties_stay_with_the_error() {
    use iotmqtt::session::said::{AckPacket, Acknowledged, Words};
    // "acl" and the user property ("rule", "7").
    #[rustfmt::skip]
    let props = [0x10, 0x1F, 0x00, 0x03, b'a', b'c', b'l', 0x26, 0x00, 0x04, b'r', b'u', b'l', b'e', 0x00, 0x01, b'7'];
    let said = || {
        let words = Words { reason_string: Some("acl".into()), user_properties: vec![("rule".into(), "7".into())] };
        Some(Box::new(words))
    };
    let packet = |first: u8, id: u16, codes: &[u8]| {
        let mut p = vec![first, (2 + props.len() + codes.len()) as u8];
        p.extend(id.to_be_bytes());
        // A PUBACK's or PUBREC's code goes before the properties, a SUBACK's or UNSUBACK's after.
        let (before, after) = if first == 0x40 || first == 0x50 { (codes, &[][..]) } else { (&[][..], codes) };
        p.extend(before);
        p.extend(props);
        p.extend(after);
        p
    };
    let mut s = connected(ProtocolVersion::V5);
    // PUBACK 0x87 and PUBREC 0x87.
    for (first, qos) in [(0x40, QoS::AtLeastOnce), (0x50, QoS::ExactlyOnce)] {
        let (ticket, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(qos)).unwrap();
        let ev = s.feed(&packet(first, ticket.packet_id.unwrap(), &[0x87]));
        let e = SessionError::PublishRefused { topic: "t".into(), reason: ReasonCode(0x87), said: said() };
        assert_eq!(e.to_string(), format!("the broker refused the publish to \"t\": {} (\"acl\")", ReasonCode(0x87)));
        assert_eq!(ev, [E::NotifyPublishCompleted { token: ticket.token, result: Err(e) }]);
    }
    // A SUBACK granting one filter and refusing two.
    let filters =
        [("a".to_string(), QoS::AtMostOnce), ("b".to_string(), QoS::AtMostOnce), ("c".to_string(), QoS::AtMostOnce)];
    let (id, _) = s.subscribe(&filters).unwrap();
    let ev = s.feed(&packet(0x90, id, &[0x00, 0x87, 0x97]));
    let refused =
        |f: &str, c| Err(SessionError::SubscribeRefused { filter: f.into(), reason: ReasonCode(c), said: said() });
    // The words are the whole SUBACK's: the granted filter's too (`NotifyAcknowledged`).
    let acknowledged = Acknowledged {
        packet: AckPacket::SubAck,
        subjects: vec!["a".into(), "b".into(), "c".into()],
        codes: vec![0x00, 0x87, 0x97],
        words: *said().unwrap(),
    };
    assert_eq!(
        ev,
        [
            E::NotifyAcknowledged(acknowledged),
            E::NotifySubscribed {
                packet_id: id,
                results: vec![Ok(QoS::AtMostOnce), refused("b", 0x87), refused("c", 0x97)]
            }
        ]
    );
    // An UNSUBACK refusing one.
    let (id, _) = s.unsubscribe(&["a".to_string()]).unwrap();
    let ev = s.feed(&packet(0xB0, id, &[0x87]));
    let e = SessionError::UnsubscribeRefused { filter: "a".into(), reason: ReasonCode(0x87), said: said() };
    assert_eq!(ev, [E::NotifyUnsubscribed { packet_id: id, results: vec![Err(e)] }]);
}

// MQTT 5: a successful acknowledgement may say more than "success": PUBACK or PUBREC 0x10 "No
// matching subscribers", UNSUBACK 0x11 "No subscription existed", or any acknowledgement's Reason
// String and User Properties. Each is one `NotifyAcknowledged` before the completion it comes
// with; a plain success says nothing.
#[test]
fn a_successful_acknowledgements_words_come_before_its_completion() {
    use iotmqtt::session::said::{AckPacket, Acknowledged, Words};
    let words =
        |text: &str| Words { reason_string: Some(text.into()), user_properties: vec![("n".into(), "1".into())] };
    // The Reason String `text` and the user property n=1, with their length in front.
    let props = |text: &str| {
        let mut p = vec![0x1F, 0x00, text.len() as u8];
        p.extend(text.as_bytes());
        p.extend([0x26, 0x00, 0x01, b'n', 0x00, 0x01, b'1']);
        p.insert(0, p.len() as u8);
        p
    };
    let ack = |first: u8, id: u16, code: &[u8], tail: &[u8]| {
        let mut p = vec![first, 0];
        p.extend(id.to_be_bytes());
        p.extend(code);
        p.extend(tail);
        p[1] = (p.len() - 2) as u8;
        p
    };
    let ack_of = |packet, subjects: &[&str], codes: &[u8], words| {
        E::NotifyAcknowledged(Acknowledged {
            packet,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            codes: codes.to_vec(),
            words,
        })
    };
    let mut s = connected(ProtocolVersion::V5);

    // PUBACK 0x10 without properties, then PUBACK 0x00 with words, then a plain PUBACK 0x00.
    let (t1, _) = s.publish(&Outgoing::new("t/1", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let ev = s.feed(&ack(0x40, t1.packet_id.unwrap(), &[0x10], &[]));
    assert_eq!(
        ev,
        [
            ack_of(AckPacket::PubAck, &["t/1"], &[0x10], Words::default()),
            E::NotifyPublishCompleted { token: t1.token, result: Ok(()) }
        ]
    );
    let (t2, _) = s.publish(&Outgoing::new("t/2", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let ev = s.feed(&ack(0x40, t2.packet_id.unwrap(), &[0x00], &props("kept")));
    assert_eq!(
        ev,
        [
            ack_of(AckPacket::PubAck, &["t/2"], &[0x00], words("kept")),
            E::NotifyPublishCompleted { token: t2.token, result: Ok(()) }
        ]
    );
    let (t3, _) = s.publish(&Outgoing::new("t/3", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let ev = s.feed(&ack(0x40, t3.packet_id.unwrap(), &[], &[]));
    assert_eq!(ev, [E::NotifyPublishCompleted { token: t3.token, result: Ok(()) }]);

    // QoS 2: PUBREC 0x10 "No matching subscribers" with words, once even when repeated; then the
    // PUBCOMP's own words.
    let (t4, _) = s.publish(&Outgoing::new("t/4", b"x".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let id = t4.packet_id.unwrap();
    let pubrel = ack(0x62, id, &[], &[]);
    // Each PUBREL sent restarts the keepalive's timer.
    let keepalive = E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 10_000 };
    let ev = s.feed(&ack(0x50, id, &[0x10], &props("nobody")));
    assert_eq!(
        ev,
        [
            ack_of(AckPacket::PubRec, &["t/4"], &[0x10], words("nobody")),
            E::RequestSend(pubrel.clone()),
            keepalive.clone()
        ]
    );
    let ev = s.feed(&ack(0x50, id, &[0x10], &props("nobody")));
    assert_eq!(ev, [E::RequestSend(pubrel), keepalive]);
    let ev = s.feed(&ack(0x70, id, &[0x00], &props("done")));
    assert_eq!(
        ev,
        [
            ack_of(AckPacket::PubComp, &["t/4"], &[0x00], words("done")),
            E::NotifyPublishCompleted { token: t4.token, result: Ok(()) }
        ]
    );

    // A SUBACK granting both with words; an UNSUBACK 0x11 "No subscription existed" for one.
    let filters = [("a".to_string(), QoS::AtLeastOnce), ("b".to_string(), QoS::AtMostOnce)];
    let (id, _) = s.subscribe(&filters).unwrap();
    let mut suback = ack(0x90, id, &[], &props("granted"));
    suback.extend([0x01, 0x00]);
    suback[1] += 2;
    assert_eq!(
        s.feed(&suback),
        [
            ack_of(AckPacket::SubAck, &["a", "b"], &[0x01, 0x00], words("granted")),
            E::NotifySubscribed { packet_id: id, results: vec![Ok(QoS::AtLeastOnce), Ok(QoS::AtMostOnce)] }
        ]
    );
    let (id, _) = s.unsubscribe(&["a".to_string(), "zzz".to_string()]).unwrap();
    let ev = s.feed(&ack(0xB0, id, &[], &[0x00, 0x00, 0x11]));
    assert_eq!(
        ev,
        [
            ack_of(AckPacket::UnsubAck, &["a", "zzz"], &[0x00, 0x11], Words::default()),
            E::NotifyUnsubscribed { packet_id: id, results: vec![Ok(()), Ok(())] }
        ]
    );
    // A plain SUBACK says nothing more.
    let (id, _) = s.subscribe(&[("c".to_string(), QoS::AtMostOnce)]).unwrap();
    assert_eq!(
        s.feed(&ack(0x90, id, &[], &[0x00, 0x00])),
        [E::NotifySubscribed { packet_id: id, results: vec![Ok(QoS::AtMostOnce)] }]
    );
}
