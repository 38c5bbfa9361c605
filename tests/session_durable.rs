//! Byte-in, event-out specifications of QoS 2 stages that outlive the page (src/session/durable.rs):
//! with stages kept, a QoS 2 message's packet id is written before its PUBLISH goes and its stage
//! before its PUBREL goes, and a page that resumes the session sends what an earlier one wrote
//! under the same ids. Exact event lists; no clock, no store.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Session, SessionEvent as E};
use iotmqtt::supervisor::{ConnectStart, Event, Flush, Supervisor};
use iotmqtt::{ClientOptions, ConnectOptions, OfflineQueueOptions, Outgoing, ProtocolVersion, QoS, SessionError};

const CONNACK_PRESENT: [u8; 4] = [0x20, 0x02, 0x01, 0x00];
const CONNACK_NEW: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

fn kept() -> ConnectOptions {
    ConnectOptions {
        version: ProtocolVersion::V3_1_1,
        client_id: "c1".into(),
        clean_start: false,
        keepalive_secs: 0,
        ..Default::default()
    }
}

/// A session the broker keeps, with a queue, writing its QoS 2 stages.
fn session() -> Session {
    let mut s = Session::new(kept());
    s.set_offline_queue(OfflineQueueOptions::default());
    s.keep_stages();
    s
}

fn connect(s: &mut Session, connack: &[u8]) -> Vec<E> {
    let sent = s.connect().unwrap();
    assert_eq!(sent.len(), 2, "CONNECT and its timer: {sent:?}");
    s.feed(connack)
}

/// The packets sent, without timer and notification events.
fn sent(events: &[E]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b.clone()) } else { None }).collect()
}

fn writes(events: &[E]) -> Vec<(u64, u16, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            E::RequestWrite { token, packet_id, released } => Some((*token, *packet_id, *released)),
            _ => None,
        })
        .collect()
}

/// A QoS 2 PUBLISH of topic "t" and payload `p` under `id`; `dup`: sent again.
fn publish2(id: u16, p: u8, dup: bool) -> Vec<u8> {
    let [hi, lo] = id.to_be_bytes();
    vec![if dup { 0x3C } else { 0x34 }, 0x06, 0x00, 0x01, b't', hi, lo, p]
}

fn ack(first: u8, id: u16) -> Vec<u8> {
    let [hi, lo] = id.to_be_bytes();
    vec![first, 0x02, hi, lo]
}

fn message(p: u8) -> Outgoing {
    Outgoing::new("t", vec![p]).qos(QoS::ExactlyOnce)
}

#[test]
fn a_qos2_publish_goes_only_once_its_packet_id_is_written_and_its_pubrel_once_its_stage_is() {
    let mut s = session();
    connect(&mut s, &CONNACK_NEW);
    let (ticket, events) = s.publish(&message(1)).unwrap();
    assert_eq!((ticket.token, ticket.packet_id, ticket.queued), (1, Some(1), false));
    assert_eq!(events, [E::RequestWrite { token: 1, packet_id: 1, released: false }], "nothing sent before the write");
    assert_eq!(s.in_flight(), 1, "it holds its packet id meanwhile");
    assert_eq!(sent(&s.written(1, 1, false)), [publish2(1, 1, false)]);
    let pubrec = s.feed(&ack(0x50, 1));
    assert_eq!(pubrec, [E::RequestWrite { token: 1, packet_id: 1, released: true }], "no PUBREL before the write");
    assert_eq!(s.feed(&ack(0x50, 1)), [], "a repeated PUBREC asks for no second write and sends nothing");
    assert_eq!(sent(&s.written(1, 1, true)), [ack(0x62, 1)]);
    let pubcomp = s.feed(&ack(0x70, 1));
    assert_eq!(pubcomp, [E::NotifyPublishCompleted { token: 1, result: Ok(()) }]);
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn qos1_and_qos0_publishes_write_nothing_first() {
    let mut s = session();
    connect(&mut s, &CONNACK_NEW);
    let (_, events) = s.publish(&Outgoing::new("t", vec![1]).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(writes(&events), []);
    assert_eq!(sent(&events), [vec![0x32, 0x06, 0x00, 0x01, b't', 0x00, 0x01, 1]]);
    let (_, events) = s.publish(&Outgoing::new("t", vec![2])).unwrap();
    assert_eq!(sent(&events), [vec![0x30, 0x04, 0x00, 0x01, b't', 2]]);
}

#[test]
fn without_kept_stages_a_qos2_publish_goes_at_once() {
    let mut s = Session::new(kept());
    s.set_offline_queue(OfflineQueueOptions::default());
    connect(&mut s, &CONNACK_NEW);
    let (_, events) = s.publish(&message(1)).unwrap();
    assert_eq!(events, [E::RequestSend(publish2(1, 1, false))]);
    assert_eq!(s.feed(&ack(0x50, 1)), [E::RequestSend(ack(0x62, 1))]);
}

#[test]
fn a_write_for_a_message_that_moved_on_sends_nothing() {
    let mut s = session();
    connect(&mut s, &CONNACK_NEW);
    s.publish(&message(1)).unwrap();
    assert_eq!(s.written(2, 1, false), [], "another token");
    assert_eq!(s.written(1, 2, false), [], "another packet id");
    assert_eq!(s.written(1, 1, true), [], "another stage");
    assert_eq!(sent(&s.written(1, 1, false)), [publish2(1, 1, false)]);
    assert_eq!(s.written(1, 1, false), [], "written once already");
}

#[test]
fn a_message_written_while_disconnected_goes_with_the_resumed_session_and_an_unwritten_one_waits() {
    let mut s = session();
    connect(&mut s, &CONNACK_NEW);
    s.publish(&message(1)).unwrap();
    s.publish(&message(2)).unwrap();
    s.notify_closed();
    assert_eq!(s.written(1, 1, false), [], "nothing goes while disconnected");
    let resumed = connect(&mut s, &CONNACK_PRESENT);
    // Message 1 was never sent, so its resend is its first PUBLISH; message 2 waits for its write.
    assert_eq!(sent(&resumed), [publish2(1, 1, true)]);
    assert_eq!(writes(&resumed), []);
    assert_eq!(sent(&s.written(2, 2, false)), [publish2(2, 2, false)]);
}

#[test]
fn a_page_that_resumes_the_session_sends_what_an_earlier_one_wrote_under_the_same_ids() {
    let mut s = session();
    assert_eq!(s.resume_flight(&message(7), 7, false), Some(1));
    assert_eq!(s.resume_flight(&message(9), 9, true), Some(2));
    let resumed = connect(&mut s, &CONNACK_PRESENT);
    // MQTT 5 §4.6 / 3.1.1 §4.4: PUBRELs first, then the PUBLISHes again with DUP.
    assert_eq!(sent(&resumed), [ack(0x62, 9), publish2(7, 7, true)]);
    assert_eq!(writes(&resumed), []);
    assert_eq!(s.feed(&ack(0x70, 9)), [E::NotifyPublishCompleted { token: 2, result: Ok(()) }]);
    assert_eq!(s.feed(&ack(0x50, 7)), [E::RequestWrite { token: 1, packet_id: 7, released: true }]);
    // A new message takes a packet id no resumed one holds.
    let (ticket, _) = s.publish(&message(1)).unwrap();
    assert_eq!(ticket.packet_id, Some(1));
    let (ticket, _) = s.publish(&message(1)).unwrap();
    assert_eq!(ticket.packet_id, Some(2));
}

#[test]
fn a_broker_that_kept_nothing_gets_the_resumed_messages_anew_under_new_ids_written_first() {
    let mut s = session();
    s.resume_flight(&message(7), 7, false).unwrap();
    s.resume_flight(&message(9), 9, true).unwrap();
    let fresh = connect(&mut s, &CONNACK_NEW);
    assert_eq!(sent(&fresh), Vec::<Vec<u8>>::new(), "nothing before the new ids are written");
    assert_eq!(
        writes(&fresh),
        [(1, 1, false), (2, 2, false)],
        "in the order first sent, each a new message (the broker had not got 9's PUBREL)"
    );
    assert_eq!(sent(&s.written(2, 2, false)), [publish2(2, 9, false)]);
    assert_eq!(sent(&s.written(1, 1, false)), [publish2(1, 7, false)]);
}

#[test]
fn a_message_goes_back_in_flight_only_before_the_first_connection_under_a_free_id() {
    let mut s = session();
    assert_eq!(s.resume_flight(&message(1), 5, false), Some(1));
    assert_eq!(s.resume_flight(&message(2), 5, true), None, "packet id in use");
    assert_eq!(s.resume_flight(&message(2), 0, false), None, "packet id 0");
    assert_eq!(s.resume_flight(&Outgoing::new("t", vec![2]), 6, false), None, "QoS 0");
    assert_eq!(s.resume_flight(&Outgoing::new("t/#", vec![2]).qos(QoS::ExactlyOnce), 6, false), None, "a filter");
    connect(&mut s, &CONNACK_PRESENT);
    assert_eq!(s.resume_flight(&message(3), 6, false), None, "connected");
    s.notify_closed();
    assert_eq!(s.resume_flight(&message(3), 6, false), None, "after the first connection");
    assert_eq!(s.in_flight(), 1);
}

/// The supervisor asks the shell to write into the message's store record, by its key, and sends
/// once the shell says it has; only a client with a store and a session the broker keeps past the
/// page does.
#[test]
fn the_supervisor_names_the_stored_record_and_sends_when_it_is_written() {
    let start = |persistence: Option<&str>, options: ConnectOptions| {
        let client = ClientOptions { persistence: persistence.map(Into::into), ..Default::default() };
        let mut sup = Supervisor::new("ws://127.0.0.1:1/mqtt", options, client, 1, false).unwrap();
        sup.keep_stages();
        assert!(matches!(sup.connect(0), Ok(ConnectStart::Started(_))));
        sup.socket_opened(0);
        sup.flush(0);
        let v5 = sup.session().options().version == ProtocolVersion::V5;
        sup.socket_bytes(0, if v5 { &[0x20, 0x03, 0x00, 0x00, 0x00] } else { &CONNACK_PRESENT });
        sup.flush(0);
        sup
    };
    let mut sup = start(Some("db"), kept());
    let (_, events) = sup.publish(0, &message(1), Some(500)).unwrap();
    assert_eq!(events, [Event::RequestWrite { key: 500, token: 1, packet_id: 1, released: false }]);
    assert_eq!(sup.written(0, 2, 1, false), [], "another message");
    assert_eq!(sup.written(0, 1, 1, false), [Event::RequestFlush(Flush::Microtask)]);
    assert_eq!(sup.flush(0), [Event::RequestTransmit(publish2(1, 1, false))]);
    let v5 = |clean_start, session_expiry_secs| ConnectOptions {
        version: ProtocolVersion::V5,
        clean_start,
        session_expiry_secs,
        ..kept()
    };
    let unwritten = [
        (None, kept()),
        (Some("db"), ConnectOptions { clean_start: true, ..kept() }),
        // Resumed by this page alone (its reconnects), from memory: the next page starts clean.
        (Some("db"), v5(true, Some(60))),
        // Ends with its connection.
        (Some("db"), v5(false, None)),
    ];
    for (persistence, options) in unwritten {
        let mut sup = start(persistence, options.clone());
        let (_, events) = sup.publish(0, &message(1), persistence.map(|_| 500)).unwrap();
        assert_eq!(events, [Event::RequestFlush(Flush::Microtask)], "{persistence:?} {options:?}");
    }
    let mut sup = start(Some("db"), v5(false, Some(60)));
    let (_, events) = sup.publish(0, &message(1), Some(500)).unwrap();
    assert_eq!(
        events,
        [Event::RequestWrite { key: 500, token: 1, packet_id: 1, released: false }],
        "MQTT 5 with an expiry"
    );
}

/// A v5 CONNACK with Receive Maximum `max`.
fn v5_connack(session_present: bool, max: u16) -> Vec<u8> {
    let [hi, lo] = max.to_be_bytes();
    vec![0x20, 0x06, u8::from(session_present), 0x00, 0x03, 0x21, hi, lo]
}

/// An MQTT 5 session the broker keeps for a minute, writing its QoS 2 stages, connected under a
/// Receive Maximum of `max`.
fn v5_session(max: u16) -> Session {
    let mut s = Session::new(ConnectOptions { version: ProtocolVersion::V5, session_expiry_secs: Some(60), ..kept() });
    s.set_offline_queue(OfflineQueueOptions::default());
    s.keep_stages();
    connect(&mut s, &v5_connack(false, max));
    s
}

/// A v5 QoS 2 PUBLISH of topic "t", no properties.
fn v5_publish2(id: u16, p: u8, dup: bool) -> Vec<u8> {
    let [hi, lo] = id.to_be_bytes();
    vec![if dup { 0x3C } else { 0x34 }, 0x07, 0x00, 0x01, b't', hi, lo, 0x00, p]
}

// Messages written while disconnected go within the Receive Maximum of the connection they go on,
// which may be smaller than the one they were published under (a failover to another broker).
#[test]
fn messages_written_after_a_reconnect_wait_for_a_slot_under_the_new_receive_maximum() {
    let mut s = v5_session(10);
    for p in 1..=4 {
        s.publish(&message(p)).unwrap();
    }
    s.notify_closed();
    assert_eq!(sent(&connect(&mut s, &v5_connack(true, 1))), Vec::<Vec<u8>>::new(), "none written yet");
    assert_eq!(sent(&s.written(1, 1, false)), [v5_publish2(1, 1, false)]);
    for id in 2..=4 {
        assert_eq!(s.written(u64::from(id), id, false), [], "message {id} waits for a slot");
    }
    // Each PUBCOMP frees the slot for the next, in the order they were written.
    assert_eq!(s.feed(&ack(0x50, 1)), [E::RequestWrite { token: 1, packet_id: 1, released: true }]);
    assert_eq!(sent(&s.written(1, 1, true)), [vec![0x62, 0x02, 0x00, 0x01]]);
    let completed = s.feed(&[0x70, 0x02, 0x00, 0x01]);
    assert_eq!(sent(&completed), [v5_publish2(2, 2, true)]);
    assert_eq!(s.in_flight(), 3);
}

// A message sent before the connection dropped waits in `unsent` for a slot after the resume; one
// written later joins it, and nothing else would release them: the write does.
#[test]
fn a_message_written_behind_a_resent_one_releases_it_when_there_is_room() {
    let mut s = v5_session(10);
    s.publish(&message(1)).unwrap();
    s.publish(&message(2)).unwrap();
    assert_eq!(sent(&s.written(1, 1, false)), [v5_publish2(1, 1, false)]);
    s.notify_closed();
    // Message 1 is sent and message 2 not: a maximum of 1 has room for message 1's resend.
    assert_eq!(sent(&connect(&mut s, &v5_connack(true, 1))), [v5_publish2(1, 1, true)]);
    assert_eq!(s.written(2, 2, false), [], "message 2 waits for message 1's slot");
    let completed: Vec<Vec<u8>> = [s.feed(&ack(0x50, 1)), s.written(1, 1, true), s.feed(&[0x70, 0x02, 0x00, 0x01])]
        .iter()
        .flat_map(|events| sent(events))
        .collect();
    assert_eq!(completed, [vec![0x62, 0x02, 0x00, 0x01], v5_publish2(2, 2, true)]);
}

// A message whose PUBREL waits for its stage's write still holds its slot until its PUBCOMP.
#[test]
fn a_message_at_the_pubrel_stage_keeps_its_receive_maximum_slot() {
    let mut s = v5_session(10);
    s.publish(&message(1)).unwrap();
    s.publish(&message(2)).unwrap();
    s.notify_closed();
    connect(&mut s, &v5_connack(true, 1));
    assert_eq!(sent(&s.written(1, 1, false)), [v5_publish2(1, 1, false)]);
    assert_eq!(s.feed(&ack(0x50, 1)), [E::RequestWrite { token: 1, packet_id: 1, released: true }]);
    assert_eq!(s.written(2, 2, false), [], "message 1 holds the one slot until its PUBCOMP");
    assert_eq!(sent(&s.written(1, 1, true)), [vec![0x62, 0x02, 0x00, 0x01]]);
    assert_eq!(sent(&s.feed(&[0x70, 0x02, 0x00, 0x01])), [v5_publish2(2, 2, true)]);
}

// A QoS 2 message whose packet id is being written holds its Receive Maximum slot for new
// publishes: they wait in order, with no packet id and no write, as without stages.
#[test]
fn publishes_beyond_the_receive_maximum_wait_without_a_packet_id_while_writes_are_pending() {
    let mut s = v5_session(2);
    let tickets: Vec<_> = (1..=4).map(|p| s.publish(&message(p)).unwrap()).collect();
    let ids: Vec<_> = tickets.iter().map(|(t, _)| (t.packet_id, t.queued)).collect();
    assert_eq!(ids, [(Some(1), false), (Some(2), false), (None, true), (None, true)]);
    assert_eq!(s.queued(), 2);
    // The first completes: the next held one takes its slot, and is written first.
    assert_eq!(sent(&s.written(1, 1, false)), [v5_publish2(1, 1, false)]);
    assert_eq!(s.feed(&ack(0x50, 1)), [E::RequestWrite { token: 1, packet_id: 1, released: true }]);
    s.written(1, 1, true);
    let completed = s.feed(&[0x70, 0x02, 0x00, 0x01]);
    assert_eq!(writes(&completed), [(3, 3, false)]);
    assert_eq!(sent(&completed), Vec::<Vec<u8>>::new());
}

// A message whose write completes after a reconnect that lowered the Maximum Packet Size fails on
// its own, and the slot it leaves goes to what is held.
#[test]
fn a_written_message_the_broker_now_refuses_leaves_its_slot_to_a_held_one() {
    let mut s = v5_session(1);
    s.publish(&Outgoing::new("t", vec![7; 60]).qos(QoS::ExactlyOnce)).unwrap();
    let (held, _) = s.publish(&Outgoing::new("t", vec![1]).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!((held.packet_id, held.queued), (None, true));
    s.notify_closed();
    // Session present, Receive Maximum 1, Maximum Packet Size 30.
    let smaller = [0x20, 0x0B, 0x01, 0x00, 0x08, 0x21, 0x00, 0x01, 0x27, 0x00, 0x00, 0x00, 0x1E];
    connect(&mut s, &smaller);
    let events = s.written(1, 1, false);
    assert!(
        matches!(
            &events[..],
            [E::NotifyPublishCompleted { token: 1, result: Err(SessionError::PacketTooLarge { .. }) }, E::RequestSend(b)]
                if b[0] == 0x32
        ),
        "{events:?}"
    );
    assert_eq!((s.in_flight(), s.queued()), (1, 0));
}
