//! Enrollment on its own short session (docs/platforms/cloudplugs.md#enrollment), pure: CONNECT with
//! empty credentials, SUBSCRIBE the enrollment topic, and the one reply on it decides. The whole
//! exchange, the connect included, must end within the timeout. A reply already received decides
//! even when the server's close that follows it fails the SUBSCRIBE (both can come in one read).
//! Time is an input.

use std::collections::VecDeque;

use super::enrollment::{parse_enrollment_reply, Credentials};
use super::error::CloudPlugsError;
use crate::supervisor::Millis;

#[derive(Debug, Clone, PartialEq)]
pub enum EnrollmentEvent {
    /// Subscribe (QoS 0) to the enrollment topic and report with `subscribed`.
    RequestSubscribe { topic: String },
    /// The exchange ended: close the session.
    NotifyDone(Result<Credentials, CloudPlugsError>),
}

pub struct EnrollmentExchange {
    topic: String,
    timeout_ms: u32,
    deadline: Millis,
    done: bool,
    events: VecDeque<EnrollmentEvent>,
}

impl EnrollmentExchange {
    /// Starts at `now`, before the session connects: the timeout covers the connect too.
    pub fn new(now: Millis, topic: String, timeout_ms: u32) -> Self {
        let deadline = now.saturating_add(u64::from(timeout_ms));
        Self { topic, timeout_ms, deadline, done: false, events: VecDeque::new() }
    }

    pub fn connected(&mut self) {
        if !self.done {
            self.events.push_back(EnrollmentEvent::RequestSubscribe { topic: self.topic.clone() });
        }
    }

    pub fn subscribed(&mut self, result: Result<(), CloudPlugsError>) {
        if let Err(e) = result {
            self.finish(Err(e));
        }
    }

    pub fn handle_message(&mut self, topic: &str, payload: &[u8]) {
        if topic == self.topic {
            self.finish(parse_enrollment_reply(payload));
        }
    }

    /// The session failed (refused, closed) before the reply.
    pub fn failed(&mut self, error: CloudPlugsError) {
        self.finish(Err(error));
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if now >= self.deadline {
            let ms = self.timeout_ms;
            self.finish(Err(CloudPlugsError::Timeout { what: "enrollment reply", ms }));
        }
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        (!self.done).then_some(self.deadline)
    }

    pub fn poll_event(&mut self) -> Option<EnrollmentEvent> {
        self.events.pop_front()
    }

    fn finish(&mut self, result: Result<Credentials, CloudPlugsError>) {
        if !std::mem::replace(&mut self.done, true) {
            self.events.push_back(EnrollmentEvent::NotifyDone(result));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrollmentEvent as E;

    const TOPIC: &str = "DEMO-MODEL/thing/demo-pass";

    fn drain(x: &mut EnrollmentExchange) -> Vec<EnrollmentEvent> {
        std::iter::from_fn(|| x.poll_event()).collect()
    }

    #[test]
    fn the_reply_decides_even_when_the_close_after_it_fails_the_subscribe() {
        let mut x = EnrollmentExchange::new(0, TOPIC.into(), 5_000);
        x.connected();
        assert_eq!(drain(&mut x), [E::RequestSubscribe { topic: TOPIC.into() }]);
        x.handle_message(TOPIC, br#"{"id":"dev-1","auth":"secret"}"#);
        x.subscribed(Err(CloudPlugsError::NoPlugId));
        let events = drain(&mut x);
        assert!(matches!(events.as_slice(), [E::NotifyDone(Ok(_))]), "{events:?}");
        assert_eq!(x.poll_timeout(), None);
    }

    #[test]
    fn the_timeout_counts_from_before_the_connect() {
        let mut x = EnrollmentExchange::new(1_000, TOPIC.into(), 5_000);
        assert_eq!(x.poll_timeout(), Some(6_000));
        x.handle_timeout(5_999);
        assert_eq!(drain(&mut x), []);
        x.handle_timeout(6_000);
        let timeout = CloudPlugsError::Timeout { what: "enrollment reply", ms: 5_000 };
        assert_eq!(drain(&mut x), [E::NotifyDone(Err(timeout))]);
        x.connected();
        assert_eq!(drain(&mut x), [], "nothing after the end");
    }
}
