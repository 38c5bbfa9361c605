//! One MQTT session shared by the tabs of an origin (issue 23), pure: which tabs are in it, which
//! filters each wants, where each message and each publish's outcome goes. The host that runs the
//! session (a `SharedWorker`, or the tab elected leader) moves the bytes between the tabs and the
//! one connection; every rule of the sharing is here, on no clock and no browser API.
//!
//! - A tab joins with the session's URL, client id and credentials (`SessionKey`); its other
//!   options must be the same as the session's, or it gets `SharedError::OptionsDiffer` naming the
//!   first that differs.
//! - Subscriptions are counted per filter (`interest`): SUBSCRIBE for the first interest, a higher
//!   QoS or a later tab owed the retained messages (which go to it alone), UNSUBSCRIBE for the
//!   last; a tab that leaves takes only its own interest with it.
//! - A message goes to every tab whose filters match it, once per tab, also from a broker that sends
//!   a copy per matching subscription (each filter's own Subscription Identifier tells them apart).
//! - A publish's outcome goes to the tab that made it; a tab that left gets none, and its message
//!   is still delivered.
//! - A topic whose replies carry no request id is taken in turns (`lease`): one tab's request on it
//!   at a time, in the order they asked; a tab that leaves passes its turns on.

pub mod identity;
pub mod interest;
pub mod lease;

use crate::collections::VecMap;
use crate::session::{ConnectOptions, ProtocolVersion, QoS, SubscribeOptions, NEEDS_V5};
use identity::{differing_option, ClientSide, SessionKey};
use interest::Interests;
pub use interest::{Subscribe, TabId};
use lease::Leases;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharedError {
    #[error("this tab asks for the shared session with another {option} than the tabs already in it")]
    OptionsDiffer { option: &'static str },
    #[error("this tab subscribes to {filter} with another {option} than the tabs already subscribed to it")]
    SubscriptionDiffers { option: &'static str, filter: String },
    #[error("invalid option {field}: {reason}")]
    InvalidOption { field: &'static str, reason: &'static str },
    #[error("no tab {tab} is in the shared session")]
    UnknownTab { tab: TabId },
    #[error(
        "a session the broker keeps (cleanStart false) is shared without SharedWorker only with persistence: the tab \
         that hosts it hands its QoS 2 messages in flight to the next through the store"
    )]
    OutlivesLeader,
}

impl SharedError {
    /// A stable code, as `ClientError::code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OptionsDiffer { .. } | Self::SubscriptionDiffers { .. } => "SHARED_OPTIONS_DIFFER",
            Self::InvalidOption { .. } => "INVALID_OPTION",
            Self::UnknownTab { .. } => "SHARED_UNKNOWN_TAB",
            Self::OutlivesLeader => "SHARED_OUTLIVES_LEADER",
        }
    }
}

/// What a tab's leaving asks of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leave {
    /// Filters no other tab wants: UNSUBSCRIBE them.
    pub unsubscribe: Vec<String>,
    /// It was the last tab: the host disconnects and closes the socket.
    pub last: bool,
    /// The topics whose turn the tab held and another tab's now (`holder`).
    pub turns: Vec<String>,
}

pub struct SharedSession {
    key: SessionKey,
    options: ConnectOptions,
    tabs: Vec<TabId>,
    next_tab: TabId,
    interests: Interests,
    /// Publishes whose outcome is still to come, by the session's token: the tab that made each,
    /// and the tab's own number for it.
    publishes: VecMap<u64, (TabId, u64)>,
    leases: Leases,
    /// What the tabs ask of the session's client beyond the CONNECT (`with_client`).
    client: ClientSide,
}

impl SharedSession {
    /// The session the first tab asked for, with no tab in it yet.
    pub fn new(url: &str, options: ConnectOptions) -> Self {
        Self {
            key: SessionKey::new(url, &options),
            options,
            tabs: Vec::new(),
            next_tab: 1,
            interests: Interests::default(),
            publishes: VecMap::new(),
            leases: Leases::default(),
            client: ClientSide::default(),
        }
    }

    /// The session's client as its first tab asked for it: a tab that asks for another (a
    /// credentials callback or an authenticator where the session has none or the other way
    /// round, another store) gets `SHARED_OPTIONS_DIFFER` naming `credentials`, `authenticator` or
    /// `persistence`.
    pub fn with_client(mut self, client: ClientSide) -> Self {
        self.client = client;
        self
    }

    /// The session as a leader tab hosts it (no SharedWorker), whose page may go away and hand the
    /// session to another tab. Refused when the broker keeps the session's state past its
    /// connection (MQTT 3.1.1 without Clean Session, or MQTT 5 without Clean Start and with a
    /// Session Expiry Interval) and the host keeps no store (`persisted`). The next leader resumes
    /// such a session, and needs the packet ids of the QoS 2 messages in flight: a new PUBLISH
    /// under an id the broker still holds is acknowledged and not delivered (MQTT-4.3.3-10), and
    /// one under a new id is a second message. With a store, the host writes each id and stage
    /// before it sends them (src/session/durable.rs), and the next leader resends them under those
    /// ids. A SharedWorker lives as long as any tab, so `new` takes it.
    pub fn for_leader(url: &str, options: ConnectOptions, persisted: bool) -> Result<Self, SharedError> {
        match options.session_outlives_page() && !persisted {
            true => Err(SharedError::OutlivesLeader),
            false => Ok(Self::new(url, options)),
        }
    }

    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// The tabs in the session, in the order they joined.
    pub fn tabs(&self) -> &[TabId] {
        &self.tabs
    }

    /// A tab asks for this session: its number, or which option it asks for differently.
    pub fn join(&mut self, url: &str, options: &ConnectOptions) -> Result<TabId, SharedError> {
        self.join_with(url, options, &ClientSide::default())
    }

    /// A tab asks for this session, and for its client with `client`.
    pub fn join_with(
        &mut self,
        url: &str,
        options: &ConnectOptions,
        client: &ClientSide,
    ) -> Result<TabId, SharedError> {
        let key = SessionKey::new(url, options);
        let option = [
            ("url", key.url != self.key.url),
            ("clientId", key.client_id != self.key.client_id),
            ("username", key.username != self.key.username),
            ("password", key.password != self.key.password),
            ("credentials", client.credentials_callback != self.client.credentials_callback),
            ("persistence", client.persistence != self.client.persistence),
            ("authenticator", client.authenticator != self.client.authenticator),
        ]
        .into_iter()
        .find_map(|(name, differs)| differs.then_some(name))
        .or_else(|| differing_option(&self.options, options));
        if let Some(option) = option {
            return Err(SharedError::OptionsDiffer { option });
        }
        let tab = self.next_tab;
        self.next_tab += 1;
        self.tabs.push(tab);
        Ok(tab)
    }

    /// `tab` closed or went away: its interest and its publishes' outcomes go with it.
    pub fn leave(&mut self, tab: TabId) -> Result<Leave, SharedError> {
        self.known(tab)?;
        self.tabs.retain(|t| *t != tab);
        let gone: Vec<u64> = self.publishes.iter().filter(|(_, (t, _))| *t == tab).map(|(token, _)| *token).collect();
        for token in gone {
            self.publishes.remove(&token);
        }
        let turns = self.leases.leave(tab);
        Ok(Leave { unsubscribe: self.interests.leave(tab), last: self.tabs.is_empty(), turns })
    }

    /// `tab` asks for a turn on `topic` (`lease`): true when it is its turn now.
    pub fn lease(&mut self, tab: TabId, topic: &str) -> Result<bool, SharedError> {
        self.known(tab)?;
        Ok(self.leases.ask(tab, topic))
    }

    /// The tab whose turn it is on `topic`.
    pub fn holder(&self, topic: &str) -> Option<TabId> {
        self.leases.holder(topic)
    }

    /// `tab` gives back its turn on `topic`, or its place in the queue: the tab whose turn it is now,
    /// if that changed.
    pub fn release(&mut self, tab: TabId, topic: &str) -> Option<TabId> {
        self.leases.release(tab, topic)
    }

    /// `tab` subscribes to `filter` with `options` and, on MQTT 5, a Subscription Identifier of its
    /// own. The options beyond QoS are the filter's first interest's: a tab that asks for others
    /// gets `SubscriptionDiffers` naming the first. On MQTT 3.1.1 there are none (`InvalidOption`,
    /// as the client says it), but Retain Handling, which is the filter's (set by its first interest)
    /// and decides whether a later tab's subscribe takes a SUBSCRIBE (`interest`).
    pub fn subscribe(
        &mut self,
        tab: TabId,
        filter: &str,
        options: SubscribeOptions,
        identifier: Option<u32>,
    ) -> Result<Subscribe, SharedError> {
        self.known(tab)?;
        let v5 = self.options.version == ProtocolVersion::V5;
        let invalid = |field, reason| Err(SharedError::InvalidOption { field, reason });
        if identifier.is_some() && !v5 {
            return invalid("subscriptionIdentifier", NEEDS_V5);
        }
        if identifier.is_some_and(|n| !(1..=268_435_455).contains(&n)) {
            return invalid("subscriptionIdentifier", "must be from 1 to 268,435,455");
        }
        // Retain Handling is the tab's word on the retained messages it is owed at a subscribe
        // (`interest`), which a SUBSCRIBE on MQTT 3.1.1 does not carry.
        if (options.no_local || options.retain_as_published) && !v5 {
            return invalid("noLocal", NEEDS_V5);
        }
        let flags = options.byte() & !3;
        self.interests
            .subscribe(tab, filter, options.qos, flags, identifier)
            .map_err(|option| SharedError::SubscriptionDiffers { option, filter: filter.to_owned() })
    }

    /// The SUBACK for `filter`: the QoS granted, or `None` for a refusal. The tabs it answers.
    pub fn subscribed(&mut self, filter: &str, granted: Option<QoS>) -> Vec<TabId> {
        self.interests.subscribed(filter, granted)
    }

    /// `tab` unsubscribes from `filter`: true when the broker gets an UNSUBSCRIBE (no tab wants it).
    pub fn unsubscribe(&mut self, tab: TabId, filter: &str) -> Result<bool, SharedError> {
        self.known(tab)?;
        Ok(self.interests.unsubscribe(tab, filter))
    }

    /// The Subscription Identifier `filter`'s SUBSCRIBE carries: on an MQTT 5 session, to a broker
    /// whose CONNACK did not say it has none (`available`: Subscription Identifiers Available).
    pub fn identifier(&self, filter: &str, available: bool) -> Option<u32> {
        let v5 = self.options.version == ProtocolVersion::V5;
        self.interests.identifier(filter).filter(|_| v5 && available)
    }

    /// The tabs a copy of a message on `topic` goes to, each once however many copies the broker
    /// sends, each with its own Subscription Identifiers for it: `identifiers` are the session's
    /// that the copy carries, `retained` its RETAIN flag (`interest`).
    pub fn message_tabs(&self, topic: &str, identifiers: &[u32], retained: bool) -> Vec<(TabId, Vec<u32>)> {
        self.interests.tabs_for(topic, identifiers, retained)
    }

    /// The session's connection is up again and subscribed to the tabs' filters anew: the retained
    /// messages that brings go to every tab of a filter.
    pub fn restored(&mut self) {
        self.interests.restored()
    }

    /// `tab`'s publish number `request` went to the session as `token`; its outcome comes later.
    pub fn published(&mut self, tab: TabId, request: u64, token: u64) -> Result<(), SharedError> {
        self.known(tab)?;
        self.publishes.insert(token, (tab, request));
        Ok(())
    }

    /// The session's publish `token` completed: the tab and its number for it, unless it left.
    pub fn publish_completed(&mut self, token: u64) -> Option<(TabId, u64)> {
        self.publishes.remove(&token)
    }

    /// The filters the tabs want, with what the broker granted each.
    pub fn filters(&self) -> impl Iterator<Item = (&str, Option<QoS>)> {
        self.interests.filters()
    }

    fn known(&self, tab: TabId) -> Result<(), SharedError> {
        match self.tabs.contains(&tab) {
            true => Ok(()),
            false => Err(SharedError::UnknownTab { tab }),
        }
    }
}
