//! The ThingsBoard core for the JavaScript shell (`npm/src/thingsboard/`): a device's or gateway's
//! login, telemetry, attributes, RPC both ways, claiming, firmware updates, and provisioning on a
//! connection of its own, as commands in and batches out (layout: `crate::batch`). The rules are the
//! device session's (`platforms::thingsboard::session`), the updater's and the provisioning
//! exchange's; the shell's `MqttClient` carries the MQTT, and the shell runs the caller's RPC
//! handlers and installer when this core asks, and hands their results back.
//!
//! A SUBSCRIBE or PUBLISH that the shell's client refused is reported without its error; the
//! operation it ends is answered in that command's batch, and the shell rejects it with the error
//! it holds.

use crate::json::Value;

use super::client::Connection;
use super::command::{self, fields, json, Command};
use super::plain::{self, Entries};
use super::Batch;
use crate::collections::{VecMap, VecSet};
use crate::error::{ClientError, SessionError};
use crate::json::{text, Fields, FromJson, ReadError, ToJson, Writer};
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::gateway as codec;
use crate::platforms::thingsboard::limits::parse_session_limits;
use crate::platforms::thingsboard::options::{Credentials, DeviceOptions};
use crate::platforms::thingsboard::pacing::Budget;
use crate::platforms::thingsboard::provision::ProvisionRequest;
use crate::platforms::thingsboard::provision_exchange::{ProvisionEvent, ProvisionExchange};
use crate::platforms::thingsboard::session::{DeviceEvent, DeviceSession, OpId, Outcome, SessionOptions};
use crate::platforms::thingsboard::telemetry::validate_attributes;
use crate::platforms::thingsboard::topics::{self, PackageKind};
use crate::platforms::thingsboard::updater::{Updater, UpdaterEvent};
use crate::session::options::read::Item;
use crate::session::reason::ConnectRefusal;
use crate::session::{ConnectOptions, ProtocolVersion};

/// The commands, shared with `npm/src/thingsboard/`. `text`, `json` (JSON text of a caller's value)
/// and `bytes` (plain data) carry what each names; an operation returns its id and ends with `DONE`.
pub mod op {
    /// `bytes`: the options; `n`: 1 for a gateway. Returns; the connection to open is
    /// `take_connection`'s.
    /// `n`: 1 for a gateway, plus 2 on a connection the origin's tabs share (its options:
    /// `take_shared_options`).
    pub const CONNECT: u8 = 0;
    /// `text`: the code of the error the connect failed with. Throws the platform's error for a
    /// refused login; returns when the client's error stands.
    pub const LOGIN_FAILED: u8 = 1;
    /// The client connected. Returns the operation that reads the session limits, or −1.
    pub const CONNECTED: u8 = 2;
    /// `json`: the telemetry. An operation.
    pub const TELEMETRY: u8 = 3;
    /// `json`: the attributes. An operation.
    pub const ATTRIBUTES: u8 = 4;
    /// `bytes`: `{client?, shared?}` key lists. An operation; its result is the values.
    pub const REQUEST_ATTRIBUTES: u8 = 5;
    /// An operation: shared attribute updates subscribed.
    pub const SUBSCRIBE_SHARED: u8 = 6;
    /// `text`: the method, `bytes`: `{oneWay?}`. Handles that server-side RPC.
    pub const ON_RPC: u8 = 7;
    /// `text`: the method.
    pub const REMOVE_RPC: u8 = 8;
    /// An operation: server-side RPC requests subscribed.
    pub const ENABLE_RPC: u8 = 9;
    /// `text`: the method, `json`: the params. An operation; its result is the server's answer.
    pub const CALL: u8 = 10;
    /// `bytes`: `{secretKey?, durationMs?}`; `text`: a gateway's device. An operation.
    pub const CLAIM: u8 = 11;
    /// `n`: the request's id, `json`: the result, or none and `text` the error.
    pub const RPC_REPLY: u8 = 12;
    /// `text`: the topic, `bytes`: the payload.
    pub const MESSAGE: u8 = 13;
    /// `text`: the filter; `n`: 1 granted, 0 failed.
    pub const SUBSCRIBED: u8 = 14;
    /// `n`: the publish the client completed.
    pub const PUBLISHED: u8 = 15;
    /// `n`: the publish that failed.
    pub const PUBLISH_FAILED: u8 = 16;
    pub const HANDLE_TIMEOUT: u8 = 17;
    pub const CLOSE: u8 = 18;
    /// Returns the attribute mirror (JSON text).
    pub const MIRROR: u8 = 19;
    /// Returns the session limits (JSON text).
    pub const LIMITS: u8 = 20;
    /// Returns the subscribed filters (JSON text).
    pub const FILTERS: u8 = 21;
    /// `bytes`: `{kind?, currentTitle?, currentVersion?, chunkSize?}`. An operation (the updater
    /// watching), returned with the package kind (`fw` or `sw`).
    pub const START_FIRMWARE: u8 = 22;
    /// `n`: the update's generation, `bytes`: `[0]` fw or `[1]` sw; `json` "null" when the installer
    /// worked, or none and `text` its error.
    pub const INSTALLED: u8 = 23;
    /// `text`: the sub-device, `json`: its type (a string) or none. An operation.
    pub const CONNECT_DEVICE: u8 = 24;
    /// `text`: the sub-device. An operation.
    pub const DISCONNECT_DEVICE: u8 = 25;
    /// `text`: the sub-device, `json`: its telemetry. An operation.
    pub const DEVICE_TELEMETRY: u8 = 26;
    /// `text`: the sub-device, `json`: its attributes. An operation.
    pub const DEVICE_ATTRIBUTES: u8 = 27;
    /// `text`: the sub-device, `json`: the keys, `n`: 1 client-side. An operation; its result is the values.
    pub const DEVICE_REQUEST_ATTRIBUTES: u8 = 28;
    /// An operation: the sub-devices' attribute updates subscribed.
    pub const SUBSCRIBE_DEVICE_ATTRIBUTES: u8 = 29;
    /// An operation: the sub-devices' RPC requests subscribed.
    pub const ENABLE_DEVICE_RPC: u8 = 30;
    /// `text`: the sub-device, `n`: the request's id, `json`: the result, or none and `bytes` the error (UTF-8).
    pub const DEVICE_RPC_REPLY: u8 = 31;
    /// Returns the connected sub-devices (JSON text).
    pub const DEVICES: u8 = 32;
    /// `bytes`: `[request, options]`. Returns; the provisioning session's connection is
    /// `take_connection`'s.
    pub const PROVISION: u8 = 33;
    /// `text`: the type of the client's new state (`connected`, `disconnected`, ...); on a shared
    /// connection `n` is the host's number × 2³² + the tab's number in that host.
    pub const STATE: u8 = 34;
    /// `n`: the update's generation, `bytes`: `[0]` fw or `[1]` sw, then the image's digest; `json`
    /// "null" when the digest was computed, or none and `text` why not.
    pub const DIGESTED: u8 = 35;
    /// `n`: the update's generation, `bytes`: `[0]` fw or `[1]` sw, `text`: the words of the error
    /// that failed it (for `fw_error`).
    pub const DESCRIBED: u8 = 36;
    /// A shared connection: `text`: the turn the session gave (`n` 1), or could not give (`n` 0).
    pub const LEASED: u8 = 37;
    /// A shared connection: `n` tabs share it now.
    pub const TABS: u8 = 38;
    /// A shared connection: `n` is the tab that holds the turn `text` (0: none), as `HOLDER` asked.
    pub const HOLDER: u8 = 39;
}

/// Record tags, shared with `npm/src/thingsboard/`.
pub mod tag {
    /// Subscribe (QoS 1) to this filter and report `SUBSCRIBED`.
    pub const SUBSCRIBE: u8 = 1;
    /// Publish: the publish's id, topic, payload and QoS; report `PUBLISHED` or `PUBLISH_FAILED`.
    pub const PUBLISH: u8 = 2;
    /// An operation ended: its id, then 1 and its result (JSON text), or 0 and the error.
    pub const DONE: u8 = 3;
    /// Shared attributes changed (JSON text).
    pub const SHARED_ATTRIBUTES: u8 = 4;
    /// A server-side RPC: id, method, params (JSON text), one-way; answer with `RPC_REPLY` unless one-way.
    pub const RPC_REQUEST: u8 = 5;
    /// A sub-device's attributes changed (JSON text, with its `device`).
    pub const DEVICE_ATTRIBUTES: u8 = 6;
    /// A sub-device's RPC (JSON text of the request); answer with `DEVICE_RPC_REPLY`.
    pub const DEVICE_RPC: u8 = 7;
    /// An error outside any call.
    pub const ERROR: u8 = 8;
    /// A firmware event (JSON text).
    pub const FIRMWARE: u8 = 9;
    /// Install: the update's generation, the package (JSON text, with its `kind`), the image; report `INSTALLED`.
    pub const INSTALL: u8 = 10;
    /// The provisioning ended: 1 and the credentials (JSON text), or 0 and the error.
    pub const PROVISIONED: u8 = 11;
    /// Digest: the update's generation, its kind (0 fw, 1 sw), SubtleCrypto's name of the algorithm
    /// (`SHA-256`, ...), the image; report `DIGESTED`.
    pub const DIGEST: u8 = 12;
    /// Describe: the update's generation, its kind (0 fw, 1 sw), the error that failed it; report
    /// its words with `DESCRIBED`.
    pub const DESCRIBE: u8 = 13;
    /// A shared connection: ask for this turn and report `LEASED`.
    pub const LEASE: u8 = 14;
    /// A shared connection: give this turn back.
    pub const RELEASE: u8 = 15;
    /// A shared connection: ask which tab holds this turn and report `HOLDER`.
    pub const HOLDER: u8 = 16;
    pub use crate::batch::{RETURN, THROW};
}

type Thrown = command::Thrown<ThingsBoardError>;

/// Whether this build takes a device's own commands (cargo feature `thingsboard-device`: its
/// telemetry, attributes, RPC both ways, claiming and firmware updates), a gateway's
/// (`thingsboard-gateway`) and provisioning (`thingsboard-provision`). The npm package's
/// `iotmqtt/thingsboard` entry has the device's, `iotmqtt/thingsboard-gateway` the gateway's and
/// provisioning; each shell sends only its own commands.
const DEVICE: bool = cfg!(feature = "thingsboard-device");
const GATEWAY: bool = cfg!(feature = "thingsboard-gateway");
const PROVISION: bool = cfg!(feature = "thingsboard-provision");
const SHARED: bool = cfg!(feature = "thingsboard-shared");

fn option(field: &str, reason: &str) -> Thrown {
    command::option(field, reason)
}

fn invalid(name: &str) -> impl Fn(ReadError) -> Thrown + '_ {
    command::invalid(name)
}

/// A failure the shell holds the error of (see the module's note).
fn shell_failure() -> ThingsBoardError {
    ThingsBoardError::Client(ClientError::Session(SessionError::ConnectionLost))
}

/// What the core does when an operation ends.
#[derive(Debug, Clone, PartialEq)]
enum Purpose {
    /// The shell waits for it.
    Shell,
    /// The session limits read after connecting; the shell waits too.
    Limits,
    /// A sub-device connected or disconnected: the gateway's list follows; the shell waits too.
    Device { name: String, connected: bool },
    /// One of the operations that start an updater; the shell waits for the `last`, which fails
    /// with the first of them that fails.
    UpdaterStart { last: OpId, shell: bool },
}

struct Device {
    session: DeviceSession,
    options: DeviceOptions,
    basic: bool,
    /// The gateway's connected sub-devices (`None` for a device).
    devices: Option<VecSet<String>>,
    updaters: Vec<Updater>,
    ops: VecMap<OpId, Purpose>,
}

enum Mode {
    Idle,
    Device(Box<Device>),
    Provision(ProvisionExchange, ProtocolVersion),
}

/// One device, gateway or provisioning for one shell object.
pub struct ThingsBoardCore {
    mode: Mode,
    connection: Option<Connection>,
}

impl Default for ThingsBoardCore {
    fn default() -> Self {
        Self::new()
    }
}

impl ThingsBoardCore {
    pub fn new() -> Self {
        Self { mode: Mode::Idle, connection: None }
    }

    /// The connection the last `CONNECT` or `PROVISION` asked the shell to open, for its `ClientCore`.
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
        let deadline = match &mut self.mode {
            Mode::Device(d) => {
                d.events(c.now, &mut b);
                d.session.poll_timeout()
            }
            Mode::Provision(p, _) if PROVISION => {
                provision_events(p, &mut b);
                p.poll_timeout()
            }
            Mode::Provision(..) | Mode::Idle => None,
        };
        b.finish(deadline)
    }

    fn command(&mut self, c: &Command, b: &mut Batch) -> Result<(), Thrown> {
        let now = c.now;
        match c.op {
            op::CONNECT => {
                let (credentials, options) = login(c.bytes)?;
                let basic = matches!(credentials, Credentials::Basic { .. });
                let connect = options.connect_options(credentials)?;
                self.connection = Some(Connection { connect, reconnect: true });
                b.u8(tag::RETURN);
                let mut session = DeviceSession::new(SessionOptions {
                    qos: options.qos,
                    request_timeout_ms: options.request_timeout_ms,
                });
                if SHARED && c.n >= 2.0 {
                    session.share();
                }
                let devices = (GATEWAY && (c.n == 1.0 || c.n == 3.0)).then(VecSet::new);
                let device = Device { session, options, basic, devices, updaters: Vec::new(), ops: VecMap::new() };
                self.mode = Mode::Device(Box::new(device));
                return Ok(());
            }
            op::PROVISION if PROVISION => {
                let (request, version, timeout_ms) = provision_options(c.bytes)?;
                let payload = request.to_payload()?;
                let connect = ConnectOptions {
                    version,
                    client_id: "provision".into(),
                    username: Some("provision".into()),
                    connect_timeout_ms: u64::from(timeout_ms),
                    ..Default::default()
                };
                self.connection = Some(Connection { connect, reconnect: false });
                b.u8(tag::RETURN);
                self.mode = Mode::Provision(ProvisionExchange::new(payload.into_bytes(), timeout_ms), version);
                return Ok(());
            }
            _ => {}
        }
        match &mut self.mode {
            Mode::Device(d) => d.command(c, b),
            Mode::Provision(p, version) if PROVISION => {
                match c.op {
                    op::LOGIN_FAILED => {
                        if let Some(e) = login_refusal(c.text, false, *version) {
                            return Err(e.into());
                        }
                        b.u8(tag::RETURN);
                    }
                    op::STATE => match c.text {
                        "connected" => p.connected(now),
                        "disconnected" => p.failed(shell_failure()),
                        _ => {}
                    },
                    op::MESSAGE => p.handle_message(c.text, c.bytes),
                    op::SUBSCRIBED => p.subscribed(if c.n != 0.0 { Ok(()) } else { Err(shell_failure()) }),
                    op::PUBLISHED => p.published(Ok(())),
                    op::PUBLISH_FAILED => p.published(Err(shell_failure())),
                    op::CLOSE => p.failed(ThingsBoardError::Client(ClientError::Closed)),
                    _ => p.handle_timeout(now),
                }
                Ok(())
            }
            Mode::Provision(..) | Mode::Idle => {
                Err(ThingsBoardError::Client(ClientError::Session(SessionError::NotConnected)).into())
            }
        }
    }
}

impl Device {
    fn command(&mut self, c: &Command, b: &mut Batch) -> Result<(), Thrown> {
        let now = c.now;
        let s = &mut self.session;
        let op = match c.op {
            op::LOGIN_FAILED => {
                if let Some(e) = login_refusal(c.text, self.basic, self.options.version) {
                    return Err(e.into());
                }
                b.u8(tag::RETURN);
                return Ok(());
            }
            op::CONNECTED => {
                if !self.options.fetch_session_limits {
                    b.u8(tag::RETURN).f64(-1.0);
                    return Ok(());
                }
                let op = s.call(now, "getSessionLimits", &Value::Object(Default::default()))?;
                self.ops.insert(op, Purpose::Limits);
                b.u8(tag::RETURN).f64(op as f64);
                return Ok(());
            }
            op::TELEMETRY if DEVICE => s.send_telemetry(now, &json(c.json, "telemetry")?)?,
            op::ATTRIBUTES if DEVICE => s.send_attributes(now, &json(c.json, "attributes")?)?,
            op::REQUEST_ATTRIBUTES if DEVICE => {
                let mut f = fields(c.bytes, "request")?;
                let read = (|| {
                    let client: Option<Vec<String>> = f.optional("client")?;
                    let shared: Option<Vec<String>> = f.optional("shared")?;
                    f.deny_unknown().map(|()| (client.unwrap_or_default(), shared.unwrap_or_default()))
                })();
                let (client, shared) = read.map_err(invalid("request"))?;
                let client: Vec<&str> = client.iter().map(String::as_str).collect();
                let shared: Vec<&str> = shared.iter().map(String::as_str).collect();
                s.request_attributes(now, &client, &shared)?
            }
            op::SUBSCRIBE_SHARED if DEVICE => s.subscribe(now, topics::ATTRIBUTES),
            op::ON_RPC if DEVICE => {
                let mut f = fields(c.bytes, "options")?;
                let one_way = f.or("oneWay", false).and_then(|w| f.deny_unknown().map(|()| w));
                s.register_rpc(now, c.text, one_way.map_err(invalid("options"))?);
                b.u8(tag::RETURN);
                return Ok(());
            }
            op::REMOVE_RPC if DEVICE => {
                s.remove_rpc(c.text);
                b.u8(tag::RETURN);
                return Ok(());
            }
            op::ENABLE_RPC if DEVICE => s.subscribe(now, topics::RPC_REQUEST_FILTER),
            op::CALL if DEVICE => {
                let params = match c.json {
                    None => Value::Object(Default::default()),
                    Some(_) => json(c.json, "params")?,
                };
                s.call(now, c.text, &params)?
            }
            op::CLAIM => {
                let (secret, duration) = claim_options(c.bytes)?;
                match GATEWAY && self.devices.is_some() {
                    true => {
                        let body = codec::claim_payload(c.text, secret.as_deref(), duration)?;
                        s.publish(now, topics::GATEWAY_CLAIM, body.into_bytes(), Budget::Message)?
                    }
                    false => s.claim(now, secret.as_deref(), duration)?,
                }
            }
            op::RPC_REPLY if DEVICE => {
                s.reply_rpc(now, c.n as u64, &reply(c));
                return Ok(());
            }
            op::MESSAGE => {
                s.handle_message(now, c.text, c.bytes);
                return Ok(());
            }
            op::SUBSCRIBED => {
                let result = if c.n != 0.0 { Ok(()) } else { Err(shell_failure()) };
                s.subscribed(now, c.text, result);
                return Ok(());
            }
            op::PUBLISHED => {
                s.published(now, c.n as u64, Ok(()));
                return Ok(());
            }
            op::PUBLISH_FAILED => {
                s.published(now, c.n as u64, Err(shell_failure()));
                return Ok(());
            }
            op::CLOSE => {
                s.close(ThingsBoardError::Client(ClientError::Closed));
                self.updaters.clear();
                return Ok(());
            }
            op::MIRROR if DEVICE => return returns(b, s.mirror()),
            op::LIMITS => return returns(b, s.limits()),
            op::FILTERS if DEVICE => return returns(b, &s.subscribed_filters()),
            op::DEVICES if GATEWAY => {
                let mut names: Vec<&String> = self.devices.iter().flat_map(|d| d.iter()).collect();
                crate::collections::heapsort(&mut names);
                return returns(b, &names);
            }
            op::START_FIRMWARE if DEVICE => {
                let mut updater = updater_options(c.bytes)?;
                let kind = updater.kind().prefix();
                #[cfg(feature = "thingsboard-shared")]
                if s.is_shared() {
                    // A tab of a shared connection updates while it holds the device's firmware
                    // turn: its updater starts when it is given (`turns`); the shell waits for none.
                    updater.set_running(false);
                    s.ask_turn(crate::platforms::thingsboard::session::firmware_turn(updater.kind()));
                    b.u8(tag::RETURN).f64(-1.0).str(kind);
                    self.updaters.push(updater);
                    return Ok(());
                }
                let last = self.start_updater(&mut updater, now, true)?;
                b.u8(tag::RETURN).f64(last as f64).str(kind);
                self.updaters.push(updater);
                return Ok(());
            }
            op::INSTALLED if DEVICE => {
                let result = if c.json.is_some() { Ok(()) } else { Err(c.text.to_owned()) };
                let kind = if c.bytes.first() == Some(&1) { PackageKind::Sw } else { PackageKind::Fw };
                for u in self.updaters.iter_mut().filter(|u| u.kind() == kind) {
                    u.installed(s, now, c.n as u64, result.clone());
                }
                return Ok(());
            }
            op::DESCRIBED if DEVICE => {
                let kind = if c.bytes.first() == Some(&1) { PackageKind::Sw } else { PackageKind::Fw };
                for u in self.updaters.iter_mut().filter(|u| u.kind() == kind) {
                    u.described(s, now, c.n as u64, c.text.to_owned());
                }
                return Ok(());
            }
            op::DIGESTED if DEVICE => {
                let (kind, digest) = c.bytes.split_first().map_or((0, &[][..]), |(k, d)| (*k, d));
                let result = if c.json.is_some() { Ok(digest.to_vec()) } else { Err(c.text.to_owned()) };
                let kind = if kind == 1 { PackageKind::Sw } else { PackageKind::Fw };
                for u in self.updaters.iter_mut().filter(|u| u.kind() == kind) {
                    u.digested(s, now, c.n as u64, result.clone());
                }
                return Ok(());
            }
            op::CONNECT_DEVICE | op::DISCONNECT_DEVICE if GATEWAY => {
                let connected = c.op == op::CONNECT_DEVICE;
                let body = if connected {
                    let kind = match json(c.json, "deviceType")? {
                        Value::Null => None,
                        Value::String(t) => Some(t),
                        _ => return Err(option("deviceType", "expected a string")),
                    };
                    codec::connect_payload(c.text, kind.as_deref())?
                } else {
                    codec::disconnect_payload(c.text)?
                };
                let topic = if connected { topics::GATEWAY_CONNECT } else { topics::GATEWAY_DISCONNECT };
                let op = s.publish(now, topic, body.into_bytes(), Budget::Message)?;
                self.ops.insert(op, Purpose::Device { name: c.text.to_owned(), connected });
                b.u8(tag::RETURN).f64(op as f64);
                return Ok(());
            }
            op::DEVICE_TELEMETRY if GATEWAY => {
                let telemetry = json(c.json, "telemetry")?;
                let epoch_ms = now as i64;
                s.gateway_telemetry(now, epoch_ms, &[(c.text, &telemetry)])?
            }
            op::DEVICE_ATTRIBUTES if GATEWAY => {
                let attributes = json(c.json, "attributes")?;
                let body = codec::attributes_payload(c.text, validate_attributes(&attributes)?)?;
                s.publish(now, topics::GATEWAY_ATTRIBUTES, body.into_bytes(), Budget::Message)?
            }
            op::DEVICE_REQUEST_ATTRIBUTES if GATEWAY => {
                let keys: Vec<String> = match json(c.json, "keys")? {
                    Value::Null => Vec::new(),
                    v => FromJson::from_json(v).map_err(|e| invalid("keys")(e.under("keys")))?,
                };
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                s.gateway_request_attributes(now, c.text, &keys, c.n != 0.0)?
            }
            op::SUBSCRIBE_DEVICE_ATTRIBUTES if GATEWAY => s.subscribe(now, topics::GATEWAY_ATTRIBUTES),
            op::ENABLE_DEVICE_RPC if GATEWAY => s.enable_gateway_rpc(now),
            op::DEVICE_RPC_REPLY if GATEWAY => {
                let result = match c.json {
                    Some(text) => crate::json::parse(text.as_bytes()),
                    // The shell's `TextEncoder` wrote the words, so they are UTF-8.
                    None => Err(std::str::from_utf8(c.bytes).unwrap_or_default().to_owned()),
                };
                s.reply_gateway_rpc(now, c.text, c.n as u64, &result);
                return Ok(());
            }
            #[cfg(feature = "thingsboard-shared")]
            op::STATE if SHARED => {
                // `n`: the host's number (high 32 bits) and the tab's (low 32).
                if c.text == "connected" {
                    s.connection_up(c.n as u64 as u32, (c.n as u64 >> 32) as u32);
                }
                self.turns(now, b);
                return Ok(());
            }
            op::STATE => return Ok(()),
            #[cfg(feature = "thingsboard-shared")]
            op::LEASED if SHARED => {
                s.leased(c.text, c.n != 0.0);
                self.turns(now, b);
                return Ok(());
            }
            #[cfg(feature = "thingsboard-shared")]
            op::TABS if SHARED => {
                s.set_tabs(now, c.n as usize);
                return Ok(());
            }
            #[cfg(feature = "thingsboard-shared")]
            op::HOLDER if SHARED && DEVICE => {
                s.holder(now, c.text, c.n as u32);
                return Ok(());
            }
            _ => {
                s.handle_timeout(now);
                return Ok(());
            }
        };
        self.ops.insert(op, Purpose::Shell);
        b.u8(tag::RETURN).f64(op as f64);
        Ok(())
    }

    /// Starts watching with `updater` (`Updater::start`): the id of its last operation, which
    /// `shell` waits for; otherwise a failure is an `ERROR` record.
    fn start_updater(&mut self, updater: &mut Updater, now: u64, shell: bool) -> Result<OpId, ThingsBoardError> {
        updater.set_running(true);
        let ops = updater.start(&mut self.session, now)?;
        let last = ops.last().copied().unwrap_or_default();
        for op in ops {
            self.ops.insert(op, Purpose::UpdaterStart { last, shell });
        }
        Ok(last)
    }

    /// A shared connection: each updater runs while its tab holds the device's firmware turn. One
    /// given the turn starts watching again (its package may have changed while another tab held it);
    /// one that lost it (a new host) gives up the update under way, which the holder starts again.
    #[cfg(feature = "thingsboard-shared")]
    fn turns(&mut self, now: u64, b: &mut Batch) {
        use crate::platforms::thingsboard::session::firmware_turn;
        if !DEVICE {
            return;
        }
        let mut updaters = std::mem::take(&mut self.updaters);
        for u in &mut updaters {
            let held = self.session.holds_turn(&firmware_turn(u.kind()));
            if u.follow_turn(held) {
                if let Err(e) = self.start_updater(u, now, false) {
                    b.u8(tag::ERROR).error(&e);
                }
            }
        }
        self.updaters = updaters;
    }

    /// What the session and the updaters ask of the shell, and the operations they ended.
    fn events(&mut self, now: u64, b: &mut Batch) {
        while let Some(event) = self.session.poll_event() {
            match event {
                DeviceEvent::RequestSubscribe { filter } => {
                    b.u8(tag::SUBSCRIBE).str(&filter);
                }
                DeviceEvent::RequestPublish { publish, topic, payload, qos } => {
                    b.u8(tag::PUBLISH).f64(publish as f64).str(&topic).bytes(&payload).u8(u8::from(qos));
                }
                DeviceEvent::NotifyDone { op, result } => self.done(now, op, result, b),
                DeviceEvent::NotifySharedAttributes(update) => {
                    b.u8(tag::SHARED_ATTRIBUTES).str(&update.to_json_text());
                    for u in self.updaters.iter_mut().filter(|_| DEVICE) {
                        u.check(&mut self.session, now);
                    }
                }
                DeviceEvent::NotifyRpcRequest { request, one_way } => {
                    b.u8(tag::RPC_REQUEST).f64(request.id as f64).str(&request.method);
                    b.str(&request.params.to_json_text()).bool(one_way);
                }
                DeviceEvent::NotifyGatewayAttributes { device, update } => {
                    let mut event = Writer::default();
                    event.open().field("values", &update.values).field("deleted", &update.deleted);
                    event.field("device", &device).close();
                    b.u8(tag::DEVICE_ATTRIBUTES).str(&event.finish());
                }
                DeviceEvent::NotifyGatewayRpc(request) => {
                    b.u8(tag::DEVICE_RPC).str(&request.to_json_text());
                }
                DeviceEvent::NotifyError(e) => {
                    b.u8(tag::ERROR).error(&e);
                }
                #[cfg(feature = "thingsboard-shared")]
                DeviceEvent::RequestLease { topic } => {
                    b.u8(tag::LEASE).str(&topic);
                }
                #[cfg(feature = "thingsboard-shared")]
                DeviceEvent::ReleaseLease { topic } => {
                    b.u8(tag::RELEASE).str(&topic);
                }
                #[cfg(feature = "thingsboard-shared")]
                DeviceEvent::RequestHolder { topic } => {
                    b.u8(tag::HOLDER).str(&topic);
                }
            }
        }
        for u in self.updaters.iter_mut().filter(|_| DEVICE) {
            while let Some(event) = u.poll_event() {
                match event {
                    UpdaterEvent::Firmware(e) => b.u8(tag::FIRMWARE).str(&e.to_json_text()),
                    UpdaterEvent::Digest { generation, package, algorithm } => {
                        let kind = u8::from(package.kind == PackageKind::Sw);
                        let name = algorithm.shell_name();
                        let image = u.digest_input(generation).unwrap_or_default();
                        b.u8(tag::DIGEST).f64(generation as f64).u8(kind).str(name).bytes(image)
                    }
                    UpdaterEvent::Describe { generation, package, error } => {
                        let kind = u8::from(package.kind == PackageKind::Sw);
                        b.u8(tag::DESCRIBE).f64(generation as f64).u8(kind).error(&error)
                    }
                    UpdaterEvent::Install { generation, package, image } => {
                        b.u8(tag::INSTALL).f64(generation as f64).str(&package.to_json_text()).bytes(&image)
                    }
                    UpdaterEvent::Error(e) => b.u8(tag::ERROR).error(&e),
                };
            }
        }
    }

    /// An operation ended: the updater's, the limits', a sub-device's, or the shell's.
    fn done(&mut self, now: u64, op: OpId, result: Result<Outcome, ThingsBoardError>, b: &mut Batch) {
        for u in self.updaters.iter_mut().filter(|_| DEVICE) {
            if u.op_done(&mut self.session, now, op, &result) {
                return;
            }
        }
        let Some(purpose) = self.ops.remove(&op) else { return };
        let op = match (&purpose, &result) {
            // An updater's first operations: the first failure ends its start; the last starts it.
            (Purpose::UpdaterStart { last, .. }, Err(_)) if *last != op => match self.ops.remove(last) {
                Some(_) => *last,
                None => return,
            },
            (Purpose::UpdaterStart { last, .. }, Ok(_)) if *last != op => return,
            (Purpose::UpdaterStart { .. }, Ok(_)) => {
                for u in self.updaters.iter_mut().filter(|_| DEVICE) {
                    u.check(&mut self.session, now);
                }
                op
            }
            _ => op,
        };
        match (&purpose, &result) {
            (Purpose::Limits, Ok(Outcome::CallResult(value))) => match parse_session_limits(value) {
                Ok(limits) => self.session.set_limits(now, limits),
                Err(e) => {
                    b.u8(tag::ERROR).error(&e);
                }
            },
            (Purpose::Limits, Err(e)) => {
                b.u8(tag::ERROR).error(e);
            }
            (Purpose::Device { name, connected }, Ok(_)) => {
                if let Some(devices) = self.devices.as_mut() {
                    match connected {
                        true => devices.insert(name.clone()),
                        false => devices.remove(name),
                    };
                }
            }
            _ => {}
        }
        // An updater a shared connection's turn started: no shell waits, so a failure is an error.
        if let (Purpose::UpdaterStart { shell: false, .. }, Err(e)) = (&purpose, &result) {
            b.u8(tag::ERROR).error(e);
            return;
        }
        b.u8(tag::DONE).f64(op as f64);
        match (purpose, result) {
            (Purpose::Limits | Purpose::UpdaterStart { .. }, Ok(_)) => b.bool(true).str("null"),
            (_, Ok(Outcome::Attributes(r))) => b.bool(true).str(&r.to_json_text()),
            (_, Ok(Outcome::CallResult(v))) => b.bool(true).str(&text(&v)),
            (_, Ok(Outcome::GatewayAttributes(values))) => b.bool(true).str(&values.to_json_text()),
            (_, Ok(_)) => b.bool(true).str("null"),
            (_, Err(e)) => b.bool(false).error(&e),
        };
    }
}

fn provision_events(p: &mut ProvisionExchange, b: &mut Batch) {
    while let Some(event) = p.poll_event() {
        match event {
            ProvisionEvent::RequestSubscribe { filter } => b.u8(tag::SUBSCRIBE).str(filter),
            ProvisionEvent::RequestPublish { topic, payload } => {
                b.u8(tag::PUBLISH).f64(0.0).str(topic).bytes(&payload).u8(1)
            }
            ProvisionEvent::NotifyDone(Ok(credentials)) => {
                b.u8(tag::PROVISIONED).bool(true).str(&credentials.to_json_text())
            }
            ProvisionEvent::NotifyDone(Err(e)) => b.u8(tag::PROVISIONED).bool(false).error(&e),
        };
    }
}

fn returns<T: ToJson + ?Sized>(b: &mut Batch, value: &T) -> Result<(), Thrown> {
    b.u8(tag::RETURN).str(&value.to_json_text());
    Ok(())
}

/// The client's CONNACK error (`CONNACK_NOT_AUTHORIZED`, ...) in ThingsBoard's words, when it has
/// them; the refusal's number is found from its name for the login's MQTT version.
fn login_refusal(code_name: &str, basic: bool, version: ProtocolVersion) -> Option<ThingsBoardError> {
    let read = match version {
        ProtocolVersion::V3_1_1 => ConnectRefusal::from_v3,
        ProtocolVersion::V5 => ConnectRefusal::from_v5,
    };
    let code = (1..=u8::MAX).find(|c| read(*c).code() == code_name)?;
    ThingsBoardError::from_refusal(read(code), code, basic)
}

/// An RPC handler's answer: its result (JSON text) or its error.
fn reply(c: &Command) -> Result<Value, String> {
    match c.json {
        Some(text) => crate::json::parse(text.as_bytes()),
        None => Err(c.text.to_owned()),
    }
}

/// The credentials and the session's options.
fn login(bytes: &[u8]) -> Result<(Credentials, DeviceOptions), Thrown> {
    let mut f = fields(bytes, "options")?;
    let read = (|| {
        let credentials = Credentials::read(&mut f)?;
        let options = DeviceOptions::read(&mut f)?;
        f.deny_unknown().map(|()| (credentials, options))
    })();
    read.map_err(invalid("options"))
}

/// `{secretKey?, durationMs?}`.
fn claim_options(bytes: &[u8]) -> Result<(Option<String>, Option<u64>), Thrown> {
    let mut f = fields(bytes, "options")?;
    let read = (|| {
        let secret: Option<String> = f.optional("secretKey")?;
        let duration = match f.optional::<f64>("durationMs")? {
            Some(d) if d >= 0.0 => Some(d as u64),
            Some(_) => return Err(ReadError::new("expected a number").under("durationMs")),
            None => None,
        };
        f.deny_unknown().map(|()| (secret, duration))
    })();
    read.map_err(invalid("options"))
}

/// `{kind?, currentTitle?, currentVersion?, chunkSize?}`.
fn updater_options(bytes: &[u8]) -> Result<Updater, Thrown> {
    let mut f = fields(bytes, "options")?;
    let read = (|| {
        let kind = match f.optional::<String>("kind")?.as_deref() {
            None | Some("fw") => PackageKind::Fw,
            Some("sw") => PackageKind::Sw,
            Some(other) => {
                return Err(ReadError::new(format!(
                    "unknown package kind {}: use \"fw\" or \"sw\"",
                    crate::json::quoted(other)
                ))
                .under("kind"))
            }
        };
        let title: Option<String> = f.optional("currentTitle")?;
        let version: Option<String> = f.optional("currentVersion")?;
        let chunk_size = match f.optional::<f64>("chunkSize")? {
            Some(c) if c >= 0.0 => c as usize,
            Some(_) => return Err(ReadError::new("expected a number").under("chunkSize")),
            None => 8 * 1024,
        };
        f.deny_unknown().map(|()| Updater::new(kind, title.zip(version), chunk_size))
    })();
    read.map_err(invalid("options"))
}

/// `[request, options]`: the provisioning request and `{version?, timeoutMs?}`.
fn provision_options(bytes: &[u8]) -> Result<(ProvisionRequest, ProtocolVersion, u32), Thrown> {
    let Item::List(mut items) = plain::decode(bytes).map_err(invalid("request"))? else {
        return Err(option("request", "expected an object"));
    };
    let options = items.pop().unwrap_or(Item::Null);
    let request = items.pop().unwrap_or(Item::Null);
    let value = |item: Item<Entries>, name: &str| -> Result<Value, Thrown> {
        match item {
            Item::Null if name == "options" => Ok(Value::Object(Default::default())),
            item => plain::to_json(item).map_err(invalid(name)),
        }
    };
    let mut f = Fields::new(value(request, "request")?).map_err(invalid("request"))?;
    let request =
        ProvisionRequest::read(&mut f).and_then(|r| f.deny_unknown().map(|()| r)).map_err(invalid("request"))?;
    let mut f = Fields::new(value(options, "options")?).map_err(invalid("options"))?;
    let read = (|| {
        let version = f.or("version", ProtocolVersion::V3_1_1)?;
        let timeout_ms = f.or("timeoutMs", 10_000)?;
        f.deny_unknown().map(|()| (request, version, timeout_ms))
    })();
    read.map_err(invalid("options"))
}
