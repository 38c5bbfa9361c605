// Topic filter matching with the `+` and `#` wildcards (MQTT 3.1.1 section 4.7).
// Used to route server pushes to the subscriptions a session holds.

/// Whether `topic` (no wildcards) matches `filter` (may hold `+` and a trailing `#`).
pub fn matches(filter: &str, topic: &str) -> bool {
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A filter is well formed when `#` is last and alone in its level and `+` is alone in its level.
pub fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i == levels.len() - 1,
        "+" => true,
        other => !other.contains(['+', '#']),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_matches_exactly_one_level() {
        assert!(matches("v1/devices/me/rpc/request/+", "v1/devices/me/rpc/request/7"));
        assert!(!matches("v1/devices/me/rpc/request/+", "v1/devices/me/rpc/request/7/x"));
        assert!(matches("+/data/temp", "dev-1/data/temp"));
        assert!(!matches("+/data/temp", "dev-1/data/hum"));
    }

    #[test]
    fn hash_matches_the_rest_including_the_parent() {
        assert!(matches("v3/app@ttn/#", "v3/app@ttn/devices/d/up"));
        assert!(matches("a/#", "a"));
        assert!(matches("#", "x/y"));
        assert!(!matches("v3/other/#", "v3/app@ttn/devices/d/up"));
    }

    #[test]
    fn malformed_filters_are_detected() {
        assert!(is_valid_filter("a/+/b/#"));
        assert!(!is_valid_filter("a/#/b"));
        assert!(!is_valid_filter("a+/b"));
        assert!(!is_valid_filter(""));
    }
}
