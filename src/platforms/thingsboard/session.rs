//! One ThingsBoard device's session, pure: what the application asks for (telemetry, attributes,
//! attribute requests, client-side RPC, claims, firmware chunks, server-side RPC replies) becomes
//! subscriptions and paced publishes; what the server sends becomes typed events. It owns request
//! ids and their correlation, request timeouts, the rate and in-flight limits, lazy subscription to
//! whitelisted filters and the attribute mirror (docs/platforms/thingsboard.md). Time is an input;
//! the async `ThingsBoardDevice` only carries its requests out and reports back.

use std::collections::VecDeque;

use crate::json::{Map, Value};

use super::attributes::{
    attribute_request_payload, parse_attribute_response, parse_shared_update, AttributeMirror, AttributeResponse,
    SharedAttributesUpdate,
};
use super::error::ThingsBoardError;
use super::gateway::{self as gateway_codec, GatewayRpcRequest};
use super::limits::SessionLimits;
use super::pacing::{Budget, Pacer, PacingStatus};
use super::rpc::{claim_payload, parse_rpc_request, parse_rpc_result, rpc_call_payload, rpc_reply_payload, RpcRequest};
use super::telemetry::{data_points, parse_telemetry, split_payloads, validate_attributes, TelemetryRecord};
use super::topics::{self, PackageKind};
use crate::collections::VecMap;
use crate::platforms::subscriptions::{LazySubscriptions, Need};
use crate::session::QoS;
use crate::supervisor::Millis;

/// Whether this build has the gateway API (cargo feature `thingsboard-gateway`) and the device's own
/// (`thingsboard-device`: its shared attributes, attribute requests, server-side RPC and firmware).
/// Without one, its topics are none of this session's, and its code stays out of the build: the npm
/// package's `iotmqtt/thingsboard` entry is a device's, `iotmqtt/thingsboard-gateway` a gateway's.
const GATEWAY: bool = cfg!(feature = "thingsboard-gateway");
const DEVICE: bool = cfg!(feature = "thingsboard-device");
/// Whether this build can be a tab's of a shared connection (cargo feature `thingsboard-shared`):
/// without it, `share` does nothing and the turns' code stays out of the build.
const SHARED: bool = cfg!(feature = "thingsboard-shared");

/// The turn on a gateway's sub-device RPCs among the tabs of a shared connection: one tab answers
/// them all, as one gateway application does.
const GATEWAY_RPC_TURN: &str = "gateway/rpc";

#[cfg(feature = "thingsboard-shared")]
mod shared;
#[cfg(feature = "thingsboard-shared")]
pub use shared::{firmware_turn, rpc_turn, UNKNOWN_RPC_TURN};

/// Names one operation the application started, in `NotifyDone`.
pub type OpId = u64;
/// Names one publish the session asked for, in `published`.
pub type PublishId = u64;

/// How a finished operation ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every publish of it was handed over (QoS 0) or acknowledged (QoS 1), or the subscription is in place.
    Done,
    Attributes(AttributeResponse),
    CallResult(Value),
    Chunk(Vec<u8>),
    /// A gateway's answer for one sub-device's attributes.
    GatewayAttributes(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    /// Subscribe to this whitelisted filter and report with `subscribed`.
    RequestSubscribe {
        filter: String,
    },
    /// Publish this and report with `published` (at once for QoS 0, on PUBACK for QoS 1).
    RequestPublish {
        publish: PublishId,
        topic: String,
        payload: Vec<u8>,
        qos: QoS,
    },
    NotifyDone {
        op: OpId,
        result: Result<Outcome, ThingsBoardError>,
    },
    NotifySharedAttributes(SharedAttributesUpdate),
    /// A server-side RPC for a registered method; answer it with `reply_rpc` unless `one_way`.
    NotifyRpcRequest {
        request: RpcRequest,
        one_way: bool,
    },
    /// A gateway: shared attributes of one sub-device changed.
    NotifyGatewayAttributes {
        device: String,
        update: SharedAttributesUpdate,
    },
    /// A gateway: a server-side RPC for a sub-device; answer it with `reply_gateway_rpc`.
    NotifyGatewayRpc(GatewayRpcRequest),
    /// Something that belongs to no operation went wrong: invalid JSON from the server, a reply
    /// that could not be sent, a subscription a handler needed and did not get.
    NotifyError(ThingsBoardError),
    /// A shared connection: ask the session for this turn (`rpc_turn`) and report with `leased`.
    #[cfg(feature = "thingsboard-shared")]
    RequestLease {
        topic: String,
    },
    /// A shared connection: give this turn back.
    #[cfg(feature = "thingsboard-shared")]
    ReleaseLease {
        topic: String,
    },
    /// A shared connection: ask the session which tab holds this turn, and report with `holder`.
    #[cfg(feature = "thingsboard-shared")]
    RequestHolder {
        topic: String,
    },
}

/// What an operation waits for once its publishes are out.
#[derive(Debug, Clone, PartialEq)]
enum Awaits {
    Nothing,
    Attributes(u32),
    Call {
        id: u32,
        method: String,
    },
    Chunk {
        kind: PackageKind,
        request_id: u32,
        index: u32,
    },
    /// A gateway attribute request; a single-key answer names no key, so the key is kept.
    GatewayAttributes {
        id: u32,
        single_key: Option<String>,
    },
}

impl Awaits {
    fn what(&self) -> &'static str {
        match self {
            Awaits::Nothing => "publish",
            Awaits::Attributes(_) => "attribute request",
            Awaits::Call { .. } => "RPC call",
            Awaits::Chunk { .. } => "firmware chunk",
            Awaits::GatewayAttributes { .. } => "gateway attribute request",
        }
    }
}

#[derive(Debug)]
struct Operation {
    /// Started by the session itself (an RPC reply, a handler's subscription): its failure is
    /// reported as `NotifyError`, its success not at all.
    internal: bool,
    /// Publishes not yet acknowledged, and those not yet handed over.
    unacked: usize,
    publishes: Vec<(String, Vec<u8>, Budget)>,
    awaits: Awaits,
    deadline: Option<Millis>,
}

#[derive(Debug)]
struct Queued {
    publish: PublishId,
    op: OpId,
    topic: String,
    payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// QoS of every publish (ThingsBoard takes 0 or 1).
    pub qos: QoS,
    /// How long attribute requests, RPC calls and firmware chunks wait for their answer.
    pub request_timeout_ms: u32,
}

pub struct DeviceSession {
    options: SessionOptions,
    now: Millis,
    limits: SessionLimits,
    pacer: Pacer,
    subscriptions: LazySubscriptions<OpId>,
    ops: VecMap<OpId, Operation>,
    /// Publishes waiting for the pacer, by ticket.
    paced: VecMap<u64, Queued>,
    /// Publishes handed over and not yet reported, with whether they hold an in-flight slot.
    sent: VecMap<PublishId, (OpId, bool)>,
    rpc_methods: VecMap<String, bool>,
    /// A shared connection's: this tab's turn on each server RPC method it handles.
    #[cfg(feature = "thingsboard-shared")]
    turns: VecMap<String, shared::Turn>,
    /// A shared connection's server RPCs this tab answers "unknown method" if no tab holds their
    /// method's turn, waiting to know it (`RequestHolder`): the turn, the RPC's id, its method.
    #[cfg(feature = "thingsboard-shared")]
    unknown: Vec<(String, u64, String)>,
    /// On a connection the origin's tabs share (`crate::shared`): this tab's request ids are its
    /// block's (`share`), and it runs a server RPC only while it holds the method's turn.
    shared: bool,
    /// The high bits of this tab's request ids (0 on a connection of its own).
    block: u32,
    /// This tab's number, and which host gave it (`connection_up`; 0 before).
    #[cfg(feature = "thingsboard-shared")]
    tab: u32,
    #[cfg(feature = "thingsboard-shared")]
    host: u32,
    /// A gateway's application answers its sub-devices' RPCs.
    gateway_rpc: bool,
    mirror: AttributeMirror,
    events: VecDeque<DeviceEvent>,
    next_op: OpId,
    next_publish: PublishId,
    next_request_id: u32,
}

impl DeviceSession {
    pub fn new(options: SessionOptions) -> Self {
        let limits = SessionLimits::default();
        Self {
            options: SessionOptions { qos: options.qos.min(QoS::AtLeastOnce), ..options },
            now: 0,
            pacer: Pacer::new(&limits),
            limits,
            subscriptions: LazySubscriptions::default(),
            ops: VecMap::new(),
            paced: VecMap::new(),
            sent: VecMap::new(),
            rpc_methods: VecMap::new(),
            #[cfg(feature = "thingsboard-shared")]
            turns: VecMap::new(),
            #[cfg(feature = "thingsboard-shared")]
            unknown: Vec::new(),
            shared: false,
            block: 0,
            #[cfg(feature = "thingsboard-shared")]
            tab: 0,
            #[cfg(feature = "thingsboard-shared")]
            host: 0,
            gateway_rpc: false,
            mirror: AttributeMirror::default(),
            events: VecDeque::new(),
            next_op: 0,
            next_publish: 0,
            next_request_id: 0,
        }
    }

    // ---------------------------------------------------------------- what the application asks

    /// Telemetry in any documented format, split so that no PUBLISH exceeds the max payload.
    pub fn send_telemetry(&mut self, now: Millis, telemetry: &Value) -> Result<OpId, ThingsBoardError> {
        let records = parse_telemetry(telemetry)?;
        let parts = split_payloads(&records, self.limits.payload_budget(topics::TELEMETRY))?;
        let publishes = parts
            .into_iter()
            .map(|p| {
                (topics::TELEMETRY.to_owned(), p.json.into_bytes(), Budget::Telemetry { points: p.data_points as u64 })
            })
            .collect();
        self.start(now, None, publishes, Awaits::Nothing, false)
    }

    /// Client-side attributes; the mirror takes them once they are sent.
    pub fn send_attributes(&mut self, now: Millis, attributes: &Value) -> Result<OpId, ThingsBoardError> {
        let map = validate_attributes(attributes)?.clone();
        let op = self.publish(now, topics::ATTRIBUTES, crate::json::text(attributes).into_bytes(), Budget::Message)?;
        self.mirror.apply_client(&map);
        Ok(op)
    }

    /// Asks for client and shared attributes: ends with `Outcome::Attributes` or a timeout.
    pub fn request_attributes(
        &mut self,
        now: Millis,
        client_keys: &[&str],
        shared_keys: &[&str],
    ) -> Result<OpId, ThingsBoardError> {
        let payload = attribute_request_payload(client_keys, shared_keys)?;
        let id = self.request_id();
        let publish = (topics::attributes_request(id), payload.into_bytes(), Budget::Message);
        self.start(now, Some(topics::ATTRIBUTES_RESPONSE_FILTER), vec![publish], Awaits::Attributes(id), false)
    }

    /// Client-side RPC: ends with the server's result, a typed `RpcError`, or a timeout.
    pub fn call(&mut self, now: Millis, method: &str, params: &Value) -> Result<OpId, ThingsBoardError> {
        let payload = rpc_call_payload(method, params)?;
        let id = self.request_id();
        let publish = (topics::rpc_request(id), payload.into_bytes(), Budget::Message);
        let awaits = Awaits::Call { id, method: method.to_owned() };
        self.start(now, Some(topics::RPC_RESPONSE_FILTER), vec![publish], awaits, false)
    }

    /// Starts claiming (docs/platforms/thingsboard.md#claiming).
    pub fn claim(
        &mut self,
        now: Millis,
        secret_key: Option<&str>,
        duration_ms: Option<u64>,
    ) -> Result<OpId, ThingsBoardError> {
        self.publish(now, topics::CLAIM, claim_payload(secret_key, duration_ms).into_bytes(), Budget::Message)
    }

    /// Any publish within the limits (the gateway API, firmware state telemetry).
    pub fn publish(
        &mut self,
        now: Millis,
        topic: &str,
        payload: Vec<u8>,
        budget: Budget,
    ) -> Result<OpId, ThingsBoardError> {
        self.start(now, None, vec![(topic.to_owned(), payload, budget)], Awaits::Nothing, false)
    }

    /// Makes sure a whitelisted filter is subscribed: ends once its SUBACK granted it. On a shared
    /// connection, a tab that takes server RPCs asks for the turn of answering those no tab handles.
    pub fn subscribe(&mut self, now: Millis, filter: &str) -> OpId {
        #[cfg(feature = "thingsboard-shared")]
        if DEVICE && filter == topics::RPC_REQUEST_FILTER {
            self.ask_turn(shared::UNKNOWN_RPC_TURN.into());
        }
        // No publishes and nothing awaited: cannot fail to start.
        self.start(now, Some(filter), Vec::new(), Awaits::Nothing, false).unwrap_or_default()
    }

    /// Asks the server for firmware chunk `index` of download `request_id`: ends with its bytes.
    pub fn request_chunk(
        &mut self,
        now: Millis,
        kind: PackageKind,
        request_id: u32,
        index: u32,
        chunk_size: usize,
    ) -> Result<OpId, ThingsBoardError> {
        let publish = (kind.chunk_request(request_id, index), chunk_size.to_string().into_bytes(), Budget::Message);
        let awaits = Awaits::Chunk { kind, request_id, index };
        self.start(now, Some(&kind.chunk_response_filter()), vec![publish], awaits, false)
    }

    /// Answers server-side RPCs of `method` from now on (one-way: no reply is sent). On a shared
    /// connection, once this tab holds the method's turn.
    pub fn register_rpc(&mut self, now: Millis, method: &str, one_way: bool) {
        #[cfg(feature = "thingsboard-shared")]
        {
            self.ask_turn(rpc_turn(method));
            self.ask_turn(shared::UNKNOWN_RPC_TURN.into());
        }
        self.rpc_methods.insert(method.to_owned(), one_way);
        let _ = self.start(now, Some(topics::RPC_REQUEST_FILTER), Vec::new(), Awaits::Nothing, true);
    }

    /// Later requests for `method` get `{"error": "unknown method: ..."}`; on a shared connection its
    /// turn goes to the next tab that handles it.
    pub fn remove_rpc(&mut self, method: &str) -> bool {
        #[cfg(feature = "thingsboard-shared")]
        self.give_turn(&rpc_turn(method));
        self.rpc_methods.remove(method).is_some()
    }

    /// The application's answer to `NotifyRpcRequest`.
    pub fn reply_rpc(&mut self, now: Millis, id: u64, result: &Result<Value, String>) {
        let publish = (topics::rpc_response(&id.to_string()), rpc_reply_payload(result).into_bytes(), Budget::Message);
        let _ = self.start(now, None, vec![publish], Awaits::Nothing, true);
    }

    /// This session is one tab's of a connection the origin's tabs share (`session/shared.rs`);
    /// without cargo feature `thingsboard-shared`, nothing changes.
    pub fn share(&mut self) {
        self.shared = SHARED;
    }

    // ---------------------------------------------------------------- the gateway API

    /// Telemetry of several sub-devices (`(name, telemetry)` in any device format), as few
    /// PUBLISHes as the max payload allows; `epoch_ms` stamps records that carry no `ts`. A device
    /// too big for a PUBLISH of its own fails the whole batch before anything is sent.
    pub fn gateway_telemetry(
        &mut self,
        now: Millis,
        epoch_ms: i64,
        batch: &[(&str, &Value)],
    ) -> Result<OpId, ThingsBoardError> {
        let parsed: Vec<(&str, Vec<TelemetryRecord>)> =
            batch.iter().map(|(d, v)| parse_telemetry(v).map(|r| (*d, r))).collect::<Result<_, _>>()?;
        let max = self.limits.payload_budget(topics::GATEWAY_TELEMETRY);
        // `{"A":[..],"B":[..]}`: each device's entry weighs the same alone or in a group, so a
        // group's size is the sum of its entries, their commas and the braces.
        let mut sizes = Vec::with_capacity(parsed.len());
        for (name, records) in &parsed {
            let size = gateway_codec::telemetry_payload(&[(*name, records.as_slice())], epoch_ms)?.len();
            if size > max {
                return Err(ThingsBoardError::PayloadTooLarge { size, max });
            }
            sizes.push(size - 2);
        }
        let mut publishes = Vec::new();
        let mut group: Vec<(&str, &[TelemetryRecord])> = Vec::new();
        let (mut group_size, mut points) = (2usize, 0u64);
        for ((name, records), entry) in parsed.iter().zip(sizes) {
            let comma = usize::from(!group.is_empty());
            if !group.is_empty() && group_size + comma + entry > max {
                publishes.push(gateway_publish(&group, points, epoch_ms)?);
                group.clear();
                (group_size, points) = (2, 0);
            }
            group_size += usize::from(!group.is_empty()) + entry;
            group.push((name, records.as_slice()));
            points += data_points(records) as u64;
        }
        if !group.is_empty() {
            publishes.push(gateway_publish(&group, points, epoch_ms)?);
        }
        self.start(now, None, publishes, Awaits::Nothing, false)
    }

    /// Asks for a sub-device's client (`client = true`) or shared attributes: ends with
    /// `Outcome::GatewayAttributes` or a timeout.
    pub fn gateway_request_attributes(
        &mut self,
        now: Millis,
        device: &str,
        keys: &[&str],
        client: bool,
    ) -> Result<OpId, ThingsBoardError> {
        let id = self.request_id();
        let body = gateway_codec::attribute_request_payload(id, device, keys, client)?;
        let single_key = (keys.len() == 1).then(|| keys[0].to_owned());
        let publish = (topics::GATEWAY_ATTRIBUTES_REQUEST.to_owned(), body.into_bytes(), Budget::Message);
        let awaits = Awaits::GatewayAttributes { id, single_key };
        self.start(now, Some(topics::GATEWAY_ATTRIBUTES_RESPONSE), vec![publish], awaits, false)
    }

    /// The gateway's application answers its sub-devices' RPCs from now on (subscribes on first use).
    pub fn enable_gateway_rpc(&mut self, now: Millis) -> OpId {
        self.gateway_rpc = true;
        #[cfg(feature = "thingsboard-shared")]
        self.ask_turn(GATEWAY_RPC_TURN.into());
        self.subscribe(now, topics::GATEWAY_RPC)
    }

    /// Whether this gateway's application answers its sub-devices' RPCs now: once enabled, always on a
    /// connection of its own; on a shared one, while it holds their turn.
    pub fn answers_gateway_rpc(&self) -> bool {
        self.gateway_rpc && self.holds_turn(GATEWAY_RPC_TURN)
    }

    /// The application's answer to `NotifyGatewayRpc`.
    pub fn reply_gateway_rpc(&mut self, now: Millis, device: &str, id: u64, result: &Result<Value, String>) {
        let body = gateway_codec::rpc_reply_payload(device, id, result);
        let publish = (topics::GATEWAY_RPC.to_owned(), body.into_bytes(), Budget::Message);
        let _ = self.start(now, None, vec![publish], Awaits::Nothing, true);
    }

    /// A fresh request id, for flows that name their own requests (firmware downloads).
    pub fn request_id(&mut self) -> u32 {
        if self.is_shared() {
            self.next_request_id = (self.next_request_id.wrapping_add(1) & 0xF_FFFF).max(1);
            return self.block << 20 | self.next_request_id;
        }
        self.next_request_id = self.next_request_id.wrapping_add(1).max(1);
        self.next_request_id
    }

    /// New limits (normally from `getSessionLimits`).
    pub fn set_limits(&mut self, now: Millis, limits: SessionLimits) {
        self.now = now;
        self.pacer.set_limits(&limits);
        self.limits = limits;
        self.pace();
    }

    // ---------------------------------------------------------------- what the client reports

    /// The SUBACK (or failure) of a `RequestSubscribe`.
    pub fn subscribed(&mut self, now: Millis, filter: &str, result: Result<(), ThingsBoardError>) {
        self.now = now;
        for op in self.subscriptions.settled(filter, result.is_ok()) {
            match &result {
                Ok(()) => self.ready(op),
                Err(e) => self.fail(op, e.clone()),
            }
        }
        self.pace();
    }

    /// The outcome of a `RequestPublish`.
    pub fn published(&mut self, now: Millis, publish: PublishId, result: Result<(), ThingsBoardError>) {
        self.now = now;
        let Some((op, in_flight)) = self.sent.remove(&publish) else { return };
        if in_flight {
            self.pacer.completed();
        }
        match result {
            Err(e) => self.fail(op, e),
            Ok(()) => {
                let Some(o) = self.ops.get_mut(&op) else { return self.pace() };
                o.unacked = o.unacked.saturating_sub(1);
                if o.unacked == 0 && o.awaits == Awaits::Nothing {
                    self.finish(op, Ok(Outcome::Done));
                }
            }
        }
        self.pace();
    }

    /// A message on one of the device's topics; returns false for a topic that is not the device's.
    pub fn handle_message(&mut self, now: Millis, topic: &str, payload: &[u8]) -> bool {
        self.now = now;
        if DEVICE && topic == topics::ATTRIBUTES {
            match parse_shared_update(payload) {
                Ok(update) => {
                    self.mirror.apply_update(&update);
                    self.events.push_back(DeviceEvent::NotifySharedAttributes(update));
                }
                Err(e) => self.events.push_back(DeviceEvent::NotifyError(e)),
            }
        } else if let Some(id) = topics::id_after(topic, topics::ATTRIBUTES_RESPONSE_PREFIX).filter(|_| DEVICE) {
            let result = parse_attribute_response(payload);
            if let Ok(r) = &result {
                self.mirror.apply_response(r);
            }
            match (id.parse().ok().and_then(|id| self.awaiting(&Awaits::Attributes(id))), result) {
                (Some(op), result) => self.finish(op, result.map(Outcome::Attributes)),
                (None, Err(e)) => self.events.push_back(DeviceEvent::NotifyError(e)),
                (None, Ok(_)) => {}
            }
        } else if let Some(id) = topics::id_after(topic, topics::RPC_RESPONSE_PREFIX) {
            let found = id.parse::<u32>().ok().and_then(|id| {
                self.ops.iter().find_map(|(op, o)| match &o.awaits {
                    Awaits::Call { id: i, method } if *i == id && o.deadline.is_some() => Some((*op, method.clone())),
                    _ => None,
                })
            });
            match found {
                Some((op, method)) => self.finish(op, parse_rpc_result(&method, payload).map(Outcome::CallResult)),
                None if id.parse::<u32>().is_err() => {
                    self.events.push_back(DeviceEvent::NotifyError(ThingsBoardError::InvalidPayload {
                        what: "RPC response",
                        detail: format!("topic {} has no integer request id", crate::json::quoted(topic)),
                    }))
                }
                None => {}
            }
        } else if DEVICE && topic.starts_with(topics::RPC_REQUEST_PREFIX) {
            self.on_rpc_request(now, topic, payload);
        } else if GATEWAY && topic == topics::GATEWAY_ATTRIBUTES_RESPONSE {
            self.on_gateway_attribute_response(payload);
        } else if GATEWAY && topic == topics::GATEWAY_ATTRIBUTES {
            let event = match gateway_codec::parse_attribute_update(payload) {
                Ok((device, update)) => DeviceEvent::NotifyGatewayAttributes { device, update },
                Err(e) => DeviceEvent::NotifyError(e),
            };
            self.events.push_back(event);
        } else if GATEWAY && topic == topics::GATEWAY_RPC {
            match gateway_codec::parse_rpc_request(payload) {
                Ok(request) if self.answers_gateway_rpc() => {
                    self.events.push_back(DeviceEvent::NotifyGatewayRpc(request))
                }
                // Another tab's turn, or no tab's: the one whose turn it is answers.
                Ok(_) if self.is_shared() => {}
                Ok(request) => {
                    let reply = Err(format!("unknown method: {}", request.method));
                    self.reply_gateway_rpc(now, &request.device, request.id, &reply);
                }
                Err(e) => self.events.push_back(DeviceEvent::NotifyError(e)),
            }
        } else if let Some(kind) = [PackageKind::Fw, PackageKind::Sw]
            .into_iter()
            .filter(|_| DEVICE)
            .find(|k| k.parse_chunk_response(topic).is_some() || topic == k.error_topic())
        {
            self.on_firmware_message(kind, topic, payload);
        } else {
            return false;
        }
        self.pace();
        true
    }

    /// Runs what is due at `now`: answers that did not come in time, and publishes the rate windows
    /// now allow.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.now = now;
        let expired: Vec<(OpId, &'static str)> = self
            .ops
            .iter()
            .filter(|(_, o)| o.deadline.is_some_and(|d| d <= now))
            .map(|(op, o)| (*op, o.awaits.what()))
            .collect();
        for (op, what) in expired {
            let timeout_ms = self.options.request_timeout_ms;
            self.finish(op, Err(ThingsBoardError::Timeout { what, timeout_ms }));
        }
        self.pace();
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let answers = self.ops.values().filter_map(|o| o.deadline).min();
        match (answers, self.pacer.poll_timeout(self.now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn poll_event(&mut self) -> Option<DeviceEvent> {
        self.events.pop_front()
    }

    /// Fails the chunk requests of `kind` still waiting: a newer package replaces the download.
    pub fn cancel_chunks(&mut self, kind: PackageKind) {
        self.fail_chunks(kind, ThingsBoardError::Firmware("a newer package replaced this download".into()));
    }

    fn fail_chunks(&mut self, kind: PackageKind, error: ThingsBoardError) {
        let waiting: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, o)| matches!(o.awaits, Awaits::Chunk { kind: k, .. } if k == kind))
            .map(|(op, _)| *op)
            .collect();
        for op in waiting {
            self.fail(op, error.clone());
        }
    }

    /// Ends every operation (the device closed): they fail with `error`, and nothing more is sent.
    pub fn close(&mut self, error: ThingsBoardError) {
        let ops: Vec<OpId> = self.ops.keys().copied().collect();
        for op in ops {
            self.fail(op, error.clone());
        }
        self.subscriptions.clear();
        self.paced.clear();
        self.sent.clear();
        self.rpc_methods.clear();
        #[cfg(feature = "thingsboard-shared")]
        {
            self.turns.clear();
            self.unknown.clear();
        }
        self.gateway_rpc = false;
    }

    // ---------------------------------------------------------------- what the session knows

    /// Whether this session is a tab's of a connection the origin's tabs share (`share`).
    pub fn is_shared(&self) -> bool {
        SHARED && self.shared
    }

    /// A device of its own holds every turn (cargo feature `thingsboard-shared`: `session/shared.rs`).
    #[cfg(not(feature = "thingsboard-shared"))]
    pub fn holds_turn(&self, _name: &str) -> bool {
        true
    }

    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    pub fn mirror(&self) -> &AttributeMirror {
        &self.mirror
    }

    pub fn subscribed_filters(&self) -> Vec<String> {
        self.subscriptions.granted()
    }

    pub fn pacing_status(&self, now: Millis) -> PacingStatus {
        self.pacer.status(now)
    }

    /// The largest payload one PUBLISH to `topic` may carry.
    pub fn payload_budget(&self, topic: &str) -> usize {
        self.limits.payload_budget(topic)
    }

    /// Operations still under way.
    pub fn pending(&self) -> usize {
        self.ops.len()
    }

    // ---------------------------------------------------------------- the flow of an operation

    fn start(
        &mut self,
        now: Millis,
        needs: Option<&str>,
        publishes: Vec<(String, Vec<u8>, Budget)>,
        awaits: Awaits,
        internal: bool,
    ) -> Result<OpId, ThingsBoardError> {
        self.now = now;
        for (topic, payload, _) in &publishes {
            let max = self.limits.payload_budget(topic);
            if payload.len() > max {
                return Err(ThingsBoardError::PayloadTooLarge { size: payload.len(), max });
            }
        }
        self.next_op += 1;
        let op = self.next_op;
        let unacked = publishes.len();
        self.ops.insert(op, Operation { internal, unacked, publishes, awaits, deadline: None });
        match needs.map(|f| self.subscriptions.need(f, op)) {
            None | Some(Need::Ready) => self.ready(op),
            Some(Need::Wait) => {}
            Some(Need::Subscribe) => {
                self.events.push_back(DeviceEvent::RequestSubscribe { filter: needs.unwrap_or_default().to_owned() })
            }
        }
        self.pace();
        Ok(op)
    }

    /// The operation's subscription is in place: its publishes queue for the pacer.
    fn ready(&mut self, op: OpId) {
        let Some(o) = self.ops.get_mut(&op) else { return };
        let publishes = std::mem::take(&mut o.publishes);
        if publishes.is_empty() && o.awaits == Awaits::Nothing {
            return self.finish(op, Ok(Outcome::Done));
        }
        let in_flight = self.options.qos == QoS::AtLeastOnce;
        for (topic, payload, budget) in publishes {
            self.next_publish += 1;
            let ticket = self.pacer.offer(budget, in_flight);
            self.paced.insert(ticket, Queued { publish: self.next_publish, op, topic, payload });
        }
    }

    /// Hands over every publish the pacer releases now.
    fn pace(&mut self) {
        let in_flight = self.options.qos == QoS::AtLeastOnce;
        for ticket in self.pacer.release(self.now) {
            let Some(q) = self.paced.remove(&ticket) else { continue };
            self.sent.insert(q.publish, (q.op, in_flight));
            // An answer is awaited from the moment the request is handed over, acknowledged or not.
            if let Some(o) = self.ops.get_mut(&q.op) {
                if o.awaits != Awaits::Nothing && o.deadline.is_none() {
                    o.deadline = Some(self.now.saturating_add(u64::from(self.options.request_timeout_ms)));
                }
            }
            self.events.push_back(DeviceEvent::RequestPublish {
                publish: q.publish,
                topic: q.topic,
                payload: q.payload,
                qos: self.options.qos,
            });
        }
    }

    fn awaiting(&self, awaits: &Awaits) -> Option<OpId> {
        // Only a request already handed over (its deadline runs) can be answered.
        self.ops.iter().find(|(_, o)| o.awaits == *awaits && o.deadline.is_some()).map(|(op, _)| *op)
    }

    fn fail(&mut self, op: OpId, error: ThingsBoardError) {
        // Its publishes still waiting for the pacer are dropped.
        let tickets: Vec<u64> = self.paced.iter().filter(|(_, q)| q.op == op).map(|(t, _)| *t).collect();
        for t in tickets {
            self.pacer.withdraw(t);
            self.paced.remove(&t);
        }
        self.finish(op, Err(error));
    }

    fn finish(&mut self, op: OpId, result: Result<Outcome, ThingsBoardError>) {
        let Some(o) = self.ops.remove(&op) else { return };
        match (o.internal, result) {
            (false, result) => self.events.push_back(DeviceEvent::NotifyDone { op, result }),
            (true, Err(e)) => self.events.push_back(DeviceEvent::NotifyError(e)),
            (true, Ok(_)) => {}
        }
    }

    fn on_rpc_request(&mut self, now: Millis, topic: &str, payload: &[u8]) {
        let request = match parse_rpc_request(topic, payload) {
            Ok(r) => r,
            Err(e) => return self.events.push_back(DeviceEvent::NotifyError(e)),
        };
        #[cfg(feature = "thingsboard-shared")]
        let held = self.holds_turn(&rpc_turn(&request.method));
        #[cfg(not(feature = "thingsboard-shared"))]
        let held = true;
        match self.rpc_methods.get(&request.method).copied() {
            Some(one_way) if held => self.events.push_back(DeviceEvent::NotifyRpcRequest { request, one_way }),
            // Another tab's turn, or no tab's: this one answers "unknown method" when no tab's.
            #[cfg(feature = "thingsboard-shared")]
            _ if self.is_shared() && self.holds_turn(shared::UNKNOWN_RPC_TURN) => {
                let topic = rpc_turn(&request.method);
                self.unknown.push((topic.clone(), request.id, request.method));
                self.events.push_back(DeviceEvent::RequestHolder { topic });
            }
            // Another tab's turn, or no tab's: the one whose turn it is answers.
            _ if self.is_shared() => {}
            Some(_) | None => {
                let reply = Err(format!("unknown method: {}", request.method));
                self.reply_rpc(now, request.id, &reply);
            }
        }
    }

    fn on_gateway_attribute_response(&mut self, payload: &[u8]) {
        let single_key = |id: u64| {
            self.ops.values().find_map(|o| match &o.awaits {
                Awaits::GatewayAttributes { id: i, single_key } if u64::from(*i) == id => single_key.clone(),
                _ => None,
            })
        };
        match gateway_codec::parse_attribute_response(payload, &single_key) {
            Ok(r) => {
                let op = self.ops.iter().find_map(|(op, o)| match &o.awaits {
                    Awaits::GatewayAttributes { id, .. } if u64::from(*id) == r.id && o.deadline.is_some() => Some(*op),
                    _ => None,
                });
                if let Some(op) = op {
                    self.finish(op, Ok(Outcome::GatewayAttributes(r.values)));
                }
            }
            // A shared connection: a single key's answer to another tab's request names no key this
            // tab could read it by; it is that tab's to read.
            Err(_) if self.is_shared() && !self.awaits_gateway_answer(payload) => {}
            Err(e) => self.events.push_back(DeviceEvent::NotifyError(e)),
        }
    }

    /// Whether the answer's id is one of this tab's gateway attribute requests.
    fn awaits_gateway_answer(&self, payload: &[u8]) -> bool {
        let id = crate::json::parse(payload).ok().and_then(|v| v.get("id").and_then(Value::as_u64));
        self.ops
            .values()
            .any(|o| matches!(o.awaits, Awaits::GatewayAttributes { id: i, .. } if Some(u64::from(i)) == id))
    }

    fn on_firmware_message(&mut self, kind: PackageKind, topic: &str, payload: &[u8]) {
        if let Some((request_id, index)) = kind.parse_chunk_response(topic) {
            if let Some(op) = self.awaiting(&Awaits::Chunk { kind, request_id, index }) {
                self.finish(op, Ok(Outcome::Chunk(payload.to_vec())));
            }
            return;
        }
        // `v2/fw/error` (PAYLOAD_TOO_LARGE, say): the chunks being waited for fail.
        let text = lossy(payload);
        self.fail_chunks(kind, ThingsBoardError::Firmware(format!("the server refused the chunk request: {text}")));
    }
}

/// `String::from_utf8_lossy`, with `from_utf8` alone: each sequence that is not UTF-8 becomes
/// U+FFFD and the rest is kept (std's own brings a second UTF-8 decoder into the wasm).
fn lossy(mut bytes: &[u8]) -> String {
    let mut text = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(rest) => {
                text.push_str(rest);
                return text;
            }
            Err(e) => {
                let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                text.push(char::REPLACEMENT_CHARACTER);
                let skip = e.valid_up_to() + e.error_len().unwrap_or(bytes.len() - e.valid_up_to());
                bytes = bytes.get(skip..).unwrap_or_default();
            }
        }
    }
}

/// One PUBLISH of gateway telemetry for a group of sub-devices.
fn gateway_publish(
    group: &[(&str, &[TelemetryRecord])],
    points: u64,
    epoch_ms: i64,
) -> Result<(String, Vec<u8>, Budget), ThingsBoardError> {
    let body = gateway_codec::telemetry_payload(group, epoch_ms)?;
    Ok((topics::GATEWAY_TELEMETRY.to_owned(), body.into_bytes(), Budget::Telemetry { points }))
}

#[cfg(test)]
mod tests {
    use super::lossy;

    #[test]
    fn lossy_decodes_as_std_does() {
        let cases: [&[u8]; 8] = [
            b"",
            b"ok",
            b"A\xffB",
            b"AB\xffCD",
            b"\xff",
            b"\xe2\x82",
            b"x\xe2\x82y\xf0\x9f\x98\x80z",
            b"\xc0\x80\xed\xa0\x80!",
        ];
        for bytes in cases {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes), "{bytes:?}");
        }
    }
}
