//! What a subscription asks of the broker beyond its QoS (MQTT 5.0 §3.8.3.1), and the shape of a
//! shared subscription's filter (§4.8.2).

use super::QoS;

/// Retain Handling: which retained messages a new subscription is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetainHandling {
    /// Those that match, at every SUBSCRIBE.
    #[default]
    OnSubscribe = 0,
    /// Those that match, only when the subscription did not exist yet.
    OnNewSubscription = 1,
    /// None.
    Never = 2,
}

impl RetainHandling {
    /// 0, 1 or 2.
    pub fn from_number(n: u8) -> Option<Self> {
        [Self::OnSubscribe, Self::OnNewSubscription, Self::Never].get(usize::from(n)).copied()
    }
}

/// A subscription's options. Anything beyond `qos` is MQTT 5 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubscribeOptions {
    pub qos: QoS,
    /// No Local: the broker does not send this client its own publishes.
    pub no_local: bool,
    /// Retain As Published: forwarded messages keep the retain flag they were published with.
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

impl SubscribeOptions {
    pub fn qos(qos: QoS) -> Self {
        Self { qos, ..Self::default() }
    }

    /// The options byte of a SUBSCRIBE's filter.
    pub fn byte(self) -> u8 {
        self.qos as u8
            | u8::from(self.no_local) << 2
            | u8::from(self.retain_as_published) << 3
            | (self.retain_handling as u8) << 4
    }

    /// Whether these options need MQTT 5.
    pub fn beyond_qos(self) -> bool {
        self.byte() > 3
    }
}

/// `$share/{ShareName}/{filter}`: the share name and the filter, for a shared subscription; `None`
/// for any other filter.
pub fn shared(filter: &str) -> Option<(&str, &str)> {
    let rest = filter.strip_prefix("$share/")?;
    // By bytes, and without indexing: a `char` pattern brings core's searcher, and a slice that
    // could panic brings core's formatting, 0.5 and 4 KB of every npm entry's wasm.
    let at = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
    let (name, tail) = rest.split_at_checked(at)?;
    Some((name, tail.get(1..).unwrap_or_default()))
}

/// Whether `filter` has a wildcard, `+` or `#`.
pub fn has_wildcard(filter: &str) -> bool {
    filter.bytes().any(|b| b == b'+' || b == b'#')
}
