//! Session limits (`getSessionLimits`, docs/platforms/thingsboard.md#session-limits) and a pure rate limiter for the
//! `count:seconds` windows, so the device waits instead of being disconnected. Time is passed in.

use std::collections::VecDeque;

use crate::json::Value;

use super::error::ThingsBoardError;

/// One window: at most `count` units per `period_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub count: u64,
    pub period_ms: u64,
}

const MAX_WINDOW_SECS: u64 = 365 * 24 * 3600;

/// Parses `"200:1,6000:60,14000:3600"`.
pub fn parse_rate_windows(text: &str) -> Result<Vec<RateWindow>, ThingsBoardError> {
    let invalid = || ThingsBoardError::InvalidPayload {
        what: "rate limit",
        detail: format!("{} is not count:seconds,...", crate::json::quoted(text)),
    };
    text.split(',')
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            let (count, secs) = w.trim().split_once(':').ok_or_else(invalid)?;
            let count: u64 = count.trim().parse().map_err(|_| invalid())?;
            let secs: u64 = secs.trim().parse().map_err(|_| invalid())?;
            if count == 0 || secs == 0 {
                return Err(invalid());
            }
            // A year is far beyond any real window: longer ones count as a year, so that the
            // limiter's clock cannot overflow (and the other limits are kept).
            Ok(RateWindow { count, period_ms: secs.min(MAX_WINDOW_SECS) * 1000 })
        })
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimits {
    pub messages: Vec<RateWindow>,
    pub telemetry_messages: Vec<RateWindow>,
    pub telemetry_data_points: Vec<RateWindow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionLimits {
    pub max_payload_size: usize,
    pub max_inflight_messages: usize,
    pub rate_limits: RateLimits,
}

crate::write_fields!(RateWindow { count, period_ms });

crate::write_fields!(RateLimits {
    messages,
    telemetry_messages = "telemetryMessages",
    telemetry_data_points = "telemetryDataPoints"
});

crate::write_fields!(SessionLimits {
    max_payload_size = "maxPayloadSize",
    max_inflight_messages = "maxInflightMessages",
    rate_limits = "rateLimits"
});

impl SessionLimits {
    /// ThingsBoard's default payload size with these windows (`"count:seconds,..."` each) and
    /// in-flight window, as `getSessionLimits` would announce them.
    pub fn with_rates(
        messages: &str,
        telemetry_messages: &str,
        telemetry_data_points: &str,
        max_inflight_messages: usize,
    ) -> Result<Self, ThingsBoardError> {
        Ok(Self {
            max_inflight_messages,
            rate_limits: RateLimits {
                messages: parse_rate_windows(messages)?,
                telemetry_messages: parse_rate_windows(telemetry_messages)?,
                telemetry_data_points: parse_rate_windows(telemetry_data_points)?,
            },
            ..Self::default()
        })
    }

    /// The most payload bytes one PUBLISH to `topic` may carry. ThingsBoard's max payload size
    /// bounds the packet's whole remaining length (Netty's `MqttDecoder`), so the topic, its length
    /// prefix, the packet id and MQTT 5's property length come off it.
    pub fn payload_budget(&self, topic: &str) -> usize {
        self.max_payload_size.saturating_sub(topic.len() + 5)
    }
}

impl Default for SessionLimits {
    /// ThingsBoard's defaults until the server says otherwise.
    fn default() -> Self {
        Self { max_payload_size: 65_536, max_inflight_messages: 100, rate_limits: RateLimits::default() }
    }
}

pub fn parse_session_limits(value: &Value) -> Result<SessionLimits, ThingsBoardError> {
    let invalid = |detail: &str| ThingsBoardError::InvalidPayload { what: "session limits", detail: detail.into() };
    // Beyond usize (on wasm32, 2^32) means no limit that matters, not a wrapped-around one.
    let number = |k: &str| {
        value.get(k).and_then(Value::as_u64).map(|n| usize::try_from(n).unwrap_or(usize::MAX)).ok_or_else(|| invalid(k))
    };
    let windows = |k: &str| match value.get("rateLimits").and_then(|r| r.get(k)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => parse_rate_windows(s),
        Some(_) => Err(invalid(k)),
    };
    Ok(SessionLimits {
        max_payload_size: number("maxPayloadSize")?,
        max_inflight_messages: number("maxInflightMessages")?,
        rate_limits: RateLimits {
            messages: windows("messages")?,
            telemetry_messages: windows("telemetryMessages")?,
            telemetry_data_points: windows("telemetryDataPoints")?,
        },
    })
}

/// Remembers what was sent in the longest window and says how long to wait before sending more.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    windows: Vec<RateWindow>,
    sent: VecDeque<(u64, u64)>,
}

impl RateLimiter {
    pub fn new(windows: Vec<RateWindow>) -> Self {
        Self { windows, sent: VecDeque::new() }
    }

    /// Milliseconds to wait at `now_ms` before `units` more may go out in every window, each window's
    /// count divided among `share` tabs (at least 1 each).
    pub fn delay_ms(&self, now_ms: u64, units: u64, share: u64) -> u64 {
        let mut wait = 0;
        for w in &self.windows {
            let in_window: Vec<&(u64, u64)> = self.sent.iter().filter(|(t, _)| t + w.period_ms > now_ms).collect();
            let mut used = in_window.iter().fold(0u64, |sum, (_, u)| sum.saturating_add(*u));
            // A send bigger than the window can hold waits for the window to empty, then goes.
            // A tab's share of a shared connection's window (cargo feature `thingsboard-shared`).
            let count = if cfg!(feature = "thingsboard-shared") { (w.count / share).max(1) } else { w.count };
            let allowed = count.max(units);
            for (t, u) in in_window {
                if used.saturating_add(units) <= allowed {
                    break;
                }
                used -= u;
                wait = wait.max(t + w.period_ms - now_ms);
            }
        }
        wait
    }

    /// The window nearest to full at `now_ms`, with the units used in it.
    pub fn fullest(&self, now_ms: u64) -> (u64, Option<RateWindow>) {
        let used = |w: &RateWindow| {
            self.sent.iter().filter(|(t, _)| t + w.period_ms > now_ms).fold(0u64, |sum, (_, u)| sum.saturating_add(*u))
        };
        let mut best: (u64, Option<RateWindow>) = (0, None);
        for w in &self.windows {
            let u = used(w);
            // u / count > best.0 / best.count, without dividing.
            let fuller =
                best.1.is_none_or(|b| u128::from(u) * u128::from(b.count) > u128::from(best.0) * u128::from(w.count));
            if fuller {
                best = (u, Some(*w));
            }
        }
        best
    }

    pub fn record(&mut self, now_ms: u64, units: u64) {
        self.sent.push_back((now_ms, units));
        let longest = self.windows.iter().map(|w| w.period_ms).max().unwrap_or(0);
        while self.sent.front().is_some_and(|(t, _)| *t + longest <= now_ms) {
            self.sent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/platforms/thingsboard.md#max-payload: the max payload bounds the whole packet after the fixed header, so
    // a PUBLISH to v1/devices/me/telemetry (23 bytes) leaves 65,536 - 2 - 23 - 2 - 1 for its payload.
    #[test]
    fn the_payload_budget_leaves_room_for_the_topic_and_packet_id() {
        let l = SessionLimits::default();
        assert_eq!(l.payload_budget("v1/devices/me/telemetry"), 65_508);
        let tiny = SessionLimits { max_payload_size: 3, ..SessionLimits::default() };
        assert_eq!(tiny.payload_budget("t"), 0);
    }

    // docs/platforms/thingsboard.md#session-limits: the transport's own getSessionLimits answer.
    #[test]
    fn the_documented_session_limits_parse() {
        let v: Value = serde_json::from_str(
            r#"{"maxPayloadSize":65536,"maxInflightMessages":100,"rateLimits":{"messages":"200:1,6000:60,14000:3600","telemetryMessages":"100:1","telemetryDataPoints":"200:1"}}"#,
        )
        .unwrap();
        let l = parse_session_limits(&v).unwrap();
        assert_eq!(l.max_payload_size, 65_536);
        assert_eq!(l.max_inflight_messages, 100);
        assert_eq!(
            l.rate_limits.messages,
            [
                RateWindow { count: 200, period_ms: 1_000 },
                RateWindow { count: 6_000, period_ms: 60_000 },
                RateWindow { count: 14_000, period_ms: 3_600_000 }
            ]
        );
        assert!(parse_session_limits(&crate::json!({"maxPayloadSize":"x"})).is_err());
        assert!(parse_rate_windows("200-1").is_err());
        assert!(parse_rate_windows("0:1").is_err());
        // Windows past a year would overflow the limiter's clock: they count as a year.
        let year = RateWindow { count: 10, period_ms: 31_536_000_000 };
        assert_eq!(parse_rate_windows("10:18446744073709551").unwrap(), [year]);
        assert_eq!(parse_rate_windows("10:31536000").unwrap(), [year]);
        assert_eq!(parse_rate_windows("").unwrap(), []);
    }

    #[test]
    fn the_limiter_delays_exactly_until_the_window_frees() {
        let mut l = RateLimiter::new(parse_rate_windows("3:1").unwrap());
        for t in [0, 100, 200] {
            assert_eq!(l.delay_ms(t, 1, 1), 0);
            l.record(t, 1);
        }
        assert_eq!(l.delay_ms(300, 1, 1), 700, "the first send leaves the window at 1000");
        assert_eq!(l.delay_ms(300, 2, 1), 800);
        assert_eq!(l.delay_ms(1_000, 1, 1), 0);
        l.record(1_000, 1);
        assert_eq!(l.delay_ms(1_000, 1, 1), 100);
    }

    #[test]
    fn every_window_is_obeyed() {
        let mut l = RateLimiter::new(parse_rate_windows("10:1,12:60").unwrap());
        for t in 0..12 {
            l.record(t * 200, 1);
        }
        // The 1-second window is fine at t=2400, the 60-second one is full until t=60000.
        assert_eq!(l.delay_ms(2_400, 1, 1), 60_000 - 2_400);
    }

    #[test]
    fn a_send_larger_than_a_window_waits_for_it_to_empty() {
        let mut l = RateLimiter::new(parse_rate_windows("5:1").unwrap());
        l.record(0, 2);
        assert_eq!(l.delay_ms(500, 8, 1), 500);
        assert_eq!(RateLimiter::default().delay_ms(0, 1_000, 1), 0, "no windows, no waiting");
    }
}
