//! Waiting for a pushed downlink's news, pure: each downlink's statuses are kept until read, `next`
//! reads one, `outcome` reads up to the final one (a `nacked` is recorded and waiting goes on, since
//! the server may retry a confirmed downlink), each within its timeout. What was read is the
//! downlink's history. Time is an input; one wait per downlink at a time.

use std::collections::VecDeque;

use super::error::ThingsStackError;
use super::tracking::{DownlinkStatus, TrackingUpdate};
use crate::collections::VecMap;
use crate::error::{ClientError, SessionError};
use crate::supervisor::Millis;

/// How long `next` and `outcome` wait when the caller names no timeout.
pub const DEFAULT_WAIT_MS: u32 = 30_000;

/// Names one wait, in its `WaitDone`.
pub type WaitId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitKind {
    /// The next status; none once nothing more can come.
    Next,
    /// The final status.
    Outcome,
}

/// A wait ended: what it read (in order, now in the history) and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitDone {
    pub wait: WaitId,
    pub read: Vec<DownlinkStatus>,
    pub result: Result<Option<DownlinkStatus>, ThingsStackError>,
}

#[derive(Debug)]
struct Downlink {
    confirmed: bool,
    unread: VecDeque<DownlinkStatus>,
    last_read: Option<DownlinkStatus>,
    /// The final status was read.
    finished: bool,
    /// No more statuses will come: the final one arrived, or the application was closed.
    ended: bool,
    wait: Option<Wait>,
}

#[derive(Debug)]
struct Wait {
    id: WaitId,
    kind: WaitKind,
    deadline: Millis,
    timeout_ms: u32,
    read: Vec<DownlinkStatus>,
    /// The last status read before this wait, for a cancel.
    last_before: Option<DownlinkStatus>,
    finished_before: bool,
}

#[derive(Debug, Default)]
pub struct DownlinkWaits {
    downlinks: VecMap<String, Downlink>,
    done: VecDeque<WaitDone>,
    next_wait: WaitId,
}

impl DownlinkWaits {
    pub fn new() -> Self {
        Self::default()
    }

    /// A downlink pushed: its news can be waited for until it is forgotten.
    pub fn watch(&mut self, correlation_id: &str, confirmed: bool) {
        let fresh =
            Downlink { confirmed, unread: VecDeque::new(), last_read: None, finished: false, ended: false, wait: None };
        self.downlinks.insert(correlation_id.to_owned(), fresh);
    }

    /// News of a downlink.
    pub fn update(&mut self, update: &TrackingUpdate) {
        let Some(d) = self.downlinks.get_mut(&update.correlation_id) else { return };
        d.unread.push_back(update.status.clone());
        d.ended |= update.done;
        Self::advance(d, &mut self.done);
    }

    /// Starts a wait on `correlation_id`; it may end at once (see `poll_done`). A second wait on
    /// one downlink while the first is under way is refused, as is an unknown downlink.
    pub fn wait(
        &mut self,
        now: Millis,
        correlation_id: &str,
        kind: WaitKind,
        timeout_ms: u32,
    ) -> Result<WaitId, ThingsStackError> {
        let busy = |reason: &str| {
            ThingsStackError::Client(ClientError::Session(SessionError::InvalidOption {
                field: "downlink",
                reason: reason.into(),
            }))
        };
        let d = self.downlinks.get_mut(correlation_id).ok_or_else(|| busy("no such downlink"))?;
        if d.wait.is_some() {
            return Err(busy("another wait on this downlink is under way"));
        }
        self.next_wait += 1;
        let id = self.next_wait;
        let deadline = now.saturating_add(u64::from(timeout_ms));
        let (last_before, finished_before) = (d.last_read.clone(), d.finished);
        d.wait = Some(Wait { id, kind, deadline, timeout_ms, read: Vec::new(), last_before, finished_before });
        Self::advance(d, &mut self.done);
        Ok(id)
    }

    /// Nobody will ask about this downlink again (its handle is gone, or its push failed); a wait
    /// under way on it ends as if the application had closed.
    pub fn forget(&mut self, correlation_id: &str) {
        if let Some(mut d) = self.downlinks.remove(correlation_id) {
            d.ended = true;
            Self::advance(&mut d, &mut self.done);
        }
    }

    /// A wait nobody waits for any more (its future was dropped): what it read is unread again.
    pub fn cancel(&mut self, wait: WaitId) {
        for (_, d) in self.downlinks.iter_mut() {
            if d.wait.as_ref().is_some_and(|w| w.id == wait) {
                let Some(w) = d.wait.take() else { return };
                for status in w.read.into_iter().rev() {
                    d.unread.push_front(status);
                }
                (d.last_read, d.finished) = (w.last_before, w.finished_before);
                return;
            }
        }
    }

    /// Waits past their deadline fail with `TTS_DOWNLINK_TIMEOUT`.
    pub fn handle_timeout(&mut self, now: Millis) {
        for (id, d) in self.downlinks.iter_mut() {
            if d.wait.as_ref().is_some_and(|w| now >= w.deadline) {
                let Some(w) = d.wait.take() else { continue };
                let last = d.last_read.as_ref().map_or("published", DownlinkStatus::name).to_owned();
                let error =
                    ThingsStackError::DownlinkTimeout { correlation_id: id.clone(), waited_ms: w.timeout_ms, last };
                self.done.push_back(WaitDone { wait: w.id, read: w.read, result: Err(error) });
            }
        }
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        self.downlinks.iter().filter_map(|(_, d)| d.wait.as_ref().map(|w| w.deadline)).min()
    }

    pub fn poll_done(&mut self) -> Option<WaitDone> {
        self.done.pop_front()
    }

    /// The application closed: nothing more will come for any downlink.
    pub fn close(&mut self) {
        for (_, d) in self.downlinks.iter_mut() {
            d.ended = true;
            Self::advance(d, &mut self.done);
        }
    }

    /// Reads what a wait can read, and ends it when it can.
    fn advance(d: &mut Downlink, done: &mut VecDeque<WaitDone>) {
        let Some(w) = d.wait.as_mut() else { return };
        let result = loop {
            if w.kind == WaitKind::Outcome && d.finished {
                break Some(d.last_read.clone().ok_or(ThingsStackError::Client(ClientError::Closed)).map(Some));
            }
            match d.unread.pop_front() {
                Some(status) => {
                    d.finished |= status.is_final(d.confirmed);
                    d.last_read = Some(status.clone());
                    w.read.push(status.clone());
                    if w.kind == WaitKind::Next {
                        break Some(Ok(Some(status)));
                    }
                }
                None if d.ended => {
                    break Some(match w.kind {
                        WaitKind::Next => Ok(None),
                        WaitKind::Outcome => Err(ThingsStackError::Client(ClientError::Closed)),
                    })
                }
                None => break None,
            }
        };
        let Some(result) = result else { return };
        if let Some(w) = d.wait.take() {
            done.push_back(WaitDone { wait: w.id, read: w.read, result });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "iotmqtt:down:1";

    fn update(status: DownlinkStatus, done: bool) -> TrackingUpdate {
        TrackingUpdate { correlation_id: ID.into(), status, done }
    }

    fn all(w: &mut DownlinkWaits) -> Vec<WaitDone> {
        std::iter::from_fn(|| w.poll_done()).collect()
    }

    #[test]
    fn next_reads_one_status_and_none_once_nothing_more_can_come() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, false);
        w.update(&update(DownlinkStatus::Queued, false));
        let first = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        let read = vec![DownlinkStatus::Queued];
        assert_eq!(all(&mut w), [WaitDone { wait: first, read, result: Ok(Some(DownlinkStatus::Queued)) }]);
        let second = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        assert_eq!(all(&mut w), []);
        assert_eq!(w.poll_timeout(), Some(1000));
        w.update(&update(DownlinkStatus::Sent, true));
        let read = vec![DownlinkStatus::Sent];
        assert_eq!(all(&mut w), [WaitDone { wait: second, read, result: Ok(Some(DownlinkStatus::Sent)) }]);
        let third = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        assert_eq!(all(&mut w), [WaitDone { wait: third, read: vec![], result: Ok(None) }]);
    }

    #[test]
    fn outcome_reads_past_a_nack_to_the_final_status() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, true);
        let id = w.wait(0, ID, WaitKind::Outcome, 5000).unwrap();
        for s in [DownlinkStatus::Queued, DownlinkStatus::Sent, DownlinkStatus::Nacked, DownlinkStatus::Sent] {
            w.update(&update(s, false));
        }
        assert_eq!(all(&mut w), []);
        w.update(&update(DownlinkStatus::Acked, true));
        let read = vec![
            DownlinkStatus::Queued,
            DownlinkStatus::Sent,
            DownlinkStatus::Nacked,
            DownlinkStatus::Sent,
            DownlinkStatus::Acked,
        ];
        assert_eq!(all(&mut w), [WaitDone { wait: id, read, result: Ok(Some(DownlinkStatus::Acked)) }]);
    }

    #[test]
    fn a_wait_times_out_naming_the_last_status_read() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, true);
        w.update(&update(DownlinkStatus::Queued, false));
        let id = w.wait(100, ID, WaitKind::Outcome, 400).unwrap();
        assert_eq!(all(&mut w), []);
        w.handle_timeout(499);
        assert_eq!(all(&mut w), []);
        w.handle_timeout(500);
        let error =
            ThingsStackError::DownlinkTimeout { correlation_id: ID.into(), waited_ms: 400, last: "queued".into() };
        assert_eq!(all(&mut w), [WaitDone { wait: id, read: vec![DownlinkStatus::Queued], result: Err(error) }]);
        assert_eq!(w.poll_timeout(), None);
    }

    #[test]
    fn a_cancelled_wait_leaves_what_it_read_unread() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, true);
        let id = w.wait(0, ID, WaitKind::Outcome, 1000).unwrap();
        w.update(&update(DownlinkStatus::Queued, false));
        w.update(&update(DownlinkStatus::Sent, false));
        w.cancel(id);
        assert_eq!(w.poll_timeout(), None);
        let next = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        let read = vec![DownlinkStatus::Queued];
        assert_eq!(all(&mut w), [WaitDone { wait: next, read, result: Ok(Some(DownlinkStatus::Queued)) }]);
    }

    #[test]
    fn a_forgotten_downlink_ends_its_wait_and_takes_no_more() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, false);
        let id = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        w.forget(ID);
        assert_eq!(all(&mut w), [WaitDone { wait: id, read: vec![], result: Ok(None) }]);
        w.update(&update(DownlinkStatus::Sent, true));
        assert_eq!(w.wait(0, ID, WaitKind::Next, 1000).map_err(|e| e.code()), Err("INVALID_OPTION"));
        assert_eq!(w.downlinks.len(), 0);
    }

    #[test]
    fn one_wait_at_a_time_and_close_ends_every_wait() {
        let mut w = DownlinkWaits::new();
        w.watch(ID, true);
        let id = w.wait(0, ID, WaitKind::Outcome, 1000).unwrap();
        assert_eq!(w.wait(0, ID, WaitKind::Next, 1000).map_err(|e| e.code()), Err("INVALID_OPTION"));
        w.close();
        let closed = Err(ThingsStackError::Client(ClientError::Closed));
        assert_eq!(all(&mut w), [WaitDone { wait: id, read: vec![], result: closed }]);
        let next = w.wait(0, ID, WaitKind::Next, 1000).unwrap();
        assert_eq!(all(&mut w), [WaitDone { wait: next, read: vec![], result: Ok(None) }]);
        assert_eq!(w.wait(0, "iotmqtt:down:2", WaitKind::Next, 1000).map_err(|e| e.code()), Err("INVALID_OPTION"));
    }
}
