//! Reconnect delays: exponential backoff with full jitter (a uniform pick between zero and the
//! capped exponential), so many clients that lost the same broker do not return in lock-step.

use super::options::ReconnectOptions;

/// The delay before reconnect attempt `attempt` (1-based), given a uniform `random` in [0, 1).
pub fn reconnect_delay_ms(options: &ReconnectOptions, attempt: u32, random: f64) -> u64 {
    let ceiling = backoff_ceiling_ms(options, attempt) as f64;
    let random = if random.is_finite() { random.clamp(0.0, 0.999_999_999) } else { 0.0 };
    (ceiling * random).floor() as u64
}

/// The upper bound of the delay before attempt `attempt`: `min(max, initial * factor^(attempt-1))`.
pub fn backoff_ceiling_ms(options: &ReconnectOptions, attempt: u32) -> u64 {
    let exp = attempt.saturating_sub(1).min(64) as i32;
    let factor = if options.factor.is_finite() && options.factor >= 1.0 { options.factor } else { 1.0 };
    let raw = options.initial_delay_ms as f64 * factor.powi(exp);
    if raw.is_finite() {
        raw.min(options.max_delay_ms as f64) as u64
    } else {
        options.max_delay_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ReconnectOptions {
        ReconnectOptions { initial_delay_ms: 500, max_delay_ms: 8_000, factor: 2.0, ..Default::default() }
    }

    #[test]
    fn the_ceiling_grows_exponentially_up_to_the_maximum() {
        let o = opts();
        let ceilings: Vec<u64> = (1..=7).map(|a| backoff_ceiling_ms(&o, a)).collect();
        assert_eq!(ceilings, [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        assert_eq!(backoff_ceiling_ms(&o, u32::MAX), 8_000);
        let flat = ReconnectOptions { factor: f64::NAN, ..o };
        assert_eq!(backoff_ceiling_ms(&flat, 5), 500);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let o = opts();
        assert_eq!(reconnect_delay_ms(&o, 3, 0.0), 0);
        assert_eq!(reconnect_delay_ms(&o, 3, 0.5), 1_000);
        assert!(reconnect_delay_ms(&o, 3, 0.999_999) < 2_000);
        assert!(reconnect_delay_ms(&o, 3, 7.0) < 2_000, "out-of-range randomness is clamped");
    }
}
