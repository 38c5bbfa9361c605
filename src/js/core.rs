//! `ClientCore`: the pure supervisor behind a Sans-I/O wasm facade, for the TypeScript shell
//! (`npm/src/client.ts`). Bytes, time and commands go in; every call returns one batch
//! (`crate::batch`) of what to do and what happened. No socket, timer, Promise or listener lives
//! here: the shell owns them.

use wasm_bindgen::prelude::*;

use super::errors::thrown;
#[cfg(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))]
use crate::batch::client::Connection;
use crate::batch::client::{connack, events, op, settings, tag};
use crate::batch::plain::{self, Entries};
use crate::batch::{Batch, InvalidOption};
use crate::error::{ClientError, SessionError};
use crate::json::ReadError;
use crate::session::options::read::{self, Item};
use crate::session::options::ClientOptions;
use crate::session::router::Router;
use crate::session::{topic, ConnectOptions, Outgoing, QoS};
use crate::supervisor::{ConnectStart, Event, Supervisor};

/// Whether this is the generic entry's core (no platform feature), whose `MqttClient` is the caller's.
/// A platform entry's client is its platform class's alone, which never subscribes many filters at
/// once, routes messages by filter or restores stored publishes: those commands, and their readers,
/// are left out of its wasm, as the constructor's options reader is.
const GENERIC: bool = !cfg!(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"));

#[wasm_bindgen]
pub struct ClientCore {
    sup: Supervisor,
    routes: Router<()>,
    /// MQTT 5 requests waiting for their reply (`request`).
    #[cfg(feature = "request")]
    requests: crate::session::request::Requests,
}

#[wasm_bindgen]
impl ClientCore {
    /// `options`: the `MqttClient` options as plain data (`crate::batch::plain`). `seed` feeds the
    /// jitter and a generated client id; `may_defer`: the shell has a worker clock for ticks.
    /// Only the generic entry has it: a platform's core reads its own options and hands the
    /// connection over (`over`), so a platform entry carries no reader of these.
    #[cfg(not(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs")))]
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, options: &[u8], seed: f64, may_defer: bool) -> Result<ClientCore, JsValue> {
        let (connect, client) =
            argument(options).and_then(read::client_options).map_err(|e| thrown(&InvalidOption::new(e, "options")))?;
        Self::start(url, connect, client, seed, may_defer)
    }

    /// One command (`crate::batch::client::op`) and its arguments; returns its batch. A text payload
    /// comes as `payload`, written straight into the wasm's memory.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        op: u8,
        now: f64,
        n: f64,
        text: String,
        payload: Option<String>,
        bytes: &[u8],
        more: &[u8],
    ) -> Vec<u8> {
        let t = now as u64;
        let ev = match op {
            op::CONNECT => return self.connect(t),
            op::PUBLISH => {
                let payload = payload.map_or_else(|| bytes.to_vec(), String::into_bytes);
                return self.publish(t, text, payload, more, n);
            }
            op::RESTORE if GENERIC => return self.restore(t, text, bytes, more, n),
            op::SUBSCRIBE => return self.subscribe(t, text, more),
            op::SUBSCRIBE_MANY if GENERIC => return self.subscribe_many(t, more),
            op::UNSUBSCRIBE => return self.unsubscribe(t, more),
            op::ADD_ROUTE if GENERIC => return self.add_route(text),
            op::REMOVE_ROUTE => {
                self.routes.remove(n as u64);
                Vec::new()
            }
            op::DISCONNECT => self.sup.disconnect(t),
            op::CLOSE => {
                self.routes = Router::new();
                self.sup.close(t)
            }
            op::SOCKET_OPENED => self.sup.socket_opened(t),
            op::SOCKET_BYTES => self.sup.socket_bytes(t, bytes),
            op::SOCKET_TEXT => self.sup.socket_text(t),
            op::SOCKET_ERROR => {
                self.sup.socket_error();
                Vec::new()
            }
            op::SOCKET_CLOSED => self.sup.socket_closed(t, n as u16, &text),
            op::OPEN_FAILED => {
                let error = ClientError::Session(SessionError::InvalidOption { field: "url", reason: text });
                self.sup.open_failed(t, error)
            }
            op::SET_ONLINE => self.sup.set_online(t, n != 0.0),
            #[cfg(feature = "request")]
            op::REQUEST => return self.request(text, n),
            #[cfg(feature = "request")]
            op::REQUEST_END => {
                self.requests.cancel(n as u64);
                Vec::new()
            }
            #[cfg(feature = "auth")]
            op::AUTHENTICATE => {
                let answer = match text.is_empty() {
                    true => Ok(Some(bytes.to_vec())),
                    false => Err(text),
                };
                self.sup.authenticate(t, n as u64, answer)
            }
            #[cfg(feature = "auth")]
            op::REAUTHENTICATE => {
                let result = self.sup.reauthenticate(t, Some(bytes.to_vec()));
                return self.returned(result.map(|ev| (0.0, ev)));
            }
            #[cfg(feature = "credentials")]
            op::CREDENTIALS => {
                let answer = match n != 0.0 {
                    true => plain::decode(more)
                        .and_then(read::login)
                        .map_err(|_| "it answered something else than {username, password} strings".into()),
                    false => Err(text),
                };
                self.sup.credentials(t, answer)
            }
            #[cfg(feature = "durable")]
            op::WRITTEN => match bytes {
                [hi, lo, stage, ..] => self.sup.written(t, n as u64, u16::from_be_bytes([*hi, *lo]), *stage == 1),
                _ => Vec::new(),
            },
            op::FLUSH => self.sup.flush(t),
            op::SETTINGS => return self.settings(),
            op::ARMED_TIMERS => {
                let mut b = Batch::new();
                b.f64(self.sup.armed_timers() as f64);
                return b.finish(None);
            }
            _ => self.sup.handle_timeout(t),
        };
        self.batch(&ev)
    }
}

/// An options argument as plain data; `undefined` is an empty object.
impl ClientCore {
    /// The client of the connection a platform's core asked for (its `take_connection`).
    #[cfg(any(feature = "thingsboard", feature = "things-stack", feature = "cloudplugs"))]
    pub(crate) fn over(
        url: &str,
        connection: Option<Connection>,
        seed: f64,
        may_defer: bool,
    ) -> Result<ClientCore, JsValue> {
        let c = connection.ok_or_else(|| thrown(&ClientError::Session(SessionError::NotConnected)))?;
        let client = c.client();
        Self::start(url, c.connect, client, seed, may_defer)
    }

    fn start(
        url: &str,
        connect: ConnectOptions,
        client: ClientOptions,
        seed: f64,
        may_defer: bool,
    ) -> Result<ClientCore, JsValue> {
        #[allow(unused_mut)] // only a core with feature `durable` keeps stages
        let mut sup = Supervisor::new(url, connect, client, seed as u64, may_defer).map_err(|e| thrown(&e))?;
        // The shell writes QoS 2 packet ids and stages into its store (`tag::WRITE`).
        #[cfg(feature = "durable")]
        sup.keep_stages();
        Ok(Self {
            sup,
            routes: Router::new(),
            #[cfg(feature = "request")]
            requests: crate::session::request::Requests::new((seed as u64).rotate_left(17)),
        })
    }
}

pub(super) fn argument(bytes: &[u8]) -> Result<Item<Entries>, ReadError> {
    match plain::decode(bytes)? {
        Item::Null => Ok(Item::Object(Entries::default())),
        item => Ok(item),
    }
}

impl ClientCore {
    /// The settings the shell acts on: the client id, the persistence database (or ""), whether it
    /// reconnects, whether its timers run on the worker clock, and the WebSocket subprotocols.
    fn settings(&self) -> Vec<u8> {
        settings(&self.sup.session().options().client_id, self.sup.client_options())
    }

    fn connect(&mut self, now: u64) -> Vec<u8> {
        let mut b = Batch::new();
        match self.sup.connect(now) {
            Ok(ConnectStart::Connected(ack)) => {
                b.u8(tag::RETURN_CONNACK);
                connack(&mut b, &ack);
            }
            Ok(ConnectStart::Started(ev)) => {
                b.u8(tag::RETURN).f64(0.0);
                events(&mut b, &ev, &self.routes);
            }
            Err(e) => {
                b.u8(tag::THROW).error(&e);
            }
        }
        self.finish(b)
    }

    /// Returns the publish token, negative when the publish completed on hand-off (QoS 0).
    fn publish(&mut self, now: u64, topic: String, payload: Vec<u8>, options: &[u8], store_key: f64) -> Vec<u8> {
        let (qos, retain, properties) = match argument(options).and_then(read::publish_options) {
            Ok(options) => options,
            Err(e) => return self.invalid(e, "options"),
        };
        let message = Outgoing::new(topic, payload).qos(qos).retain(retain).properties(properties);
        let key = (store_key >= 0.0).then_some(store_key as u64);
        let mut b = Batch::new();
        match self.sup.publish(now, &message, key) {
            Ok((ticket, ev)) => {
                let later = ticket.completes_later();
                b.u8(tag::RETURN).f64(if later { ticket.token as f64 } else { -1.0 });
                // The shell keeps what it must write to the store, as the core will send it.
                if let (Some(key), true) = (key, later) {
                    // The record's flags as `restore` takes them back: QoS, retain, MQTT 5
                    // properties in their wire form (none: nothing).
                    #[allow(unused_mut)] // only a core with feature `mqtt5` publishes them
                    let mut flags = vec![u8::from(message.qos), u8::from(message.retain)];
                    #[cfg(feature = "mqtt5")]
                    if !message.properties.is_empty() {
                        flags.extend(crate::session::packets::publish_properties(&message.properties));
                    }
                    b.u8(tag::STORE).f64(key as f64).str(&message.topic).bytes(&message.payload).bytes(&flags);
                }
                events(&mut b, &ev, &self.routes);
            }
            Err(e) => {
                b.u8(tag::THROW).error(&e);
            }
        }
        self.finish(b)
    }

    /// A persisted message restored from an earlier page, published under its store key; `flags`
    /// are its QoS, retain flag and properties (`STORE`). A record with a QoS that does not exist
    /// (`INVALID_QOS`) or damaged properties (`INVALID_OPTION`) is refused: the shell skips it.
    fn restore(&mut self, now: u64, topic: String, payload: &[u8], flags: &[u8], key: f64) -> Vec<u8> {
        let (qos, retain) = (flags.first().copied().unwrap_or(0), flags.get(1).is_some_and(|&r| r != 0));
        // A core without feature `mqtt5` refuses a record that has some: the shell leaves it in
        // the store for a page whose core can send it whole.
        let properties = match flags.get(5..).filter(|p| !p.is_empty()) {
            #[cfg(feature = "mqtt5")]
            Some(wire) => crate::session::packets::properties::stored(wire).map_err(|_| damaged()),
            #[cfg(not(feature = "mqtt5"))]
            Some(_) => Err(damaged()),
            None => Ok(Default::default()),
        };
        let result = QoS::try_from(qos).and_then(|qos| Ok((qos, properties?))).map_err(ClientError::from).and_then(
            |(qos, properties)| {
                let message = Outgoing::new(topic, payload).qos(qos).retain(retain).properties(properties);
                // One an earlier page had in flight goes back under its packet id and stage
                // (src/session/durable.rs); one whose id is taken now is sent anew.
                #[cfg(feature = "durable")]
                if let [_, _, stage @ 1..=2, hi, lo, ..] = *flags {
                    let id = u16::from_be_bytes([hi, lo]);
                    if let Some(token) = self.sup.resume_flight(&message, key as u64, id, stage == 2) {
                        return Ok((token as f64, Vec::new()));
                    }
                }
                self.sup.publish(now, &message, Some(key as u64)).map(|(t, ev)| (t.token as f64, ev))
            },
        );
        self.returned(result)
    }

    /// `subscribe(filter, {qos})`: returns the SUBSCRIBE's packet id and its filter.
    fn subscribe(&mut self, now: u64, filter: String, options: &[u8]) -> Vec<u8> {
        // The `iotmqtt/mqtt5` entry: MQTT 5 subscription options and a Subscription Identifier.
        #[cfg(feature = "subscription-options")]
        return match argument(options).and_then(read::subscribe_with_options) {
            Ok((o, identifier)) => {
                let result = self.sup.subscribe_with(now, &[(filter.clone(), o)], identifier);
                self.subscribe_record([filter.as_str()].into_iter(), result)
            }
            Err(e) => self.invalid(e, "options"),
        };
        #[cfg(not(feature = "subscription-options"))]
        match argument(options).and_then(read::subscribe_options) {
            Ok(qos) => self.subscribed(now, &[(filter, qos)]),
            Err(e) => self.invalid(e, "options"),
        }
    }

    /// `subscribeMany([{filter, qos}])`: one SUBSCRIBE; returns its packet id and the filters.
    fn subscribe_many(&mut self, now: u64, requests: &[u8]) -> Vec<u8> {
        #[cfg(feature = "subscription-options")]
        return match plain::decode(requests).and_then(read::subscriptions_with_options) {
            Ok(filters) => {
                let result = self.sup.subscribe_with(now, &filters, None);
                self.subscribe_record(filters.iter().map(|(f, _)| f.as_str()), result)
            }
            Err(e) => self.invalid(e, "requests"),
        };
        #[cfg(not(feature = "subscription-options"))]
        match plain::decode(requests).and_then(read::subscriptions) {
            Ok(filters) => self.subscribed(now, &filters),
            Err(e) => self.invalid(e, "requests"),
        }
    }

    /// `unsubscribe(filter | filters)`: returns the UNSUBSCRIBE's packet id.
    fn unsubscribe(&mut self, now: u64, filters: &[u8]) -> Vec<u8> {
        let filters = match plain::decode(filters).and_then(read::filters) {
            Ok(filters) => filters,
            Err(e) => return self.invalid(e, "filters"),
        };
        let result = self.sup.unsubscribe(now, &filters);
        self.returned(result.map(|(id, ev)| (f64::from(id), ev)))
    }

    /// Routes messages matching `filter` to a listener; returns the route id.
    fn add_route(&mut self, filter: String) -> Vec<u8> {
        let result = topic::validate_topic_filter(&filter).map_err(ClientError::from);
        let result = result.map(|()| (self.routes.add(filter, ()) as f64, Vec::new()));
        self.returned(result)
    }

    /// A refused argument: `INVALID_OPTION` as the command's return record.
    fn invalid(&self, e: ReadError, name: &str) -> Vec<u8> {
        let mut b = Batch::new();
        b.u8(tag::THROW).error(&InvalidOption::new(e, name));
        self.finish(b)
    }

    fn finish(&self, b: Batch) -> Vec<u8> {
        b.finish(self.sup.poll_timeout())
    }

    fn batch(&mut self, ev: &[Event]) -> Vec<u8> {
        let mut b = Batch::new();
        // A message that answers a request says so first.
        #[cfg(feature = "request")]
        for e in ev {
            if let Some(id) = match e {
                Event::NotifyMessage(m) => self.requests.answer(m),
                _ => None,
            } {
                b.u8(tag::REPLY).f64(id as f64);
            }
            crate::batch::client::event(&mut b, e, &self.routes);
        }
        #[cfg(not(feature = "request"))]
        events(&mut b, ev, &self.routes);
        self.finish(b)
    }

    /// `request()`'s first step (`Requests::prepare`): its number, response topic, correlation data,
    /// whether to subscribe to the response topic first, its timeout, its QoS by default and the
    /// QoS of that subscription.
    #[cfg(feature = "request")]
    fn request(&mut self, response_topic: String, timeout_ms: f64) -> Vec<u8> {
        use crate::session::request::{DEFAULT_QOS, DEFAULT_TIMEOUT_MS, RESPONSE_QOS};
        let topic = (!response_topic.is_empty()).then_some(response_topic);
        let mut b = Batch::new();
        match self.requests.prepare(self.sup.session(), topic) {
            Ok(p) => {
                let timeout = if timeout_ms < 0.0 { f64::from(DEFAULT_TIMEOUT_MS) } else { timeout_ms };
                b.u8(tag::RETURN).f64(p.id as f64).str(&p.response_topic).bytes(&p.correlation).bool(p.subscribe);
                b.f64(timeout).u8(u8::from(DEFAULT_QOS)).u8(u8::from(RESPONSE_QOS));
            }
            Err(e) => {
                b.u8(tag::THROW).error(&e);
            }
        }
        b.finish(None)
    }

    #[cfg(not(feature = "subscription-options"))]
    fn subscribed(&mut self, now: u64, filters: &[(String, QoS)]) -> Vec<u8> {
        let result = self.sup.subscribe(now, filters);
        self.subscribe_record(filters.iter().map(|(f, _)| f.as_str()), result)
    }

    /// A SUBSCRIBE's return record: its packet id and its filters, or what refused it.
    fn subscribe_record<'a>(
        &self,
        filters: impl ExactSizeIterator<Item = &'a str>,
        result: Result<(u16, Vec<Event>), ClientError>,
    ) -> Vec<u8> {
        let mut b = Batch::new();
        match result {
            Ok((id, ev)) => {
                b.u8(tag::RETURN_SUBSCRIBE).u16(id).u16(filters.len() as u16);
                for f in filters {
                    b.str(f);
                }
                events(&mut b, &ev, &self.routes);
            }
            Err(e) => {
                b.u8(tag::THROW).error(&e);
            }
        }
        self.finish(b)
    }

    fn returned(&self, result: Result<(f64, Vec<Event>), ClientError>) -> Vec<u8> {
        let mut b = Batch::new();
        match result {
            Ok((value, ev)) => {
                b.u8(tag::RETURN).f64(value);
                events(&mut b, &ev, &self.routes);
            }
            Err(e) => {
                b.u8(tag::THROW).error(&e);
            }
        }
        self.finish(b)
    }
}

/// A stored message's properties this core cannot send: damaged, or a core without them.
fn damaged() -> SessionError {
    SessionError::InvalidOption {
        field: "properties",
        reason: "the stored message's properties cannot be restored here".into(),
    }
}
