//! The MQTT 5 options and Subscription Identifier of the subscriptions `Session::subscribe_with`
//! made, kept for a reconnect to a broker that kept no session: it subscribes to those filters again
//! as they were made (one SUBSCRIBE per identifier), and to the others with their QoS alone.
//!
//! In builds with the `subscription-options` feature only: the npm package's `subscribe` takes a
//! QoS alone, and keeping the options cost each entry about 1 KB (docs/size.md). Without it `Kept`
//! keeps nothing, and every subscription comes back with its QoS alone.

#[cfg(feature = "subscription-options")]
use crate::collections::VecMap;
use crate::session::options::SubscribeOptions;

/// One subscription made with options.
#[cfg(feature = "subscription-options")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub filter: String,
    pub options: SubscribeOptions,
    pub identifier: Option<u32>,
}

#[cfg(feature = "subscription-options")]
#[derive(Debug, Default)]
pub struct Kept {
    /// Granted subscriptions made with options, in the order they were granted.
    made: Vec<Made>,
    /// SUBSCRIBEs with options waiting for their SUBACK, by packet id.
    asked: VecMap<u16, Subscribe>,
}

/// A SUBSCRIBE made with options: its filters with theirs, and its identifier.
pub type Subscribe = (Vec<(String, SubscribeOptions)>, Option<u32>);

#[cfg(feature = "subscription-options")]
impl Kept {
    pub fn new() -> Self {
        Self::default()
    }

    /// `subscribe_with` sent SUBSCRIBE `packet_id`.
    pub fn asked(&mut self, packet_id: u16, filters: &[(String, SubscribeOptions)], identifier: Option<u32>) {
        self.asked.insert(packet_id, (filters.to_vec(), identifier));
    }

    /// The broker granted `filter` in SUBSCRIBE `packet_id`: kept with its options if it was asked
    /// with them, and its older options forgotten if it was asked without (a plain subscribe).
    pub fn granted(&mut self, packet_id: u16, filter: &str) {
        self.made.retain(|m| m.filter != filter);
        if let Some((filters, identifier)) = self.asked.get(&packet_id) {
            if let Some((_, options)) = filters.iter().find(|(f, _)| f == filter) {
                let made = Made { filter: filter.to_owned(), options: *options, identifier: *identifier };
                self.made.push(made);
            }
        }
    }

    /// SUBSCRIBE `packet_id` has its answer, or never will (the connection went).
    pub fn answered(&mut self, packet_id: u16) {
        self.asked.remove(&packet_id);
    }

    /// The filters are unsubscribed.
    pub fn forget(&mut self, filters: &[String]) {
        self.made.retain(|m| !filters.contains(&m.filter));
    }

    pub fn has(&self, filter: &str) -> bool {
        self.made.iter().any(|m| m.filter == filter)
    }

    /// The SUBSCRIBEs that make the kept subscriptions again: one per identifier (MQTT 5.0
    /// §3.8.2.1.2 gives a SUBSCRIBE one), in the order each identifier was first granted.
    pub fn again(&self) -> impl Iterator<Item = Subscribe> {
        let mut groups: Vec<Subscribe> = Vec::new();
        for m in &self.made {
            match groups.iter_mut().find(|(_, id)| *id == m.identifier) {
                Some((filters, _)) => filters.push((m.filter.clone(), m.options)),
                None => groups.push((vec![(m.filter.clone(), m.options)], m.identifier)),
            }
        }
        groups.into_iter()
    }
}

#[cfg(not(feature = "subscription-options"))]
#[derive(Debug, Default)]
pub struct Kept;

#[cfg(not(feature = "subscription-options"))]
impl Kept {
    pub fn new() -> Self {
        Self
    }
    pub fn asked(&mut self, _: u16, _: &[(String, SubscribeOptions)], _: Option<u32>) {}
    pub fn granted(&mut self, _: u16, _: &str) {}
    pub fn answered(&mut self, _: u16) {}
    pub fn forget(&mut self, _: &[String]) {}
    pub fn has(&self, _: &str) -> bool {
        false
    }
    /// Nothing, as a type the compiler knows is empty: no SUBSCRIBE with options is ever built.
    pub fn again(&self) -> impl Iterator<Item = Subscribe> {
        std::iter::empty()
    }
}
