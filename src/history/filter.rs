//! Which messages of the history a user wants to see: a topic (an MQTT filter when it has `+` or
//! `#`, else a part of the topic) and a text to find in the payload, ignoring case.

use crate::session::topic::topic_matches;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    topic: String,
    /// Lower-cased.
    text: String,
}

impl HistoryFilter {
    pub fn new(topic: &str, text: &str) -> Self {
        Self { topic: topic.trim().to_owned(), text: text.trim().to_lowercase() }
    }

    /// Whether it lets everything through.
    pub fn is_empty(&self) -> bool {
        self.topic.is_empty() && self.text.is_empty()
    }

    /// Whether a message on `topic` with `payload` (as shown, text or hex) passes.
    pub fn admits(&self, topic: &str, payload: &str) -> bool {
        let topic_ok = match self.topic.as_str() {
            "" => true,
            f if f.contains(['+', '#']) => topic_matches(f, topic),
            f => topic.contains(f),
        };
        topic_ok && (self.text.is_empty() || contains_ignoring_case(payload, &self.text))
    }
}

/// Whether `haystack` contains `needle` (lower case) in any case. An ASCII needle is found without
/// copying the haystack: the filter runs over the whole history on every frame.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if !needle.is_ascii() {
        return haystack.to_lowercase().contains(needle);
    }
    let needle = needle.as_bytes();
    // `windows(0)` would panic: an empty needle is in every text.
    needle.is_empty() || haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters_wildcards_parts_and_payload_text() {
        let cases = [
            ("", "", "a/b", "x", true),
            ("a/+", "", "a/b", "x", true),
            ("a/+", "", "a/b/c", "x", false),
            ("a/#", "", "a", "x", true),
            ("b/", "", "a/b/c", "x", true),
            ("q", "", "a/b", "x", false),
            ("", "TEMP", "a", r#"{"temp":1}"#, true),
            ("", "hum", "a", r#"{"temp":1}"#, false),
            ("a/#", "te", "a/b", "Temp", true),
            ("a/#", "te", "b", "Temp", false),
        ];
        for (topic, text, t, payload, admitted) in cases {
            assert_eq!(
                HistoryFilter::new(topic, text).admits(t, payload),
                admitted,
                "{topic:?} {text:?} {t} {payload}"
            );
        }
        assert!(HistoryFilter::new(" ", " ").is_empty());
        assert!(HistoryFilter::new("", "ÉTÉ").admits("a", "un été chaud"));
        assert!(!HistoryFilter::new("", "long needle").admits("a", "short"));
    }
}
