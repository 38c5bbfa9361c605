//! The CloudPlugs core for the JavaScript shell (`npm/src/cloudplugs/`): a login's options, data
//! documents, channel filters, property requests and enrollments, as commands in and batches out
//! (layout: `crate::batch`). The shell's `MqttClient` carries the MQTT: this core says what to
//! publish and subscribe, reads what arrives, and keeps the property and enrollment exchanges
//! (`platforms::cloudplugs::{exchange, enrollment_exchange}`) on the shell's clock.
//!
//! A failure the shell saw (a SUBSCRIBE or PUBLISH its client refused, a lost connection) is
//! reported as a command without the error: the request it ends is answered in that command's
//! batch, and the shell rejects it with the error it holds.

use crate::json::Value;

use super::client::Connection;
use super::command::{self, fields, json, Command};
use super::Batch;
use crate::error::{ClientError, SessionError};
use crate::json::{Fields, ReadError, ToJson};
use crate::platforms::cloudplugs::enrollment::enrollment_connect_options;
use crate::platforms::cloudplugs::enrollment_exchange::{EnrollmentEvent, EnrollmentExchange};
use crate::platforms::cloudplugs::exchange::{ExchangeEvent, PropertyAnswer, PropertyExchanges, PropertyRequest};
use crate::platforms::cloudplugs::options::DEFAULT_REPLY_TIMEOUT_MS;
use crate::platforms::cloudplugs::properties::{get_payload, set_payload};
use crate::platforms::cloudplugs::{
    data_filter, data_topic, parse_data_record, parse_data_topic, property_topic, ClientId, CloudPlugsError,
    CloudPlugsOptions, DataDocument, EnrollmentRequest, LastWill, PropertyMap, PropertyOp, PropertyValue, Username,
};

/// The commands, shared with `npm/src/cloudplugs/device.ts`. `text`, `json` (JSON text of a
/// caller's value) and `bytes` (plain data, or a payload) carry what each names.
pub mod op {
    /// `bytes`: the login options; `n`: 1 for a session the origin's tabs share. Returns the Plug-ID
    /// ("" for none); the connection to open is `take_connection`'s.
    pub const LOGIN: u8 = 0;
    /// `text`: the channel, `json`: the data, `bytes`: `{at, plugId}`. Returns the topic and the payload.
    pub const PUBLISH: u8 = 1;
    /// `text`: the channel mask, `bytes`: `{plugId}`. Returns the filter.
    pub const FILTER: u8 = 2;
    /// `json`: the properties, `bytes`: `{plugId}`. Returns the request's id.
    pub const SET_PROPERTIES: u8 = 3;
    /// `json`: the names (or none), `bytes`: `{plugId}`. Returns the request's id.
    pub const GET_PROPERTIES: u8 = 4;
    /// `text`: the topic, `bytes`: the payload.
    pub const MESSAGE: u8 = 5;
    /// `text`: the topic; `n`: 1 granted, 0 failed.
    pub const SUBSCRIBED: u8 = 6;
    /// `n`: the request whose PUBLISH failed.
    pub const PUBLISH_FAILED: u8 = 7;
    /// `text`: the type of the client's new state (`connected`, `disconnected`, `closed`, ...).
    pub const STATE: u8 = 8;
    pub const CLOSE: u8 = 9;
    pub const HANDLE_TIMEOUT: u8 = 10;
    /// `bytes`: `{model, hwid, name?, pass}`. Returns; the enrollment session's connection is
    /// `take_connection`'s.
    pub const ENROLL_THING: u8 = 11;
    /// `bytes`: `{model, thingHwid, pass, controllerHwid, controllerName?}`. Returns as `ENROLL_THING`.
    pub const ENROLL_CONTROLLER: u8 = 12;
    /// `text`: the topic whose turn the shared session gave (`n` 1), or could not give (`n` 0).
    pub const LEASED: u8 = 13;
}

/// Record tags, shared with `npm/src/cloudplugs/device.ts`.
pub mod tag {
    /// Subscribe (QoS 0) to this topic and report `SUBSCRIBED`.
    pub const SUBSCRIBE: u8 = 1;
    /// Publish (QoS 0): the request's id, the topic, the payload; report a failure with `PUBLISH_FAILED`.
    pub const PUBLISH: u8 = 2;
    /// A property request ended: its id, then 1 and the values (JSON text, `null` for a set) or 0 and the error.
    pub const DONE: u8 = 3;
    /// A data record (JSON text).
    pub const RECORD: u8 = 4;
    /// A message on a data channel that is not a data document: the error.
    pub const DATA_ERROR: u8 = 5;
    /// The enrollment ended: 1 and the credentials (JSON text), or 0 and the error.
    pub const ENROLLED: u8 = 6;
    /// A shared session: ask for the topic's turn and report `LEASED`.
    pub const LEASE: u8 = 7;
    /// A shared session: give the topic's turn back.
    pub const RELEASE: u8 = 8;
    pub use crate::batch::{RETURN, THROW};
}

enum Mode {
    Idle,
    Device { username: Username, properties: PropertyExchanges },
    Enrollment(EnrollmentExchange),
}

type Thrown = command::Thrown<CloudPlugsError>;

fn invalid(name: &str) -> impl Fn(ReadError) -> Thrown + '_ {
    command::invalid(name)
}

/// A failure the shell holds the error of (see the module's note).
fn shell_failure() -> CloudPlugsError {
    CloudPlugsError::Client(ClientError::Session(SessionError::ConnectionLost))
}

/// A device session or an enrollment, for one shell object.
pub struct CloudPlugsCore {
    mode: Mode,
    connection: Option<Connection>,
}

impl Default for CloudPlugsCore {
    fn default() -> Self {
        Self::new()
    }
}

impl CloudPlugsCore {
    pub fn new() -> Self {
        Self { mode: Mode::Idle, connection: None }
    }

    /// The connection the last `CONNECT` (`LOGIN`) or enrollment asked the shell to open, for its `ClientCore`.
    pub fn take_connection(&mut self) -> Option<Connection> {
        self.connection.take()
    }

    /// The connection the last `LOGIN` asked for, as the options of the session the origin's tabs
    /// share (`Connection::shared_options`).
    pub fn take_shared_options(&mut self) -> Option<String> {
        self.connection.take().map(|c| c.shared_options())
    }

    /// Runs one command; its batch holds what it returned (or threw), then what happened.
    pub fn run(&mut self, c: &Command) -> Vec<u8> {
        let mut b = Batch::new();
        if let Err(e) = self.command(c, &mut b) {
            b = Batch::new();
            b.u8(tag::THROW).error(&e);
        }
        self.events(&mut b);
        let deadline = match &self.mode {
            Mode::Device { properties, .. } => properties.poll_timeout(),
            Mode::Enrollment(exchange) => exchange.poll_timeout(),
            Mode::Idle => None,
        };
        b.finish(deadline)
    }

    fn command(&mut self, c: &Command, b: &mut Batch) -> Result<(), Thrown> {
        let now = c.now;
        match (c.op, &mut self.mode) {
            (op::LOGIN, _) => {
                let login = login_options(c.bytes)?;
                let connect = login.to_connect_options()?;
                let username = login.username()?;
                self.connection = Some(Connection { connect, reconnect: true });
                b.u8(tag::RETURN).str(username.plug_id().unwrap_or(""));
                let properties = match c.n == 1.0 {
                    true => PropertyExchanges::shared(login.reply_timeout_ms),
                    false => PropertyExchanges::new(login.reply_timeout_ms),
                };
                self.mode = Mode::Device { username, properties };
            }
            (op::ENROLL_THING | op::ENROLL_CONTROLLER, _) => {
                let (client_id, request) = enrollment(c.op, fields(c.bytes, "options")?)?;
                let topic = request.topic()?;
                let connect = enrollment_connect_options(&client_id, u64::from(DEFAULT_REPLY_TIMEOUT_MS));
                self.connection = Some(Connection { connect, reconnect: false });
                b.u8(tag::RETURN);
                self.mode = Mode::Enrollment(EnrollmentExchange::new(now, topic, DEFAULT_REPLY_TIMEOUT_MS));
            }
            (op::PUBLISH, Mode::Device { username, .. }) => {
                let mut f = fields(c.bytes, "options")?;
                let (at, plug) = (|| {
                    // UTC ms; a fraction (from `performance.now()`, say) is cut off.
                    let at = match f.optional::<f64>("at")? {
                        Some(t) if t >= 0.0 => Some(t as u64),
                        Some(_) => return Err(ReadError::new("expected a number from 0").under("at")),
                        None => None,
                    };
                    let plug = f.optional::<String>("plugId")?;
                    f.deny_unknown().map(|()| (at, plug))
                })()
                .map_err(invalid("options"))?;
                let data = json(c.json, "data")?;
                let plug = plug_id(username, plug)?;
                let topic = data_topic(&plug, c.text)?;
                b.u8(tag::RETURN).str(&topic).bytes(&DataDocument::new(data, at).to_payload());
            }
            (op::FILTER, Mode::Device { .. }) => {
                let plug = plug_option(c.bytes)?;
                b.u8(tag::RETURN).str(&data_filter(plug.as_deref(), c.text)?);
            }
            (op::SET_PROPERTIES, Mode::Device { username, properties }) => {
                let Value::Object(map) = json(c.json, "properties")? else {
                    return Err(command::option("properties", "expected an object"));
                };
                let map =
                    PropertyMap::from_distinct(map.into_iter().map(|(k, v)| (k, PropertyValue::from(v))).collect());
                let plug = plug_id(username, plug_option(c.bytes)?)?;
                let payload = set_payload(&map)?;
                let topic = property_topic(&plug, PropertyOp::Set)?;
                let id = properties.request(now, &topic, PropertyRequest::Set { payload });
                b.u8(tag::RETURN).f64(id as f64);
            }
            (op::GET_PROPERTIES, Mode::Device { username, properties }) => {
                let names = match json(c.json, "names")? {
                    Value::Null => None,
                    names => {
                        Some(crate::json::FromJson::from_json(names).map_err(|e| invalid("names")(e.under("names")))?)
                    }
                };
                let plug = plug_id(username, plug_option(c.bytes)?)?;
                let payload = get_payload(names.as_deref())?;
                let topic = property_topic(&plug, PropertyOp::Get)?;
                let id = properties.request(now, &topic, PropertyRequest::Get { payload, names });
                b.u8(tag::RETURN).f64(id as f64);
            }
            (op::MESSAGE, Mode::Device { properties, .. }) => {
                if !properties.handle_message(now, c.text, c.bytes) && parse_data_topic(c.text).is_some() {
                    match parse_data_record(c.text, c.bytes) {
                        Ok(record) => b.u8(tag::RECORD).str(&record.to_json_text()),
                        Err(e) => b.u8(tag::DATA_ERROR).error(&e),
                    };
                }
            }
            (op::MESSAGE, Mode::Enrollment(exchange)) => exchange.handle_message(c.text, c.bytes),
            (op::SUBSCRIBED, Mode::Device { properties, .. }) => {
                let result = if c.n != 0.0 { Ok(()) } else { Err(shell_failure()) };
                properties.subscribed(now, c.text, result);
            }
            (op::SUBSCRIBED, Mode::Enrollment(exchange)) => {
                exchange.subscribed(if c.n != 0.0 { Ok(()) } else { Err(shell_failure()) });
            }
            (op::LEASED, Mode::Device { properties, .. }) => {
                properties.leased(now, c.text, if c.n != 0.0 { Ok(()) } else { Err(shell_failure()) });
            }
            (op::PUBLISH_FAILED, Mode::Device { properties, .. }) => {
                properties.published(now, c.n as u64, Err(shell_failure()));
            }
            // A connection given up ends the requests in flight, and forgets subscriptions (clean
            // session), so the next request subscribes again. An enrollment fails with the session.
            // In a shared session any connection lost does: a topic's turn is the host's that gave
            // it, and a leader's page that goes away takes its turns with it; the next leader could
            // give another tab the turn while this tab still waits for its answer.
            (op::STATE, Mode::Device { properties, .. }) => match c.text {
                "connected" => properties.resume(now),
                "disconnected" | "closed" => {
                    properties.connection_lost(ClientError::Session(SessionError::ConnectionLost).into());
                }
                "connecting" | "reconnecting" if properties.is_shared() => {
                    properties.connection_lost(ClientError::Session(SessionError::ConnectionLost).into());
                }
                _ => {}
            },
            (op::STATE, Mode::Enrollment(exchange)) => match c.text {
                "connected" => exchange.connected(),
                "disconnected" => exchange.failed(shell_failure()),
                _ => {}
            },
            (op::CLOSE, Mode::Device { properties, .. }) => properties.close(ClientError::Closed.into()),
            (op::CLOSE, Mode::Enrollment(exchange)) => exchange.failed(ClientError::Closed.into()),
            (op::HANDLE_TIMEOUT, Mode::Device { properties, .. }) => properties.handle_timeout(now),
            (op::HANDLE_TIMEOUT, Mode::Enrollment(exchange)) => exchange.handle_timeout(now),
            // A command for a session this core does not hold (never sent by the shell).
            _ => return Err(CloudPlugsError::Client(ClientError::Session(SessionError::NotConnected)).into()),
        }
        Ok(())
    }

    /// What the exchanges ask of the shell, and the requests they ended.
    fn events(&mut self, b: &mut Batch) {
        match &mut self.mode {
            Mode::Device { properties, .. } => {
                while let Some(event) = properties.poll_event() {
                    match event {
                        ExchangeEvent::RequestSubscribe { topic } => b.u8(tag::SUBSCRIBE).str(&topic),
                        ExchangeEvent::RequestLease { topic } => b.u8(tag::LEASE).str(&topic),
                        ExchangeEvent::ReleaseLease { topic } => b.u8(tag::RELEASE).str(&topic),
                        ExchangeEvent::RequestPublish { id, topic, payload } => {
                            b.u8(tag::PUBLISH).f64(id as f64).str(&topic).bytes(&payload)
                        }
                        ExchangeEvent::NotifyDone { id, result } => {
                            b.u8(tag::DONE).f64(id as f64);
                            match result {
                                Ok(PropertyAnswer::Set) => b.bool(true).str("null"),
                                Ok(PropertyAnswer::Got(values)) => b.bool(true).str(&values.to_json_text()),
                                Err(e) => b.bool(false).error(&e),
                            }
                        }
                    };
                }
            }
            Mode::Enrollment(exchange) => {
                while let Some(event) = exchange.poll_event() {
                    match event {
                        EnrollmentEvent::RequestSubscribe { topic } => b.u8(tag::SUBSCRIBE).str(&topic),
                        EnrollmentEvent::NotifyDone(Ok(credentials)) => {
                            b.u8(tag::ENROLLED).bool(true).str(&credentials.to_json_text())
                        }
                        EnrollmentEvent::NotifyDone(Err(e)) => b.u8(tag::ENROLLED).bool(false).error(&e),
                    };
                }
            }
            Mode::Idle => {}
        }
    }
}

/// `{plugId}`: whose channels or properties.
fn plug_option(bytes: &[u8]) -> Result<Option<String>, Thrown> {
    let mut f = fields(bytes, "options")?;
    let plug = f.optional::<String>("plugId").map_err(invalid("options"))?;
    f.deny_unknown().map_err(invalid("options"))?;
    Ok(plug)
}

/// The Plug-ID named, or the login's own.
fn plug_id(username: &Username, named: Option<String>) -> Result<String, CloudPlugsError> {
    match named {
        Some(plug) => Ok(plug),
        None => username.plug_id().map(str::to_owned).ok_or(CloudPlugsError::NoPlugId),
    }
}

/// The login options; the will's data is any JSON (written by the shell as `JSON.stringify` writes it).
fn login_options(bytes: &[u8]) -> Result<CloudPlugsOptions, Thrown> {
    let mut f = fields(bytes, "options")?;
    let will = f.take("will");
    let mut login =
        CloudPlugsOptions::read(&mut f).and_then(|o| f.deny_unknown().map(|()| o)).map_err(invalid("options"))?;
    let Some(will) = will.filter(|w| !w.is_null()) else { return Ok(login) };
    let read = (|| {
        let mut f = Fields::new(will)?;
        let data = f.take("data").unwrap_or(Value::Null);
        let channel = f.optional("channel")?.ok_or_else(|| ReadError::new("is required").under("channel"))?;
        let plug_id = f.optional("plugId")?;
        f.deny_unknown().map(|()| LastWill { channel, data, plug_id })
    })();
    login.will = Some(read.map_err(|e| invalid("options")(e.under("will")))?);
    Ok(login)
}

/// An enrollment's options: the client id it connects with, and what it asks.
fn enrollment(op: u8, mut f: Fields) -> Result<(ClientId, EnrollmentRequest), Thrown> {
    let required = |f: &mut Fields, key: &'static str| {
        f.optional::<String>(key)?.ok_or_else(|| ReadError::new("is required").under(key))
    };
    let read = (|| {
        let model = required(&mut f, "model")?;
        let pass = required(&mut f, "pass")?;
        if op == op::ENROLL_THING {
            let hwid = required(&mut f, "hwid")?;
            let name = f.optional::<String>("name")?;
            f.deny_unknown()?;
            Ok((hwid, name, EnrollmentRequest::Thing { model, pass }))
        } else {
            let thing_hwid = required(&mut f, "thingHwid")?;
            let hwid = required(&mut f, "controllerHwid")?;
            let name = f.optional::<String>("controllerName")?;
            f.deny_unknown()?;
            Ok((hwid, name, EnrollmentRequest::Controller { model, thing_hwid, pass }))
        }
    })();
    let (hwid, name, request) = read.map_err(invalid("options"))?;
    Ok((ClientId::new(&hwid, name.as_deref())?, request))
}
