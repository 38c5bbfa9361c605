//! The supervisor's timers as absolute deadlines on the caller's clock: one per kind, re-arming a
//! kind moves it. The shell arms a single real timer for the earliest (quinn-proto's `poll_timeout`).

use crate::collections::VecMap;
use crate::session::TimerKind;

/// Milliseconds on the shell's monotonic clock; only differences matter.
pub type Millis = u64;

#[derive(Debug, Default)]
pub struct Deadlines(VecMap<TimerKind, Millis>);

impl Deadlines {
    pub fn set(&mut self, kind: TimerKind, at: Millis) {
        self.0.insert(kind, at);
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        self.0.remove(&kind);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn get(&self, kind: TimerKind) -> Option<Millis> {
        self.0.get(&kind).copied()
    }

    /// The earliest deadline, if any timer is armed.
    pub fn next(&self) -> Option<Millis> {
        self.0.values().min().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The kinds due at `now`, earliest first (ties in the order they were armed).
    pub fn due(&self, now: Millis) -> Vec<TimerKind> {
        // At most four kinds: picked by scanning, which keeps a sort instance out of the package.
        let mut left: Vec<(Millis, TimerKind)> =
            self.0.iter().filter(|(_, at)| **at <= now).map(|(k, at)| (*at, *k)).collect();
        let mut due = Vec::with_capacity(left.len());
        while let Some(&(at, kind)) = left.iter().min_by_key(|(at, _)| *at) {
            left.retain(|&(a, k)| (a, k) != (at, kind));
            due.push(kind);
        }
        due
    }

    /// Disarms `kind` and returns true if it is still due at `now`.
    pub fn take_if_due(&mut self, kind: TimerKind, now: Millis) -> bool {
        match self.get(kind) {
            Some(at) if at <= now => {
                self.cancel(kind);
                true
            }
            _ => false,
        }
    }
}
