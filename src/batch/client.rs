//! The generic client's records: the supervisor's events, and what a command returns.

use super::Batch;
use crate::error::ClientError;
use crate::json::Writer;
use crate::session::options::ClientOptions;
use crate::session::router::Router;
use crate::session::ConnAck;
use crate::supervisor::{ConnectionState, Event, Flush};

/// Record tags, shared with `npm/src/batch.ts`.
pub mod tag {
    /// `bool`: offer "mqtt" alone, not the client's subprotocols; `str`: the server's URL.
    pub const OPEN: u8 = 1;
    pub const TRANSMIT: u8 = 2;
    pub const FLUSH: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const FORGET: u8 = 5;
    pub const STATE: u8 = 6;
    pub const CONNECTED: u8 = 7;
    pub const CONNECT_FAILED: u8 = 8;
    pub const MESSAGE: u8 = 9;
    pub const PUBLISH_COMPLETED: u8 = 10;
    pub const SUBSCRIBED: u8 = 11;
    pub const UNSUBSCRIBED: u8 = 12;
    pub const ENDED: u8 = 13;
    /// What a command threw, and what it returned (here a number: a publish token, a packet id, a route id).
    pub use crate::batch::{RETURN, THROW};
    /// `connect()` while connected: the CONNACK in place.
    pub const RETURN_CONNACK: u8 = 22;
    /// A SUBSCRIBE sent: its packet id and its filters.
    pub const RETURN_SUBSCRIBE: u8 = 23;
    /// Write this message to the store under this key (a persisted publish).
    pub const STORE: u8 = 24;
    /// Ask the page's credentials callback, then answer with `op::CREDENTIALS`.
    pub const CREDENTIALS: u8 = 25;
    /// The next `MESSAGE` answers request `f64` (`op::REQUEST`).
    pub const REPLY: u8 = 26;
    /// The broker's authentication challenge `f64` and its data: answer with `op::AUTHENTICATE`.
    pub const AUTH_CHALLENGE: u8 = 27;
    /// The re-authentication succeeded, with the broker's last data.
    pub const REAUTHENTICATED: u8 = 28;
    /// A successful acknowledgement's words (`reason-strings`): the packet (0 PUBACK, 1 PUBREC,
    /// 2 PUBCOMP, 3 SUBACK, 4 UNSUBACK), a count and each subject, the codes as bytes, whether a
    /// Reason String follows and it, then the User Properties.
    pub const ACKNOWLEDGED: u8 = 29;
    /// Write into the stored message `f64` (its key) its packet id `u16` and stage (`bool`: its
    /// PUBREC came), then answer with `op::WRITTEN` naming the message by the token `f64` that
    /// follows the key (src/session/durable.rs).
    pub const WRITE: u8 = 30;
}

/// The commands `ClientCore::run` takes, shared with `npm/src/client.ts`. Each names what its
/// `n`, `text`, `bytes` and `more` arguments carry; the others are 0 or empty.
pub mod op {
    pub const CONNECT: u8 = 0;
    /// `text` the topic, `bytes` the payload (or the text payload apart), `more` the options
    /// (plain data), `n` the store key (< 0: not persisted).
    pub const PUBLISH: u8 = 1;
    /// A persisted message: `text` the topic, `bytes` the payload, `n` its store key, `more` its
    /// QoS, retain flag, stage (0 not sent; 1 sent, 2 its PUBREC came: `durable`), packet id (2
    /// bytes, big-endian, 0 when not sent) and MQTT 5 properties in their wire form.
    pub const RESTORE: u8 = 2;
    /// `text` the filter, `more` the options.
    pub const SUBSCRIBE: u8 = 3;
    /// `more` the requests `[{filter, qos}]`.
    pub const SUBSCRIBE_MANY: u8 = 4;
    /// `more` a filter or a list of them.
    pub const UNSUBSCRIBE: u8 = 5;
    /// `text` the filter.
    pub const ADD_ROUTE: u8 = 6;
    /// `n` the route id.
    pub const REMOVE_ROUTE: u8 = 7;
    pub const DISCONNECT: u8 = 8;
    pub const CLOSE: u8 = 9;
    pub const SOCKET_OPENED: u8 = 10;
    /// `bytes` what arrived.
    pub const SOCKET_BYTES: u8 = 11;
    pub const SOCKET_ERROR: u8 = 12;
    /// `n` the close code, `text` the reason.
    pub const SOCKET_CLOSED: u8 = 13;
    /// `text` why the browser refused to make the socket.
    pub const OPEN_FAILED: u8 = 14;
    /// `n` 1 online, 0 offline.
    pub const SET_ONLINE: u8 = 15;
    pub const FLUSH: u8 = 16;
    pub const HANDLE_TIMEOUT: u8 = 17;
    /// Returns the settings the shell acts on, no deadline.
    pub const SETTINGS: u8 = 18;
    /// Returns how many timers the core has armed (for `liveResources`), no deadline.
    pub const ARMED_TIMERS: u8 = 19;
    /// A WebSocket text frame arrived (its text is not needed: it ends the connection).
    pub const SOCKET_TEXT: u8 = 20;
    /// The credentials callback answered: `n` 1 with `more` its `{username, password}`, 0 with
    /// `text` why it failed.
    pub const CREDENTIALS: u8 = 21;
    /// A request: `text` its response topic ("" for the default), `n` its timeout in ms (negative
    /// for the default). Returns its number, response topic, correlation data, whether to
    /// subscribe first, its timeout, its default QoS and the response subscription's QoS.
    pub const REQUEST: u8 = 22;
    /// Request `n` ended (replied, timed out or failed): it takes no reply any more.
    pub const REQUEST_END: u8 = 23;
    /// The page's authenticator answered challenge `n`: `bytes` its data, or `text` why it has none.
    pub const AUTHENTICATE: u8 = 24;
    /// Start a re-authentication with `bytes` as its data.
    pub const REAUTHENTICATE: u8 = 25;
    /// The store holds what `WRITE` asked: `n` the message's token, `bytes` its packet id (2 bytes,
    /// big-endian) and stage (1: its PUBREC came).
    pub const WRITTEN: u8 = 26;
}

/// State kinds in a `STATE` record.
pub mod state {
    pub const IDLE: u8 = 0;
    pub const CONNECTING: u8 = 1;
    pub const CONNECTED: u8 = 2;
    pub const RECONNECTING: u8 = 3;
    pub const DISCONNECTED: u8 = 4;
    pub const CLOSED: u8 = 5;
}

/// What `op::SETTINGS` returns: the client id, the persistence database (or ""), whether it
/// reconnects, whether its timers run on the worker clock, and the WebSocket subprotocols.
pub fn settings(client_id: &str, o: &ClientOptions) -> Vec<u8> {
    let mut b = Batch::new();
    b.str(client_id).str(o.persistence.as_deref().unwrap_or(""));
    b.bool(o.reconnect.enabled).bool(o.worker_timers).u16(o.websocket_protocols.len() as u16);
    for p in &o.websocket_protocols {
        b.str(p);
    }
    b.finish(None)
}

/// With feature `mqtt5`: a message's MQTT 5 properties, one byte saying which are there (bit 0 the payload format
/// indicator, 1 its value, 2 the expiry, 3 the content type, 4 the response topic, 5 the correlation
/// data, 6 user properties, 7 subscription identifiers), then each that is, in that order. A message
/// without properties costs the one byte.
#[cfg(feature = "mqtt5")]
fn message_properties(b: &mut Batch, p: &crate::PublishProperties, ids: &[u32]) {
    let bit = |on: bool, n: u8| u8::from(on) << n;
    let mask = bit(p.payload_format_indicator.is_some(), 0)
        | bit(p.payload_format_indicator == Some(true), 1)
        | bit(p.message_expiry_interval.is_some(), 2)
        | bit(p.content_type.is_some(), 3)
        | bit(p.response_topic.is_some(), 4)
        | bit(p.correlation_data.is_some(), 5)
        | bit(!p.user_properties.is_empty(), 6)
        | bit(!ids.is_empty(), 7);
    b.u8(mask);
    if let Some(secs) = p.message_expiry_interval {
        b.u32(secs);
    }
    for text in [&p.content_type, &p.response_topic].into_iter().flatten() {
        b.str(text);
    }
    if let Some(data) = &p.correlation_data {
        b.bytes(data);
    }
    if !p.user_properties.is_empty() {
        user_properties(b, &p.user_properties);
    }
    if !ids.is_empty() {
        b.u32(ids.len() as u32);
        for id in ids {
            b.u32(*id);
        }
    }
}

pub fn connack(b: &mut Batch, ack: &ConnAck) {
    b.bool(ack.session_present)
        .opt(ack.maximum_packet_size.map(f64::from))
        .opt(ack.maximum_qos.map(|q| f64::from(u8::from(q))))
        .opt(ack.receive_maximum.map(f64::from))
        .opt(ack.server_keepalive_secs.map(f64::from));
    match &ack.assigned_client_id {
        Some(id) => b.u8(1).str(id),
        None => b.u8(0),
    };
    // With feature `mqtt5`, MQTT 5's other CONNACK properties: two numbers, four flags of two
    // bits each (0 absent, 1 false, 2 true), the reason string and the user properties.
    #[cfg(feature = "mqtt5")]
    connack_properties(b, ack);
    #[cfg(feature = "auth")]
    auth_data(b, &ack.authentication_data);
}

/// Authentication Data, when there is some.
#[cfg(feature = "auth")]
fn auth_data(b: &mut Batch, data: &Option<Vec<u8>>) {
    match data {
        Some(d) => b.u8(1).bytes(d),
        None => b.u8(0),
    };
}

#[cfg(feature = "mqtt5")]
fn connack_properties(b: &mut Batch, ack: &ConnAck) {
    b.opt(ack.session_expiry_interval.map(f64::from)).opt(ack.topic_alias_maximum.map(f64::from));
    let flags = [
        ack.retain_available,
        ack.wildcard_subscription_available,
        ack.subscription_identifiers_available,
        ack.shared_subscription_available,
    ];
    b.u8(flags.iter().enumerate().fold(0, |m, (i, f)| m | f.map_or(0, |on| 1 + u8::from(on)) << (2 * i)));
    match &ack.reason_string {
        Some(text) => b.u8(1).str(text),
        None => b.u8(0),
    };
    user_properties(b, &ack.user_properties);
}

/// A count, then each name and value.
#[cfg(feature = "mqtt5")]
fn user_properties(b: &mut Batch, pairs: &[(String, String)]) {
    b.u32(pairs.len() as u32);
    for (name, value) in pairs {
        b.str(name).str(value);
    }
}

pub fn connection_state(b: &mut Batch, s: &ConnectionState) {
    match s {
        ConnectionState::Idle => b.u8(state::IDLE),
        ConnectionState::Connecting => b.u8(state::CONNECTING),
        ConnectionState::Connected(ack) => {
            b.u8(state::CONNECTED);
            connack(b, ack);
            b
        }
        ConnectionState::Reconnecting { attempt, delay_ms, reason } => {
            b.u8(state::RECONNECTING).u32(*attempt).f64(*delay_ms as f64).error(reason)
        }
        ConnectionState::Disconnected(e) => b.u8(state::DISCONNECTED).error(e),
        ConnectionState::Closed => b.u8(state::CLOSED),
    };
}

/// A per-filter outcome: 0 and the value, or 1 and the error.
fn outcome<T>(b: &mut Batch, r: &Result<T, ClientError>, ok: impl Fn(&mut Batch, &T)) {
    match r {
        Ok(v) => {
            b.u8(0);
            ok(b, v);
        }
        Err(e) => {
            b.u8(1).error(e);
        }
    }
}

/// One supervisor event; a message carries the ids of the routes its topic matches.
pub fn event<H>(b: &mut Batch, e: &Event, routes: &Router<H>) {
    match e {
        Event::RequestOpen { url, mqtt_only } => {
            b.u8(tag::OPEN).bool(*mqtt_only).str(url);
        }
        // Only the `iotmqtt/mqtt5` entry has a credentials callback (`ClientOptions::credentials`).
        Event::RequestCredentials => {
            #[cfg(feature = "credentials")]
            b.u8(tag::CREDENTIALS);
        }
        // The npm package sets no authentication method, so no broker may challenge it
        // (MQTT-4.12.0-6).
        #[cfg(feature = "auth")]
        Event::NotifyAuthChallenge { round, data } => {
            b.u8(tag::AUTH_CHALLENGE).f64(*round as f64);
            auth_data(b, data);
        }
        #[cfg(feature = "auth")]
        Event::NotifyReauthenticated(data) => {
            b.u8(tag::REAUTHENTICATED);
            auth_data(b, data);
        }
        #[cfg(feature = "reason-strings")]
        Event::NotifyAcknowledged(ack) => {
            b.u8(tag::ACKNOWLEDGED).u8(ack.packet as u8).u32(ack.subjects.len() as u32);
            for subject in &ack.subjects {
                b.str(subject);
            }
            b.bytes(&ack.codes);
            match &ack.words.reason_string {
                Some(text) => b.u8(1).str(text),
                None => b.u8(0),
            };
            user_properties(b, &ack.words.user_properties);
        }
        Event::RequestTransmit(bytes) => {
            b.u8(tag::TRANSMIT).bytes(bytes);
        }
        Event::RequestFlush(when) => {
            b.u8(tag::FLUSH).bool(*when == Flush::Tick);
        }
        Event::RequestClose => {
            b.u8(tag::CLOSE);
        }
        Event::RequestForget(key) => {
            b.u8(tag::FORGET).f64(*key as f64);
        }
        #[cfg(feature = "durable")]
        Event::RequestWrite { key, token, packet_id, released } => {
            b.u8(tag::WRITE).f64(*key as f64).f64(*token as f64).u16(*packet_id).bool(*released);
        }
        Event::NotifyState(s) => {
            b.u8(tag::STATE);
            connection_state(b, s);
        }
        Event::NotifyConnected(ack) => {
            b.u8(tag::CONNECTED);
            connack(b, ack);
        }
        Event::NotifyConnectFailed(e) => {
            b.u8(tag::CONNECT_FAILED).error(e);
        }
        Event::NotifyMessage(m) => {
            b.u8(tag::MESSAGE).str(&m.topic).bytes(&m.payload).u8(u8::from(m.qos)).bool(m.retain).bool(m.dup);
            #[cfg(feature = "mqtt5")]
            message_properties(b, &m.properties, &m.subscription_identifiers);
            let ids = routes.matching_ids(&m.topic);
            b.u16(ids.len() as u16);
            for id in ids {
                b.u32(id as u32);
            }
        }
        Event::NotifyPublishCompleted { token, result } => {
            b.u8(tag::PUBLISH_COMPLETED).f64(*token as f64);
            outcome(b, result, |_, ()| {});
        }
        Event::NotifySubscribed { packet_id, results } => {
            b.u8(tag::SUBSCRIBED).u16(*packet_id).u16(results.len() as u16);
            for r in results {
                outcome(b, r, |b, q| {
                    b.u8(u8::from(*q));
                });
            }
        }
        Event::NotifyUnsubscribed { packet_id, results } => {
            b.u8(tag::UNSUBSCRIBED).u16(*packet_id).u16(results.len() as u16);
            for r in results {
                outcome(b, r, |_, ()| {});
            }
        }
        Event::NotifyEnded(e) => {
            b.u8(tag::ENDED).error(e);
        }
    }
}

/// Events in order, as records.
pub fn events<H>(b: &mut Batch, events: &[Event], routes: &Router<H>) {
    for e in events {
        event(b, e, routes);
    }
}

/// The connection a platform core asks its shell to open. The platform's facade builds the
/// `ClientCore` from it in memory (`ClientCore::over`), so a platform entry carries no reader of the
/// generic client's options: the platform's own reader has read them.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub connect: crate::session::ConnectOptions,
    /// Reconnect after a loss (a device), or not (a provisioning or enrollment session).
    pub reconnect: bool,
}

impl Connection {
    /// The client options: the defaults, reconnecting or not.
    pub fn client(&self) -> crate::session::options::ClientOptions {
        let mut client = crate::session::options::ClientOptions::default();
        client.reconnect.enabled = self.reconnect;
        client
    }

    /// As the options of the generic `MqttClient` would say it (JSON text, which
    /// `session::options::read` reads back to the same options): for tests and logs.
    pub fn options_json(&self) -> String {
        let version = match self.connect.version {
            crate::session::ProtocolVersion::V3_1_1 => "3.1.1",
            crate::session::ProtocolVersion::V5 => "5",
        };
        let mut out = Writer::default();
        out.open()
            .field("version", version)
            .field("clientId", &self.connect.client_id)
            .field("username", &self.connect.username)
            .field("password", &self.connect.password)
            .field("keepaliveSecs", &self.connect.keepalive_secs)
            .field("cleanStart", &self.connect.clean_start)
            .field("sessionExpirySecs", &self.connect.session_expiry_secs)
            .field("connectTimeoutMs", &self.connect.connect_timeout_ms)
            .field("pingTimeoutMs", &self.connect.ping_timeout_ms)
            .field("maximumPacketSize", &self.connect.maximum_packet_size);
        out.key("reconnect").open().field("enabled", &self.reconnect).close();
        self.will(&mut out);
        out.close();
        out.finish()
    }

    /// As the generic client's options, for a session the origin's tabs share, whose host reads them
    /// (JSON text): only the options a platform's login sets, each other one being the generic
    /// client's default (tests/batch_things_stack.rs and tests/batch_cloudplugs.rs hold it to
    /// `options_json`).
    pub fn shared_options(&self) -> String {
        let c = &self.connect;
        let mut out = Writer::default();
        out.open()
            .field("clientId", c.client_id.as_str())
            .field("username", c.username.as_deref().unwrap_or_default())
            .field("password", c.password.as_deref().unwrap_or_default())
            .field("keepaliveSecs", &u64::from(c.keepalive_secs))
            .field("connectTimeoutMs", &c.connect_timeout_ms);
        self.will(&mut out);
        out.close();
        out.finish()
    }

    fn will(&self, out: &mut Writer) {
        if let Some(w) = &self.connect.will {
            out.key("will").open();
            // A platform writes its will as JSON text, so the payload is UTF-8 (no lossy decoding in the wasm).
            out.field("topic", &w.topic).field("payload", std::str::from_utf8(&w.payload).unwrap_or_default());
            out.field("qos", &u8::from(w.qos)).field("retain", &w.retain).close();
        }
    }
}
