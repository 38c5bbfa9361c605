//! One application's MQTT integration with The Things Stack, pure (docs/platforms/things-stack.md):
//! a push or replace of downlinks is validated, given correlation ids, tracked before it is
//! published (`down/queued` can arrive before the PUBACK), and sent once the device's `down/#`
//! events are subscribed (one SUBSCRIBE per device, however many pushes ask at once); the events
//! that follow become per-downlink updates. The randomness of the ids is an input.

use std::collections::VecDeque;

use super::downlink::{queue_body, Downlink};
use super::error::ThingsStackError;
use super::head::EventHead;
use super::topic::{downlink_topic, validate_id, ApplicationUid, DownlinkOp};
use super::tracking::{new_correlation_id, DownlinkTracker, TrackingUpdate};
use crate::collections::VecMap;
use crate::platforms::subscriptions::{LazySubscriptions, Need};

/// Names one push or replace, in `NotifySent`.
pub type OpId = u64;

#[derive(Debug, Clone, PartialEq)]
pub enum ApplicationEvent {
    /// Subscribe (QoS 0) and report with `subscribed`.
    RequestSubscribe { filter: String },
    /// Publish at QoS 1 and report with `published`.
    RequestPublish { op: OpId, topic: String, payload: Vec<u8> },
    /// A push or replace was accepted by the server (PUBACK), or failed.
    NotifySent { op: OpId, result: Result<(), ThingsStackError> },
    /// News of one tracked downlink.
    NotifyDownlink(TrackingUpdate),
}

#[derive(Debug)]
struct Send {
    topic: String,
    payload: Vec<u8>,
    correlation_ids: Vec<String>,
}

pub struct ApplicationSession {
    app: ApplicationUid,
    tracker: DownlinkTracker,
    watched: LazySubscriptions<OpId>,
    sends: VecMap<OpId, Send>,
    events: VecDeque<ApplicationEvent>,
    next_op: OpId,
    downlinks_sent: u64,
}

impl ApplicationSession {
    pub fn new(app: ApplicationUid) -> Self {
        Self {
            app,
            tracker: DownlinkTracker::new(),
            watched: LazySubscriptions::default(),
            sends: VecMap::new(),
            events: VecDeque::new(),
            next_op: 0,
            downlinks_sent: 0,
        }
    }

    pub fn application(&self) -> &ApplicationUid {
        &self.app
    }

    /// Pushes (or replaces the queue with) `downlinks`. Returns the operation and each downlink's
    /// correlation id, in order; `random` makes the ids unique across pages.
    pub fn send(
        &mut self,
        device_id: &str,
        downlinks: &[Downlink],
        op: DownlinkOp,
        random: u64,
    ) -> Result<(OpId, Vec<String>), ThingsStackError> {
        validate_id("device id", device_id)?;
        for d in downlinks {
            d.validate()?;
        }
        let mut outgoing = downlinks.to_vec();
        let mut ids = Vec::with_capacity(outgoing.len());
        for d in &mut outgoing {
            self.downlinks_sent += 1;
            let id = new_correlation_id(random, self.downlinks_sent);
            d.correlation_ids.push(id.clone());
            // Tracked before publishing: `down/queued` can arrive before the PUBACK.
            self.tracker.track(&id, device_id, d.confirmed);
            ids.push(id);
        }
        self.next_op += 1;
        let op_id = self.next_op;
        let filter = format!("v3/{}/devices/{device_id}/down/#", self.app.uid());
        let send = Send {
            topic: downlink_topic(&self.app, device_id, op),
            payload: queue_body(&outgoing),
            correlation_ids: ids.clone(),
        };
        self.sends.insert(op_id, send);
        match self.watched.need(&filter, op_id) {
            Need::Ready => self.publish(op_id),
            Need::Wait => {}
            Need::Subscribe => self.events.push_back(ApplicationEvent::RequestSubscribe { filter }),
        }
        Ok((op_id, ids))
    }

    /// The SUBACK (or failure) of a `RequestSubscribe`.
    pub fn subscribed(&mut self, filter: &str, result: Result<(), ThingsStackError>) {
        self.subscribed_with(filter, result.map_err(|e| move || e.clone()));
    }

    /// [`Self::subscribed`], each operation a failure ends getting `error()`'s error: the JS
    /// shell's core passes a maker, so no error is cloned there (a `Clone` of the error types is
    /// 0.3 KB of its wasm).
    pub fn subscribed_with(&mut self, filter: &str, result: Result<(), impl Fn() -> ThingsStackError>) {
        for op in self.watched.settled(filter, result.is_ok()) {
            match &result {
                Ok(()) => self.publish(op),
                Err(error) => self.fail(op, error()),
            }
        }
    }

    /// The outcome of a `RequestPublish`: a failure forgets the downlinks it carried.
    pub fn published(&mut self, op: OpId, result: Result<(), ThingsStackError>) {
        match result {
            Ok(()) => {
                self.sends.remove(&op);
                self.events.push_back(ApplicationEvent::NotifySent { op, result: Ok(()) });
            }
            Err(e) => self.fail(op, e),
        }
    }

    /// An event of the application: the tracked downlinks it concerns move on.
    pub fn handle_event(&mut self, event: &EventHead) {
        for update in self.tracker.observe(event) {
            self.events.push_back(ApplicationEvent::NotifyDownlink(update));
        }
    }

    /// Nobody waits for this downlink's news any more.
    pub fn forget(&mut self, correlation_id: &str) {
        self.tracker.forget(correlation_id);
    }

    /// Downlinks still waiting for news.
    pub fn tracked(&self) -> usize {
        self.tracker.len()
    }

    pub fn poll_event(&mut self) -> Option<ApplicationEvent> {
        self.events.pop_front()
    }

    /// Forgets everything (the application closed).
    pub fn close(&mut self) {
        self.tracker = DownlinkTracker::new();
        self.watched.clear();
        self.sends.clear();
    }

    fn publish(&mut self, op: OpId) {
        if let Some(send) = self.sends.get(&op) {
            let (topic, payload) = (send.topic.clone(), send.payload.clone());
            self.events.push_back(ApplicationEvent::RequestPublish { op, topic, payload });
        }
    }

    fn fail(&mut self, op: OpId, error: ThingsStackError) {
        if let Some(send) = self.sends.remove(&op) {
            for id in &send.correlation_ids {
                self.tracker.forget(id);
            }
        }
        self.events.push_back(ApplicationEvent::NotifySent { op, result: Err(error) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ClientError, SessionError};
    use ApplicationEvent as E;

    fn session() -> ApplicationSession {
        ApplicationSession::new(ApplicationUid::parse("demo-app@ttn").unwrap())
    }

    fn downlink() -> Downlink {
        Downlink { f_port: 1, frm_payload: Some(vec![1]), confirmed: true, ..Default::default() }
    }

    fn drain(s: &mut ApplicationSession) -> Vec<ApplicationEvent> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    const DOWN: &str = "v3/demo-app@ttn/devices/dev-1/down/#";

    #[test]
    fn a_refused_subscription_fails_every_push_waiting_for_it_and_forgets_their_downlinks() {
        let mut s = session();
        let (a, _) = s.send("dev-1", &[downlink()], DownlinkOp::Push, 1).unwrap();
        let (b, _) = s.send("dev-1", &[downlink(), downlink()], DownlinkOp::Push, 1).unwrap();
        assert_eq!(drain(&mut s), [E::RequestSubscribe { filter: DOWN.into() }]);
        assert_eq!(s.tracked(), 3, "tracked before anything is published");
        let refused = ThingsStackError::Client(ClientError::Session(SessionError::NotConnected));
        s.subscribed(DOWN, Err(refused.clone()));
        assert_eq!(
            drain(&mut s),
            [E::NotifySent { op: a, result: Err(refused.clone()) }, E::NotifySent { op: b, result: Err(refused) }]
        );
        assert_eq!(s.tracked(), 0);
    }

    #[test]
    fn a_push_after_the_subscription_is_published_at_once_and_a_failed_publish_forgets_it() {
        let mut s = session();
        let (a, _) = s.send("dev-1", &[downlink()], DownlinkOp::Push, 1).unwrap();
        drain(&mut s);
        s.subscribed(DOWN, Ok(()));
        let published = drain(&mut s);
        assert!(
            matches!(published.as_slice(), [E::RequestPublish { op, topic, .. }] if *op == a && topic == "v3/demo-app@ttn/devices/dev-1/down/push"),
            "{published:?}"
        );
        let (b, _) = s.send("dev-1", &[downlink()], DownlinkOp::Replace, 1).unwrap();
        let events = drain(&mut s);
        assert!(
            matches!(events.as_slice(), [E::RequestPublish { op, topic, .. }] if *op == b && topic.ends_with("/down/replace")),
            "{events:?}"
        );
        s.published(b, Err(ThingsStackError::Client(ClientError::Closed)));
        assert_eq!(s.tracked(), 1, "only the first push's downlink is still tracked");
    }

    #[test]
    fn an_invalid_downlink_or_device_id_is_refused_before_anything() {
        let mut s = session();
        assert!(s.send("Bad Id", &[downlink()], DownlinkOp::Push, 1).is_err());
        let no_port = Downlink { f_port: 0, frm_payload: Some(vec![1]), ..Default::default() };
        assert!(s.send("dev-1", &[no_port], DownlinkOp::Push, 1).is_err());
        assert_eq!(drain(&mut s), []);
        assert_eq!(s.tracked(), 0);
    }
}
