//! Publishes waiting for a connection: kept in order, bounded in messages and bytes, with a policy
//! for when it is full. QoS 1 and 2 messages are never dropped silently.

use std::collections::VecDeque;

use super::options::{OfflineQueueOptions, Outgoing, QoS, QueueFullPolicy};
use crate::session::error::SessionError;

/// A publish with the token its caller waits on.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub token: u64,
    pub message: Outgoing,
}

#[derive(Debug, Default)]
pub struct OfflineQueue {
    options: OfflineQueueOptions,
    items: VecDeque<Queued>,
    bytes: usize,
}

fn cost(m: &Outgoing) -> usize {
    m.topic.len() + m.payload.len()
}

impl OfflineQueue {
    pub fn new(options: OfflineQueueOptions) -> Self {
        Self { options, items: VecDeque::new(), bytes: 0 }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a publish at the back. Returns the tokens of QoS 0 messages dropped to make room,
    /// or an error (and nothing changes) when the policy refuses it.
    pub fn push(&mut self, item: Queued) -> Result<Vec<u64>, SessionError> {
        let size = cost(&item.message);
        let refused =
            || SessionError::OfflineQueueFull { messages: self.options.max_messages, bytes: self.options.max_bytes };
        if size > self.options.max_bytes || self.options.max_messages == 0 {
            return Err(refused());
        }
        // Room for one more message of `size` when `count` messages of `bytes` remain.
        let (max_messages, max_bytes) = (self.options.max_messages, self.options.max_bytes);
        let fits = |count: usize, bytes: usize| count < max_messages && bytes + size <= max_bytes;
        let mut dropped = Vec::new();
        if !fits(self.items.len(), self.bytes) {
            if self.options.policy == QueueFullPolicy::Reject {
                return Err(refused());
            }
            // Find enough QoS 0 messages, oldest first, before touching anything.
            let (mut count, mut bytes) = (self.items.len(), self.bytes);
            let mut victims = Vec::new();
            for (i, q) in self.items.iter().enumerate() {
                if fits(count, bytes) {
                    break;
                }
                if q.message.qos == QoS::AtMostOnce {
                    victims.push(i);
                    count -= 1;
                    bytes -= cost(&q.message);
                }
            }
            if !fits(count, bytes) {
                return Err(refused());
            }
            for i in victims.into_iter().rev() {
                if let Some(q) = self.items.remove(i) {
                    self.bytes -= cost(&q.message);
                    dropped.push(q.token);
                }
            }
            dropped.reverse();
        }
        self.bytes += size;
        self.items.push_back(item);
        Ok(dropped)
    }

    pub fn pop(&mut self) -> Option<Queued> {
        let q = self.items.pop_front()?;
        self.bytes -= cost(&q.message);
        Some(q)
    }

    pub fn drain(&mut self) -> Vec<Queued> {
        self.bytes = 0;
        self.items.drain(..).collect()
    }

    /// Every queued message, in order (for persistence).
    pub fn items(&self) -> impl Iterator<Item = &Queued> {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(qos: QoS, len: usize) -> Outgoing {
        Outgoing::new("t", vec![0u8; len]).qos(qos)
    }

    fn queue(max_messages: usize, max_bytes: usize, policy: QueueFullPolicy) -> OfflineQueue {
        OfflineQueue::new(OfflineQueueOptions { max_messages, max_bytes, policy })
    }

    #[test]
    fn keeps_order_and_counts_bytes() {
        let mut q = queue(10, 1_000, QueueFullPolicy::Reject);
        for token in 1..=3 {
            q.push(Queued { token, message: msg(QoS::AtLeastOnce, 9) }).unwrap();
        }
        assert_eq!((q.len(), q.bytes()), (3, 30));
        assert_eq!(q.pop().map(|q| q.token), Some(1));
        assert_eq!(q.drain().iter().map(|q| q.token).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn reject_policy_refuses_when_full_by_count_or_bytes() {
        let mut q = queue(2, 1_000, QueueFullPolicy::Reject);
        q.push(Queued { token: 1, message: msg(QoS::AtMostOnce, 1) }).unwrap();
        q.push(Queued { token: 2, message: msg(QoS::AtMostOnce, 1) }).unwrap();
        let e = q.push(Queued { token: 3, message: msg(QoS::AtMostOnce, 1) }).unwrap_err();
        assert_eq!(e.code(), "OFFLINE_QUEUE_FULL");
        let mut q = queue(100, 25, QueueFullPolicy::Reject);
        q.push(Queued { token: 1, message: msg(QoS::AtMostOnce, 9) }).unwrap();
        q.push(Queued { token: 2, message: msg(QoS::AtMostOnce, 9) }).unwrap();
        assert!(q.push(Queued { token: 3, message: msg(QoS::AtMostOnce, 9) }).is_err());
        assert_eq!(q.len(), 2, "a refused push changes nothing");
    }

    #[test]
    fn drop_oldest_qos0_makes_room_but_never_drops_qos1() {
        let mut q = queue(3, 1_000, QueueFullPolicy::DropOldestQos0);
        q.push(Queued { token: 1, message: msg(QoS::AtLeastOnce, 1) }).unwrap();
        q.push(Queued { token: 2, message: msg(QoS::AtMostOnce, 1) }).unwrap();
        q.push(Queued { token: 3, message: msg(QoS::AtMostOnce, 1) }).unwrap();
        assert_eq!(q.push(Queued { token: 4, message: msg(QoS::AtLeastOnce, 1) }).unwrap(), [2]);
        assert_eq!(q.items().map(|q| q.token).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(q.push(Queued { token: 5, message: msg(QoS::ExactlyOnce, 1) }).unwrap(), [3]);
        // Only QoS >= 1 left: nothing may be dropped, so the new message is refused.
        let e = q.push(Queued { token: 6, message: msg(QoS::AtMostOnce, 1) }).unwrap_err();
        assert_eq!(e.code(), "OFFLINE_QUEUE_FULL");
        assert_eq!(q.items().map(|q| q.token).collect::<Vec<_>>(), [1, 4, 5]);
    }
}
