// Wall-clock time and generated identifiers (UUIDs, ULID-like correlation ids, tokens).
// Kept in one place so that the rest of the simulator never reads the system clock directly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as ThingsBoard timestamps are.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Nanoseconds since the Unix epoch, for The Things Stack's RFC 3339 timestamps with nanoseconds.
pub fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i128).unwrap_or(0)
}

/// RFC 3339 UTC with nanoseconds, e.g. `2024-05-01T12:00:00.123456789Z`.
pub fn rfc3339_ns(ns: i128) -> String {
    let secs = ns.div_euclid(1_000_000_000) as i64;
    let frac = ns.rem_euclid(1_000_000_000);
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:09}Z")
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// Calendar date and time of a Unix time (Howard Hinnant's days-to-civil algorithm).
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (sod / 3600) as u32, (sod % 3600 / 60) as u32, (sod % 60) as u32)
}

static STATE: AtomicU64 = AtomicU64::new(0);

/// A pseudo-random u64 (splitmix64 over a time-seeded counter): ids only need to be unique.
pub fn random_u64() -> u64 {
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        seed = now_ns() as u64 | 1;
        let _ = STATE.compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
    }
    let mut z = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random version-4 UUID in its hyphenated form, as ThingsBoard entity ids are.
pub fn uuid_v4() -> String {
    let hi = random_u64();
    let lo = random_u64();
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let h = format!("{hi:016x}{lo:016x}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A 26-character Crockford base32 id shaped like the ULIDs in The Things Stack's correlation ids.
pub fn ulid() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let value: u128 = ((now_ms() as u128) << 80) | (random_u64() as u128) << 16 | (random_u64() as u128 & 0xffff);
    (0..26).rev().map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char).collect()
}

/// Random lowercase alphanumeric text, for access tokens and auth codes.
pub fn token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| ALPHABET[(random_u64() % ALPHABET.len() as u64) as usize] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_a_known_instant() {
        // 1451649600512 ms is "Fri, 01 Jan 2016 12:00:00.512 GMT" (docs/platforms/thingsboard.md#telemetry).
        assert_eq!(rfc3339_ms(1_451_649_600_512), "2016-01-01T12:00:00.512Z");
        assert_eq!(rfc3339_ns(1_451_649_600_512_000_001), "2016-01-01T12:00:00.512000001Z");
    }

    #[test]
    fn uuids_are_well_formed_and_distinct() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, uuid_v4());
        assert_eq!(ulid().len(), 26);
    }
}
