//! The provisioning exchange on its short session (docs/platforms/thingsboard.md#provisioning), pure:
//! once the session is up, SUBSCRIBE `/provision/response`, PUBLISH the request on
//! `/provision/request`, take the first answer. The whole exchange, SUBACK included, must end within
//! the timeout: a server that never answers the SUBSCRIBE (some versions have no case for it in a
//! provision session) fails it in time rather than leaving it waiting. Time is an input.

use std::collections::VecDeque;

use super::error::ThingsBoardError;
use super::provision::{parse_provision_response, ProvisionedCredentials};
use super::topics::{PROVISION_REQUEST, PROVISION_RESPONSE};
use crate::supervisor::Millis;

#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionEvent {
    /// Subscribe to `/provision/response` and report with `subscribed`.
    RequestSubscribe { filter: &'static str },
    /// Publish the request (QoS 1) and report with `published`.
    RequestPublish { topic: &'static str, payload: Vec<u8> },
    /// The exchange ended: close the session.
    NotifyDone(Result<ProvisionedCredentials, ThingsBoardError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Connecting,
    Subscribing,
    Awaiting,
    Done,
}

pub struct ProvisionExchange {
    payload: Vec<u8>,
    timeout_ms: u32,
    step: Step,
    deadline: Option<Millis>,
    events: VecDeque<ProvisionEvent>,
}

impl ProvisionExchange {
    /// `payload`: the request's JSON (`ProvisionRequest::to_payload`).
    pub fn new(payload: Vec<u8>, timeout_ms: u32) -> Self {
        Self { payload, timeout_ms, step: Step::Connecting, deadline: None, events: VecDeque::new() }
    }

    /// The provision session is up: the exchange starts, and its timeout with it.
    pub fn connected(&mut self, now: Millis) {
        if self.step != Step::Connecting {
            return;
        }
        self.step = Step::Subscribing;
        self.deadline = Some(now.saturating_add(u64::from(self.timeout_ms)));
        self.events.push_back(ProvisionEvent::RequestSubscribe { filter: PROVISION_RESPONSE });
    }

    pub fn subscribed(&mut self, result: Result<(), ThingsBoardError>) {
        if self.step != Step::Subscribing {
            return;
        }
        match result {
            Ok(()) => {
                self.step = Step::Awaiting;
                let payload = self.payload.clone();
                self.events.push_back(ProvisionEvent::RequestPublish { topic: PROVISION_REQUEST, payload });
            }
            Err(e) => self.finish(Err(e)),
        }
    }

    pub fn published(&mut self, result: Result<(), ThingsBoardError>) {
        if let Err(e) = result {
            self.finish(Err(e));
        }
    }

    /// A message of the session: the first on `/provision/response` is the answer.
    pub fn handle_message(&mut self, topic: &str, payload: &[u8]) {
        if topic == PROVISION_RESPONSE && matches!(self.step, Step::Subscribing | Step::Awaiting) {
            self.finish(parse_provision_response(payload));
        }
    }

    /// The session failed or ended before the answer.
    pub fn failed(&mut self, error: ThingsBoardError) {
        self.finish(Err(error));
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        if self.deadline.is_some_and(|d| d <= now) {
            let timeout_ms = self.timeout_ms;
            self.finish(Err(ThingsBoardError::Timeout { what: "provisioning request", timeout_ms }));
        }
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.deadline
    }

    pub fn poll_event(&mut self) -> Option<ProvisionEvent> {
        self.events.pop_front()
    }

    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    fn finish(&mut self, result: Result<ProvisionedCredentials, ThingsBoardError>) {
        if self.step == Step::Done {
            return;
        }
        self.step = Step::Done;
        self.deadline = None;
        self.events.push_back(ProvisionEvent::NotifyDone(result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProvisionEvent as E;

    fn drain(x: &mut ProvisionExchange) -> Vec<ProvisionEvent> {
        std::iter::from_fn(|| x.poll_event()).collect()
    }

    // docs/platforms/thingsboard.md#provisioning: the success answer for an access token.
    #[test]
    fn subscribe_then_publish_then_the_answer_ends_it() {
        let mut x = ProvisionExchange::new(b"{}".to_vec(), 5_000);
        x.connected(100);
        assert_eq!(drain(&mut x), [E::RequestSubscribe { filter: "/provision/response" }]);
        x.subscribed(Ok(()));
        assert_eq!(drain(&mut x), [E::RequestPublish { topic: "/provision/request", payload: b"{}".to_vec() }]);
        x.published(Ok(()));
        x.handle_message(
            "/provision/response",
            br#"{"credentialsType":"ACCESS_TOKEN","credentialsValue":"t0k","status":"SUCCESS"}"#,
        );
        let done = drain(&mut x);
        assert!(matches!(done.as_slice(), [E::NotifyDone(Ok(_))]), "{done:?}");
        assert!(x.is_done());
        assert_eq!(x.poll_timeout(), None);
    }

    // A server that never sends the SUBACK: the exchange still ends at its deadline.
    #[test]
    fn a_subscribe_never_acknowledged_times_out_at_the_deadline() {
        let mut x = ProvisionExchange::new(b"{}".to_vec(), 5_000);
        x.connected(100);
        drain(&mut x);
        assert_eq!(x.poll_timeout(), Some(5_100));
        x.handle_timeout(5_099);
        assert_eq!(drain(&mut x), []);
        x.handle_timeout(5_100);
        let timeout = ThingsBoardError::Timeout { what: "provisioning request", timeout_ms: 5_000 };
        assert_eq!(drain(&mut x), [E::NotifyDone(Err(timeout))]);
        x.handle_message("/provision/response", b"{}");
        assert_eq!(drain(&mut x), [], "nothing after the end");
    }

    #[test]
    fn a_failure_answer_carries_the_server_s_message() {
        let mut x = ProvisionExchange::new(b"{}".to_vec(), 5_000);
        x.connected(0);
        x.subscribed(Ok(()));
        x.handle_message(
            "/provision/response",
            br#"{"errorMsg":"Failed to fetch provision device profile!","status":"NOT_FOUND"}"#,
        );
        let events = drain(&mut x);
        let Some(E::NotifyDone(Err(e))) = events.last() else { panic!("{events:?}") };
        assert!(e.to_string().contains("Failed to fetch provision device profile!"), "{e}");
    }
}
