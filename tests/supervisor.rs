//! Specifications of the pure connection supervisor on a virtual clock: reconnect and backoff, the
//! attempt cap, refused credentials, the offline pause, connect and ping timeouts, resubscription,
//! the offline queue, persistence bookkeeping and send batching. No socket, no sleep: time is an
//! input, and every expectation is an exact list of events or an exact instant.
#![cfg(not(target_arch = "wasm32"))]

use iotmqtt::session::backoff::backoff_ceiling_ms;
use iotmqtt::session::reason::ConnectRefusal;
use iotmqtt::supervisor::{ConnectStart, ConnectionState as S, Event as E, Flush, Millis, Supervisor, BATCH_LIMIT};
use iotmqtt::SessionError;
use iotmqtt::{ClientError, ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, QoS, ReconnectOptions};

const URL: &str = "ws://127.0.0.1:9001/mqtt";
const CONNACK_OK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];
const PINGRESP: [u8; 2] = [0xD0, 0x00];

fn connect_options(keepalive_secs: u16) -> ConnectOptions {
    ConnectOptions { client_id: "c1".into(), keepalive_secs, connect_timeout_ms: 5_000, ..Default::default() }
}

fn client_options(reconnect: ReconnectOptions) -> ClientOptions {
    ClientOptions { reconnect, ..Default::default() }
}

/// A supervisor and its virtual clock; every event it reports is kept.
struct Rig {
    sup: Supervisor,
    now: Millis,
}

impl Rig {
    fn new(options: ConnectOptions, client: ClientOptions) -> Self {
        Self { sup: Supervisor::new(URL, options, client, 42, true).unwrap(), now: 1_000 }
    }

    fn start(&mut self) -> Vec<E> {
        match self.sup.connect(self.now).unwrap() {
            ConnectStart::Started(events) => events,
            other => panic!("{other:?}"),
        }
    }

    /// Moves the clock to the next deadline and runs it; returns the instant and the events.
    fn next_timeout(&mut self) -> (Millis, Vec<E>) {
        let at = self.sup.poll_timeout().expect("a timer is armed");
        self.now = at;
        (at, self.sup.handle_timeout(at))
    }

    /// Socket opens, CONNECT flushes, the broker's CONNACK arrives.
    fn establish(&mut self, connack: &[u8]) -> Vec<E> {
        let mut events = self.sup.socket_opened(self.now);
        events.extend(self.sup.flush(self.now));
        events.extend(self.sup.socket_bytes(self.now, connack));
        events.extend(self.sup.flush(self.now));
        events
    }

    fn connected(options: ConnectOptions, client: ClientOptions) -> Self {
        let mut rig = Self::new(options, client);
        rig.start();
        rig.establish(&CONNACK_OK);
        assert!(matches!(rig.sup.state(), S::Connected(_)));
        rig
    }
}

fn states(events: &[E]) -> Vec<S> {
    events.iter().filter_map(|e| if let E::NotifyState(s) = e { Some(s.clone()) } else { None }).collect()
}

fn transmitted(events: &[E]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let E::RequestTransmit(b) = e { Some(b.clone()) } else { None }).collect()
}

fn refused_socket() -> ClientError {
    ClientError::Socket(
        "the connection was refused or broke (close code 1006): is the broker running, and the URL, port and path right?"
            .into(),
    )
}

/// The events of a first connect that fails for good with `e` (no reconnect follows).
fn failed_for_good(e: ClientError) -> [E; 4] {
    [E::NotifyConnectFailed(e.clone()), E::NotifyState(S::Disconnected(e.clone())), E::RequestClose, E::NotifyEnded(e)]
}

fn connack_of(events: &[E]) -> iotmqtt::ConnAck {
    events.iter().find_map(|e| if let E::NotifyConnected(a) = e { Some(a.clone()) } else { None }).unwrap()
}

#[test]
fn connect_opens_a_socket_sends_connect_at_the_next_microtask_and_reports_the_connack() {
    let mut rig = Rig::new(connect_options(10), ClientOptions::default());
    assert_eq!(rig.start(), [E::RequestOpen { url: URL.into(), mqtt_only: false }, E::NotifyState(S::Connecting)]);
    assert_eq!(rig.sup.poll_timeout(), Some(1_000 + 5_000), "the connect timeout covers the socket opening");
    assert_eq!(rig.sup.socket_opened(1_000), [E::RequestFlush(Flush::Microtask)]);
    let connect = rig.sup.flush(1_000);
    assert_eq!(connect.len(), 1);
    assert_eq!(transmitted(&connect)[0][0], 0x10, "CONNECT");
    let events = rig.sup.socket_bytes(1_020, &CONNACK_OK);
    let ack = connack_of(&events);
    assert_eq!(events, [E::NotifyConnected(ack.clone()), E::NotifyState(S::Connected(ack))]);
    assert_eq!(rig.sup.poll_timeout(), Some(1_000 + 10_000), "keepalive counts from the CONNECT sent");
}

#[test]
fn a_socket_that_never_opens_is_a_connect_timeout_at_the_exact_deadline() {
    let mut rig = Rig::new(connect_options(10), ClientOptions::default());
    rig.start();
    let (at, events) = rig.next_timeout();
    assert_eq!(at, 6_000);
    let timeout = ClientError::Session(SessionError::ConnectTimeout { timeout_ms: 5_000 });
    assert_eq!(events, failed_for_good(timeout));
    assert_eq!(rig.sup.poll_timeout(), None, "no timer left behind");
    assert!(!rig.sup.has_socket());
}

#[test]
fn a_connack_that_never_comes_times_out_from_the_socket_opening() {
    let mut rig = Rig::new(connect_options(10), ClientOptions::default());
    rig.start();
    rig.now = 3_000;
    rig.sup.socket_opened(3_000);
    assert_eq!(rig.sup.poll_timeout(), Some(8_000));
    let (_, events) = rig.next_timeout();
    assert_eq!(
        states(&events),
        [S::Disconnected(ClientError::Session(SessionError::ConnectTimeout { timeout_ms: 5_000 }))]
    );
}

// MQTT 3.1.1 §3.1.2.10: PINGREQ after a keepalive of silence, and with the default ping timeout
// of half the keepalive a half-open connection is found within 1.5 x keepalive of the last send.
#[test]
fn a_half_open_connection_is_found_one_and_a_half_keepalives_after_the_last_packet() {
    let mut rig = Rig::connected(connect_options(2), ClientOptions::default());
    rig.now = 1_500;
    let (_, events) = rig.sup.publish(1_500, &Outgoing::new("t", b"last".to_vec()), None).unwrap();
    assert_eq!(events, [E::RequestFlush(Flush::Microtask)]);
    rig.sup.flush(1_500);
    let (at, events) = rig.next_timeout();
    assert_eq!(at, 3_500, "PINGREQ one keepalive after the last packet");
    assert_eq!(events, [E::RequestFlush(Flush::Microtask)]);
    assert_eq!(transmitted(&rig.sup.flush(at)), [vec![0xC0, 0x00]]);
    let (at, events) = rig.next_timeout();
    assert_eq!(at, 4_500, "PINGRESP awaited for half the keepalive");
    let reconnecting = states(&events);
    assert_eq!(reconnecting.len(), 1);
    assert!(
        matches!(
            &reconnecting[0],
            S::Reconnecting { attempt: 1, reason: ClientError::Session(SessionError::PingTimeout), .. }
        ),
        "{reconnecting:?}"
    );
    assert!(events.contains(&E::RequestClose));
}

#[test]
fn a_pingresp_keeps_the_connection_and_the_next_pingreq_follows_a_keepalive_later() {
    let mut rig = Rig::connected(connect_options(2), ClientOptions::default());
    for round in 0..50u64 {
        let (at, _) = rig.next_timeout();
        assert_eq!(at, 3_000 + round * 2_000, "round {round}");
        assert_eq!(transmitted(&rig.sup.flush(at)), [vec![0xC0, 0x00]]);
        assert_eq!(rig.sup.socket_bytes(at + 10, &PINGRESP), []);
    }
    assert!(matches!(rig.sup.state(), S::Connected(_)));
}

#[test]
fn sends_only_move_the_keepalive_deadline_later() {
    let mut rig = Rig::connected(connect_options(10), ClientOptions::default());
    for t in (1_000..=9_000).step_by(1_000) {
        rig.sup.publish(t, &Outgoing::new("t", vec![1]), None).unwrap();
        rig.sup.flush(t);
        assert_eq!(rig.sup.poll_timeout(), Some(t + 10_000));
    }
}

/// Drops the connection (the broker went away) and fails every attempt until `attempts` were made.
fn outage(rig: &mut Rig, attempts: usize) -> Vec<(Millis, S)> {
    let mut seen = Vec::new();
    rig.sup.socket_error();
    for s in states(&rig.sup.socket_closed(rig.now, 1006, "")) {
        seen.push((rig.now, s));
    }
    // Each attempt's socket offers what the last one switched to, then the other offer at once.
    let mut mqtt_only = false;
    for _ in 0..attempts {
        let (at, events) = rig.next_timeout();
        assert_eq!(events, [E::RequestOpen { url: URL.into(), mqtt_only }, E::NotifyState(S::Connecting)]);
        seen.push((at, S::Connecting));
        rig.sup.socket_error();
        mqtt_only = !mqtt_only;
        assert_eq!(rig.sup.socket_closed(at, 1006, ""), [E::RequestOpen { url: URL.into(), mqtt_only }]);
        rig.sup.socket_error();
        let events = rig.sup.socket_closed(at + 1, 1006, "");
        rig.now = at + 1;
        for s in states(&events) {
            seen.push((rig.now, s));
        }
    }
    seen
}

#[test]
fn backoff_delays_stay_within_their_ceiling_and_are_jittered_over_thousands_of_minutes() {
    let reconnect = ReconnectOptions { initial_delay_ms: 250, max_delay_ms: 4_000, factor: 2.0, ..Default::default() };
    let mut rig = Rig::connected(connect_options(0), client_options(reconnect.clone()));
    let seen = outage(&mut rig, 100_000);
    let delays: Vec<(u32, u64)> = seen
        .iter()
        .filter_map(
            |(_, s)| if let S::Reconnecting { attempt, delay_ms, .. } = s { Some((*attempt, *delay_ms)) } else { None },
        )
        .collect();
    assert_eq!(delays.len(), 100_001);
    assert_eq!(delays.iter().map(|(a, _)| *a).collect::<Vec<_>>(), (1..=100_001).collect::<Vec<u32>>());
    for (attempt, delay) in &delays {
        assert!(*delay < backoff_ceiling_ms(&reconnect, *attempt), "attempt {attempt}: {delay} ms");
    }
    // Each attempt starts exactly its delay after the failure that scheduled it.
    for pair in seen.windows(2) {
        if let ((failed_at, S::Reconnecting { delay_ms, .. }), (started_at, S::Connecting)) = (&pair[0], &pair[1]) {
            assert_eq!(started_at - failed_at, *delay_ms);
        }
    }
    let minutes = (rig.now - 1_000) / 60_000;
    assert!(minutes > 1_500, "{minutes} simulated minutes");
    // Full jitter at the cap: uniform over [0, 4000): every quarter holds about a quarter.
    let capped: Vec<u64> = delays.iter().filter(|(a, _)| *a >= 6).map(|(_, d)| *d).collect();
    let mut quarters = [0usize; 4];
    for d in &capped {
        quarters[(*d / 1_000) as usize] += 1;
    }
    for q in quarters {
        let share = q as f64 / capped.len() as f64;
        assert!((0.24..0.26).contains(&share), "{quarters:?}");
    }
}

#[test]
fn the_same_seed_replays_the_same_delays() {
    let run = || {
        let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
        outage(&mut rig, 20)
    };
    assert_eq!(run(), run());
}

#[test]
fn reconnecting_gives_up_after_exactly_max_attempts() {
    let reconnect =
        ReconnectOptions { initial_delay_ms: 50, max_delay_ms: 200, max_attempts: Some(3), ..Default::default() };
    let mut rig = Rig::connected(connect_options(0), client_options(reconnect));
    let seen: Vec<S> = outage(&mut rig, 3)
        .into_iter()
        .map(|(_, s)| match s {
            S::Reconnecting { attempt, reason, .. } => S::Reconnecting { attempt, delay_ms: 0, reason },
            s => s,
        })
        .collect();
    let lost = |attempt| S::Reconnecting { attempt, delay_ms: 0, reason: refused_socket() };
    assert_eq!(
        seen,
        [
            lost(1),
            S::Connecting,
            lost(2),
            S::Connecting,
            lost(3),
            S::Connecting,
            S::Disconnected(ClientError::ReconnectGaveUp { attempts: 3 })
        ]
    );
    assert_eq!(rig.sup.poll_timeout(), None);
}

#[test]
fn refused_credentials_on_a_reconnect_end_the_retries() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.socket_closed(rig.now, 1001, "going away");
    let (at, _) = rig.next_timeout();
    let events = rig.establish(&[0x20, 0x02, 0x00, 0x05]);
    let refused = ClientError::Session(SessionError::ConnectRefused {
        version: ProtocolVersion::V3_1_1,
        code: 5,
        refusal: ConnectRefusal::NotAuthorized,
    });
    assert_eq!(
        events,
        [
            E::RequestFlush(Flush::Microtask),
            transmit_of(&events),
            E::NotifyConnectFailed(refused.clone()),
            E::RequestClose,
            E::NotifyEnded(refused.clone()),
            E::NotifyState(S::Disconnected(refused)),
        ],
        "at {at}"
    );
    assert_eq!(rig.sup.poll_timeout(), None, "no retry: retrying cannot fix credentials");
}

fn transmit_of(events: &[E]) -> E {
    events.iter().find(|e| matches!(e, E::RequestTransmit(_))).cloned().unwrap()
}

#[test]
fn a_server_that_is_merely_unavailable_is_retried() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.socket_closed(rig.now, 1001, "");
    rig.next_timeout();
    rig.establish(&[0x20, 0x02, 0x00, 0x03]);
    assert!(matches!(rig.sup.state(), S::Reconnecting { attempt: 2, .. }), "{:?}", rig.sup.state());
}

#[test]
fn the_first_connect_is_never_retried() {
    let mut rig = Rig::new(connect_options(0), ClientOptions::default());
    rig.start();
    rig.sup.socket_error();
    assert_eq!(rig.sup.socket_closed(1_000, 1006, ""), [E::RequestOpen { url: URL.into(), mqtt_only: true }]);
    rig.sup.socket_error();
    let events = rig.sup.socket_closed(1_001, 1006, "");
    assert_eq!(
        events,
        [
            E::NotifyConnectFailed(refused_socket()),
            E::NotifyState(S::Disconnected(refused_socket())),
            E::RequestClose,
            E::NotifyEnded(refused_socket()),
        ]
    );
    assert_eq!(rig.sup.poll_timeout(), None);
}

#[test]
fn offline_pauses_reconnecting_and_online_retries_at_once() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.socket_closed(2_000, 1006, "");
    assert!(rig.sup.poll_timeout().is_some());
    assert_eq!(rig.sup.set_online(2_100, false), []);
    assert_eq!(rig.sup.poll_timeout(), None, "no attempt while the browser is offline");
    assert_eq!(rig.sup.handle_timeout(1_000_000), []);
    assert_eq!(
        rig.sup.set_online(1_000_000, true),
        [E::RequestOpen { url: URL.into(), mqtt_only: false }, E::NotifyState(S::Connecting)]
    );
    rig.now = 1_000_000;
    rig.establish(&CONNACK_OK);
    assert!(matches!(rig.sup.state(), S::Connected(_)));
}

#[test]
fn a_failure_while_offline_schedules_no_attempt_until_online() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.set_online(1_500, false);
    rig.sup.socket_closed(2_000, 1006, "");
    assert!(matches!(rig.sup.state(), S::Reconnecting { attempt: 1, .. }));
    assert_eq!(rig.sup.poll_timeout(), None);
}

#[test]
fn disconnect_sends_disconnect_before_closing_and_never_reconnects() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    let events = rig.sup.disconnect(5_000);
    assert_eq!(
        events,
        [
            E::RequestFlush(Flush::Microtask),
            E::RequestTransmit(vec![0xE0, 0x00]),
            E::RequestClose,
            E::NotifyEnded(ClientError::Disconnected),
            E::NotifyState(S::Disconnected(ClientError::Disconnected)),
        ]
    );
    assert_eq!(rig.sup.poll_timeout(), None);
}

#[test]
fn close_during_reconnecting_ends_in_closed_and_refuses_publishes() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.socket_closed(2_000, 1006, "");
    let events = rig.sup.close(2_100);
    assert_eq!(events, [E::NotifyEnded(ClientError::Closed), E::NotifyState(S::Closed)]);
    assert_eq!(rig.sup.publish(2_200, &Outgoing::new("t", vec![]), None).unwrap_err(), ClientError::Closed);
    assert_eq!(rig.sup.connect(2_200).unwrap_err(), ClientError::Closed);
    assert_eq!(rig.sup.poll_timeout(), None);
}

#[test]
fn a_second_connect_while_connecting_is_refused_and_one_while_connected_returns_the_connack() {
    let mut rig = Rig::new(connect_options(0), ClientOptions::default());
    rig.start();
    assert!(matches!(
        rig.sup.connect(1_000),
        Err(ClientError::Session(SessionError::InvalidOption { field: "connect", .. }))
    ));
    rig.establish(&CONNACK_OK);
    assert!(matches!(rig.sup.connect(1_000), Ok(ConnectStart::Connected(_))));
}

#[test]
fn an_offer_without_the_mqtt_subprotocol_is_refused_before_any_socket() {
    let client = ClientOptions { websocket_protocols: vec!["binary".into()], ..Default::default() };
    let mut sup = Supervisor::new(URL, connect_options(0), client, 1, true).unwrap();
    assert!(matches!(
        sup.connect(0),
        Err(ClientError::Session(SessionError::InvalidOption { field: "websocketProtocols", .. }))
    ));
    assert!(!sup.has_socket());
}

#[test]
fn a_url_that_is_not_a_websocket_is_refused_and_an_empty_client_id_is_generated_from_the_seed() {
    let bad = Supervisor::new("http://x", connect_options(0), ClientOptions::default(), 1, true);
    assert!(matches!(bad, Err(ClientError::Session(SessionError::InvalidOption { field: "url", .. }))));
    let id = |seed| {
        let options = ConnectOptions { client_id: String::new(), ..Default::default() };
        Supervisor::new(URL, options, ClientOptions::default(), seed, true)
            .unwrap()
            .session()
            .options()
            .client_id
            .clone()
    };
    assert_eq!(id(7), id(7));
    assert_ne!(id(7), id(8));
    assert!(id(7).starts_with("iotmqtt-") && id(7).len() == 20);
}

#[test]
fn a_socket_the_browser_refuses_to_make_fails_the_connect() {
    let mut rig = Rig::new(connect_options(0), ClientOptions::default());
    rig.start();
    let bad = ClientError::Session(SessionError::InvalidOption { field: "url", reason: "SyntaxError".into() });
    let events = rig.sup.open_failed(1_000, bad.clone());
    assert_eq!(events, failed_for_good(bad));
}

// MQTT 3.1.1 §3.1.2.4: a clean session starts without subscriptions, so the client restores them.
#[test]
fn subscriptions_are_restored_after_a_clean_session_reconnect() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    let (id, _) = rig.sup.subscribe(1_000, &[("a/#".into(), QoS::AtLeastOnce)]).unwrap();
    rig.sup.flush(1_000);
    rig.sup.socket_bytes(1_010, &[0x90, 0x03, (id >> 8) as u8, id as u8, 0x01]);
    rig.sup.socket_closed(2_000, 1006, "");
    rig.next_timeout();
    let events = rig.establish(&CONNACK_OK);
    let sent = transmitted(&events);
    assert_eq!(sent.len(), 2, "CONNECT, then SUBSCRIBE: {events:?}");
    assert_eq!(sent[1][0], 0x82, "SUBSCRIBE");
    assert!(sent[1].ends_with(b"a/#\x01"));
}

#[test]
fn publishes_while_reconnecting_wait_and_leave_after_the_connack_in_order() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    rig.sup.socket_closed(2_000, 1006, "");
    let mut tokens = Vec::new();
    for n in 0..3u8 {
        let (ticket, events) =
            rig.sup.publish(2_100, &Outgoing::new("q", vec![n]).qos(QoS::AtLeastOnce), None).unwrap();
        assert!(ticket.queued);
        assert_eq!(events, []);
        tokens.push(ticket.token);
    }
    assert_eq!(rig.sup.session().queued(), 3);
    rig.next_timeout();
    let events = rig.establish(&CONNACK_OK);
    let sent = transmitted(&events);
    assert_eq!(sent.len(), 2, "CONNECT, then the three PUBLISHes in one WebSocket message");
    let payloads: Vec<u8> = sent[1].chunks(8).map(|p| p[7]).collect();
    assert_eq!(sent[1].len(), 24);
    assert_eq!(payloads, [0, 1, 2]);
    assert_eq!(rig.sup.session().in_flight(), 3);
}

#[test]
fn a_persisted_message_is_forgotten_once_acknowledged_and_kept_when_only_the_connection_was_lost() {
    let client = ClientOptions { persistence: Some("store".into()), ..Default::default() };
    let mut rig = Rig::connected(connect_options(0), client);
    let qos1 = Outgoing::new("p", b"x".to_vec()).qos(QoS::AtLeastOnce);
    let (first, _) = rig.sup.publish(1_000, &qos1, Some(77)).unwrap();
    let (_, _) = rig.sup.publish(1_000, &qos1, Some(78)).unwrap();
    rig.sup.flush(1_000);
    let ack = rig.sup.socket_bytes(1_010, &[0x40, 0x02, 0x00, first.packet_id.unwrap() as u8]);
    assert_eq!(ack, [E::RequestForget(77), E::NotifyPublishCompleted { token: first.token, result: Ok(()) }]);
    let lost = rig.sup.socket_closed(1_020, 1006, "");
    assert!(!lost.iter().any(|e| matches!(e, E::RequestForget(_))), "{lost:?}");
}

#[test]
fn without_reconnect_a_lost_connection_fails_what_is_in_flight() {
    let client = client_options(ReconnectOptions { enabled: false, ..Default::default() });
    let mut rig = Rig::connected(connect_options(0), client);
    let (ticket, _) = rig.sup.publish(1_000, &Outgoing::new("p", vec![]).qos(QoS::AtLeastOnce), None).unwrap();
    rig.sup.flush(1_000);
    let closed = ClientError::SocketClosed { code: 1001, reason: "bye".into() };
    assert_eq!(
        rig.sup.socket_closed(1_100, 1001, "bye"),
        [
            E::RequestClose,
            E::NotifyPublishCompleted {
                token: ticket.token,
                result: Err(ClientError::Session(SessionError::ConnectionLost))
            },
            E::NotifyEnded(closed.clone()),
            E::NotifyState(S::Disconnected(closed)),
        ]
    );
}

#[test]
fn sends_gather_per_microtask_and_wait_for_a_tick_while_busy() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    let msg = Outgoing::new("b", vec![0; 4]);
    rig.now = 5_000;
    assert_eq!(rig.sup.publish(5_000, &msg, None).unwrap().1, [E::RequestFlush(Flush::Microtask)]);
    assert_eq!(rig.sup.publish(5_000, &msg, None).unwrap().1, [], "one flush for the whole task");
    assert_eq!(transmitted(&rig.sup.flush(5_000)).len(), 1);
    assert_eq!(rig.sup.publish(5_001, &msg, None).unwrap().1, [E::RequestFlush(Flush::Tick)], "busy: 1 ms later");
    assert_eq!(transmitted(&rig.sup.flush(5_001)).len(), 1);
    assert_eq!(rig.sup.publish(5_003, &msg, None).unwrap().1, [E::RequestFlush(Flush::Microtask)], "idle again");
    assert_eq!(rig.sup.flush(5_003).len(), 1);
    assert_eq!(rig.sup.flush(5_003), [], "a flush overtaken by another sends nothing");
}

#[test]
fn without_an_unthrottled_clock_every_flush_is_a_microtask() {
    for (may_defer, worker_timers) in [(false, true), (true, false)] {
        let client = ClientOptions { worker_timers, ..Default::default() };
        let mut sup = Supervisor::new(URL, connect_options(0), client, 1, may_defer).unwrap();
        sup.connect(0).unwrap();
        sup.socket_opened(0);
        sup.flush(0);
        sup.socket_bytes(0, &CONNACK_OK);
        let events = sup.publish(0, &Outgoing::new("b", vec![]), None).unwrap().1;
        assert_eq!(events, [E::RequestFlush(Flush::Microtask)]);
    }
}

#[test]
fn a_batch_past_the_limit_leaves_at_once() {
    let mut rig = Rig::connected(connect_options(0), ClientOptions::default());
    let big = Outgoing::new("big", vec![7; BATCH_LIMIT]);
    let events = rig.sup.publish(1_000, &big, None).unwrap().1;
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], E::RequestTransmit(b) if b.len() > BATCH_LIMIT));
    assert_eq!(rig.sup.flush(1_000), []);
}

// MQTT 5.0 §6 (MQTT-6.0.0-1): MQTT over WebSocket is binary only; a text frame from the broker
// ends the connection with a protocol error, before or after the CONNACK.
#[test]
fn a_websocket_text_frame_ends_the_connection_as_a_protocol_error() {
    let no_reconnect = || client_options(ReconnectOptions { enabled: false, ..Default::default() });
    let text = ClientError::Session(SessionError::Protocol { detail: "a WebSocket text frame".into() });
    let mut rig = Rig::connected(connect_options(10), no_reconnect());
    assert_eq!(
        rig.sup.socket_text(2_000),
        [E::RequestClose, E::NotifyEnded(text.clone()), E::NotifyState(S::Disconnected(text.clone()))]
    );
    assert_eq!(rig.sup.poll_timeout(), None, "no timer left behind");

    // Before the CONNACK: the connect fails at once, not at its timeout.
    let mut rig = Rig::new(connect_options(10), no_reconnect());
    rig.start();
    assert_eq!(rig.sup.socket_text(1_000), [], "no socket open yet: nothing to end");
    rig.sup.socket_opened(1_000);
    rig.sup.flush(1_000);
    assert_eq!(rig.sup.socket_text(1_010), failed_for_good(text));
}

// MQTT over WebSocket must offer "mqtt" (MQTT-6.0.0-3). websockify 0.10 accepts only an offer with
// "binary"; RabbitMQ 3.10's Web MQTT answers an offer of several with the whole list, which browsers
// refuse. So a socket that dies before opening is tried again at once offering the other way, and
// the next attempt starts with the offer tried last.
#[test]
fn a_socket_refused_for_its_subprotocols_is_tried_once_more_offering_mqtt_alone() {
    let open = |mqtt_only| E::RequestOpen { url: URL.into(), mqtt_only };
    let mut rig = Rig::new(connect_options(10), ClientOptions::default());
    assert_eq!(rig.start(), [open(false), E::NotifyState(S::Connecting)]);
    rig.sup.socket_error();
    assert_eq!(rig.sup.socket_closed(1_005, 1006, ""), [open(true)], "no failure: the same attempt, at once");
    assert_eq!(rig.sup.poll_timeout(), Some(1_000 + 5_000), "under the attempt's connect timeout");
    let events = rig.establish(&CONNACK_OK);
    assert!(matches!(rig.sup.state(), S::Connected(_)), "{events:?}");

    // The connection drops; the reconnect offers "mqtt" alone from the start.
    rig.sup.socket_closed(rig.now, 1001, "");
    let (_, events) = rig.next_timeout();
    assert_eq!(events[0], open(true));

    // One offer only: nothing to switch to, the attempt fails as before.
    let only_mqtt =
        ClientOptions { websocket_protocols: vec!["mqtt".into()], ..client_options(ReconnectOptions::default()) };
    let mut rig = Rig::new(connect_options(10), only_mqtt);
    rig.start();
    rig.sup.socket_error();
    let events = rig.sup.socket_closed(1_005, 1006, "");
    assert_eq!(events[0], E::NotifyConnectFailed(refused_socket()));
}

// Issue 21: failover. The first connect goes to the URL; each reconnect attempt to the next server,
// round the list; `url()` says which.
#[test]
fn each_reconnect_attempt_goes_to_the_next_server() {
    const B: &str = "ws://127.0.0.2:9001/mqtt";
    const C: &str = "wss://broker.example:443/mqtt";
    let servers = ClientOptions {
        servers: vec![B.into(), C.into()],
        websocket_protocols: vec!["mqtt".into()],
        ..ClientOptions::default()
    };
    let open = |url: &str| E::RequestOpen { url: url.into(), mqtt_only: false };
    let mut rig = Rig::new(connect_options(10), servers);
    assert_eq!(rig.start(), [open(URL), E::NotifyState(S::Connecting)]);
    rig.establish(&CONNACK_OK);
    assert_eq!(rig.sup.url(), URL);

    // The connection drops: B, then C, then the URL again, each refused; then B answers.
    rig.sup.socket_closed(rig.now, 1001, "");
    let mut went = Vec::new();
    for _ in 0..3 {
        let (at, events) = rig.next_timeout();
        went.push(events[0].clone());
        rig.sup.socket_error();
        rig.sup.socket_closed(at, 1006, "");
    }
    assert_eq!(went, [open(B), open(C), open(URL)]);
    let (_, events) = rig.next_timeout();
    assert_eq!(events[0], open(B));
    rig.establish(&CONNACK_OK);
    assert!(matches!(rig.sup.state(), S::Connected(_)));
    assert_eq!(rig.sup.url(), B);

    // A connect of the application's, after a disconnect, starts at the URL again.
    rig.sup.disconnect(rig.now);
    rig.sup.socket_closed(rig.now, 1000, "");
    assert_eq!(rig.start()[0], open(URL));
}

#[test]
fn a_server_that_is_not_a_websocket_url_is_refused_by_its_field() {
    let servers = ClientOptions { servers: vec!["mqtt://127.0.0.1:1883".into()], ..ClientOptions::default() };
    let e = Supervisor::new(URL, connect_options(10), servers, 1, true).err().unwrap();
    assert_eq!(
        e,
        ClientError::Session(SessionError::InvalidOption {
            field: "servers",
            reason: "\"mqtt://127.0.0.1:1883\" is not a WebSocket URL: it must start with ws:// or wss://".into(),
        })
    );
}

// Issue 21: a credentials callback (MQTT.js issue 828). Each attempt asks for the user name and
// password before its socket opens, so a renewed token reaches every reconnect's CONNECT.
#[test]
fn each_attempt_asks_for_credentials_before_its_socket() {
    let asking =
        ClientOptions { credentials: true, websocket_protocols: vec!["mqtt".into()], ..ClientOptions::default() };
    let open = || E::RequestOpen { url: URL.into(), mqtt_only: false };
    let login = |user: &str, token: &str| Ok((Some(user.to_owned()), Some(token.to_owned())));
    let connect_of = |events: &[E]| transmitted(events).into_iter().find(|b| b[0] == 0x10).unwrap();
    let mut rig = Rig::new(connect_options(10), asking.clone());
    assert_eq!(rig.start(), [E::RequestCredentials, E::NotifyState(S::Connecting)]);
    assert_eq!(rig.sup.credentials(1_000, login("dev", "token-1")), [open()]);
    let events = rig.establish(&CONNACK_OK);
    assert!(connect_of(&events).ends_with(b"\x00\x03dev\x00\x07token-1"), "{events:?}");

    // The reconnect asks again, and its CONNECT carries the new token.
    rig.sup.socket_closed(rig.now, 1001, "");
    let (at, events) = rig.next_timeout();
    assert_eq!(events[0], E::RequestCredentials);
    rig.now = at;
    assert_eq!(rig.sup.credentials(at, login("dev", "token-2")), [open()]);
    let events = rig.establish(&CONNACK_OK);
    assert!(connect_of(&events).ends_with(b"\x00\x03dev\x00\x07token-2"), "{events:?}");

    // A callback that fails fails the attempt with its words; an answer nobody waits for is dropped.
    let no_reconnect = ClientOptions { reconnect: ReconnectOptions { enabled: false, ..Default::default() }, ..asking };
    let failed = ClientError::Credentials("the token service is down".into());
    let mut rig = Rig::new(connect_options(10), no_reconnect.clone());
    rig.start();
    assert_eq!(rig.sup.credentials(1_010, Err("the token service is down".into())), failed_for_good(failed));
    assert_eq!(rig.sup.credentials(1_020, login("late", "x")), []);

    // A callback that never answers: the connect timeout covers it, to the millisecond.
    let mut rig = Rig::new(connect_options(10), no_reconnect);
    rig.start();
    let (at, events) = rig.next_timeout();
    assert_eq!(at, 6_000);
    assert_eq!(
        events[0],
        E::NotifyConnectFailed(ClientError::Session(SessionError::ConnectTimeout { timeout_ms: 5_000 }))
    );
    assert_eq!(rig.sup.credentials(6_001, login("late", "x")), []);
}

// MQTT 5 Server Reference, followed only when the application allows it: the next attempt goes to
// the server named, once; then the client is back on its own list. A reference that is no
// WebSocket URL (a TCP host and port) is not followed.
#[test]
fn a_server_reference_is_followed_once_when_allowed() {
    const OTHER: &str = "ws://other.example/mqtt";
    let open = |url: &str| E::RequestOpen { url: url.into(), mqtt_only: false };
    let v5 = ConnectOptions { version: ProtocolVersion::V5, ..connect_options(10) };
    let connack_v5 = [0x20, 0x03, 0x00, 0x00, 0x00];
    let disconnect_to = |url: &str| {
        let mut p = vec![0xE0, (5 + url.len()) as u8, 0x9C, (3 + url.len()) as u8, 0x1C, 0x00, url.len() as u8];
        p.extend_from_slice(url.as_bytes());
        p
    };
    let client = |follow| ClientOptions {
        follow_server_reference: follow,
        websocket_protocols: vec!["mqtt".into()],
        ..ClientOptions::default()
    };
    let mut rig = Rig::new(v5.clone(), client(true));
    rig.start();
    rig.establish(&connack_v5);
    rig.sup.socket_bytes(rig.now, &disconnect_to(OTHER));
    rig.sup.socket_closed(rig.now, 1000, "");
    let (_, events) = rig.next_timeout();
    assert_eq!(events[0], open(OTHER));
    rig.establish(&connack_v5);
    assert_eq!(rig.sup.url(), OTHER);
    rig.sup.socket_closed(rig.now, 1001, "");
    let (_, events) = rig.next_timeout();
    assert_eq!(events[0], open(URL), "back on the client's own list");

    // Not allowed, or not a WebSocket URL: the client stays on its list.
    for (follow, to) in [(false, OTHER), (true, "other.example:1883")] {
        let mut rig = Rig::new(v5.clone(), client(follow));
        rig.start();
        rig.establish(&connack_v5);
        rig.sup.socket_bytes(rig.now, &disconnect_to(to));
        rig.sup.socket_closed(rig.now, 1000, "");
        let (_, events) = rig.next_timeout();
        assert_eq!(events[0], open(URL), "{follow} {to}");
    }
}

// A packet over maximumPacketSize would come again after a reconnect (a retained message, a queued
// QoS 1 one, and an MQTT 3.1.1 broker cannot know the limit): the client stops instead of looping.
#[test]
fn a_packet_over_the_maximum_ends_the_connection_for_good() {
    let mut rig = Rig::connected(connect_options(10), ClientOptions::default());
    let too_large = ClientError::Session(SessionError::IncomingPacketTooLarge { size: 268_435_460, max: 16 << 20 });
    let events = rig.sup.socket_bytes(rig.now, &[0x30, 0xFF, 0xFF, 0xFF, 0x7F]);
    assert_eq!(
        events,
        [E::RequestClose, E::NotifyEnded(too_large.clone()), E::NotifyState(S::Disconnected(too_large))]
    );
    assert_eq!(rig.sup.poll_timeout(), None, "no reconnect armed");
}

/// A rig whose CONNECT names the enhanced authentication method "DEMO" (MQTT 5), its CONNECT sent.
fn authenticating() -> Rig {
    let method = iotmqtt::Authentication { method: "DEMO".into(), data: None };
    let options = ConnectOptions { version: ProtocolVersion::V5, authentication: Some(method), ..connect_options(10) };
    let mut rig = Rig::new(options, ClientOptions::default());
    rig.start();
    rig.sup.socket_opened(rig.now);
    rig.sup.flush(rig.now);
    rig
}

/// The broker's AUTH 0x18 for "DEMO" with the data "s1".
const CHALLENGE: [u8; 16] =
    [0xF0, 0x0E, 0x18, 0x0C, 0x15, 0x00, 0x04, b'D', b'E', b'M', b'O', 0x16, 0x00, 0x02, b's', b'1'];

#[test]
fn the_applications_answer_to_a_challenge_goes_out_at_the_next_microtask() {
    let mut rig = authenticating();
    let challenge = E::NotifyAuthChallenge { round: 1, data: Some(b"s1".to_vec()) };
    assert_eq!(rig.sup.socket_bytes(rig.now, &CHALLENGE), [challenge]);
    // The authenticator takes a second; the connection is idle by then.
    rig.now += 1_000;
    // An answer to another challenge than the last is dropped.
    assert_eq!(rig.sup.authenticate(rig.now, 0, Ok(Some(b"old".to_vec()))), []);
    assert_eq!(rig.sup.authenticate(rig.now, 1, Ok(Some(b"c2".to_vec()))), [E::RequestFlush(Flush::Microtask)]);
    let answer = [0xF0, 0x0E, 0x18, 0x0C, 0x15, 0x00, 0x04, b'D', b'E', b'M', b'O', 0x16, 0x00, 0x02, b'c', b'2'];
    assert_eq!(rig.sup.flush(rig.now), [E::RequestTransmit(answer.to_vec())]);
}

#[test]
fn an_authenticator_that_fails_ends_the_attempt_with_its_reason() {
    let mut rig = authenticating();
    rig.sup.socket_bytes(rig.now, &CHALLENGE);
    rig.now += 1_000;
    let events = rig.sup.authenticate(rig.now, 1, Err("the token expired".into()));
    let why = ClientError::Credentials("the token expired".into());
    // DISCONNECT 0x80 leaves before the close (the flush it asked for finds the socket gone), and
    // the attempt fails for the authenticator's reason.
    assert_eq!(
        events,
        [
            E::RequestFlush(Flush::Microtask),
            E::NotifyConnectFailed(why.clone()),
            E::NotifyState(S::Disconnected(why.clone())),
            E::RequestTransmit(vec![0xE0, 0x01, 0x80]),
            E::RequestClose,
            E::NotifyEnded(why),
        ]
    );
    assert_eq!(rig.sup.poll_timeout(), None);
    // An answer that comes after the connection ended is dropped.
    assert_eq!(rig.sup.authenticate(rig.now, 1, Ok(None)), []);
}
