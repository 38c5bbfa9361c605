//! The Things Stack's downlink timelines on one virtual clock: the client's core and the pure
//! downlink tracker against the simulator's application server, whose queue runs on tokio's paused
//! clock moved with the pair's. Rules: docs/platforms/things-stack.md (#downlinks, #downlink-tracking,
//! #downlink-too-long).
#![cfg(not(target_arch = "wasm32"))]

mod pair;

use std::sync::Arc;

use iotmqtt::platforms::things_stack::downlink::Downlink;
use iotmqtt::platforms::things_stack::event::parse_event;
use iotmqtt::platforms::things_stack::session::{ApplicationEvent, ApplicationSession, OpId};
use iotmqtt::platforms::things_stack::topic::{ApplicationUid, DownlinkOp};
use iotmqtt::platforms::things_stack::ThingsStackError;
use iotmqtt::supervisor::{Event, Millis};
use iotmqtt::{ClientOptions, ConnectOptions, Outgoing, QoS};
use iotmqtt_sim::things_stack::{ThingsStack, ThingsStackGate};
use pair::Pair;

/// A pair logged in to the simulator's demo application, with the simulator's clock attached.
fn application(rt: &Arc<tokio::runtime::Runtime>) -> (Pair, tokio::sync::watch::Sender<bool>) {
    iotmqtt_sim::log::set_quiet(true);
    let config = iotmqtt_sim::SimConfig::for_tests();
    let (shutdown, stop) = tokio::sync::watch::channel(false);
    let tts: Arc<ThingsStack> = ThingsStack::new(&config.thethingsstack, &config.timings, stop);
    let options = ConnectOptions {
        client_id: "pair-app".into(),
        username: Some("demo-app@ttn".into()),
        password: Some("NNSXS.DEMOKEY.SIMULATOR".into()),
        keepalive_secs: 60,
        ..Default::default()
    };
    let mut pair = Pair::new(Arc::new(ThingsStackGate(tts)), options, ClientOptions::default());
    let rt = rt.clone();
    pair.sim_clock = Some(Box::new(move |ms: Millis| {
        // Runtime::block_on, not Handle::block_on: only it drives a current-thread runtime's timers.
        rt.block_on(async {
            // Tasks spawned since the last tick start at the instant they were spawned, then the
            // clock moves and the tasks whose timers are now due run.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            tokio::time::advance(std::time::Duration::from_millis(ms)).await;
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        });
    }));
    pair.connect();
    (pair, shutdown)
}

/// The pure application session over the pair: its requests carried out on the client, the
/// client's SUBACKs, PUBACKs and messages reported back, every downlink update kept with its instant.
struct AppPair {
    pair: Pair,
    core: ApplicationSession,
    cursor: usize,
    subscribes: Vec<(u16, String)>,
    publishes: Vec<(u64, OpId)>,
    updates: Vec<(Millis, String, String)>,
    sent: Vec<(OpId, Result<(), ThingsStackError>)>,
    subscribe_requests: usize,
}

impl AppPair {
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while self.cursor < self.pair.events.len() {
                let (event, at) = (self.pair.events[self.cursor].clone(), self.pair.event_times[self.cursor]);
                self.cursor += 1;
                moved = true;
                match event {
                    Event::NotifySubscribed { packet_id, results } => {
                        if let Some(i) = self.subscribes.iter().position(|(id, _)| *id == packet_id) {
                            let (_, filter) = self.subscribes.remove(i);
                            let result = results[0].clone().map(drop).map_err(ThingsStackError::from);
                            self.core.subscribed(&filter, result);
                        }
                    }
                    Event::NotifyPublishCompleted { token, result } => {
                        if let Some(i) = self.publishes.iter().position(|(t, _)| *t == token) {
                            let (_, op) = self.publishes.remove(i);
                            self.core.published(op, result.map_err(ThingsStackError::from));
                        }
                    }
                    Event::NotifyMessage(m) => {
                        if let Ok(Some(event)) = parse_event(self.core.application(), &m.topic, &m.payload) {
                            self.core.handle_event(&event.head);
                            self.core_events(at);
                        }
                    }
                    _ => {}
                }
            }
            let now = self.pair.now;
            moved |= self.core_events(now);
            if !moved {
                break;
            }
        }
    }

    /// Carries out what the core asks; downlink updates are kept with `at`, the instant of the
    /// message that caused them. Returns whether there was anything.
    fn core_events(&mut self, at: Millis) -> bool {
        let mut any = false;
        while let Some(event) = self.core.poll_event() {
            any = true;
            let now = self.pair.now;
            match event {
                ApplicationEvent::RequestSubscribe { filter } => {
                    self.subscribe_requests += 1;
                    let (id, events) = self.pair.client.subscribe(now, &[(filter.clone(), QoS::AtMostOnce)]).unwrap();
                    self.subscribes.push((id, filter));
                    self.pair.apply(events);
                }
                ApplicationEvent::RequestPublish { op, topic, payload } => {
                    let msg = Outgoing::new(topic, payload).qos(QoS::AtLeastOnce);
                    let (ticket, events) = self.pair.client.publish(now, &msg, None).unwrap();
                    self.publishes.push((ticket.token, op));
                    self.pair.apply(events);
                }
                ApplicationEvent::NotifySent { op, result } => self.sent.push((op, result)),
                ApplicationEvent::NotifyDownlink(u) => {
                    self.updates.push((at, u.correlation_id, u.status.name().to_owned()))
                }
            }
        }
        any
    }

    fn advance(&mut self, ms: Millis) {
        for _ in 0..ms {
            self.pair.advance(1);
            self.pump();
        }
    }
}

fn downlink(confirmed: bool, bytes: usize) -> Downlink {
    Downlink { f_port: 1, frm_payload: Some(vec![7; bytes]), confirmed, ..Default::default() }
}

// docs/platforms/things-stack.md#downlink-tracking: a confirmed downlink goes queued at once, sent
// one queue delay (20 ms here) later and acked one more later; an unconfirmed one ends at sent; one
// too long for the device's data rate fails with the server's error, in its queue turn. Two pushes
// to one device at once share one SUBSCRIBE of its down/# events.
#[test]
fn downlink_timelines_are_exact_on_the_virtual_clock() {
    let rt = Arc::new(tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap());
    let _context = rt.enter();
    let (pair, _shutdown) = application(&rt);
    let app = ApplicationUid::parse("demo-app@ttn").unwrap();
    let cursor = pair.events.len();
    let mut p = AppPair {
        pair,
        core: ApplicationSession::new(app),
        cursor,
        subscribes: Vec::new(),
        publishes: Vec::new(),
        updates: Vec::new(),
        sent: Vec::new(),
        subscribe_requests: 0,
    };
    let start = p.pair.now;
    let (first, c1) = p.core.send("demo-sensor-1", &[downlink(true, 4)], DownlinkOp::Push, 1).unwrap();
    let (second, u1) = p.core.send("demo-sensor-1", &[downlink(false, 4)], DownlinkOp::Push, 1).unwrap();
    let (third, big) = p.core.send("demo-sensor-slow", &[downlink(false, 200)], DownlinkOp::Push, 1).unwrap();
    p.pump();
    p.advance(200);
    assert_eq!(p.subscribe_requests, 2, "one per device");
    assert_eq!(p.sent, [(first, Ok(())), (second, Ok(())), (third, Ok(()))]);
    let at = |t: Millis, id: &str, s: &str| (start + t, id.to_owned(), s.to_owned());
    assert_eq!(
        p.updates,
        [
            at(0, &c1[0], "queued"),
            at(0, &u1[0], "queued"),
            at(0, &big[0], "queued"),
            at(20, &c1[0], "sent"),
            at(20, &big[0], "failed"),
            at(40, &c1[0], "acked"),
            at(60, &u1[0], "sent"),
        ]
    );
    assert_eq!(p.core.tracked(), 0, "every downlink reached its final state");
}
