//! Byte-in, event-out specifications of what survives a lost connection: the offline queue, and
//! in-flight QoS 1/2 messages resent after a reconnect (with DUP when the broker kept the session,
//! as new messages otherwise).
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Session, SessionEvent as E};
use iotmqtt::{ConnectOptions, OfflineQueueOptions, Outgoing, ProtocolVersion, QoS, QueueFullPolicy, SessionError};

fn session(version: ProtocolVersion, clean_start: bool, queue: OfflineQueueOptions) -> Session {
    let mut s = Session::new(ConnectOptions {
        version,
        client_id: "c1".into(),
        clean_start,
        keepalive_secs: 0,
        ..Default::default()
    });
    s.set_offline_queue(queue);
    s
}

fn connack(version: ProtocolVersion, session_present: bool) -> Vec<u8> {
    let sp = u8::from(session_present);
    match version {
        ProtocolVersion::V3_1_1 => vec![0x20, 0x02, sp, 0x00],
        ProtocolVersion::V5 => vec![0x20, 0x03, sp, 0x00, 0x00],
    }
}

/// (first byte, packet id, payload) of every PUBLISH sent.
fn publishes(events: &[E]) -> Vec<(u8, u16, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            E::RequestSend(b) if b[0] & 0xF0 == 0x30 => {
                let (len_bytes, _) = remaining_length(&b[1..]);
                let body = &b[1 + len_bytes..];
                let tlen = u16::from_be_bytes([body[0], body[1]]) as usize;
                let qos = (b[0] >> 1) & 3;
                let (id, rest) = if qos > 0 {
                    (u16::from_be_bytes([body[2 + tlen], body[3 + tlen]]), &body[4 + tlen..])
                } else {
                    (0, &body[2 + tlen..])
                };
                Some((b[0], id, rest.to_vec()))
            }
            _ => None,
        })
        .collect()
}

fn remaining_length(b: &[u8]) -> (usize, usize) {
    let (mut n, mut mult) = (0usize, 1usize);
    for (i, byte) in b.iter().enumerate() {
        n += (*byte as usize & 0x7F) * mult;
        mult *= 128;
        if byte & 0x80 == 0 {
            return (i + 1, n);
        }
    }
    (b.len(), n)
}

fn completed(events: &[E]) -> Vec<(u64, Result<(), SessionError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            E::NotifyPublishCompleted { token, result } => Some((*token, result.clone())),
            _ => None,
        })
        .collect()
}

fn puback(id: u16) -> Vec<u8> {
    let [hi, lo] = id.to_be_bytes();
    vec![0x40, 0x02, hi, lo]
}

#[test]
fn publishes_made_before_connecting_are_queued_and_flushed_in_order() {
    let mut s = session(ProtocolVersion::V3_1_1, true, OfflineQueueOptions::default());
    let mut tickets = Vec::new();
    for (i, qos) in [QoS::AtLeastOnce, QoS::AtMostOnce, QoS::ExactlyOnce].into_iter().enumerate() {
        let (t, ev) = s.publish(&Outgoing::new("q", vec![i as u8]).qos(qos)).unwrap();
        assert!(t.queued && t.completes_later() && ev.is_empty());
        tickets.push(t);
    }
    assert_eq!(s.queued(), 3);
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let sent = publishes(&ev);
    assert_eq!(sent.iter().map(|(_, _, p)| p[0]).collect::<Vec<_>>(), [0, 1, 2], "in order");
    assert_eq!(completed(&ev), vec![(tickets[1].token, Ok(()))], "the QoS 0 one completes once flushed");
    assert_eq!(s.queued(), 0);
    let ev = s.feed(&puback(sent[0].1));
    assert_eq!(completed(&ev), vec![(tickets[0].token, Ok(()))]);
}

// Clean session: the broker forgets in-flight messages, so the client sends them again (new ids,
// ahead of anything queued while disconnected).
#[test]
fn clean_session_in_flight_messages_are_sent_again_first_after_a_reconnect() {
    let mut s = session(ProtocolVersion::V3_1_1, true, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (a, _) = s.publish(&Outgoing::new("t", b"a".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let (b, _) = s.publish(&Outgoing::new("t", b"b".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let ev = s.notify_closed();
    assert!(completed(&ev).is_empty(), "nothing fails: it waits for the next connection");
    assert_eq!(s.queued(), 2);
    let (c, _) = s.publish(&Outgoing::new("t", b"c".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert!(c.queued);
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let sent = publishes(&ev);
    assert_eq!(
        sent.iter().map(|(_, _, p)| p.clone()).collect::<Vec<_>>(),
        [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
    );
    assert!(sent.iter().all(|(h, _, _)| h & 0x08 == 0), "a new session: no DUP");
    let mut done = completed(&s.feed(&puback(sent[0].1)));
    done.extend(completed(&s.feed(&puback(sent[2].1))));
    assert_eq!(done, vec![(a.token, Ok(())), (c.token, Ok(()))]);
    assert!(b.packet_id.is_some());
}

// MQTT 3.1.1 §4.4: with a kept session the client resends unacknowledged PUBLISH with DUP set.
#[test]
fn a_kept_session_resends_in_flight_messages_with_dup() {
    let mut s = session(ProtocolVersion::V3_1_1, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (t, ev) = s.publish(&Outgoing::new("t", b"kept".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let first = publishes(&ev)[0].clone();
    s.notify_closed();
    assert_eq!(s.queued(), 0, "the session keeps it in flight, not in the queue");
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, true));
    let again = publishes(&ev);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, 0x3A, "QoS 1 with DUP");
    assert_eq!((again[0].1, again[0].2.clone()), (first.1, first.2), "same packet id and payload");
    assert_eq!(completed(&s.feed(&puback(first.1))), vec![(t.token, Ok(()))]);
}

// MQTT 3.1.1 §4.4: a QoS 2 message whose PUBREC came is resumed with PUBREL, not PUBLISH.
#[test]
fn a_kept_session_resends_pubrel_for_released_qos2_messages() {
    let mut s = session(ProtocolVersion::V3_1_1, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (a, _) = s.publish(&Outgoing::new("t", b"a".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let (b, _) = s.publish(&Outgoing::new("t", b"b".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let [hi, lo] = a.packet_id.unwrap().to_be_bytes();
    s.feed(&[0x50, 0x02, hi, lo]); // PUBREC for a
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, true));
    let sent: Vec<Vec<u8>> =
        ev.iter().filter_map(|e| if let E::RequestSend(p) = e { Some(p.clone()) } else { None }).collect();
    assert_eq!(sent[0], vec![0x62, 0x02, hi, lo], "PUBREL for a: {ev:?}");
    assert_eq!(publishes(&ev), vec![(0x3C, b.packet_id.unwrap(), b"b".to_vec())], "b again, QoS 2 with DUP");
    let done = completed(&s.feed(&[0x70, 0x02, hi, lo]));
    assert_eq!(done, vec![(a.token, Ok(()))]);
}

// MQTT 5 §4.6: PUBRELs go again in the order their PUBRECs came, which need not be publish order.
#[test]
fn a_kept_session_resends_pubrels_in_the_order_their_pubrecs_came() {
    let mut s = session(ProtocolVersion::V3_1_1, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let ids: Vec<u16> = (0..4)
        .map(|i| {
            let (t, _) = s.publish(&Outgoing::new("t", vec![i]).qos(QoS::ExactlyOnce)).unwrap();
            t.packet_id.unwrap()
        })
        .collect();
    for id in [ids[2], ids[0], ids[3]] {
        let [hi, lo] = id.to_be_bytes();
        s.feed(&[0x50, 0x02, hi, lo]); // PUBREC
    }
    s.feed(&[0x50, 0x02, ids[2].to_be_bytes()[0], ids[2].to_be_bytes()[1]]); // a repeated PUBREC keeps its place
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, true));
    let pubrels: Vec<u16> = ev
        .iter()
        .filter_map(|e| match e {
            E::RequestSend(p) if p[0] == 0x62 => Some(u16::from_be_bytes([p[2], p[3]])),
            _ => None,
        })
        .collect();
    assert_eq!(pubrels, vec![ids[2], ids[0], ids[3]], "{ev:?}");
    assert_eq!(publishes(&ev), vec![(0x3C, ids[1], vec![1])], "the one not released goes again as PUBLISH");
}

#[test]
fn a_kept_session_the_broker_lost_is_resent_by_the_client() {
    let mut s = session(ProtocolVersion::V3_1_1, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (t, _) = s.publish(&Outgoing::new("t", b"x".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let sent = publishes(&ev);
    assert_eq!(sent.len(), 1, "{ev:?}");
    assert_eq!(completed(&s.feed(&puback(sent[0].1))), vec![(t.token, Ok(()))]);
}

/// The Clean Start (Clean Session) flag of the first CONNECT and of the reconnect's, for a session
/// with a 600 s expiry.
fn clean_flags_across_a_reconnect(version: ProtocolVersion) -> (u8, u8) {
    let mut s = Session::new(ConnectOptions {
        version,
        client_id: "c1".into(),
        session_expiry_secs: Some(600),
        ..Default::default()
    });
    let flag =
        |ev: &[E]| ev.iter().find_map(|e| if let E::RequestSend(b) = e { Some(b[9]) } else { None }).unwrap() & 0x02;
    let first = flag(&s.connect().unwrap());
    s.feed(&connack(version, false));
    s.notify_closed();
    (first, flag(&s.connect().unwrap()))
}

// MQTT 5.0 §3.1.2.4: a reconnect of a session with an expiry sets Clean Start to 0 to resume it.
#[test]
fn mqtt5_reconnects_resume_a_session_with_an_expiry() {
    let (first, again) = clean_flags_across_a_reconnect(ProtocolVersion::V5);
    assert_eq!(first, 0x02, "the first CONNECT starts clean");
    assert_eq!(again, 0, "the reconnect resumes");
}

#[test]
fn a_full_queue_rejects_or_drops_the_oldest_qos0_by_policy() {
    let opts = |policy| OfflineQueueOptions { max_messages: 2, max_bytes: 1_000, policy };
    let mut s = session(ProtocolVersion::V3_1_1, true, opts(QueueFullPolicy::Reject));
    s.publish(&Outgoing::new("t", b"1".to_vec())).unwrap();
    s.publish(&Outgoing::new("t", b"2".to_vec())).unwrap();
    assert_eq!(s.publish(&Outgoing::new("t", b"3".to_vec())).unwrap_err().code(), "OFFLINE_QUEUE_FULL");

    let mut s = session(ProtocolVersion::V3_1_1, true, opts(QueueFullPolicy::DropOldestQos0));
    let (old, _) = s.publish(&Outgoing::new("t", b"1".to_vec())).unwrap();
    s.publish(&Outgoing::new("t", b"2".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    let (_, ev) = s.publish(&Outgoing::new("t", b"3".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(completed(&ev), vec![(old.token, Err(SessionError::DroppedFromQueue))]);
    assert_eq!(
        s.publish(&Outgoing::new("t", b"4".to_vec())).unwrap_err().code(),
        "OFFLINE_QUEUE_FULL",
        "QoS 1 is never dropped"
    );
}

#[test]
fn ten_thousand_qos1_messages_survive_two_outages_exactly_once_each() {
    let mut s = session(ProtocolVersion::V3_1_1, true, OfflineQueueOptions::default());
    let mut acked = std::collections::BTreeSet::new();
    let mut tokens = Vec::new();
    let mut inflight: Vec<u16> = Vec::new();
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    for i in 0..10_000u32 {
        if i == 3_000 || i == 7_000 {
            s.notify_closed();
            inflight.clear();
        }
        if i == 3_500 || i == 7_100 {
            s.connect().unwrap();
            let ev = s.feed(&connack(ProtocolVersion::V3_1_1, false));
            inflight.extend(publishes(&ev).iter().map(|p| p.1));
        }
        let (t, ev) = s.publish(&Outgoing::new("t", i.to_be_bytes().to_vec()).qos(QoS::AtLeastOnce)).unwrap();
        tokens.push(t.token);
        inflight.extend(publishes(&ev).iter().map(|p| p.1));
        // The broker acknowledges with a lag of 50 messages.
        while inflight.len() > 50 {
            let id = inflight.remove(0);
            for (token, r) in completed(&s.feed(&puback(id))) {
                assert!(r.is_ok());
                assert!(acked.insert(token), "token {token} completed twice");
            }
        }
    }
    for id in std::mem::take(&mut inflight) {
        for (token, _) in completed(&s.feed(&puback(id))) {
            acked.insert(token);
        }
    }
    assert_eq!(acked.len(), 10_000);
    assert_eq!(acked.into_iter().collect::<Vec<_>>(), tokens);
}

// Subscriptions come back after a reconnect to a broker without our session, before the queue flushes.
#[test]
fn granted_subscriptions_are_restored_before_the_queue_flushes() {
    let mut s = session(ProtocolVersion::V3_1_1, true, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (id, _) = s.subscribe(&[("a/#".to_string(), QoS::AtLeastOnce), ("b".to_string(), QoS::ExactlyOnce)]).unwrap();
    let [hi, lo] = id.to_be_bytes();
    s.feed(&[0x90, 0x04, hi, lo, 0x01, 0x80]);
    assert_eq!(s.subscriptions(), [("a/#".to_string(), QoS::AtLeastOnce)], "only granted filters are restored");
    s.notify_closed();
    s.publish(&Outgoing::new("a/x", b"queued".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let kinds: Vec<u8> =
        ev.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b[0] & 0xF0) } else { None }).collect();
    assert_eq!(kinds, [0x80, 0x30], "SUBSCRIBE, then the queued PUBLISH");

    // A broker that kept the session keeps the subscriptions too: nothing is resent.
    let mut s = session(ProtocolVersion::V3_1_1, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (id, _) = s.subscribe(&[("a".to_string(), QoS::AtMostOnce)]).unwrap();
    let [hi, lo] = id.to_be_bytes();
    s.feed(&[0x90, 0x03, hi, lo, 0x00]);
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, true));
    assert!(!ev.iter().any(|e| matches!(e, E::RequestSend(b) if b[0] == 0x82)), "{ev:?}");
}

// MQTT 5: subscriptions made with options come back as they were made, one SUBSCRIBE per
// Subscription Identifier; the others with their QoS, in one SUBSCRIBE; refused ones not at all.
#[test]
fn subscriptions_come_back_with_their_options_and_identifiers() {
    use iotmqtt::{RetainHandling, SubscribeOptions};
    let v5 = ProtocolVersion::V5;
    let mut s = session(v5, true, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&connack(v5, false));
    let suback = |s: &mut Session, id: u16, codes: &[u8]| {
        let [hi, lo] = id.to_be_bytes();
        let mut p = vec![0x90, 3 + codes.len() as u8, hi, lo, 0x00];
        p.extend_from_slice(codes);
        s.feed(&p);
    };
    let no_local = SubscribeOptions {
        qos: QoS::AtLeastOnce,
        no_local: true,
        retain_handling: RetainHandling::Never,
        ..Default::default()
    };
    let kept = SubscribeOptions { retain_as_published: true, ..SubscribeOptions::qos(QoS::AtMostOnce) };
    let (id, _) = s.subscribe_with(&[("a".into(), no_local), ("x".into(), no_local)], Some(7)).unwrap();
    suback(&mut s, id, &[0x01, 0x87]); // "x" refused
    let (id, _) = s.subscribe(&[("b".into(), QoS::ExactlyOnce)]).unwrap();
    suback(&mut s, id, &[0x02]);
    let (id, _) = s.subscribe_with(&[("c".into(), kept), ("d".into(), SubscribeOptions::default())], None).unwrap();
    suback(&mut s, id, &[0x00, 0x00]);
    // "d" again, plainly: its options go, it comes back plain.
    let (id, _) = s.subscribe(&[("d".into(), QoS::AtLeastOnce)]).unwrap();
    suback(&mut s, id, &[0x01]);
    // One made with options and never answered: nothing of it is kept.
    s.subscribe_with(&[("e".into(), kept)], Some(9)).unwrap();
    s.notify_closed();
    s.connect().unwrap();
    let subscribes: Vec<Vec<u8>> = s
        .feed(&connack(v5, false))
        .into_iter()
        .filter_map(|e| match e {
            E::RequestSend(b) if b[0] == 0x82 => Some(b[4..].to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(
        subscribes,
        [
            // b and d, plain: no properties, their QoS.
            vec![0x00, 0x00, 0x01, b'b', 0x02, 0x00, 0x01, b'd', 0x01],
            // a with No Local and Retain Handling 2, under Subscription Identifier 7.
            vec![0x02, 0x0B, 0x07, 0x00, 0x01, b'a', 0x25],
            // c with Retain As Published, no identifier.
            vec![0x00, 0x00, 0x01, b'c', 0x08],
        ]
    );
}

// MQTT 3.1.1 has no session expiry: a reconnect keeps Clean Session as configured.
#[test]
fn a_v3_reconnect_never_turns_clean_session_off_for_a_session_expiry() {
    let (first, again) = clean_flags_across_a_reconnect(ProtocolVersion::V3_1_1);
    assert_eq!(first, 0x02);
    assert_eq!(again, 0x02, "still a clean session");
}

fn v5_connack(session_present: bool, props: &[u8]) -> Vec<u8> {
    let mut p = vec![0x20, 3 + props.len() as u8, u8::from(session_present), 0x00, props.len() as u8];
    p.extend_from_slice(props);
    p
}

// Messages waiting for a Receive Maximum slot are older than those published while disconnected,
// and go first after a resumed connection.
#[test]
fn held_messages_go_before_messages_queued_while_disconnected() {
    let mut s = session(ProtocolVersion::V5, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&v5_connack(false, &[0x21, 0x00, 0x01])); // Receive Maximum 1
    let (a, ev) = s.publish(&Outgoing::new("t", b"a".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(publishes(&ev).len(), 1);
    let (b, _) = s.publish(&Outgoing::new("t", b"b".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert!(b.queued, "held for the Receive Maximum");
    s.notify_closed();
    s.publish(&Outgoing::new("t", b"c".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    s.connect().unwrap();
    let ev = s.feed(&v5_connack(true, &[]));
    // (DUP flag, the payload's last byte; MQTT 5 puts a property length before the payload)
    let sent: Vec<(u8, u8)> = publishes(&ev).into_iter().map(|(h, _, p)| (h & 0x08, p[p.len() - 1])).collect();
    assert_eq!(sent, [(0x08, b'a'), (0, b'b'), (0, b'c')], "a again with DUP, then b, then c");
    assert!(a.packet_id.is_some());
}

// A resumed in-flight message the broker now refuses (a smaller Maximum Packet Size) fails on its
// own; the connection goes on instead of failing on every reconnect.
#[test]
fn a_resent_message_too_large_for_the_new_connack_fails_alone() {
    let mut s = session(ProtocolVersion::V5, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&v5_connack(false, &[]));
    let (big, _) = s.publish(&Outgoing::new("t", vec![0u8; 500]).qos(QoS::AtLeastOnce)).unwrap();
    let (small, _) = s.publish(&Outgoing::new("t", b"s".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&v5_connack(true, &[0x27, 0, 0, 1, 0])); // Maximum Packet Size 256
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))), "{ev:?}");
    assert!(!ev.contains(&E::RequestClose));
    let done = completed(&ev);
    assert!(matches!(done.as_slice(), [(t, Err(SessionError::PacketTooLarge { .. }))] if *t == big.token), "{done:?}");
    assert_eq!(publishes(&ev).len(), 1, "the small one is resent");
    assert_eq!(completed(&s.feed(&puback(small.packet_id.unwrap()))), vec![(small.token, Ok(()))]);
}

// Without an offline queue a kept session still keeps its in-flight messages: a reconnect that
// finds the session present resumes them (PUBREL for a released QoS 2 message, MQTT 3.1.1 §4.4).
#[test]
fn a_kept_session_without_a_queue_resumes_its_in_flight_messages() {
    let mut s = Session::new(ConnectOptions {
        version: ProtocolVersion::V3_1_1,
        client_id: "c1".into(),
        clean_start: false,
        keepalive_secs: 0,
        ..Default::default()
    });
    s.connect().unwrap();
    s.feed(&connack(ProtocolVersion::V3_1_1, false));
    let (q2, _) = s.publish(&Outgoing::new("t", b"2".to_vec()).qos(QoS::ExactlyOnce)).unwrap();
    let [hi, lo] = q2.packet_id.unwrap().to_be_bytes();
    s.feed(&[0x50, 0x02, hi, lo]);
    let ev = s.notify_closed();
    assert!(completed(&ev).is_empty(), "nothing fails while the session is kept: {ev:?}");
    s.connect().unwrap();
    let ev = s.feed(&connack(ProtocolVersion::V3_1_1, true));
    assert!(ev.contains(&E::RequestSend(vec![0x62, 0x02, hi, lo])), "PUBREL again: {ev:?}");
    assert_eq!(completed(&s.feed(&[0x70, 0x02, hi, lo])), vec![(q2.token, Ok(()))]);
    // A client that gives up discards what is still in flight.
    let (q1, _) = s.publish(&Outgoing::new("t", b"1".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    s.notify_closed();
    assert_eq!(s.discard_pending(), vec![q1.token]);
}

// MQTT 5.0 §4.9: a resumed session resends no more unacknowledged messages than the new CONNACK's
// Receive Maximum allows; the rest go (with DUP and their packet ids) as acknowledgements free slots.
#[test]
fn a_resumed_session_resends_within_the_new_receive_maximum() {
    let mut s = session(ProtocolVersion::V5, false, OfflineQueueOptions::default());
    s.connect().unwrap();
    s.feed(&v5_connack(false, &[]));
    let ids: Vec<u16> = (0..3u8)
        .map(|i| s.publish(&Outgoing::new("t", vec![i]).qos(QoS::AtLeastOnce)).unwrap().0.packet_id.unwrap())
        .collect();
    s.notify_closed();
    s.connect().unwrap();
    let ev = s.feed(&v5_connack(true, &[0x21, 0x00, 0x01])); // Receive Maximum 1
    let resent = |ev: &[E]| publishes(ev).into_iter().map(|(h, id, _)| (h & 0x08, id)).collect::<Vec<_>>();
    assert_eq!(resent(&ev), [(0x08, ids[0])], "one at a time: {ev:?}");
    let (late, ev) = s.publish(&Outgoing::new("t", b"late".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert!(late.queued && publishes(&ev).is_empty(), "a new message waits behind the resends");
    assert_eq!(resent(&s.feed(&puback(ids[0]))), [(0x08, ids[1])]);
    assert_eq!(resent(&s.feed(&puback(ids[1]))), [(0x08, ids[2])]);
    let ev = s.feed(&puback(ids[2]));
    assert_eq!(publishes(&ev).len(), 1, "then the new one: {ev:?}");
    assert_eq!(publishes(&ev)[0].0 & 0x08, 0, "without DUP");
}
