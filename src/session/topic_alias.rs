//! MQTT 5 Topic Aliases (§3.3.2.3.4): a number that stands for a topic name on one network
//! connection, in each direction on its own. None survives a reconnect (MQTT-3.3.2-7).
//!
//! - Outbound, the client names the first topics it publishes to, up to the Topic Alias Maximum
//!   the broker's CONNACK gave (and at most `OUTBOUND_LIMIT`): the first PUBLISH to a topic carries the topic and its new alias,
//!   later ones the alias and an empty topic. Topics beyond the maximum go by name, as before.
//! - Inbound, the broker may name topics within the maximum the client announced in its CONNECT
//!   (`ConnectOptions::topic_alias_maximum`, 0 by default: none).

/// A PUBLISH whose alias is 0 or above the maximum this client announced: DISCONNECT 0x94
/// "Topic Alias invalid" (MQTT-3.3.2-9).
pub const UNALLOWED_ALIAS: &str = "a topic alias this client never allowed";

/// A PUBLISH with an empty topic and an alias the broker never set on this connection: a protocol
/// error, DISCONNECT 0x82 (§3.3.4).
pub const UNKNOWN_ALIAS: &str = "an empty topic with a topic alias the broker never set";

/// The most aliases this client gives its own topics, whatever the broker allows (up to 65,535):
/// each publish looks its topic up among them, so the table stays short; the first topics are
/// usually the busy ones.
pub const OUTBOUND_LIMIT: u16 = 64;

/// How a PUBLISH names its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// The topic alone.
    Topic,
    /// The topic, and the alias that stands for it from now on.
    Set(u16),
    /// The alias alone, with an empty topic.
    Alias(u16),
}

impl Naming {
    /// The Topic Alias property's value, if the PUBLISH carries one.
    pub fn alias(self) -> Option<u16> {
        match self {
            Naming::Topic => None,
            Naming::Set(a) | Naming::Alias(a) => Some(a),
        }
    }
}

/// Both directions' aliases of the current connection.
#[derive(Debug, Default)]
pub struct TopicAliases {
    /// Topics this client named: alias n is `outbound[n - 1]`.
    outbound: Vec<String>,
    /// How many aliases the broker takes (its CONNACK's Topic Alias Maximum).
    outbound_maximum: u16,
    /// Topics the broker named, by alias.
    inbound: Vec<(u16, String)>,
}

impl TopicAliases {
    /// Starts a connection's aliases afresh; the broker takes `outbound_maximum` of them, and this
    /// client uses at most `OUTBOUND_LIMIT`.
    pub fn reset(&mut self, outbound_maximum: u16) {
        self.outbound.clear();
        self.inbound.clear();
        self.outbound_maximum = outbound_maximum.min(OUTBOUND_LIMIT);
    }

    /// How the next PUBLISH to `topic` names it.
    pub fn outbound(&mut self, topic: &str) -> Naming {
        if let Some(i) = self.outbound.iter().position(|t| t == topic) {
            return Naming::Alias(i as u16 + 1);
        }
        if self.outbound.len() >= usize::from(self.outbound_maximum) {
            return Naming::Topic;
        }
        self.outbound.push(topic.to_owned());
        Naming::Set(self.outbound.len() as u16)
    }

    /// The topic of a received PUBLISH: `topic` as it came, with its `alias` if it had one, within
    /// the `allowed` maximum this client announced.
    pub fn inbound(&mut self, allowed: u16, topic: String, alias: Option<u16>) -> Result<String, &'static str> {
        let Some(alias) = alias else { return Ok(topic) };
        if alias == 0 || alias > allowed {
            return Err(UNALLOWED_ALIAS);
        }
        let known = self.inbound.iter_mut().find(|(a, _)| *a == alias);
        match (topic.is_empty(), known) {
            (false, Some((_, t))) => t.clone_from(&topic),
            (false, None) => self.inbound.push((alias, topic.clone())),
            (true, Some((_, t))) => return Ok(t.clone()),
            (true, None) => return Err(UNKNOWN_ALIAS),
        }
        Ok(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_aliases_go_to_the_first_topics_up_to_the_brokers_maximum() {
        let mut a = TopicAliases::default();
        a.reset(2);
        let names: Vec<Naming> = ["a", "b", "a", "c", "b", "c"].iter().map(|t| a.outbound(t)).collect();
        use Naming::*;
        assert_eq!(names, [Set(1), Set(2), Alias(1), Topic, Alias(2), Topic]);
        a.reset(0);
        assert_eq!(a.outbound("a"), Topic, "a new connection forgets every alias");
        a.reset(u16::MAX);
        let named = (0..100).filter(|i| matches!(a.outbound(&format!("t/{i}")), Set(_))).count();
        assert_eq!(named, usize::from(OUTBOUND_LIMIT));
    }

    #[test]
    fn inbound_aliases_resolve_within_the_announced_maximum() {
        let mut a = TopicAliases::default();
        assert_eq!(a.inbound(0, "t".into(), None), Ok("t".into()));
        assert_eq!(a.inbound(0, "t".into(), Some(1)), Err(UNALLOWED_ALIAS));
        assert_eq!(a.inbound(3, "t".into(), Some(0)), Err(UNALLOWED_ALIAS));
        assert_eq!(a.inbound(3, "t".into(), Some(4)), Err(UNALLOWED_ALIAS));
        assert_eq!(a.inbound(3, String::new(), Some(3)), Err(UNKNOWN_ALIAS));
        assert_eq!(a.inbound(3, "x/y".into(), Some(3)), Ok("x/y".into()));
        assert_eq!(a.inbound(3, String::new(), Some(3)), Ok("x/y".into()));
        assert_eq!(a.inbound(3, "z".into(), Some(3)), Ok("z".into()), "a topic with an alias sets it again");
        assert_eq!(a.inbound(3, String::new(), Some(3)), Ok("z".into()));
        a.reset(0);
        assert_eq!(a.inbound(3, String::new(), Some(3)), Err(UNKNOWN_ALIAS));
    }
}
