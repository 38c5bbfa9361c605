//! `SharedCore`: the rules of one MQTT session shared by the tabs of an origin
//! (`crate::shared::SharedSession`) for the host that runs it, the `iotmqtt/shared` entry's
//! `SharedWorker` (`npm/src/shared/worker.ts`). The host keeps the one `MqttClient` and the tabs'
//! ports; which SUBSCRIBE and UNSUBSCRIBE the broker gets, and which tab gets which message, are
//! decided here.

use wasm_bindgen::prelude::*;

use super::core::argument;
use super::errors::thrown;
use crate::batch::InvalidOption;
use crate::session::options::{read, ClientOptions};
use crate::session::{topic, ConnectOptions, QoS};
use crate::shared::identity::ClientSide;
use crate::shared::{SharedSession, Subscribe};

#[wasm_bindgen]
pub struct SharedCore {
    session: SharedSession,
    /// The topics whose turn the last tab to leave passed on (`passed`).
    passed: Vec<String>,
}

/// `options`: the tab's `MqttClient` options as plain data, as `ClientCore` reads them.
fn client_options(options: &[u8]) -> Result<(ConnectOptions, ClientOptions), JsValue> {
    argument(options).and_then(read::client_options).map_err(|e| thrown(&InvalidOption::new(e, "options")))
}

/// What a tab asks of the session's client beyond the CONNECT; `authenticator`: its page has one
/// (a function, which its options leave out).
fn client_side(client: ClientOptions, authenticator: bool) -> ClientSide {
    ClientSide { credentials_callback: client.credentials, persistence: client.persistence, authenticator }
}

fn connect_options(options: &[u8]) -> Result<ConnectOptions, JsValue> {
    client_options(options).map(|(connect, _)| connect)
}

#[wasm_bindgen]
impl SharedCore {
    /// The session the first tab asks for, with no tab in it yet; `leader`: hosted by a leader tab,
    /// which refuses a session the broker keeps unless its client keeps a store (`persistence`):
    /// `SHARED_OUTLIVES_LEADER`, `SharedSession::for_leader`.
    /// `authenticator`: the first tab's page has an MQTT 5 authenticator.
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, options: &[u8], leader: bool, authenticator: bool) -> Result<SharedCore, JsValue> {
        let (options, client) = client_options(options)?;
        let session = match leader {
            true => SharedSession::for_leader(url, options, client.persistence.is_some()).map_err(|e| thrown(&e))?,
            false => SharedSession::new(url, options),
        };
        let session = session.with_client(client_side(client, authenticator));
        Ok(Self { session, passed: Vec::new() })
    }

    /// Whether a tab asking for `url` with `options` asks for this session (the same URL, client
    /// id and credentials).
    pub fn names(&self, url: &str, options: &[u8]) -> bool {
        connect_options(options).is_ok_and(|o| *self.session.key() == crate::shared::identity::SessionKey::new(url, &o))
    }

    /// A tab joins: its number; throws `SHARED_OPTIONS_DIFFER` naming the option it asks for
    /// differently (`credentials`, `authenticator`: a callback where the session's tabs have none,
    /// or none where they have one), or `INVALID_OPTION`.
    pub fn join(&mut self, url: &str, options: &[u8], authenticator: bool) -> Result<u32, JsValue> {
        let (connect, client) = client_options(options)?;
        self.session.join_with(url, &connect, &client_side(client, authenticator)).map_err(|e| thrown(&e))
    }

    /// `tab` left: the filters to UNSUBSCRIBE, which no other tab wants. `tabs()` is 0 after the
    /// last one; the turns it held went on (`passed`).
    pub fn leave(&mut self, tab: u32) -> Vec<String> {
        let Ok(left) = self.session.leave(tab) else { return Vec::new() };
        self.passed = left.turns;
        left.unsubscribe
    }

    /// The topics whose turn the last tab to leave held: each is another tab's now (`turn`).
    pub fn passed(&mut self) -> Vec<String> {
        std::mem::take(&mut self.passed)
    }

    /// Turns on a topic (`crate::shared::lease`), in one export for the worker's size.
    /// - `ask`: `tab` asks for one: `tab` when it is its turn now, else 0. Throws `SHARED_UNKNOWN_TAB`.
    /// - not `ask`: `tab` gives back its turn, or its place in the queue: the tab whose turn it is
    ///   now (0 when that did not change).
    /// - not `ask`, `tab` 0: the tab whose turn it is (0 for none).
    pub fn turn(&mut self, ask: bool, tab: u32, topic: &str) -> Result<u32, JsValue> {
        Ok(match (ask, tab) {
            (true, _) => match self.session.lease(tab, topic).map_err(|e| thrown(&e))? {
                true => tab,
                false => 0,
            },
            (false, 0) => self.session.holder(topic).unwrap_or(0),
            (false, _) => self.session.release(tab, topic).unwrap_or(0),
        })
    }

    /// The session's connection is up, subscribed to the tabs' filters anew: the retained messages
    /// that brings go to every tab of a filter.
    pub fn restored(&mut self) {
        self.session.restored()
    }

    /// How many tabs are in the session.
    pub fn tabs(&self) -> u32 {
        self.session.tabs().len() as u32
    }

    /// `tab` subscribes to `filter` with `options` (`{qos, noLocal, retainAsPublished,
    /// retainHandling, subscriptionIdentifier}` as plain data, read as `iotmqtt/mqtt5`'s client
    /// reads them; on MQTT 3.1.1 Retain Handling alone, the filter's, which decides whether a later
    /// tab's subscribe takes a SUBSCRIBE). The low byte: 0 to 2, SUBSCRIBE at that QoS and wait for `subscribed`; 3
    /// to 5, granted already at QoS (n - 3); 6, wait for the SUBSCRIBE on its way. The next byte:
    /// the SUBSCRIBE's options beyond QoS (`SubscribeOptions::byte`; none on MQTT 3.1.1). Throws `INVALID_TOPIC_FILTER`,
    /// `INVALID_OPTION`, `SHARED_OPTIONS_DIFFER` or `SHARED_UNKNOWN_TAB`.
    pub fn subscribe(&mut self, tab: u32, filter: &str, options: &[u8]) -> Result<u32, JsValue> {
        topic::validate_topic_filter(filter).map_err(|e| thrown(&e))?;
        let (options, identifier) = argument(options)
            .and_then(read::subscribe_with_options)
            .map_err(|e| thrown(&InvalidOption::new(e, "options")))?;
        let code = match self.session.subscribe(tab, filter, options, identifier).map_err(|e| thrown(&e))? {
            Subscribe::Send(q) => q as u32,
            Subscribe::Granted(q) => 3 + q as u32,
            Subscribe::Wait => 6,
        };
        // An MQTT 3.1.1 SUBSCRIBE carries none: Retain Handling is the session's own word there.
        let v5 = self.session.options().version == crate::session::ProtocolVersion::V5;
        Ok((u32::from(options.byte() & !3) * u32::from(v5)) << 8 | code)
    }

    /// The broker's SUBACK for `filter`: the QoS it granted, or a refusal (`granted` above 2). The
    /// tabs whose subscribe it answers.
    pub fn subscribed(&mut self, filter: &str, granted: u8) -> Vec<u32> {
        self.session.subscribed(filter, QoS::try_from(granted).ok())
    }

    /// `tab` unsubscribes from `filter`: true when the broker gets the UNSUBSCRIBE.
    pub fn unsubscribe(&mut self, tab: u32, filter: &str) -> Result<bool, JsValue> {
        self.session.unsubscribe(tab, filter).map_err(|e| thrown(&e))
    }

    /// The Subscription Identifier of `filter`'s SUBSCRIBE on an MQTT 5 session; 0 for none.
    /// `available`: false when the broker's CONNACK said it has no Subscription Identifiers.
    pub fn identifier(&self, filter: &str, available: bool) -> u32 {
        self.session.identifier(filter, available).unwrap_or(0)
    }

    /// The tabs a copy of a message on `topic` goes to, each once however many copies come:
    /// `identifiers`, the session's Subscription Identifiers it carries; `retained`, its RETAIN
    /// flag. Each tab as its number, how many identifiers of its own the copy carries to it, and
    /// those.
    pub fn message_tabs(&self, topic: &str, identifiers: &[u32], retained: bool) -> Vec<u32> {
        let mut out = Vec::new();
        for (tab, own) in self.session.message_tabs(topic, identifiers, retained) {
            out.push(tab);
            out.push(own.len() as u32);
            out.extend(own);
        }
        out
    }
}
