//! A bounded ring buffer for logs and chart series: the oldest entries go once it is full, so
//! memory stays flat however many messages arrive.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// Everything ever pushed, for counters and keys.
    total: u64,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::with_capacity(capacity.min(4096)), capacity: capacity.max(1), total: 0 }
    }

    /// Adds `item`; returns the oldest one when it had to go to make room.
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.len() == self.capacity { self.items.pop_front() } else { None };
        self.items.push_back(item);
        self.total += 1;
        evicted
    }

    /// Removes the oldest item.
    pub fn pop_oldest(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    /// The index of the first item for which `before` is false, when items are in its order.
    pub fn partition_point(&self, before: impl FnMut(&T) -> bool) -> usize {
        self.items.partition_point(before)
    }

    /// The item at `index`, oldest first.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.items.iter_mut()
    }

    /// Newest first.
    pub fn newest(&self) -> impl Iterator<Item = &T> {
        self.items.iter().rev()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }
}
