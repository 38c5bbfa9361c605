//! Byte-in, event-out specifications of MQTT 5 enhanced authentication in the pure session
//! (§4.12): the method and data in the CONNECT, the broker's challenges answered before the
//! CONNACK, re-authentication on a connection that is up, and every AUTH or CONNACK the rules do
//! not allow ending the connection with DISCONNECT 0x82. Packets are written out by hand.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::{Authentication, Session, SessionEvent as E, TimerKind};
use iotmqtt::{ConnAck, ConnectOptions, ProtocolVersion, SessionError};

const METHOD: &[u8] = b"DEMO";

fn options(method: Option<&str>, data: Option<&[u8]>) -> ConnectOptions {
    ConnectOptions {
        version: ProtocolVersion::V5,
        client_id: "c".into(),
        authentication: method.map(|m| Authentication { method: m.into(), data: data.map(<[u8]>::to_vec) }),
        ..Default::default()
    }
}

/// The Authentication Method "DEMO" and, if any, the Authentication Data `data`.
fn auth_properties(method: &[u8], data: Option<&[u8]>) -> Vec<u8> {
    let mut p = vec![0x15, 0x00, method.len() as u8];
    p.extend_from_slice(method);
    if let Some(d) = data {
        p.extend_from_slice(&[0x16, 0x00, d.len() as u8]);
        p.extend_from_slice(d);
    }
    p
}

/// An AUTH with `code`, naming `method`, with `data`.
fn auth(code: u8, method: &[u8], data: Option<&[u8]>) -> Vec<u8> {
    let p = auth_properties(method, data);
    let mut out = vec![0xF0, (2 + p.len()) as u8, code, p.len() as u8];
    out.extend_from_slice(&p);
    out
}

/// A CONNACK that accepts, naming `method` (if any) with `data`.
fn connack(method: Option<&[u8]>, data: Option<&[u8]>) -> Vec<u8> {
    let p = method.map(|m| auth_properties(m, data)).unwrap_or_default();
    let mut out = vec![0x20, (3 + p.len()) as u8, 0x00, 0x00, p.len() as u8];
    out.extend_from_slice(&p);
    out
}

fn sent(events: &[E]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let E::RequestSend(b) = e { Some(b.clone()) } else { None }).collect()
}

const PING: E = E::RequestTimerReset { kind: TimerKind::PingreqSend, duration_ms: 60_000 };

/// A session connected with the method "DEMO" and no challenge.
fn connected() -> Session {
    let mut s = Session::new(options(Some("DEMO"), None));
    s.connect().unwrap();
    let ev = s.feed(&connack(Some(METHOD), None));
    assert!(ev.iter().any(|e| matches!(e, E::NotifyConnected(_))), "{ev:?}");
    s
}

/// What a session does when the broker breaks the rules: says 0x82, and the attempt or connection
/// ends with a protocol error naming what was wrong.
fn refused(events: &[E], connecting: bool, detail: &str) {
    let error = SessionError::Protocol { detail: detail.into() };
    let ended = if connecting { E::NotifyConnectFailed(error) } else { E::NotifyConnectionLost(error) };
    assert_eq!(
        events,
        [
            E::RequestSend(vec![0xE0, 0x01, 0x82]),
            E::RequestTimerCancel(TimerKind::ConnectTimeout),
            E::RequestTimerCancel(TimerKind::PingreqSend),
            E::RequestTimerCancel(TimerKind::PingrespRecv),
            ended,
            E::RequestClose,
        ]
    );
}

#[test]
fn the_connect_names_the_method_and_its_first_data() {
    let mut s = Session::new(options(Some("DEMO"), Some(b"c1")));
    let ev = s.connect().unwrap();
    #[rustfmt::skip]
    let connect = vec![
        0x10, 0x1F, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C,
        0x11, 0x27, 0x01, 0x00, 0x00, 0x00, 0x15, 0x00, 0x04, b'D', b'E', b'M', b'O', 0x16, 0x00, 0x02, b'c', b'1',
        0x00, 0x01, b'c',
    ];
    assert_eq!(
        ev,
        [E::RequestSend(connect), PING, E::RequestTimerReset { kind: TimerKind::ConnectTimeout, duration_ms: 10_000 }]
    );
}

#[test]
fn long_authentication_data_gets_a_two_byte_property_length() {
    let data = vec![7u8; 200];
    let mut s = Session::new(options(Some("DEMO"), Some(&data)));
    let connect = sent(&s.connect().unwrap()).remove(0);
    // Properties: Maximum Packet Size (5), the method (7), the data (3 + 200): 215, two bytes.
    assert_eq!(&connect[..3], &[0x10, 0xE6, 0x01]);
    assert_eq!(&connect[13..15], &[0xD7, 0x01]);
    assert_eq!(connect.len(), 3 + 10 + 2 + 215 + 3);
}

#[test]
fn the_brokers_challenge_is_answered_before_the_connack() {
    let mut s = Session::new(options(Some("DEMO"), Some(b"c1")));
    s.connect().unwrap();
    assert_eq!(s.feed(&auth(0x18, METHOD, Some(b"s1"))), [E::NotifyAuthChallenge(Some(b"s1".to_vec()))]);
    let ev = s.authenticate(Some(b"c2".to_vec())).unwrap();
    assert_eq!(ev, [E::RequestSend(auth(0x18, METHOD, Some(b"c2"))), PING]);
    // A second answer has no challenge to answer.
    let e = s.authenticate(Some(b"c3".to_vec())).unwrap_err();
    assert_eq!(e.code(), "INVALID_OPTION");
    // The broker's last word comes with the CONNACK.
    let ev = s.feed(&connack(Some(METHOD), Some(b"ok")));
    let ack = ConnAck { authentication_data: Some(b"ok".to_vec()), ..ConnAck::default() };
    assert_eq!(ev, [E::RequestTimerCancel(TimerKind::ConnectTimeout), E::NotifyConnected(ack)]);
}

#[test]
fn a_challenge_may_come_several_times() {
    let mut s = Session::new(options(Some("DEMO"), None));
    s.connect().unwrap();
    for round in [b"s1", b"s2"] {
        assert_eq!(s.feed(&auth(0x18, METHOD, Some(round))), [E::NotifyAuthChallenge(Some(round.to_vec()))]);
        assert_eq!(sent(&s.authenticate(None).unwrap()), [auth(0x18, METHOD, None)]);
    }
    assert!(s.feed(&connack(Some(METHOD), None)).iter().any(|e| matches!(e, E::NotifyConnected(_))));
}

#[test]
fn reauthentication_runs_on_the_connection_that_is_up() {
    let mut s = connected();
    let ev = s.reauthenticate(Some(b"r1".to_vec())).unwrap();
    assert_eq!(ev, [E::RequestSend(auth(0x19, METHOD, Some(b"r1"))), PING]);
    // One at a time.
    assert_eq!(s.reauthenticate(None).unwrap_err().code(), "INVALID_OPTION");
    assert_eq!(s.feed(&auth(0x18, METHOD, Some(b"s2"))), [E::NotifyAuthChallenge(Some(b"s2".to_vec()))]);
    assert_eq!(sent(&s.authenticate(Some(b"r2".to_vec())).unwrap()), [auth(0x18, METHOD, Some(b"r2"))]);
    assert_eq!(s.feed(&auth(0x00, METHOD, Some(b"ok"))), [E::NotifyReauthenticated(Some(b"ok".to_vec()))]);
    // A success with Remaining Length 0 (§3.15.2.1) ends the next one.
    assert_eq!(sent(&s.reauthenticate(None).unwrap()), [auth(0x19, METHOD, None)]);
    assert_eq!(s.feed(&[0xF0, 0x00]), [E::NotifyReauthenticated(None)]);
}

#[test]
fn every_auth_the_rules_do_not_allow_is_a_protocol_error() {
    // The CONNECT's method, whether the CONNACK came first, the broker's AUTH, what is wrong with it.
    let cases = [
        (None, false, auth(0x18, METHOD, None), "an AUTH, when the CONNECT named no authentication method"),
        (
            Some("DEMO"),
            false,
            auth(0x18, b"OTHER", None),
            "an AUTH with another authentication method than the CONNECT's",
        ),
        (Some("DEMO"), false, auth(0x00, METHOD, None), "an AUTH success outside a re-authentication"),
        (Some("DEMO"), true, auth(0x18, METHOD, None), "an AUTH to continue an authentication that is not under way"),
        (Some("DEMO"), true, auth(0x19, METHOD, None), "an AUTH to re-authenticate, which only a client sends"),
    ];
    for (method, up, packet, detail) in cases {
        let mut s = Session::new(options(method, None));
        s.connect().unwrap();
        if up {
            s.feed(&connack(method.map(str::as_bytes), None));
        }
        refused(&s.feed(&packet), !up, detail);
    }
}

#[test]
fn the_connack_must_name_the_connects_method_and_no_other() {
    let mut s = Session::new(options(Some("DEMO"), None));
    s.connect().unwrap();
    refused(&s.feed(&connack(None, None)), true, "a CONNACK without the authentication method of the CONNECT");
    let mut s = Session::new(options(None, None));
    s.connect().unwrap();
    let ev = s.feed(&connack(Some(METHOD), None));
    refused(&ev, true, "a CONNACK with an authentication method the CONNECT did not name");
}

#[test]
fn the_application_may_abandon_the_exchange() {
    let mut s = Session::new(options(Some("DEMO"), None));
    s.connect().unwrap();
    s.feed(&auth(0x18, METHOD, None));
    assert_eq!(
        s.abandon_authentication(),
        [
            E::RequestSend(vec![0xE0, 0x01, 0x80]),
            E::RequestTimerCancel(TimerKind::ConnectTimeout),
            E::RequestTimerCancel(TimerKind::PingreqSend),
            E::RequestTimerCancel(TimerKind::PingrespRecv),
            E::NotifyConnectFailed(SessionError::ConnectionLost),
            E::RequestClose,
        ]
    );
    // The next connection starts afresh: no challenge waits.
    s.connect().unwrap();
    assert_eq!(s.authenticate(None).unwrap_err().code(), "INVALID_OPTION");
}

#[test]
fn options_the_protocol_cannot_carry_are_typed_errors() {
    let invalid = |o: ConnectOptions| Session::new(o).connect().unwrap_err();
    let v3 = ConnectOptions { version: ProtocolVersion::V3_1_1, ..options(Some("DEMO"), None) };
    assert_eq!(
        invalid(v3),
        SessionError::InvalidOption {
            field: "authentication",
            reason: "enhanced authentication is MQTT 5 only".into()
        }
    );
    assert_eq!(
        invalid(options(Some(""), None)),
        SessionError::InvalidOption { field: "authentication", reason: "needs a method".into() }
    );
    let long = vec![0u8; 65_536];
    assert_eq!(invalid(options(Some("DEMO"), Some(&long))).code(), "INVALID_OPTION");
    // Re-authentication needs a connection, and a method in its CONNECT.
    let mut s = Session::new(options(Some("DEMO"), None));
    assert_eq!(s.reauthenticate(None).unwrap_err(), SessionError::NotConnected);
    let mut s = Session::new(options(None, None));
    s.connect().unwrap();
    s.feed(&connack(None, None));
    assert_eq!(
        s.reauthenticate(None).unwrap_err(),
        SessionError::InvalidOption {
            field: "authentication",
            reason: "the CONNECT named no authentication method (MQTT 5)".into()
        }
    );
}
