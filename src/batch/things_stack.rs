//! The Things Stack core for the JavaScript shell (`npm/src/things-stack/`): an application's login,
//! event filters, typed events with client-side uplink decoding, downlinks pushed and tracked, and
//! the waits on each downlink's news, as commands in and batches out (layout: `crate::batch`). The
//! shell's `MqttClient` carries the MQTT; the shell runs a user's JavaScript formatter when this
//! core asks, and hands its output back.
//!
//! A SUBSCRIBE or PUBLISH that the shell's client refused is reported without its error; the push it
//! ends is answered in that command's batch, and the shell rejects it with the error it holds.

use super::client::Connection;
use super::command::{self, Command};
use super::plain::{self, Entries};
use super::Batch;
use crate::collections::VecMap;
use crate::error::{ClientError, SessionError};
use crate::json::{FromJson, ReadError, ToJson};
use crate::platforms::things_stack::decoder::{
    formatter_body, CayenneLpp, DecodedUplink, DecoderRegistry, UplinkDecoder,
};
use crate::platforms::things_stack::head::{read_event, EventHead};
use crate::platforms::things_stack::session::{ApplicationEvent, ApplicationSession, OpId};
use crate::platforms::things_stack::topic::{ApplicationUid, DownlinkOp, EventKind, Subscription};
use crate::platforms::things_stack::waits::{DownlinkWaits, WaitDone, WaitKind, DEFAULT_WAIT_MS};
use crate::platforms::things_stack::{Downlink, DownlinkBuilder, ThingsStackError};
use crate::session::options::read::{Item, Object};
use crate::session::ConnectOptions;

/// The commands, shared with `npm/src/things-stack/app.ts`.
pub mod op {
    /// `bytes`: the options. Returns the application's uid; the connection to open is
    /// `take_connection`'s.
    pub const CONNECT: u8 = 0;
    /// `text`: the code of the error the connect failed with. Throws the platform's error for a
    /// refused API key; returns when the client's error stands.
    pub const LOGIN_FAILED: u8 = 1;
    /// `bytes`: `{deviceId?, event?}`. Returns the filter.
    pub const FILTER: u8 = 2;
    /// `text`: the device, `bytes`: the downlinks, `n`: a random number for the correlation ids.
    /// Returns the operation, then each downlink's correlation id and whether it is confirmed.
    pub const PUSH: u8 = 3;
    pub const REPLACE: u8 = 4;
    /// `text`: the device, `n`: as `PUSH`. Returns as `PUSH`, with no downlinks.
    pub const CLEAR: u8 = 5;
    /// `bytes`: the decoder (`"cayenne-lpp"` or `{formatter}`). Returns 0, or 1 and the body of the
    /// function that loads the formatter (`decoder::formatter_body`).
    pub const DECODER: u8 = 6;
    /// `bytes`: the target `{deviceId?, fPort?}`; `n`: the shell's formatter, or −1 for CayenneLPP.
    pub const SET_DECODER: u8 = 7;
    /// `text`: the topic, `bytes`: the payload.
    pub const MESSAGE: u8 = 8;
    /// The output of the formatter a `FORMAT` record asked for: `json` (its `JSON.stringify`), or
    /// `n` 1 and `text` what it threw.
    pub const FORMATTED: u8 = 9;
    /// `text`: the filter; `n`: 1 granted, 0 failed.
    pub const SUBSCRIBED: u8 = 10;
    /// `n`: the operation whose PUBLISH the server acknowledged.
    pub const PUBLISHED: u8 = 11;
    /// `n`: the operation whose PUBLISH failed.
    pub const PUBLISH_FAILED: u8 = 12;
    /// `text`: the correlation id, `n`: the timeout in ms (below 0: the default), `bytes`: `[0]` next
    /// or `[1]` outcome. Returns the wait.
    pub const WAIT: u8 = 13;
    pub const CLOSE: u8 = 14;
    pub const HANDLE_TIMEOUT: u8 = 15;
    /// Returns how many downlinks are tracked.
    pub const TRACKED: u8 = 16;
    /// `text`: the correlation id of a tracker nobody holds any more.
    pub const FORGET: u8 = 17;
}

/// Record tags, shared with `npm/src/things-stack/app.ts`.
pub mod tag {
    /// Subscribe (QoS 0) to this filter and report `SUBSCRIBED`.
    pub const SUBSCRIBE: u8 = 1;
    /// Publish at QoS 1: the operation, the topic, the payload; report `PUBLISHED` or `PUBLISH_FAILED`.
    pub const PUBLISH: u8 = 2;
    /// A push, replace or clear ended: the operation, then 1, or 0 and the error (`CLIENT_CLOSED`
    /// for one still under way when the application closes).
    pub const SENT: u8 = 3;
    /// An event: device id, kind, f_port (optional number), FRMPayload (a flag and bytes), decoded
    /// (a flag and JSON text).
    pub const EVENT: u8 = 4;
    /// A message on an event topic that is not a valid event: the error.
    pub const EVENT_ERROR: u8 = 5;
    /// Run the shell's formatter (`u32`) on this input (JSON text) and report `FORMATTED`.
    pub const FORMAT: u8 = 6;
    /// A wait ended: its id, the statuses it read (JSON text of an array), then 0 and the status
    /// (JSON text), 1 (nothing more can come) or 2 and the error.
    pub const WAITED: u8 = 7;
    pub use crate::batch::{RETURN, THROW};
}

/// A decoder as the core names it: Rust's CayenneLPP, or the shell's formatter number.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decoder {
    Lpp,
    Formatter(u32),
}

struct App {
    session: ApplicationSession,
    decoders: DecoderRegistry<Decoder>,
    waits: DownlinkWaits,
    /// The pushes under way and their downlinks, forgotten when a push fails.
    sending: VecMap<OpId, Vec<String>>,
    /// An uplink waiting for the shell's formatter.
    formatting: Option<EventHead>,
}

type Thrown = command::Thrown<ThingsStackError>;

fn option(field: &str, reason: &str) -> Thrown {
    command::option(field, reason)
}

fn invalid(name: &str) -> impl Fn(ReadError) -> Thrown + '_ {
    command::invalid(name)
}

/// A failure the shell holds the error of (see the module's note).
fn shell_failure() -> ThingsStackError {
    ThingsStackError::Client(ClientError::Session(SessionError::ConnectionLost))
}

/// One application for one shell object.
#[derive(Default)]
pub struct ThingsStackCore {
    app: Option<App>,
    connection: Option<Connection>,
}

impl ThingsStackCore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection the last `CONNECT` asked the shell to open, for its `ClientCore`.
    pub fn take_connection(&mut self) -> Option<Connection> {
        self.connection.take()
    }

    /// The connection the last `CONNECT` asked for, as the options of the session the origin's tabs
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
        let Some(app) = &mut self.app else { return b.finish(None) };
        app.events(&mut b);
        b.finish(app.waits.poll_timeout())
    }

    fn command(&mut self, c: &Command, b: &mut Batch) -> Result<(), Thrown> {
        if c.op == op::CONNECT {
            let (uid, connect) = login(object(c.bytes, "options")?)?;
            self.connection = Some(Connection { connect, reconnect: true });
            b.u8(tag::RETURN).str(&uid.uid());
            let session = ApplicationSession::new(uid);
            let app = App {
                session,
                decoders: DecoderRegistry::default(),
                waits: DownlinkWaits::new(),
                sending: VecMap::new(),
                formatting: None,
            };
            self.app = Some(app);
            return Ok(());
        }
        if c.op == op::DECODER {
            return decoder(c.bytes, b);
        }
        let app =
            self.app.as_mut().ok_or(ThingsStackError::Client(ClientError::Session(SessionError::NotConnected)))?;
        let now = c.now;
        match c.op {
            op::LOGIN_FAILED => {
                if matches!(c.text, "CONNACK_NOT_AUTHORIZED" | "CONNACK_BAD_USERNAME_OR_PASSWORD") {
                    let uid = app.session.application();
                    let error = ThingsStackError::NotAuthorized {
                        app_id: uid.application_id.clone(),
                        tenant: uid.tenant.clone(),
                    };
                    return Err(error.into());
                }
                b.u8(tag::RETURN);
            }
            op::FILTER => {
                let subscription = subscription(c.bytes)?;
                b.u8(tag::RETURN).str(&subscription.filter(app.session.application())?);
            }
            op::PUSH | op::REPLACE | op::CLEAR => {
                let downlinks = match c.op {
                    op::CLEAR => Vec::new(),
                    _ => downlinks(c.bytes)?,
                };
                let kind = if c.op == op::PUSH { DownlinkOp::Push } else { DownlinkOp::Replace };
                let (operation, ids) = app.session.send(c.text, &downlinks, kind, c.n as u64)?;
                b.u8(tag::RETURN).f64(operation as f64).u16(ids.len() as u16);
                for (id, d) in ids.iter().zip(&downlinks) {
                    app.waits.watch(id, d.confirmed);
                    b.str(id).bool(d.confirmed);
                }
                app.sending.insert(operation, ids);
            }
            op::SET_DECODER => {
                let decoder = if c.n < 0.0 { Decoder::Lpp } else { Decoder::Formatter(c.n as u32) };
                set_decoder(&mut app.decoders, c.bytes, decoder)?;
                b.u8(tag::RETURN);
            }
            op::MESSAGE => app.message(c.text, c.bytes, b),
            op::FORMATTED => {
                let Some(head) = app.formatting.take() else { return Ok(()) };
                let decoded = match (c.n != 0.0, c.json) {
                    (true, _) => DecodedUplink::failed(format!("decodeUplink threw: {}", c.text)),
                    (false, Some(text)) => match crate::json::parse(text.as_bytes()) {
                        Ok(value) => DecodedUplink::from_output(value),
                        Err(_) => DecodedUplink::failed("decodeUplink returned something that is not JSON data"),
                    },
                    (false, None) => DecodedUplink::failed("decodeUplink returned something that is not JSON data"),
                };
                app.deliver(&head, Some(decoded), b);
            }
            op::SUBSCRIBED => {
                let result = if c.n != 0.0 { Ok(()) } else { Err(shell_failure) };
                app.session.subscribed_with(c.text, result);
            }
            op::PUBLISHED => app.session.published(c.n as u64, Ok(())),
            op::PUBLISH_FAILED => app.session.published(c.n as u64, Err(shell_failure())),
            op::WAIT => {
                let kind = if c.bytes.first() == Some(&1) { WaitKind::Outcome } else { WaitKind::Next };
                let timeout = if c.n < 0.0 { DEFAULT_WAIT_MS } else { c.n.min(f64::from(u32::MAX)) as u32 };
                let wait = app.waits.wait(now, c.text, kind, timeout)?;
                b.u8(tag::RETURN).f64(wait as f64);
            }
            op::CLOSE => {
                app.session.close();
                app.waits.close();
                app.formatting = None;
                for (op, ids) in app.sending.drain() {
                    ids.iter().for_each(|id| app.waits.forget(id));
                    b.u8(tag::SENT).f64(op as f64).bool(false).error(&ThingsStackError::Client(ClientError::Closed));
                }
            }
            op::FORGET => app.waits.forget(c.text),
            op::TRACKED => {
                b.u8(tag::RETURN).f64(app.session.tracked() as f64);
            }
            _ => app.waits.handle_timeout(now),
        }
        Ok(())
    }
}

impl App {
    /// A message: an event (decoded at once, or after the shell's formatter), an invalid one, or
    /// nothing of this application's. Only the event's head is read (`head::read_event`); the shell
    /// hands the caller the JSON as The Things Stack sent it.
    fn message(&mut self, topic: &str, payload: &[u8], b: &mut Batch) {
        let head = match read_event(self.session.application(), topic, payload) {
            Ok(Some((head, _))) => head,
            Ok(None) => return,
            Err(e) => {
                b.u8(tag::EVENT_ERROR).error(&e);
                return;
            }
        };
        let input = head.uplink_input();
        let decoder = input.as_ref().and_then(|i| self.decoders.find(&head.device_id, i.f_port));
        match (decoder, input) {
            (Some(Decoder::Lpp), Some(input)) => {
                let decoded = CayenneLpp.decode_uplink(&input);
                self.deliver(&head, Some(decoded), b);
            }
            (Some(Decoder::Formatter(n)), Some(input)) => {
                b.u8(tag::FORMAT).u32(n).str(&input.to_json_text());
                self.formatting = Some(head);
            }
            _ => self.deliver(&head, None, b),
        }
    }

    /// The event's downlink news, then the event.
    fn deliver(&mut self, head: &EventHead, decoded: Option<DecodedUplink>, b: &mut Batch) {
        self.session.handle_event(head);
        self.events(b);
        b.u8(tag::EVENT).str(&head.device_id).str(head.kind.name());
        b.opt(head.f_port.map(f64::from));
        match &head.frm_payload {
            Some(bytes) => b.bool(true).bytes(bytes),
            None => b.bool(false),
        };
        match &decoded {
            Some(d) => b.bool(true).str(&d.to_json_text()),
            None => b.bool(false),
        };
    }

    /// What the session asks of the shell, the pushes it ended, and the waits that ended.
    fn events(&mut self, b: &mut Batch) {
        while let Some(event) = self.session.poll_event() {
            match event {
                ApplicationEvent::RequestSubscribe { filter } => {
                    b.u8(tag::SUBSCRIBE).str(&filter);
                }
                ApplicationEvent::RequestPublish { op, topic, payload } => {
                    b.u8(tag::PUBLISH).f64(op as f64).str(&topic).bytes(&payload);
                }
                ApplicationEvent::NotifySent { op, result } => {
                    // A push that failed returns no trackers: nobody will wait on its downlinks.
                    let ids = self.sending.remove(&op).unwrap_or_default();
                    if result.is_err() {
                        ids.iter().for_each(|id| self.waits.forget(id));
                    }
                    b.u8(tag::SENT).f64(op as f64);
                    match result {
                        Ok(()) => b.bool(true),
                        Err(e) => b.bool(false).error(&e),
                    };
                }
                ApplicationEvent::NotifyDownlink(update) => self.waits.update(&update),
            }
        }
        while let Some(WaitDone { wait, read, result }) = self.waits.poll_done() {
            b.u8(tag::WAITED).f64(wait as f64).str(&read.to_json_text());
            match result {
                Ok(Some(status)) => b.u8(0).str(&status.to_json_text()),
                Ok(None) => b.u8(1),
                Err(e) => b.u8(2).error(&e),
            };
        }
    }
}

/// An argument of plain data as an object's entries; absent is an empty object.
fn object(bytes: &[u8], name: &str) -> Result<Entries, Thrown> {
    match plain::decode(bytes).map_err(invalid(name))? {
        Item::Null => Ok(Entries::default()),
        Item::Object(entries) => Ok(entries),
        other => Err(invalid(name)(crate::session::options::read::expected("an object", &other))),
    }
}

/// The keys an object may have; any other is refused by name.
fn known(entries: &Entries, keys: &[&str]) -> Result<(), Thrown> {
    let all = entries.keys().map_err(|e| option("options", &e))?;
    match all.iter().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(invalid("options")(ReadError::unknown_option(k, keys.iter().copied()))),
        None => Ok(()),
    }
}

fn text(entries: &mut Entries, key: &str) -> Result<Option<String>, Thrown> {
    match entries.get(key).map_err(|e| option(key, &e))? {
        Item::Null => Ok(None),
        Item::Text(s) => Ok(Some(s)),
        other => Err(invalid(key)(crate::session::options::read::expected("a string", &other))),
    }
}

/// `{application, apiKey, clientId?, keepaliveSecs?, connectTimeoutMs?}`.
fn login(options: Entries) -> Result<(ApplicationUid, ConnectOptions), Thrown> {
    let value = plain::to_json(Item::Object(options)).map_err(invalid("options"))?;
    let mut f = crate::json::Fields::new(value).map_err(invalid("options"))?;
    let read = (|| {
        let d = ConnectOptions::default();
        let application: String = f.or("application", String::new())?;
        let api_key: String = f.or("apiKey", String::new())?;
        let connect = ConnectOptions {
            client_id: f.or("clientId", d.client_id)?,
            keepalive_secs: f.or("keepaliveSecs", d.keepalive_secs)?,
            connect_timeout_ms: f.or("connectTimeoutMs", d.connect_timeout_ms)?,
            ..d
        };
        f.deny_unknown().map(|()| (application, api_key, connect))
    })();
    let (application, api_key, mut connect) = read.map_err(invalid("options"))?;
    let uid = ApplicationUid::parse(&application)?;
    if api_key.trim().is_empty() {
        return Err(ThingsStackError::MissingApiKey.into());
    }
    connect.username = Some(uid.uid());
    connect.password = Some(api_key);
    Ok((uid, connect))
}

/// `{deviceId?, event?}`.
fn subscription(bytes: &[u8]) -> Result<Subscription, Thrown> {
    let mut entries = object(bytes, "subscription")?;
    known(&entries, &["deviceId", "event"])?;
    let device_id = text(&mut entries, "deviceId")?;
    let event = match entries.get("event").map_err(|e| option("event", &e))? {
        Item::Null => None,
        item => {
            let value = plain::to_json(item).map_err(invalid("event"))?;
            Some(EventKind::from_json(value).map_err(|e| option("event", e.message()))?)
        }
    };
    Ok(Subscription { device_id, event })
}

/// `"cayenne-lpp"` or `{formatter: source}`.
fn decoder(bytes: &[u8], b: &mut Batch) -> Result<(), Thrown> {
    let expected = || option("decoder", "expected \"cayenne-lpp\" or {formatter: source}");
    match plain::decode(bytes).map_err(invalid("decoder"))? {
        Item::Text(name) if name == "cayenne-lpp" => {
            b.u8(tag::RETURN).u8(0);
        }
        Item::Object(mut entries) => {
            known(&entries, &["formatter"])?;
            let source = text(&mut entries, "formatter")?.ok_or_else(expected)?;
            b.u8(tag::RETURN).u8(1).str(&formatter_body(&source));
        }
        _ => return Err(expected()),
    }
    Ok(())
}

/// `{deviceId?, fPort?}`: a device's decoder, an FPort's, or the application's default.
fn set_decoder(registry: &mut DecoderRegistry<Decoder>, bytes: &[u8], decoder: Decoder) -> Result<(), Thrown> {
    let mut target = object(bytes, "target")?;
    known(&target, &["deviceId", "fPort"])?;
    if let Some(device_id) = text(&mut target, "deviceId")? {
        registry.set_for_device(device_id, decoder);
        return Ok(());
    }
    match target.get("fPort").map_err(|e| option("fPort", &e))? {
        Item::Null => registry.set_fallback(decoder),
        // Application uplinks use FPorts 1 to 223 (LoRaWAN; 0 carries MAC commands only).
        Item::Number(p) if p.fract() == 0.0 && (1.0..=223.0).contains(&p) => registry.set_for_f_port(p as u32, decoder),
        _ => return Err(option("fPort", "expected a whole number from 1 to 223")),
    }
    Ok(())
}

const DOWNLINK_KEYS: &[&str] =
    &["fPort", "bytes", "hex", "base64", "text", "decodedPayload", "priority", "confirmed", "correlationIds"];

/// A list of downlinks, each checked by the platform's builder.
fn downlinks(bytes: &[u8]) -> Result<Vec<Downlink>, Thrown> {
    match plain::decode(bytes).map_err(invalid("downlinks"))? {
        Item::List(items) => items.into_iter().map(downlink).collect(),
        _ => Err(option("downlinks", "expected an array of downlinks")),
    }
}

fn downlink(item: Item<Entries>) -> Result<Downlink, Thrown> {
    let Item::Object(mut d) = item else { return Err(option("downlink", "expected an object")) };
    known(&d, DOWNLINK_KEYS)?;
    let f_port = match d.get("fPort").map_err(|e| option("fPort", &e))? {
        Item::Number(p) if p.fract() == 0.0 && p >= 0.0 => p.min(f64::from(u32::MAX)) as u32,
        _ => return Err(option("fPort", "expected an integer")),
    };
    let mut builder = DownlinkBuilder::new(f_port);
    match d.get("bytes").map_err(|e| option("bytes", &e))? {
        Item::Null => {}
        Item::Bytes(bytes) => builder = builder.bytes(bytes),
        _ => return Err(option("bytes", "expected a Uint8Array")),
    }
    if let Some(hex) = text(&mut d, "hex")? {
        builder = builder.hex(hex);
    }
    if let Some(base64) = text(&mut d, "base64")? {
        builder = builder.base64(base64);
    }
    if let Some(t) = text(&mut d, "text")? {
        builder = builder.text(&t);
    }
    // Written by the shell as `JSON.stringify` writes it (a payload path of its plain data).
    match d.get("decodedPayload").map_err(|e| option("decodedPayload", &e))? {
        Item::Null => {}
        item => builder = builder.decoded_payload(plain::to_json(item).map_err(invalid("decodedPayload"))?),
    }
    if let Some(priority) = text(&mut d, "priority")? {
        builder = builder.priority_name(priority);
    }
    builder = builder.confirmed(match d.get("confirmed").map_err(|e| option("confirmed", &e))? {
        Item::Null => false,
        Item::Bool(b) => b,
        _ => return Err(option("confirmed", "expected a boolean")),
    });
    match d.get("correlationIds").map_err(|e| option("correlationIds", &e))? {
        Item::Null => {}
        Item::List(ids) => {
            for id in ids {
                let Item::Text(id) = id else { return Err(option("correlationIds", "expected an array of strings")) };
                builder = builder.correlation_id(id);
            }
        }
        _ => return Err(option("correlationIds", "expected an array of strings")),
    }
    Ok(builder.build()?)
}
