//! Additional-property requests (docs/platforms/cloudplugs.md#properties), pure: CloudPlugs answers
//! on the very topic a request was published to, with no id, so each `PLUG_ID/ag/prop/set|get` topic
//! carries one request at a time; the others wait their turn. The topic is subscribed once (again
//! after a lost connection, the session being clean), the broker's echo of the request is skipped,
//! and a request whose answer does not come within the reply timeout fails. Time is an input.

use std::collections::VecDeque;

use crate::json::{Map, Value};

use super::error::CloudPlugsError;
use super::properties::{read_get_reply, read_set_reply, PropertyReply};
use crate::collections::VecMap;
use crate::supervisor::Millis;

/// Names one request, in `NotifyDone`.
pub type RequestId = u64;

/// What a request asks.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyRequest {
    Set {
        payload: Vec<u8>,
    },
    /// `names`: those asked for, or `None` for all of them.
    Get {
        payload: Vec<u8>,
        names: Option<Vec<String>>,
    },
}

impl PropertyRequest {
    fn payload(&self) -> &[u8] {
        match self {
            Self::Set { payload } | Self::Get { payload, .. } => payload,
        }
    }
}

/// How a request ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyAnswer {
    Set,
    Got(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExchangeEvent {
    /// Subscribe to this topic (QoS 0) and report with `subscribed`.
    RequestSubscribe {
        topic: String,
    },
    /// Publish this request (QoS 0) and report with `published`.
    RequestPublish {
        id: RequestId,
        topic: String,
        payload: Vec<u8>,
    },
    NotifyDone {
        id: RequestId,
        result: Result<PropertyAnswer, CloudPlugsError>,
    },
    /// A shared session: ask for this topic's turn and report with `leased`.
    RequestLease {
        topic: String,
    },
    /// A shared session: give this topic's turn back (or the place in its queue).
    ReleaseLease {
        topic: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscription {
    None,
    Pending,
    Granted,
}

/// A topic's turn in a shared session; always `Held` in a session of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lease {
    Free,
    Asked,
    Held,
}

#[derive(Debug)]
struct Current {
    id: RequestId,
    request: PropertyRequest,
    published: bool,
    deadline: Millis,
}

#[derive(Debug)]
struct Channel {
    subscription: Subscription,
    lease: Lease,
    waiting: VecDeque<(RequestId, PropertyRequest)>,
    current: Option<Current>,
}

pub struct PropertyExchanges {
    reply_timeout_ms: u32,
    shared: bool,
    channels: VecMap<String, Channel>,
    events: VecDeque<ExchangeEvent>,
    next_id: RequestId,
}

impl PropertyExchanges {
    pub fn new(reply_timeout_ms: u32) -> Self {
        Self { reply_timeout_ms, shared: false, channels: VecMap::new(), events: VecDeque::new(), next_id: 0 }
    }

    /// The exchanges of a session the origin's tabs share: each request takes the topic's turn.
    pub fn shared(reply_timeout_ms: u32) -> Self {
        Self { shared: true, ..Self::new(reply_timeout_ms) }
    }

    /// Queues a request on `topic`; it goes when the topic's request before it has ended.
    pub fn request(&mut self, now: Millis, topic: &str, request: PropertyRequest) -> RequestId {
        self.next_id += 1;
        let id = self.next_id;
        if self.channels.get(topic).is_none() {
            let lease = if self.shared { Lease::Free } else { Lease::Held };
            let fresh = Channel { subscription: Subscription::None, lease, waiting: VecDeque::new(), current: None };
            self.channels.insert(topic.to_owned(), fresh);
        }
        if let Some(channel) = self.channels.get_mut(topic) {
            channel.waiting.push_back((id, request));
        }
        self.advance(now, topic);
        id
    }

    /// The SUBACK (or failure) of a `RequestSubscribe`.
    pub fn subscribed(&mut self, now: Millis, topic: &str, result: Result<(), CloudPlugsError>) {
        let Some(channel) = self.channels.get_mut(topic) else { return };
        match result {
            Ok(()) => channel.subscription = Subscription::Granted,
            Err(e) => {
                channel.subscription = Subscription::None;
                if let Some(current) = channel.current.take() {
                    self.events.push_back(ExchangeEvent::NotifyDone { id: current.id, result: Err(e) });
                    self.give_back(topic);
                }
            }
        }
        self.advance(now, topic);
    }

    /// A shared session: the topic's turn is this tab's now (`Ok`), or could not be had: the
    /// requests waiting for it fail.
    pub fn leased(&mut self, now: Millis, topic: &str, result: Result<(), CloudPlugsError>) {
        let Some(channel) = self.channels.get_mut(topic).filter(|c| c.lease == Lease::Asked) else { return };
        match result {
            Ok(()) => channel.lease = Lease::Held,
            Err(e) => {
                channel.lease = Lease::Free;
                for (id, _) in channel.waiting.drain(..) {
                    self.events.push_back(ExchangeEvent::NotifyDone { id, result: Err(e.clone()) });
                }
            }
        }
        self.advance(now, topic);
    }

    /// The outcome of a `RequestPublish`.
    pub fn published(&mut self, now: Millis, id: RequestId, result: Result<(), CloudPlugsError>) {
        let Err(e) = result else { return };
        let topic =
            self.channels.iter().find(|(_, c)| c.current.as_ref().is_some_and(|r| r.id == id)).map(|(t, _)| t.clone());
        let Some(topic) = topic else { return };
        if let Some(current) = self.channels.get_mut(&topic).and_then(|c| c.current.take()) {
            self.events.push_back(ExchangeEvent::NotifyDone { id: current.id, result: Err(e) });
            self.give_back(&topic);
        }
        self.advance(now, &topic);
    }

    /// A message on a property topic; returns false for any other topic. Only the request in
    /// flight is answered, and the broker's copy of it is no answer.
    pub fn handle_message(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        let Some(channel) = self.channels.get_mut(topic) else { return false };
        let Some(current) = channel.current.as_ref().filter(|c| c.published) else { return true };
        let reply = match &current.request {
            PropertyRequest::Set { payload: request } => match read_set_reply(request, payload) {
                PropertyReply::Echo => return true,
                PropertyReply::Answer(r) => r.map(|()| PropertyAnswer::Set),
            },
            PropertyRequest::Get { payload: request, names } => {
                match read_get_reply(request, names.as_deref(), payload) {
                    PropertyReply::Echo => return true,
                    PropertyReply::Answer(r) => r.map(PropertyAnswer::Got),
                }
            }
        };
        let id = current.id;
        channel.current = None;
        self.events.push_back(ExchangeEvent::NotifyDone { id, result: reply });
        self.give_back(topic);
        self.advance(now, topic);
        true
    }

    /// Fails the requests whose answer is overdue at `now`; the next ones on their topics go.
    pub fn handle_timeout(&mut self, now: Millis) {
        let overdue: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, c)| c.current.as_ref().is_some_and(|r| r.deadline <= now))
            .map(|(t, _)| t.clone())
            .collect();
        for topic in overdue {
            if let Some(current) = self.channels.get_mut(&topic).and_then(|c| c.current.take()) {
                let ms = self.reply_timeout_ms;
                let error = CloudPlugsError::Timeout { what: "property request", ms };
                self.events.push_back(ExchangeEvent::NotifyDone { id: current.id, result: Err(error) });
                self.give_back(&topic);
            }
            self.advance(now, &topic);
        }
    }

    /// The connection was lost: the requests in flight fail, subscriptions are gone (the session
    /// is clean), and what waits goes on the next connection.
    pub fn connection_lost(&mut self, error: CloudPlugsError) {
        let mut ended = Vec::new();
        for (topic, channel) in self.channels.iter_mut() {
            channel.subscription = Subscription::None;
            if let Some(current) = channel.current.take() {
                self.events.push_back(ExchangeEvent::NotifyDone { id: current.id, result: Err(error.clone()) });
                ended.push(topic.clone());
            }
        }
        for topic in ended {
            self.give_back(&topic);
        }
    }

    /// Whether the exchanges are a shared session's (`shared`).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Starts the next waiting request of every topic that has none in flight (after a reconnect).
    pub fn resume(&mut self, now: Millis) {
        let topics: Vec<String> = self.channels.keys().cloned().collect();
        for topic in topics {
            self.advance(now, &topic);
        }
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.channels.values().filter_map(|c| c.current.as_ref().map(|r| r.deadline)).min()
    }

    pub fn poll_event(&mut self) -> Option<ExchangeEvent> {
        self.events.pop_front()
    }

    /// Fails everything (the device closed).
    pub fn close(&mut self, error: CloudPlugsError) {
        for (topic, channel) in self.channels.drain() {
            let ids = channel.current.map(|c| c.id).into_iter().chain(channel.waiting.into_iter().map(|(id, _)| id));
            for id in ids {
                self.events.push_back(ExchangeEvent::NotifyDone { id, result: Err(error.clone()) });
            }
            if self.shared && channel.lease != Lease::Free {
                self.events.push_back(ExchangeEvent::ReleaseLease { topic });
            }
        }
    }

    /// A request on `topic` ended: in a shared session its turn goes back, one request per turn.
    fn give_back(&mut self, topic: &str) {
        let Some(channel) = self.channels.get_mut(topic).filter(|c| self.shared && c.lease == Lease::Held) else {
            return;
        };
        channel.lease = Lease::Free;
        self.events.push_back(ExchangeEvent::ReleaseLease { topic: topic.to_owned() });
    }

    /// Moves `topic` on: the next request takes its turn (in a shared session, once the topic's turn
    /// is this tab's), subscribing first if need be.
    fn advance(&mut self, now: Millis, topic: &str) {
        let timeout = u64::from(self.reply_timeout_ms);
        if self.channels.get(topic).is_some_and(|c| c.current.is_none() && c.waiting.is_empty()) {
            return self.give_back(topic);
        }
        let Some(channel) = self.channels.get_mut(topic) else { return };
        if channel.current.is_none() {
            if channel.lease == Lease::Free {
                channel.lease = Lease::Asked;
                self.events.push_back(ExchangeEvent::RequestLease { topic: topic.to_owned() });
            }
            if channel.lease != Lease::Held {
                return;
            }
            let Some((id, request)) = channel.waiting.pop_front() else { return };
            // The reply timeout covers the subscription, the publish and the answer.
            channel.current = Some(Current { id, request, published: false, deadline: now.saturating_add(timeout) });
        }
        match channel.subscription {
            Subscription::None => {
                channel.subscription = Subscription::Pending;
                self.events.push_back(ExchangeEvent::RequestSubscribe { topic: topic.to_owned() });
            }
            Subscription::Pending => {}
            Subscription::Granted => {
                if let Some(current) = channel.current.as_mut().filter(|c| !c.published) {
                    current.published = true;
                    let payload = current.request.payload().to_vec();
                    self.events.push_back(ExchangeEvent::RequestPublish {
                        id: current.id,
                        topic: topic.to_owned(),
                        payload,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExchangeEvent as E;

    const SET: &str = "dev-1/ag/prop/set";
    const GET: &str = "dev-1/ag/prop/get";

    fn drain(x: &mut PropertyExchanges) -> Vec<ExchangeEvent> {
        std::iter::from_fn(|| x.poll_event()).collect()
    }

    fn set(payload: &[u8]) -> PropertyRequest {
        PropertyRequest::Set { payload: payload.to_vec() }
    }

    // docs/platforms/cloudplugs.md#properties: one request per topic at a time, the topic subscribed
    // once, the broker's echo of the request skipped.
    #[test]
    fn requests_on_one_topic_take_turns_and_the_echo_is_no_answer() {
        let mut x = PropertyExchanges::new(5_000);
        let a = x.request(0, SET, set(br#"{"a":1}"#));
        let b = x.request(0, SET, set(br#"{"b":2}"#));
        assert_eq!(drain(&mut x), [E::RequestSubscribe { topic: SET.into() }]);
        x.subscribed(10, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestPublish { id: a, topic: SET.into(), payload: br#"{"a":1}"#.to_vec() }]);
        assert!(x.handle_message(20, SET, br#"{"a":1}"#), "the echo");
        assert_eq!(drain(&mut x), []);
        assert!(x.handle_message(30, SET, b""));
        assert_eq!(
            drain(&mut x),
            [
                E::NotifyDone { id: a, result: Ok(PropertyAnswer::Set) },
                E::RequestPublish { id: b, topic: SET.into(), payload: br#"{"b":2}"#.to_vec() },
            ]
        );
        assert!(!x.handle_message(40, "dev-1/data/temp", b"{}"), "not a property topic");
    }

    #[test]
    fn the_reply_timeout_counts_from_the_request_s_turn_and_the_next_one_goes() {
        let mut x = PropertyExchanges::new(5_000);
        let a = x.request(1_000, GET, PropertyRequest::Get { payload: Vec::new(), names: None });
        x.subscribed(1_000, GET, Ok(()));
        let b = x.request(
            2_000,
            GET,
            PropertyRequest::Get { payload: br#"["x"]"#.to_vec(), names: Some(vec!["x".into()]) },
        );
        drain(&mut x);
        assert_eq!(x.poll_timeout(), Some(6_000));
        x.handle_timeout(5_999);
        assert_eq!(drain(&mut x), []);
        x.handle_timeout(6_000);
        let timeout = CloudPlugsError::Timeout { what: "property request", ms: 5_000 };
        assert_eq!(
            drain(&mut x),
            [
                E::NotifyDone { id: a, result: Err(timeout) },
                E::RequestPublish { id: b, topic: GET.into(), payload: br#"["x"]"#.to_vec() },
            ]
        );
        assert_eq!(x.poll_timeout(), Some(11_000));
    }

    #[test]
    fn a_lost_connection_fails_the_request_in_flight_and_the_next_subscribes_again() {
        let mut x = PropertyExchanges::new(5_000);
        let a = x.request(0, SET, set(b"{}"));
        x.subscribed(0, SET, Ok(()));
        let b = x.request(0, SET, set(br#"{"n":1}"#));
        drain(&mut x);
        let lost = CloudPlugsError::Timeout { what: "test", ms: 0 };
        x.connection_lost(lost.clone());
        assert_eq!(drain(&mut x), [E::NotifyDone { id: a, result: Err(lost) }]);
        x.resume(100);
        assert_eq!(drain(&mut x), [E::RequestSubscribe { topic: SET.into() }]);
        x.subscribed(110, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestPublish { id: b, topic: SET.into(), payload: br#"{"n":1}"#.to_vec() }]);
    }

    #[test]
    fn close_fails_the_request_in_flight_and_those_waiting() {
        let mut x = PropertyExchanges::new(5_000);
        let a = x.request(0, SET, set(b"{}"));
        let b = x.request(0, SET, set(b"{}"));
        drain(&mut x);
        let closed = CloudPlugsError::NoPlugId;
        x.close(closed.clone());
        assert_eq!(
            drain(&mut x),
            [E::NotifyDone { id: a, result: Err(closed.clone()) }, E::NotifyDone { id: b, result: Err(closed) }]
        );
        assert_eq!(x.poll_timeout(), None);
    }

    fn get_all() -> PropertyRequest {
        PropertyRequest::Get { payload: Vec::new(), names: None }
    }

    // A session the tabs share: the topic's turn comes first, one request per turn, and the reply
    // timeout counts from it. What another tab's turn brings on the topic is no answer.
    #[test]
    fn in_a_shared_session_each_request_takes_the_topic_s_turn_and_gives_it_back() {
        let mut x = PropertyExchanges::shared(5_000);
        let a = x.request(0, SET, set(br#"{"a":1}"#));
        let b = x.request(0, SET, set(br#"{"b":2}"#));
        assert_eq!(drain(&mut x), [E::RequestLease { topic: SET.into() }]);
        assert_eq!(x.poll_timeout(), None, "no deadline before the turn");
        assert!(x.handle_message(100, SET, br#"{"z":9}"#), "another tab's request");
        assert!(x.handle_message(100, SET, b""), "and its answer");
        assert_eq!(drain(&mut x), []);
        x.leased(7_000, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestSubscribe { topic: SET.into() }]);
        x.subscribed(7_010, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestPublish { id: a, topic: SET.into(), payload: br#"{"a":1}"#.to_vec() }]);
        assert_eq!(x.poll_timeout(), Some(12_000));
        assert!(x.handle_message(7_020, SET, br#"{"a":1}"#), "the echo");
        assert!(x.handle_message(7_030, SET, b""));
        assert_eq!(
            drain(&mut x),
            [
                E::NotifyDone { id: a, result: Ok(PropertyAnswer::Set) },
                E::ReleaseLease { topic: SET.into() },
                E::RequestLease { topic: SET.into() },
            ]
        );
        x.leased(8_000, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestPublish { id: b, topic: SET.into(), payload: br#"{"b":2}"#.to_vec() }]);
        x.handle_timeout(13_000);
        let timeout = CloudPlugsError::Timeout { what: "property request", ms: 5_000 };
        assert_eq!(
            drain(&mut x),
            [E::NotifyDone { id: b, result: Err(timeout) }, E::ReleaseLease { topic: SET.into() }]
        );
        assert_eq!(x.poll_timeout(), None);
    }

    #[test]
    fn in_a_shared_session_a_turn_refused_fails_those_waiting_and_a_loss_or_close_gives_turns_back() {
        let mut x = PropertyExchanges::shared(5_000);
        let a = x.request(0, GET, get_all());
        let b = x.request(0, GET, get_all());
        drain(&mut x);
        let refused = CloudPlugsError::NoPlugId;
        x.leased(10, GET, Err(refused.clone()));
        assert_eq!(
            drain(&mut x),
            [E::NotifyDone { id: a, result: Err(refused.clone()) }, E::NotifyDone { id: b, result: Err(refused) }]
        );
        x.leased(20, GET, Ok(()));
        assert_eq!(drain(&mut x), [], "a turn not asked for");
        // A lost connection ends the request in flight and gives its turn back; the next one asks
        // again when the connection is back.
        let c = x.request(30, GET, get_all());
        let d = x.request(30, GET, get_all());
        x.leased(40, GET, Ok(()));
        x.subscribed(40, GET, Ok(()));
        drain(&mut x);
        let lost = CloudPlugsError::Timeout { what: "test", ms: 0 };
        x.connection_lost(lost.clone());
        assert_eq!(drain(&mut x), [E::NotifyDone { id: c, result: Err(lost) }, E::ReleaseLease { topic: GET.into() }]);
        x.resume(50);
        assert_eq!(drain(&mut x), [E::RequestLease { topic: GET.into() }]);
        // Close gives back every turn held or asked for.
        let e = x.request(60, SET, set(b"{}"));
        x.leased(60, SET, Ok(()));
        assert_eq!(drain(&mut x), [E::RequestLease { topic: SET.into() }, E::RequestSubscribe { topic: SET.into() }]);
        let closed = CloudPlugsError::NoPlugId;
        x.close(closed.clone());
        assert_eq!(
            drain(&mut x),
            [
                E::NotifyDone { id: d, result: Err(closed.clone()) },
                E::ReleaseLease { topic: GET.into() },
                E::NotifyDone { id: e, result: Err(closed) },
                E::ReleaseLease { topic: SET.into() },
            ]
        );
    }
}
