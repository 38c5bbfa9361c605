//! Byte-in, event-out specifications of MQTT 5 Topic Aliases in the pure session (§3.3.2.3.4):
//! the maximum the CONNECT announces, the aliases a publish uses within the broker's maximum, the
//! fresh start of every connection (MQTT-3.3.2-7), and the broker's aliases resolved or refused.
//! Packets are written out by hand.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Session, SessionEvent as E};
use iotmqtt::{ConnectOptions, Outgoing, ProtocolVersion, QoS, SessionError};

/// An MQTT 5 CONNACK whose only property is Topic Alias Maximum `max`.
fn connack(max: u16) -> Vec<u8> {
    let [hi, lo] = max.to_be_bytes();
    vec![0x20, 0x06, 0x00, 0x00, 0x03, 0x22, hi, lo]
}

fn session(announced: u16) -> Session {
    Session::new(ConnectOptions {
        version: ProtocolVersion::V5,
        client_id: "c".into(),
        topic_alias_maximum: announced,
        ..Default::default()
    })
}

fn connected(announced: u16, broker_max: u16) -> Session {
    let mut s = session(announced);
    s.connect().unwrap();
    let ev = s.feed(&connack(broker_max));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))), "{ev:?}");
    s
}

fn sent(events: &[E]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b.clone()) } else { None }).collect()
}

fn publish(s: &mut Session, topic: &str) -> Vec<u8> {
    let (_, ev) = s.publish(&Outgoing::new(topic, b"p".to_vec())).unwrap();
    let mut packets = sent(&ev);
    assert_eq!(packets.len(), 1, "{ev:?}");
    packets.remove(0)
}

#[test]
fn the_connect_announces_the_maximum_only_when_it_allows_aliases() {
    let connect = |announced| {
        let mut s = session(announced);
        sent(&s.connect().unwrap()).remove(0)
    };
    let none = connect(0);
    let two = connect(2);
    // The properties of the first: Maximum Packet Size alone; the second adds Topic Alias Maximum 2.
    assert_eq!(&none[11..18], &[0x3C, 0x05, 0x27, 0x01, 0x00, 0x00, 0x00]);
    assert_eq!(&two[11..21], &[0x3C, 0x08, 0x27, 0x01, 0x00, 0x00, 0x00, 0x22, 0x00, 0x02]);
    assert_eq!(two.len(), none.len() + 3);
}

#[test]
fn publishes_name_the_first_topics_by_alias_within_the_brokers_maximum() {
    let mut s = connected(0, 2);
    assert_eq!(publish(&mut s, "a/1"), [0x30, 0x0A, 0x00, 0x03, b'a', b'/', b'1', 0x03, 0x23, 0x00, 0x01, b'p']);
    assert_eq!(publish(&mut s, "b"), [0x30, 0x08, 0x00, 0x01, b'b', 0x03, 0x23, 0x00, 0x02, b'p']);
    // Known topics go by alias alone, with an empty topic.
    assert_eq!(publish(&mut s, "a/1"), [0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, b'p']);
    // The broker takes two: a third topic goes by name.
    assert_eq!(publish(&mut s, "c"), [0x30, 0x05, 0x00, 0x01, b'c', 0x00, b'p']);
    assert_eq!(publish(&mut s, "b"), [0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02, b'p']);
}

#[test]
fn a_broker_without_a_maximum_gets_topics_by_name() {
    let mut s = connected(0, 0);
    assert_eq!(publish(&mut s, "a"), [0x30, 0x05, 0x00, 0x01, b'a', 0x00, b'p']);
    assert_eq!(publish(&mut s, "a"), [0x30, 0x05, 0x00, 0x01, b'a', 0x00, b'p']);
}

#[test]
fn a_reconnect_sets_every_alias_again_and_resends_by_name() {
    let mut s = Session::new(ConnectOptions {
        version: ProtocolVersion::V5,
        client_id: "c".into(),
        clean_start: false,
        ..Default::default()
    });
    s.connect().unwrap();
    s.feed(&connack(5));
    assert_eq!(publish(&mut s, "a"), [0x30, 0x08, 0x00, 0x01, b'a', 0x03, 0x23, 0x00, 0x01, b'p']);
    let (ticket, ev) = s.publish(&Outgoing::new("a", b"q".to_vec()).qos(QoS::AtLeastOnce)).unwrap();
    assert_eq!(sent(&ev), [vec![0x32, 0x09, 0x00, 0x00, 0x00, 0x01, 0x03, 0x23, 0x00, 0x01, b'q']]);
    s.notify_closed();
    s.connect().unwrap();
    // Session present: the unacknowledged publish goes again with DUP and its topic by name, since
    // no alias survives the connection (MQTT-3.3.2-7); the next publish sets alias 1 again.
    let ev = s.feed(&[0x20, 0x06, 0x01, 0x00, 0x03, 0x22, 0x00, 0x05]);
    assert_eq!(ticket.packet_id, Some(1));
    assert_eq!(sent(&ev), [vec![0x3A, 0x07, 0x00, 0x01, b'a', 0x00, 0x01, 0x00, b'q']]);
    assert_eq!(publish(&mut s, "a"), [0x30, 0x08, 0x00, 0x01, b'a', 0x03, 0x23, 0x00, 0x01, b'p']);
}

fn messages(events: &[E]) -> Vec<String> {
    events.iter().filter_map(|e| if let E::NotifyMessage(m) = e { Some(m.topic.clone()) } else { None }).collect()
}

#[test]
fn the_brokers_aliases_resolve_within_the_announced_maximum() {
    let mut s = connected(2, 0);
    let ev = s.feed(&[
        0x30, 0x09, 0x00, 0x03, b'x', b'/', b'y', 0x03, 0x23, 0x00, 0x02, // "x/y", alias 2
        0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02, // alias 2 alone
        0x30, 0x07, 0x00, 0x01, b'z', 0x03, 0x23, 0x00, 0x02, // alias 2 set again, to "z"
        0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x02,
    ]);
    assert_eq!(messages(&ev), ["x/y", "x/y", "z", "z"]);
    assert_eq!(sent(&ev), Vec::<Vec<u8>>::new());
}

/// What the session does with `packet` on a connection that announced `announced` aliases: the
/// DISCONNECT it sends and the error the connection ends with.
fn refused(announced: u16, packet: &[u8]) -> (Vec<Vec<u8>>, Vec<SessionError>) {
    let mut s = connected(announced, 0);
    let ev = s.feed(packet);
    let lost = ev.iter().filter_map(|e| if let E::NotifyConnectionLost(e) = e { Some(e.clone()) } else { None });
    assert!(ev.iter().any(|e| matches!(e, E::RequestClose)), "{ev:?}");
    assert_eq!(messages(&ev), Vec::<String>::new());
    (sent(&ev), lost.collect())
}

#[test]
fn an_alias_the_client_never_allowed_ends_the_connection_with_0x94() {
    let protocol = |detail: &str| vec![SessionError::Protocol { detail: detail.into() }];
    let unallowed = protocol("a topic alias this client never allowed");
    let topic_alias_invalid = vec![vec![0xE0, 0x01, 0x94]];
    // None allowed (the default), one above the maximum, and 0, which is never an alias.
    for (announced, alias) in [(0u16, 1u8), (2, 3), (2, 0)] {
        let packet = [0x30, 0x07, 0x00, 0x01, b't', 0x03, 0x23, 0x00, alias];
        assert_eq!(
            refused(announced, &packet),
            (topic_alias_invalid.clone(), unallowed.clone()),
            "{announced} {alias}"
        );
    }
    // An empty topic with an alias the broker never set: a protocol error, 0x82.
    assert_eq!(
        refused(2, &[0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01]),
        (vec![vec![0xE0, 0x01, 0x82]], protocol("an empty topic with a topic alias the broker never set"))
    );
    // An empty topic without an alias stays malformed, 0x81.
    assert_eq!(
        refused(2, &[0x30, 0x03, 0x00, 0x00, 0x00]),
        (vec![vec![0xE0, 0x01, 0x81]], protocol("a PUBLISH without a topic name"))
    );
}

#[test]
fn a_new_connection_forgets_the_brokers_aliases() {
    let mut s = connected(2, 0);
    assert_eq!(messages(&s.feed(&[0x30, 0x07, 0x00, 0x01, b'x', 0x03, 0x23, 0x00, 0x01])), ["x"]);
    s.notify_closed();
    s.connect().unwrap();
    s.feed(&connack(0));
    let ev = s.feed(&[0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01]);
    assert_eq!(sent(&ev), [vec![0xE0, 0x01, 0x82]]);
}
