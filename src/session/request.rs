//! MQTT 5 request/response (§4.10): a request goes out with a Response Topic and Correlation Data,
//! and its reply is the message that carries the same Correlation Data back. This table makes the
//! correlation data, decides what a request needs before its publish (`prepare`), and matches replies
//! to requests; the shell waits and times out.

use super::options::{Message, ProtocolVersion};
use super::topic::validate_topic_name;
use super::{Session, SessionError, NEEDS_V5};

/// How long a request waits for its reply, unless told otherwise.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// A request's QoS, unless told otherwise: it should reach the responder.
pub const DEFAULT_QOS: super::QoS = super::QoS::AtLeastOnce;

/// The QoS of the subscription to a response topic (`Prepared::subscribe`).
pub const RESPONSE_QOS: super::QoS = super::QoS::AtLeastOnce;

/// A request, checked and started: what its publish carries, and whether the client must subscribe
/// to its response topic first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub id: u64,
    pub response_topic: String,
    pub correlation: Vec<u8>,
    /// No subscription has the response topic as its filter yet, granted or on its way: SUBSCRIBE to
    /// it at `RESPONSE_QOS`.
    pub subscribe: bool,
}

/// The requests waiting for their reply.
#[derive(Debug, Default)]
pub struct Requests {
    /// Random per client, so that two clients sharing a response topic never take each other's
    /// replies; the request number follows it.
    salt: u64,
    next: u64,
    /// Correlation data and request number of each waiting request.
    waiting: Vec<(Vec<u8>, u64)>,
}

impl Requests {
    pub fn new(salt: u64) -> Self {
        Self { salt, next: 0, waiting: Vec::new() }
    }

    /// A new request: its number and the correlation data its message carries.
    pub fn start(&mut self) -> (u64, Vec<u8>) {
        self.next += 1;
        let mut correlation = self.salt.to_be_bytes().to_vec();
        correlation.extend_from_slice(&self.next.to_be_bytes());
        self.waiting.push((correlation.clone(), self.next));
        (self.next, correlation)
    }

    /// Starts a request on `session`'s connection: MQTT 5 only; its replies come to `response_topic`,
    /// by default `iotmqtt/response/{client id}`, which must be a topic name (`InvalidTopic`).
    /// No formatting here: core's formatter is 5 KB of an npm entry's wasm.
    pub fn prepare(&mut self, session: &Session, response_topic: Option<String>) -> Result<Prepared, SessionError> {
        if session.options().version != ProtocolVersion::V5 {
            return Err(SessionError::InvalidOption { field: "request", reason: NEEDS_V5.into() });
        }
        let response_topic = response_topic.unwrap_or_else(|| {
            let mut topic = String::from("iotmqtt/response/");
            topic.push_str(&session.options().client_id);
            topic
        });
        validate_topic_name(&response_topic)?;
        // One SUBSCRIBE for requests made together: the first one's is on its way for the others.
        let subscribe =
            !session.subscriptions().iter().any(|(f, _)| *f == response_topic) && !session.subscribing(&response_topic);
        let (id, correlation) = self.start();
        Ok(Prepared { id, response_topic, correlation, subscribe })
    }

    /// The request `message` answers, if any; it waits no more, so a repeated reply is no answer.
    pub fn answer(&mut self, message: &Message) -> Option<u64> {
        let data = message.properties.correlation_data.as_deref()?;
        let at = self.waiting.iter().position(|(c, _)| c == data)?;
        Some(self.waiting.swap_remove(at).1)
    }

    /// Forgets a request that timed out or whose publish failed.
    pub fn cancel(&mut self, id: u64) {
        self.waiting.retain(|(_, n)| *n != id);
    }

    /// Requests waiting.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::PublishProperties;

    fn reply(correlation: Option<Vec<u8>>) -> Message {
        Message {
            topic: "r".into(),
            payload: b"ok".to_vec(),
            properties: PublishProperties { correlation_data: correlation, ..Default::default() },
            ..Default::default()
        }
    }

    fn connected(version: ProtocolVersion) -> Session {
        let mut s =
            Session::new(crate::session::ConnectOptions { version, client_id: "c7".into(), ..Default::default() });
        s.connect().unwrap();
        s.feed(if version == ProtocolVersion::V5 {
            &[0x20, 0x03, 0x00, 0x00, 0x00][..]
        } else {
            &[0x20, 0x02, 0x00, 0x00]
        });
        s
    }

    #[test]
    fn a_request_is_mqtt_5_with_a_valid_response_topic_subscribed_once() {
        let mut r = Requests::new(0);
        let e = r.prepare(&connected(ProtocolVersion::V3_1_1), None).unwrap_err();
        assert_eq!(e, SessionError::InvalidOption { field: "request", reason: NEEDS_V5.into() });
        let mut s = connected(ProtocolVersion::V5);
        let p = r.prepare(&s, None).unwrap();
        assert_eq!((p.id, p.response_topic.as_str(), p.subscribe), (1, "iotmqtt/response/c7", true));
        let e = r.prepare(&s, Some("replies/#".into())).unwrap_err();
        assert!(matches!(e, SessionError::InvalidTopic { ref topic, .. } if topic == "replies/#"), "{e:?}");
        // While the first request's SUBSCRIBE is on its way, the next one does not subscribe again,
        // nor does one after the SUBACK.
        let (id, _) = s.subscribe(&[("iotmqtt/response/c7".into(), crate::session::QoS::AtLeastOnce)]).unwrap();
        let p = r.prepare(&s, None).unwrap();
        assert_eq!((p.id, p.subscribe), (2, false));
        let other = r.prepare(&s, Some("replies/c7".into())).unwrap();
        assert_eq!((other.id, other.subscribe), (3, true), "another response topic is another SUBSCRIBE");
        let [hi, lo] = id.to_be_bytes();
        s.feed(&[0x90, 0x04, hi, lo, 0x00, 0x01]);
        let p = r.prepare(&s, None).unwrap();
        assert_eq!((p.id, p.subscribe), (4, false));
        assert_eq!(r.len(), 4, "each prepared request waits for its reply");
    }

    #[test]
    fn a_reply_answers_the_request_with_its_correlation_data_once() {
        let mut r = Requests::new(0x0102_0304_0506_0708);
        let (a, ca) = r.start();
        let (b, cb) = r.start();
        assert_eq!((a, b), (1, 2));
        assert_eq!(ca, [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(r.answer(&reply(Some(cb.clone()))), Some(2));
        assert_eq!(r.answer(&reply(Some(cb))), None, "a repeated reply is no answer");
        assert_eq!(r.answer(&reply(None)), None);
        assert_eq!(r.answer(&reply(Some(vec![9; 16]))), None, "another client's reply");
        assert_eq!(r.len(), 1);
        r.cancel(a);
        assert_eq!(r.answer(&reply(Some(ca))), None, "a timed-out request takes no reply");
        assert!(r.is_empty());
    }
}
