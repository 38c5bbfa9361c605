//! MQTT 5 request/response (§4.10): a request goes out with a Response Topic and Correlation Data,
//! and its reply is the message that carries the same Correlation Data back. This table makes the
//! correlation data and matches replies to requests; the shell waits and times out.

use super::options::Message;

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
