//! The Things Stack's downlink timelines on one virtual clock: the client's core and the pure
//! downlink tracker against the simulator's application server, whose queue runs on tokio's paused
//! clock moved with the pair's. Rules: docs/platforms/things-stack.md (#downlinks, #downlink-tracking,
//! #downlink-too-long).
#![cfg(not(target_arch = "wasm32"))]

mod pair;

use std::sync::Arc;

use iotmqtt::platforms::things_stack::downlink::{queue_body, Downlink};
use iotmqtt::platforms::things_stack::event::parse_event;
use iotmqtt::platforms::things_stack::topic::{downlink_topic, ApplicationUid, DownlinkOp};
use iotmqtt::platforms::things_stack::tracking::{DownlinkStatus, DownlinkTracker};
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

/// (instant, correlation id, status) of every tracking update the messages since `from` caused.
fn timeline(
    pair: &Pair,
    tracker: &mut DownlinkTracker,
    app: &ApplicationUid,
    from: usize,
) -> Vec<(Millis, String, DownlinkStatus)> {
    let mut out = Vec::new();
    for (e, now) in pair.events[from..].iter().zip(&pair.event_times[from..]) {
        if let Event::NotifyMessage(m) = e {
            let now = *now;
            if let Ok(Some(event)) = parse_event(app, &m.topic, &m.payload) {
                for u in tracker.observe(&event.up) {
                    out.push((now, u.correlation_id, u.status));
                }
            }
        }
    }
    out
}

fn push(pair: &mut Pair, app: &ApplicationUid, device: &str, downlinks: &[Downlink]) {
    let topic = downlink_topic(app, device, DownlinkOp::Push);
    let msg = Outgoing::new(topic, queue_body(downlinks)).qos(QoS::AtLeastOnce);
    let (_, events) = pair.client.publish(pair.now, &msg, None).unwrap();
    pair.apply(events);
}

fn downlink(id: &str, confirmed: bool, bytes: usize) -> Downlink {
    Downlink {
        f_port: 1,
        frm_payload: Some(vec![7; bytes]),
        confirmed,
        correlation_ids: vec![id.to_owned()],
        ..Default::default()
    }
}

// docs/platforms/things-stack.md#downlink-tracking: a confirmed downlink goes queued at once, sent
// one queue delay (20 ms here) later and acked one more later; an unconfirmed one ends at sent; one
// too long for the device's data rate fails with the server's error, in its queue turn.
#[test]
fn downlink_timelines_are_exact_on_the_virtual_clock() {
    let rt = Arc::new(tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap());
    let _context = rt.enter();
    let (mut pair, _shutdown) = application(&rt);
    let app = ApplicationUid::parse("demo-app@ttn").unwrap();
    let (id, events) =
        pair.client.subscribe(pair.now, &[("v3/demo-app@ttn/devices/+/down/#".into(), QoS::AtMostOnce)]).unwrap();
    pair.apply(events);
    assert!(pair.events.iter().any(|e| matches!(e, Event::NotifySubscribed { packet_id, .. } if *packet_id == id)));
    let mut tracker = DownlinkTracker::new();
    tracker.track("iotmqtt:down:c1", "demo-sensor-1", true);
    tracker.track("iotmqtt:down:u1", "demo-sensor-1", false);
    tracker.track("iotmqtt:down:big", "demo-sensor-slow", false);
    let from = pair.events.len();
    let start = pair.now;
    push(
        &mut pair,
        &app,
        "demo-sensor-1",
        &[downlink("iotmqtt:down:c1", true, 4), downlink("iotmqtt:down:u1", false, 4)],
    );
    push(&mut pair, &app, "demo-sensor-slow", &[downlink("iotmqtt:down:big", false, 200)]);
    pair.advance(200);
    let got: Vec<(Millis, String, String)> = timeline(&pair, &mut tracker, &app, from)
        .into_iter()
        .map(|(t, id, s)| (t - start, id, s.name().to_owned()))
        .collect();
    let at = |t: Millis, id: &str, s: &str| (t, id.to_owned(), s.to_owned());
    assert_eq!(
        got,
        [
            at(0, "iotmqtt:down:c1", "queued"),
            at(0, "iotmqtt:down:u1", "queued"),
            at(0, "iotmqtt:down:big", "queued"),
            at(20, "iotmqtt:down:c1", "sent"),
            at(20, "iotmqtt:down:big", "failed"),
            at(40, "iotmqtt:down:c1", "acked"),
            at(60, "iotmqtt:down:u1", "sent"),
        ]
    );
    assert_eq!(tracker.len(), 0, "every downlink reached its final state");
}
