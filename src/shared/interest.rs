//! The tabs' interest in topic filters, counted per filter: the broker sees a SUBSCRIBE for a
//! filter's first interest (or for a higher QoS than it granted, or for a later tab owed its
//! retained messages, below) and an UNSUBSCRIBE for its last.
//! A message goes to each tab with a matching filter, once, however many of its filters match.
//!
//! Once per tab also when the broker sends a copy per matching subscription, as an MQTT 5 broker
//! may (MQTT-3.3.4-2 and what follows it; mosquitto does): each filter has its own Subscription
//! Identifier, each copy names the subscriptions it is for, and a tab takes only the copy of its
//! first matching filter's identifier.
//!
//! On MQTT 5 a filter's SUBSCRIBE carries the options of its first interest (No Local, Retain As
//! Published, Retain Handling): the tabs that want it must ask for the same ones, since the broker
//! holds one subscription per filter. A tab's own Subscription Identifier is its own: the copy it
//! takes carries the identifiers of its filters that match, as a broker would send them to it.
//!
//! A tab that subscribes to a filter another tab holds gets the broker's retained messages for it,
//! as a client of its own would: the broker sends them again for a SUBSCRIBE of a filter it holds,
//! without stopping the flow of the others' (MQTT-3.8.4-3). So such a subscribe takes a SUBSCRIBE
//! of its own, unless the filter's options want no retained messages then (Retain Handling 1 or 2)
//! or keep the flag on live messages (Retain As Published). A copy with RETAIN set is then one of
//! the retained messages sent for a SUBSCRIBE, since a broker clears the flag on the messages it
//! forwards to a subscription (MQTT-3.3.1-9, MQTT-3.3.1-12): it goes only to the tabs that
//! SUBSCRIBE was for, and not again to those that had it with their own.

use crate::session::topic::topic_matches;
use crate::session::QoS;

/// A tab of the origin sharing the session, numbered by the host.
pub type TabId = u32;

/// What a tab's subscribe needs from the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribe {
    /// SUBSCRIBE the filter at this QoS; its SUBACK answers the tab (`subscribed`).
    Send(QoS),
    /// The broker granted this QoS already: the tab's subscribe is done.
    Granted(QoS),
    /// A SUBSCRIBE for the filter at this QoS or more is on its way: its SUBACK answers the tab too.
    Wait,
}

/// One filter's interest.
#[derive(Debug)]
struct Interest {
    filter: String,
    /// The Subscription Identifier its SUBSCRIBE carries on an MQTT 5 session.
    identifier: u32,
    /// Each interested tab, in the order they asked: the QoS it asked for, whether the filter's last
    /// granted SUBSCRIBE was for it (the retained messages the broker sends for that go to those
    /// tabs alone), and whether a SUBSCRIBE was ever granted for it (a later one that fails, sent
    /// for the tab's retained messages, leaves it its interest).
    tabs: Vec<(TabId, QoS, bool, bool)>,
    /// What the broker granted, once it answered.
    granted: Option<QoS>,
    /// The SUBSCRIBEs on their way, oldest first (each at a higher QoS than the one before), each
    /// with the tabs whose subscribe its SUBACK answers, once per subscribe.
    asks: Vec<(QoS, Vec<TabId>)>,
    /// The SUBSCRIBE's options beyond QoS (`SubscribeOptions::byte` without the QoS bits).
    flags: u8,
    /// The tabs that gave this filter a Subscription Identifier of their own, with it.
    identifiers: Vec<(TabId, u32)>,
    /// When its last SUBACK came, counted over all filters (`Interests::answers`).
    answered: u32,
}

/// Retain As Published, Retain Handling: a flags byte (`SubscribeOptions::byte` without QoS) with
/// either asks for no retained messages at a later tab's subscribe, or cannot tell them from live
/// messages.
const NOT_RESENT: u8 = 0b11_1000;

/// Retain As Published in a flags byte: the filter's live messages keep RETAIN.
const RETAIN_AS_PUBLISHED: u8 = 0b1000;

/// The option a flags byte (`SubscribeOptions::byte` without QoS) names first where it differs
/// from another's.
fn differing_flag(a: u8, b: u8) -> &'static str {
    match a ^ b {
        d if d & 0b100 != 0 => "noLocal",
        d if d & 0b1000 != 0 => "retainAsPublished",
        _ => "retainHandling",
    }
}

#[derive(Debug, Default)]
pub struct Interests {
    list: Vec<Interest>,
    /// The last Subscription Identifier given to a filter.
    last_identifier: u32,
    /// The SUBACKs that granted a filter, counted (`Interest::answered`).
    answers: u32,
    /// `answers` when a new connection restored the filters (`restored`): every tab of a filter gets
    /// the retained messages that brings, until the next SUBACK of a tab's own SUBSCRIBE.
    restored: u32,
}

impl Interests {
    /// `tab` subscribes to `filter` at `qos` (validated before), with MQTT 5 `flags` (the options
    /// byte without QoS) and its own Subscription Identifier. `Err`: the option the tabs already
    /// subscribed to `filter` ask for otherwise.
    pub fn subscribe(
        &mut self,
        tab: TabId,
        filter: &str,
        qos: QoS,
        flags: u8,
        identifier: Option<u32>,
    ) -> Result<Subscribe, &'static str> {
        let i = match self.list.iter().position(|i| i.filter == filter) {
            Some(i) => i,
            None => {
                // 1 to 268,435,455 (MQTT 5 §3.8.2.1.2); after that many filters, from 1 again.
                self.last_identifier = self.last_identifier % 268_435_455 + 1;
                let fresh = Interest {
                    filter: filter.to_owned(),
                    identifier: self.last_identifier,
                    tabs: Vec::new(),
                    granted: None,
                    asks: Vec::new(),
                    flags,
                    identifiers: Vec::new(),
                    answered: 0,
                };
                self.list.push(fresh);
                self.list.len() - 1
            }
        };
        let interest = &mut self.list[i];
        // No tab wants it, and its UNSUBSCRIBE went after the SUBSCRIBEs still on their way: this is
        // its first interest again, and takes a SUBSCRIBE of its own.
        let first = interest.tabs.is_empty();
        // A tab alone on the filter changes its options as a client of its own would: the
        // SUBSCRIBE replaces the broker's subscription.
        // Not while a SUBSCRIBE for it is on its way: its SUBACK would answer both.
        let alone = first || (interest.tabs.iter().all(|(t, ..)| *t == tab) && interest.asks.is_empty());
        let changed = interest.flags != flags;
        if changed && !alone {
            return Err(differing_flag(interest.flags, flags));
        }
        interest.flags = flags;
        interest.identifiers.retain(|(t, _)| *t != tab);
        if let Some(id) = identifier {
            interest.identifiers.push((tab, id));
        }
        match interest.tabs.iter_mut().find(|(t, ..)| *t == tab) {
            Some((_, q, ..)) => *q = qos,
            None => interest.tabs.push((tab, qos, false, false)),
        }
        let covered = |q: Option<QoS>| !changed && !first && q.is_some_and(|q| q >= qos);
        // The first SUBSCRIBE on its way at this QoS or more answers this tab too; not one older than
        // the tab's own last one, so that its subscribes are answered in the order it made them.
        let since = interest.asks.iter().rposition(|(_, waiting)| waiting.contains(&tab)).unwrap_or(0);
        if let Some((_, waiting)) = interest.asks.iter_mut().skip(since).find(|(q, _)| covered(Some(*q))) {
            waiting.push(tab);
            return Ok(Subscribe::Wait);
        }
        let qos = match covered(interest.granted) && interest.asks.is_empty() {
            true if interest.flags & NOT_RESENT != 0 => {
                // Granted for the tab as if by a SUBSCRIBE of its own: a later one that fails leaves it.
                for (t, _, _, held) in &mut interest.tabs {
                    *held |= *t == tab;
                }
                return Ok(Subscribe::Granted(interest.granted.unwrap_or(qos)));
            }
            // Granted already, and the tab is owed the retained messages: a SUBSCRIBE at the QoS
            // granted, which lowers it for no tab.
            true => interest.granted.unwrap_or(qos),
            false => qos,
        };
        interest.asks.push((qos, vec![tab]));
        Ok(Subscribe::Send(qos))
    }

    /// The broker answered the oldest SUBSCRIBE on its way for `filter` (a broker answers in order):
    /// `granted` is its QoS, `None` a refusal. Returns the tabs whose subscribe it answers, once per
    /// subscribe. A refusal drops the interest of the tabs it answers that held none before.
    pub fn subscribed(&mut self, filter: &str, granted: Option<QoS>) -> Vec<TabId> {
        let Some(i) = self.list.iter().position(|i| i.filter == filter) else { return Vec::new() };
        let interest = &mut self.list[i];
        if interest.asks.is_empty() {
            return Vec::new();
        }
        let (_, waiting) = interest.asks.remove(0);
        match granted {
            // Unless its UNSUBSCRIBE is on its way (no tab wants it).
            Some(q) if !interest.tabs.is_empty() => {
                interest.granted = Some(q);
                self.answers = self.answers.wrapping_add(1);
                interest.answered = self.answers;
                for (t, _, fresh, held) in &mut interest.tabs {
                    *fresh = waiting.contains(t);
                    *held |= *fresh;
                }
            }
            Some(_) => {}
            None => {
                // The tabs that waited lose their interest; those granted before keep theirs.
                interest.tabs.retain(|(t, _, _, held)| *held || !waiting.contains(t));
                let tabs = &interest.tabs;
                interest.identifiers.retain(|(t, _)| tabs.iter().any(|(x, ..)| x == t));
            }
        }
        if interest.tabs.is_empty() && interest.asks.is_empty() {
            self.list.remove(i);
        }
        waiting
    }

    /// `tab` unsubscribes from `filter`; true when it was the last interest, so the broker gets an
    /// UNSUBSCRIBE.
    pub fn unsubscribe(&mut self, tab: TabId, filter: &str) -> bool {
        let Some(i) = self.list.iter().position(|i| i.filter == filter) else { return false };
        let interest = &mut self.list[i];
        let before = interest.tabs.len();
        interest.tabs.retain(|(t, ..)| *t != tab);
        interest.identifiers.retain(|(t, _)| *t != tab);
        // A SUBSCRIBE on its way still answers the tab's subscribe, as a broker answers a client
        // that unsubscribed meanwhile: the interest stays until its SUBACKs, granting nothing.
        let last = before > 0 && interest.tabs.is_empty();
        if last {
            interest.granted = None;
            if interest.asks.is_empty() {
                self.list.remove(i);
            }
        }
        last
    }

    /// `tab` went away (closed, or its page did): the filters nobody else wants, to UNSUBSCRIBE.
    pub fn leave(&mut self, tab: TabId) -> Vec<String> {
        let filters: Vec<String> =
            self.list.iter().filter(|i| i.tabs.iter().any(|(t, ..)| *t == tab)).map(|i| i.filter.clone()).collect();
        filters.into_iter().filter(|f| self.unsubscribe(tab, f)).collect()
    }

    /// The Subscription Identifier of `filter`'s SUBSCRIBE.
    pub fn identifier(&self, filter: &str) -> Option<u32> {
        self.list.iter().find(|i| i.filter == filter).map(|i| i.identifier)
    }

    /// A new connection subscribed to every filter again (`filters`): the retained messages that
    /// brings go to each tab of a filter.
    pub fn restored(&mut self) {
        self.restored = self.answers;
    }

    /// The tabs a copy of a message on `topic` goes to, each once (by filter, then by when they
    /// subscribed), each with its own Subscription Identifiers of its filters that match.
    /// `identifiers`: the session's Subscription Identifiers the copy carries. When it names any of
    /// ours, a tab takes it only if it names the tab's first matching filter's, so that a tab takes
    /// one of the copies a broker sends per subscription; without them, every matching tab.
    /// `retained`: the copy's RETAIN flag. A retained message sent for a SUBSCRIBE goes to the tabs
    /// that SUBSCRIBE was for: those of the filter it names, or without identifiers, of the matching
    /// filter whose SUBACK came last, since a broker sends them after it.
    pub fn tabs_for(&self, topic: &str, identifiers: &[u32], retained: bool) -> Vec<(TabId, Vec<u32>)> {
        let matching = || self.list.iter().filter(|i| topic_matches(&i.filter, topic));
        // The filter whose SUBSCRIBE a retained message was sent for: the last answered of those the
        // copy names, or of all it matches. None when any filter it matches keeps RETAIN on live
        // messages (Retain As Published).
        let (mut named, mut last): (Option<&Interest>, Option<&Interest>) = (None, None);
        let mut resent = retained && self.answers != self.restored;
        for i in matching() {
            resent &= i.flags & RETAIN_AS_PUBLISHED == 0;
            let later = |s: Option<&Interest>| s.is_none_or(|s| i.answered > s.answered);
            if identifiers.contains(&i.identifier) && later(named) {
                named = Some(i);
            }
            if later(last) {
                last = Some(i);
            }
        }
        let ours = named.is_some();
        let sent_for = named.or(last);
        // Each tab once: its first matching filter decides, or for a retained message sent for a
        // SUBSCRIBE, whether it was sent for the tab (and the tab still wants it).
        let mut seen = Vec::new();
        let mut tabs = Vec::new();
        for interest in matching() {
            for (tab, ..) in &interest.tabs {
                if !seen.contains(tab) {
                    seen.push(*tab);
                    let takes = match sent_for.filter(|_| resent) {
                        Some(s) => s.tabs.iter().any(|(t, _, fresh, _)| t == tab && *fresh),
                        None => !ours || identifiers.contains(&interest.identifier),
                    };
                    if takes {
                        let mut own = Vec::new();
                        for i in matching() {
                            for (t, id) in &i.identifiers {
                                if t == tab {
                                    own.push(*id);
                                }
                            }
                        }
                        tabs.push((*tab, own));
                    }
                }
            }
        }
        tabs
    }

    /// The filters any tab wants, with the QoS the broker granted: what a new connection restores.
    pub fn filters(&self) -> impl Iterator<Item = (&str, Option<QoS>)> {
        self.list.iter().filter(|i| !i.tabs.is_empty()).map(|i| (i.filter.as_str(), i.granted))
    }
}
