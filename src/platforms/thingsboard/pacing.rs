//! Pacing publishes within a ThingsBoard session's limits (docs/platforms/thingsboard.md#session-limits):
//! the message, telemetry-message and telemetry-data-point rate windows, and the in-flight window
//! of unacknowledged QoS 1 publishes. Publishes leave in the order they were offered; one that must
//! wait holds back those behind it. Time is an input; `status` says which limit binds and when the
//! next publish may go.

use std::collections::VecDeque;

use super::limits::{RateLimiter, RateWindow, SessionLimits};

/// What a publish counts against: every message, and telemetry messages and data points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Message,
    Telemetry { points: u64 },
}

/// The limit holding the next publish back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Messages,
    TelemetryMessages,
    TelemetryDataPoints,
    InFlight,
}

/// Where pacing stands at one instant, for a user watching it.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingStatus {
    /// Publishes waiting their turn.
    pub queued: usize,
    /// QoS 1 publishes sent and not yet acknowledged, and the window's size.
    pub in_flight: usize,
    pub max_in_flight: usize,
    /// What holds the next publish back, if anything does.
    pub binding: Option<Binding>,
    /// The binding rate window: units used in it now, and its capacity and length.
    pub used: u64,
    pub window: Option<RateWindow>,
    /// When the next publish may go by the rate windows (None: now, or when an acknowledgement comes).
    pub next_at: Option<u64>,
}

impl Binding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::TelemetryMessages => "telemetryMessages",
            Self::TelemetryDataPoints => "telemetryDataPoints",
            Self::InFlight => "inFlight",
        }
    }
}

crate::write_name!(Binding, name);

crate::write_fields!(PacingStatus {
    queued,
    in_flight = "inFlight",
    max_in_flight = "maxInFlight",
    binding,
    used,
    window,
    next_at = "nextAt"
});

#[derive(Debug, Clone)]
struct Waiting {
    ticket: u64,
    budget: Budget,
    in_flight: bool,
}

#[derive(Debug, Clone)]
pub struct Pacer {
    messages: RateLimiter,
    telemetry_messages: RateLimiter,
    telemetry_points: RateLimiter,
    max_in_flight: usize,
    in_flight: usize,
    queue: VecDeque<Waiting>,
    next_ticket: u64,
    /// The tabs sharing the limits (`share`).
    share: u64,
}

impl Pacer {
    pub fn new(limits: &SessionLimits) -> Self {
        let r = &limits.rate_limits;
        Self {
            messages: RateLimiter::new(r.messages.clone()),
            telemetry_messages: RateLimiter::new(r.telemetry_messages.clone()),
            telemetry_points: RateLimiter::new(r.telemetry_data_points.clone()),
            max_in_flight: limits.max_inflight_messages.max(1),
            in_flight: 0,
            queue: VecDeque::new(),
            next_ticket: 0,
            share: 1,
        }
    }

    /// New limits (from `getSessionLimits`): the windows start empty, what waits keeps its place.
    pub fn set_limits(&mut self, limits: &SessionLimits) {
        let fresh = Self::new(limits);
        self.messages = fresh.messages;
        self.telemetry_messages = fresh.telemetry_messages;
        self.telemetry_points = fresh.telemetry_points;
        self.max_in_flight = fresh.max_in_flight;
    }

    /// `tabs` share the device's connection (`crate::shared`): this tab's publishes go at its share
    /// of each rate window and of the in-flight window, at least 1 each. What was sent still counts,
    /// so that tabs joining or leaving lets no burst through.
    #[cfg(feature = "thingsboard-shared")]
    pub fn share(&mut self, tabs: usize) {
        self.share = tabs.max(1) as u64;
    }

    /// Queues a publish; `in_flight`: it takes a slot of the in-flight window until `completed`.
    /// Returns its ticket, which `release` hands back when it may go.
    pub fn offer(&mut self, budget: Budget, in_flight: bool) -> u64 {
        self.next_ticket += 1;
        self.queue.push_back(Waiting { ticket: self.next_ticket, budget, in_flight });
        self.next_ticket
    }

    /// The tickets that may go at `now`, in order; their units are counted and their slots taken.
    pub fn release(&mut self, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(head) = self.queue.front() {
            if self.holds(head, now).is_some() {
                break;
            }
            let Some(head) = self.queue.pop_front() else { break };
            self.messages.record(now, 1);
            if let Budget::Telemetry { points } = head.budget {
                self.telemetry_messages.record(now, 1);
                self.telemetry_points.record(now, points);
            }
            if head.in_flight {
                self.in_flight += 1;
            }
            out.push(head.ticket);
        }
        out
    }

    /// An in-flight publish was acknowledged (or failed): its slot frees.
    pub fn completed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Drops a waiting publish (its caller went away). Returns whether it was waiting.
    pub fn withdraw(&mut self, ticket: u64) -> bool {
        let before = self.queue.len();
        self.queue.retain(|w| w.ticket != ticket);
        before != self.queue.len()
    }

    /// When the head of the queue may go by the rate windows; `None` when nothing waits, or when
    /// only an acknowledgement can free it.
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        let head = self.queue.front()?;
        match self.holds(head, now) {
            Some((Binding::InFlight, _)) | None => None,
            Some((_, wait)) => Some(now + wait),
        }
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The tabs sharing the limits: only a tab of a shared connection has a share (cargo feature
    /// `thingsboard-shared`).
    fn divisor(&self) -> u64 {
        if cfg!(feature = "thingsboard-shared") {
            self.share
        } else {
            1
        }
    }

    /// What holds `w` back at `now`, and for how long (0 for the in-flight window).
    fn holds(&self, w: &Waiting, now: u64) -> Option<(Binding, u64)> {
        let mut worst: Option<(Binding, u64)> = None;
        let mut consider = |binding, wait: u64| {
            if wait > 0 && worst.is_none_or(|(_, w)| wait > w) {
                worst = Some((binding, wait));
            }
        };
        let share = self.divisor();
        consider(Binding::Messages, self.messages.delay_ms(now, 1, share));
        if let Budget::Telemetry { points } = w.budget {
            consider(Binding::TelemetryMessages, self.telemetry_messages.delay_ms(now, 1, share));
            consider(Binding::TelemetryDataPoints, self.telemetry_points.delay_ms(now, points, share));
        }
        if worst.is_none() && w.in_flight && self.in_flight as u64 >= (self.max_in_flight as u64 / share).max(1) {
            return Some((Binding::InFlight, 0));
        }
        worst
    }

    /// Where pacing stands at `now`.
    pub fn status(&self, now: u64) -> PacingStatus {
        let held = self.queue.front().and_then(|w| self.holds(w, now));
        let (used, window) = match held.map(|(b, _)| b) {
            Some(Binding::Messages) => self.messages.fullest(now),
            Some(Binding::TelemetryMessages) => self.telemetry_messages.fullest(now),
            Some(Binding::TelemetryDataPoints) => self.telemetry_points.fullest(now),
            Some(Binding::InFlight) | None => (0, None),
        };
        // A tab of a shared connection: its share of the windows.
        let share = self.divisor();
        PacingStatus {
            queued: self.queue.len(),
            in_flight: self.in_flight,
            max_in_flight: (self.max_in_flight as u64 / share).max(1) as usize,
            binding: held.map(|(b, _)| b),
            used,
            window: window.map(|w| RateWindow { count: (w.count / share).max(1), ..w }),
            next_at: held.and_then(|(b, wait)| (b != Binding::InFlight).then_some(now + wait)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(messages: &str, telemetry: &str, points: &str, in_flight: usize) -> SessionLimits {
        SessionLimits::with_rates(messages, telemetry, points, in_flight).unwrap()
    }

    #[test]
    fn publishes_within_every_window_go_at_once_in_order() {
        let mut p = Pacer::new(&limits("10:1", "10:1", "100:1", 100));
        let tickets: Vec<u64> = (0..5).map(|_| p.offer(Budget::Telemetry { points: 3 }, true)).collect();
        assert_eq!(p.release(0), tickets);
        assert_eq!(p.poll_timeout(0), None);
        assert_eq!(p.in_flight(), 5);
    }

    #[test]
    fn the_head_waits_exactly_until_its_window_frees_and_holds_the_rest_back() {
        let mut p = Pacer::new(&limits("2:1", "", "", 100));
        let t: Vec<u64> = (0..4).map(|_| p.offer(Budget::Message, false)).collect();
        assert_eq!(p.release(0), t[..2]);
        assert_eq!(p.poll_timeout(0), Some(1_000));
        assert_eq!(p.release(999), Vec::<u64>::new());
        assert_eq!(p.release(1_000), t[2..]);
    }

    #[test]
    fn the_in_flight_window_frees_only_on_acknowledgement() {
        let mut p = Pacer::new(&limits("", "", "", 2));
        let t: Vec<u64> = (0..3).map(|_| p.offer(Budget::Message, true)).collect();
        assert_eq!(p.release(0), t[..2]);
        assert_eq!(p.poll_timeout(0), None, "no time frees it");
        assert_eq!(p.release(60_000), Vec::<u64>::new());
        assert_eq!(p.status(60_000).binding, Some(Binding::InFlight));
        p.completed();
        assert_eq!(p.release(60_001), t[2..]);
    }

    // The dashboard's stall: 500 sub-devices, each batch 500 data points, under ThingsBoard's default
    // gateway limits of 6,000 data points a minute: 12 batches go, then the 13th waits for the
    // first to leave the window, exactly 60 s after it went.
    #[test]
    fn data_points_bind_a_gateway_batch_and_status_says_so() {
        let mut p = Pacer::new(&limits("200:1,6000:60", "100:1,3000:60", "6000:60", 100));
        let mut sent = Vec::new();
        for second in 0..20u64 {
            p.offer(Budget::Telemetry { points: 500 }, true);
            let now = second * 1_000;
            for _ in p.release(now) {
                sent.push(now);
                p.completed();
            }
        }
        assert_eq!(sent, (0..12).map(|s| s * 1_000).collect::<Vec<u64>>());
        let status = p.status(19_000);
        assert_eq!(
            status,
            PacingStatus {
                queued: 8,
                in_flight: 0,
                max_in_flight: 100,
                binding: Some(Binding::TelemetryDataPoints),
                used: 6_000,
                window: Some(RateWindow { count: 6_000, period_ms: 60_000 }),
                next_at: Some(60_000),
            }
        );
        assert_eq!(p.release(60_000).len(), 1);
    }

    #[test]
    fn new_limits_keep_the_queue_and_a_withdrawn_publish_leaves_it() {
        let mut p = Pacer::new(&limits("1:1", "", "", 100));
        let a = p.offer(Budget::Message, false);
        let b = p.offer(Budget::Message, false);
        assert_eq!(p.release(0), [a]);
        assert!(p.withdraw(b));
        assert!(!p.withdraw(b));
        let c = p.offer(Budget::Message, false);
        p.set_limits(&limits("5:1", "", "", 100));
        assert_eq!(p.release(1), [c]);
    }

    // A tab of a shared connection paces at its share of the device's limits; a new share keeps
    // what was sent in the windows, so that tabs joining or leaving lets no burst through.
    #[cfg(feature = "thingsboard-shared")]
    #[test]
    fn a_share_of_the_limits_divides_each_window_and_what_was_sent_still_counts() {
        let mut p = Pacer::new(&limits("6:1", "", "", 4));
        let sent: Vec<u64> = (0..4).map(|_| p.offer(Budget::Message, false)).collect();
        assert_eq!(p.release(0), sent);
        let more: Vec<u64> = (0..2).map(|_| p.offer(Budget::Message, false)).collect();
        p.share(2);
        assert_eq!(p.release(999), Vec::<u64>::new(), "4 sent in this second; the share is 3");
        assert_eq!(p.poll_timeout(999), Some(1_000));
        let status = p.status(999);
        assert_eq!((status.used, status.window), (4, Some(RateWindow { count: 3, period_ms: 1_000 })));
        assert_eq!(p.release(1_000), more);
        // Ten tabs: at least one each.
        p.share(10);
        let one = p.offer(Budget::Message, false);
        assert_eq!(p.release(2_000), [one]);
        let two = p.offer(Budget::Message, false);
        assert_eq!(p.release(2_999), Vec::<u64>::new());
        assert_eq!(p.release(3_000), [two]);

        // The in-flight window of 4 shared by 3 tabs: one in flight each.
        let mut p = Pacer::new(&limits("", "", "", 4));
        p.share(3);
        let t: Vec<u64> = (0..2).map(|_| p.offer(Budget::Telemetry { points: 1 }, true)).collect();
        assert_eq!(p.release(0), [t[0]]);
        p.completed();
        assert_eq!(p.release(0), [t[1]]);
        assert_eq!(p.status(0).max_in_flight, 1, "the share, as the dashboard shows it");
        p.share(0);
        let t: Vec<u64> = (0..4).map(|_| p.offer(Budget::Message, true)).collect();
        assert_eq!(p.release(0), t[..3], "alone: 4 in flight, one of them already");
    }
}
