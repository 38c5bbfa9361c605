//! Lazy subscription: a platform session subscribes to a filter the first time a feature needs it,
//! with one SUBSCRIBE per filter even when two features ask at once; the second waits for the
//! first's SUBACK. A refused or lost SUBSCRIBE leaves the filter unsubscribed, to be asked again.

use crate::collections::{heapsort, VecMap, VecSet};

/// What a feature that needs a filter must do.
#[derive(Debug, PartialEq, Eq)]
pub enum Need {
    /// Already granted: go on.
    Ready,
    /// Send the SUBSCRIBE, then report with `settled`; the waiter is kept and handed back then.
    Subscribe,
    /// A SUBSCRIBE is under way: the waiter is kept and handed back by `settled`.
    Wait,
}

#[derive(Debug)]
pub struct LazySubscriptions<W> {
    granted: VecSet<String>,
    pending: VecMap<String, Vec<W>>,
}

impl<W> Default for LazySubscriptions<W> {
    fn default() -> Self {
        Self { granted: VecSet::new(), pending: VecMap::new() }
    }
}

impl<W> LazySubscriptions<W> {
    /// A feature needs `filter`; `waiter` is kept (and handed back by `settled`) unless the filter
    /// is already granted.
    pub fn need(&mut self, filter: &str, waiter: W) -> Need {
        if self.granted.contains(filter) {
            return Need::Ready;
        }
        if let Some(waiting) = self.pending.get_mut(filter) {
            waiting.push(waiter);
            return Need::Wait;
        }
        self.pending.insert(filter.to_owned(), vec![waiter]);
        Need::Subscribe
    }

    /// The SUBACK (or the failure) of `filter`'s SUBSCRIBE; returns the waiters to tell.
    pub fn settled(&mut self, filter: &str, granted: bool) -> Vec<W> {
        if granted {
            self.granted.insert(filter.to_owned());
        }
        self.pending.remove(filter).unwrap_or_default()
    }

    /// The filters granted, sorted.
    pub fn granted(&self) -> Vec<String> {
        let mut f: Vec<String> = self.granted.iter().cloned().collect();
        heapsort(&mut f);
        f
    }

    /// Forgets everything (the session ended); returns every waiter to fail.
    pub fn clear(&mut self) -> Vec<W> {
        self.granted.clear();
        self.pending.drain().flat_map(|(_, w)| w).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_features_asking_at_once_send_one_subscribe_and_both_learn_the_outcome() {
        let mut s: LazySubscriptions<&str> = LazySubscriptions::default();
        assert_eq!(s.need("v1/devices/me/attributes", "first"), Need::Subscribe);
        assert_eq!(s.need("v1/devices/me/attributes", "second"), Need::Wait);
        assert_eq!(s.need("v1/devices/me/rpc/request/+", "rpc"), Need::Subscribe);
        assert_eq!(s.settled("v1/devices/me/attributes", true), ["first", "second"]);
        assert_eq!(s.need("v1/devices/me/attributes", "third"), Need::Ready);
        assert_eq!(s.granted(), ["v1/devices/me/attributes"]);
    }

    #[test]
    fn a_refused_subscribe_is_asked_again_next_time() {
        let mut s: LazySubscriptions<u8> = LazySubscriptions::default();
        assert_eq!(s.need("f", 1), Need::Subscribe);
        assert_eq!(s.need("f", 2), Need::Wait);
        assert_eq!(s.settled("f", false), [1, 2]);
        assert_eq!(s.need("f", 3), Need::Subscribe);
        assert_eq!(s.clear(), [3]);
        assert!(s.granted().is_empty());
    }
}
