//! When bytes leave: the send-batching policy. A WebSocket message costs the browser and the broker
//! far more than its bytes, so what one input produces leaves together at the next microtask, and
//! under load (the previous message left less than `BUSY_MS` ago) it waits for a zero-delay tick
//! of the worker clock, gathering the sends of the inputs in between. Past `BATCH_LIMIT` bytes a
//! batch leaves at once.

use super::deadlines::Millis;

/// Bytes past which a batch is sent at once rather than at the next flush.
pub const BATCH_LIMIT: usize = 256 * 1024;
/// A send this soon (ms) after the previous WebSocket message waits for a clock tick.
pub const BUSY_MS: Millis = 2;

/// When the shell should call `Supervisor::flush`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// At the next microtask: after everything the current task hands over.
    Microtask,
    /// At a zero-delay tick of the worker clock: after the tasks already queued.
    Tick,
}

#[derive(Debug, Default)]
pub struct Outbox {
    pending: Vec<u8>,
    scheduled: bool,
    last_flush: Option<Millis>,
    /// Deferring needs a clock that hidden tabs do not throttle (the worker clock).
    may_defer: bool,
}

/// What `push` decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Push {
    /// Nothing to do: a flush is already asked for.
    Waiting,
    /// Ask the shell for a flush.
    Schedule(Flush),
    /// The batch is full: these bytes leave now.
    Send(Vec<u8>),
}

impl Outbox {
    pub fn new(may_defer: bool) -> Self {
        Self { may_defer, ..Self::default() }
    }

    pub fn push(&mut self, now: Millis, bytes: &[u8]) -> Push {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= BATCH_LIMIT {
            self.scheduled = false;
            self.last_flush = Some(now);
            return Push::Send(std::mem::take(&mut self.pending));
        }
        if std::mem::replace(&mut self.scheduled, true) {
            return Push::Waiting;
        }
        let busy = self.last_flush.is_some_and(|at| now.saturating_sub(at) < BUSY_MS);
        Push::Schedule(if self.may_defer && busy { Flush::Tick } else { Flush::Microtask })
    }

    /// The bytes due at an asked-for flush; `None` when that flush was overtaken.
    pub fn flush(&mut self, now: Millis) -> Option<Vec<u8>> {
        if !std::mem::take(&mut self.scheduled) {
            return None;
        }
        self.last_flush = Some(now);
        Some(std::mem::take(&mut self.pending)).filter(|b| !b.is_empty())
    }

    /// Whatever waits, for a socket about to close (a DISCONNECT goes before the close frame).
    pub fn drain(&mut self) -> Option<Vec<u8>> {
        self.scheduled = false;
        Some(std::mem::take(&mut self.pending)).filter(|b| !b.is_empty())
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}
