//! Topic names and topic filters as MQTT 3.1.1 §4.7 and MQTT 5.0 §4.7 define them:
//! validation before anything is sent, and the matching rules used to route inbound messages.

use crate::session::error::SessionError;

/// The longest UTF-8 string an MQTT packet can carry (a two-byte length prefix).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Checks a topic name for PUBLISH: not empty, at most 65,535 bytes, no NUL, no wildcards.
pub fn validate_topic_name(topic: &str) -> Result<(), SessionError> {
    check_common(topic)?;
    if topic.contains(['+', '#']) {
        return Err(invalid_topic(topic, "a topic name to publish to may not contain the wildcards + or #"));
    }
    Ok(())
}

/// Checks a topic filter for SUBSCRIBE/UNSUBSCRIBE: `#` only as the whole last level,
/// `+` only as a whole level.
pub fn validate_topic_filter(filter: &str) -> Result<(), SessionError> {
    check_common(filter).map_err(|e| match e {
        SessionError::InvalidTopic { topic, reason } => SessionError::InvalidFilter { filter: topic, reason },
        other => other,
    })?;
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != last) {
            return Err(SessionError::InvalidFilter {
                filter: filter.to_owned(),
                reason: "# must stand alone as the last level (as in a/b/#)",
            });
        }
        if level.contains('+') && *level != "+" {
            return Err(SessionError::InvalidFilter {
                filter: filter.to_owned(),
                reason: "+ must fill a whole level (as in a/+/c)",
            });
        }
    }
    Ok(())
}

fn check_common(topic: &str) -> Result<(), SessionError> {
    if topic.is_empty() {
        return Err(invalid_topic(topic, "a topic may not be empty"));
    }
    if topic.len() > MAX_TOPIC_LEN {
        return Err(invalid_topic(topic, "a topic may be at most 65,535 bytes long"));
    }
    if topic.contains('\0') {
        return Err(invalid_topic(topic, "a topic may not contain the NUL character"));
    }
    Ok(())
}

fn invalid_topic(topic: &str, reason: &'static str) -> SessionError {
    // Keep errors small even for a 64 KiB topic.
    let shown: String = topic.chars().take(120).collect();
    SessionError::InvalidTopic { topic: shown, reason }
}

/// Whether `topic` matches `filter` (MQTT 3.1.1 §4.7.1–4.7.2): `+` matches one level, `#` this level
/// and all below (including the parent itself), and topics starting with `$` are not matched by a
/// filter whose first level is a wildcard. A shared subscription (`$share/{name}/{filter}`, MQTT
/// 5.0 §4.8.2) matches what its filter matches.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    let filter = match super::options::subscription::shared(filter) {
        Some((_, rest)) => rest,
        None => filter,
    };
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // MQTT 5.0 §4.8.2: a shared subscription's messages come on their own topics.
    #[test]
    fn a_shared_subscription_matches_what_its_filter_matches() {
        assert!(topic_matches("$share/g/sport/+", "sport/tennis"));
        assert!(topic_matches("$share/g/#", "a/b"));
        assert!(!topic_matches("$share/g/sport/+", "$share/g/sport/tennis"));
        assert!(!topic_matches("$share/g/sport/+", "news/today"));
    }

    // MQTT 3.1.1 §4.7.1.2: "sport/tennis/player1/#" matches "sport/tennis/player1" too.
    #[test]
    fn multi_level_wildcard_matches_parent_and_children() {
        assert!(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
        assert!(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
        assert!(topic_matches("#", "a/b/c"));
        assert!(!topic_matches("sport/tennis/player1/#", "sport/tennis/player2"));
    }

    // MQTT 3.1.1 §4.7.1.3: "sport/+" matches "sport/" but not "sport".
    #[test]
    fn single_level_wildcard_matches_exactly_one_level() {
        assert!(topic_matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(topic_matches("sport/+", "sport/"));
        assert!(!topic_matches("sport/+", "sport"));
        assert!(topic_matches("+/+", "/finance"));
        assert!(topic_matches("/+", "/finance"));
        assert!(!topic_matches("+", "/finance"));
    }

    // MQTT 3.1.1 §4.7.2: wildcards at the first level do not match $-topics.
    #[test]
    fn leading_wildcards_skip_dollar_topics() {
        assert!(!topic_matches("#", "$SYS/broker/uptime"));
        assert!(!topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    }

    #[test]
    fn exact_filters_match_only_themselves() {
        assert!(topic_matches("a/b", "a/b"));
        assert!(!topic_matches("a/b", "a/b/c"));
        assert!(!topic_matches("a/b/c", "a/b"));
        assert!(!topic_matches("a/b", "a/B"));
    }

    #[test]
    fn topic_names_reject_wildcards_empty_nul_and_oversize() {
        assert!(validate_topic_name("a/b").is_ok());
        assert!(matches!(validate_topic_name("a/+"), Err(SessionError::InvalidTopic { .. })));
        assert!(matches!(validate_topic_name("a/#"), Err(SessionError::InvalidTopic { .. })));
        assert!(matches!(validate_topic_name(""), Err(SessionError::InvalidTopic { .. })));
        assert!(matches!(validate_topic_name("a\0b"), Err(SessionError::InvalidTopic { .. })));
        let long = "x".repeat(MAX_TOPIC_LEN + 1);
        assert!(matches!(validate_topic_name(&long), Err(SessionError::InvalidTopic { .. })));
        assert!(validate_topic_name(&"x".repeat(MAX_TOPIC_LEN)).is_ok());
    }

    #[test]
    fn filters_reject_misplaced_wildcards() {
        for ok in ["#", "+", "a/#", "a/+/c", "+/+", "/+", "$SYS/#"] {
            assert!(validate_topic_filter(ok).is_ok(), "{ok}");
        }
        for bad in ["a#", "a/#/c", "a/b#", "a+/b", "a/+b", "#/a", "", "a\0"] {
            assert!(matches!(validate_topic_filter(bad), Err(SessionError::InvalidFilter { .. })), "{bad}");
        }
    }
}
