//! `ThingsBoardDevice`: one device's MQTT session with ThingsBoard in the browser. Subscribes only to
//! whitelisted filters, and only for features in use; obeys the session's payload, in-flight and rate limits.

use crate::error::SessionError;
use std::cell::RefCell;

use crate::collections::VecMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_channel::oneshot;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen_futures::spawn_local;

use crate::client::time::timeout;
use crate::client::{MqttClient, WeakMqttClient};
use crate::platforms::subscriptions::{LazySubscriptions, Need};
use crate::platforms::thingsboard::attributes::{
    attribute_request_payload, parse_attribute_response, parse_shared_update, AttributeMirror, AttributeResponse,
    SharedAttributesUpdate,
};
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::limits::{parse_session_limits, SessionLimits};
use crate::platforms::thingsboard::options::{Credentials, DeviceOptions};
use crate::platforms::thingsboard::pacing::{Budget, Pacer, PacingStatus};
use crate::platforms::thingsboard::rpc::{
    claim_payload, parse_rpc_request, parse_rpc_result, rpc_call_payload, rpc_reply_payload, RpcRequest,
};
use crate::platforms::thingsboard::telemetry::{parse_telemetry, split_payloads, validate_attributes};
use crate::platforms::thingsboard::topics;
use crate::session::{ConnectOptions, Message, Outgoing, QoS};
use crate::transport::{now_ms, DeadlineTimer};

/// What an RPC handler returns: the reply's JSON, or an error message sent as `{"error": ...}`.
pub type RpcResult = Result<Value, String>;
pub type RpcFuture = Pin<Box<dyn Future<Output = RpcResult>>>;
type RpcHandler = Rc<dyn Fn(RpcRequest) -> RpcFuture>;
type Listener<T> = Rc<dyn Fn(&T)>;

/// A firmware chunk being waited for: (package kind, request id, chunk index).
pub(crate) type ChunkKey = (crate::platforms::thingsboard::topics::PackageKind, u32, u32);
pub(crate) type ChunkWaiter = oneshot::Sender<Result<Vec<u8>, ThingsBoardError>>;

struct Registered {
    handler: RpcHandler,
    one_way: bool,
}

pub(crate) struct DeviceState {
    next_request_id: u32,
    pending_attributes: VecMap<u32, oneshot::Sender<Result<AttributeResponse, ThingsBoardError>>>,
    pending_calls: VecMap<u32, (String, oneshot::Sender<Result<Value, ThingsBoardError>>)>,
    pub(crate) pending_chunks: VecMap<ChunkKey, ChunkWaiter>,
    rpc_handlers: VecMap<String, Registered>,
    subscriptions: LazySubscriptions<oneshot::Sender<Result<(), ThingsBoardError>>>,
    pub(crate) mirror: AttributeMirror,
    limits: SessionLimits,
    pacer: Pacer,
    /// Publishes waiting for the pacer, by ticket: told when they may go, with whether they hold
    /// an in-flight slot.
    paced: VecMap<u64, (oneshot::Sender<()>, bool)>,
    /// Wakes the pacer when the next rate window frees.
    pacer_timer: Option<DeadlineTimer>,
    shared_listeners: Vec<Listener<SharedAttributesUpdate>>,
    error_listeners: Vec<Listener<ThingsBoardError>>,
    pub(crate) on_shared_change: Vec<Rc<dyn Fn()>>,
}

/// A ThingsBoard device connected over MQTT. Cheap to clone; clones share the session.
#[derive(Clone)]
pub struct ThingsBoardDevice {
    pub(crate) client: MqttClient,
    pub(crate) state: Rc<RefCell<DeviceState>>,
    pub(crate) options: Rc<DeviceOptions>,
}

impl ThingsBoardDevice {
    /// Connects to ThingsBoard (through a WebSocket bridge, or the simulator) as this device.
    pub async fn connect(
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        let basic = matches!(credentials, Credentials::Basic { .. });
        let (client_id, username, password) = match credentials {
            Credentials::AccessToken { token } => {
                if token.trim().is_empty() {
                    return Err(ThingsBoardError::InvalidOption {
                        field: "token",
                        reason: "the access token is empty".into(),
                    });
                }
                (String::new(), Some(token), None)
            }
            Credentials::Basic { client_id, username, password } => (client_id, username, password),
        };
        let client = MqttClient::new(
            url,
            ConnectOptions {
                version: options.version,
                client_id,
                username,
                password,
                keepalive_secs: options.keepalive_secs,
                connect_timeout_ms: options.connect_timeout_ms,
                ..Default::default()
            },
        )?;
        let device = Self::attach(client, options);
        device.client.connect().await.map_err(|e| ThingsBoardError::from_client(e, basic))?;
        if device.options.fetch_session_limits {
            match device.call("getSessionLimits", Value::Object(Default::default())).await {
                Ok(v) => match parse_session_limits(&v) {
                    Ok(limits) => device.set_limits(limits),
                    Err(e) => device.emit_error(e),
                },
                Err(e) => device.emit_error(e),
            }
        }
        Ok(device)
    }

    /// Wraps a client (connected or not) and routes ThingsBoard's topics to this device.
    pub fn attach(client: MqttClient, options: DeviceOptions) -> Self {
        let limits = SessionLimits::default();
        let state = Rc::new(RefCell::new(DeviceState {
            next_request_id: 0,
            pending_attributes: VecMap::new(),
            pending_calls: VecMap::new(),
            pending_chunks: VecMap::new(),
            rpc_handlers: VecMap::new(),
            subscriptions: LazySubscriptions::default(),
            mirror: AttributeMirror::default(),
            pacer: Pacer::new(&limits),
            limits,
            paced: VecMap::new(),
            pacer_timer: None,
            shared_listeners: Vec::new(),
            error_listeners: Vec::new(),
            on_shared_change: Vec::new(),
        }));
        let device = Self { client, state, options: Rc::new(options) };
        let weak = device.weak();
        let wake: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(device) = weak.upgrade() {
                if let Some(t) = device.state.borrow_mut().pacer_timer.as_mut() {
                    t.fired();
                }
                device.pace();
            }
        });
        device.state.borrow_mut().pacer_timer = Some(DeadlineTimer::new(wake, false));
        device.route(topics::ATTRIBUTES, Self::on_shared_update);
        device.route(topics::ATTRIBUTES_RESPONSE_FILTER, Self::on_attribute_response);
        device.route(topics::RPC_REQUEST_FILTER, Self::on_rpc_request);
        device.route(topics::RPC_RESPONSE_FILTER, Self::on_rpc_response);
        device
    }

    /// Registers a route whose handler gets a device that does not keep the client alive.
    pub(crate) fn route(&self, filter: &str, handler: fn(&ThingsBoardDevice, &Message)) {
        let weak = self.weak();
        let _ = self.client.on_message(filter, move |m| {
            if let Some(device) = weak.upgrade() {
                handler(&device, m);
            }
        });
    }

    fn weak(&self) -> WeakDevice {
        WeakDevice { client: self.client.downgrade(), state: Rc::downgrade(&self.state), options: self.options.clone() }
    }

    pub fn client(&self) -> &MqttClient {
        &self.client
    }

    /// The filters subscribed so far: always a subset of ThingsBoard's whitelist, one per feature used.
    pub fn subscribed_filters(&self) -> Vec<String> {
        self.state.borrow().subscriptions.granted()
    }

    /// Where the pacing of publishes stands now: what waits, and which limit holds it back.
    pub fn pacing_status(&self) -> PacingStatus {
        self.state.borrow().pacer.status(now_ms())
    }

    pub fn session_limits(&self) -> SessionLimits {
        self.state.borrow().limits.clone()
    }

    /// Replaces the limits (normally from `getSessionLimits`).
    pub fn set_limits(&self, limits: SessionLimits) {
        {
            let mut s = self.state.borrow_mut();
            s.pacer.set_limits(&limits);
            s.limits = limits;
        }
        self.pace();
    }

    /// The local attribute mirror: client attributes sent, and shared attributes received.
    pub fn attributes(&self) -> AttributeMirror {
        self.state.borrow().mirror.clone()
    }

    /// Calls `f` with errors that belong to no call: invalid JSON from the server, a bad RPC id.
    pub fn on_error(&self, f: impl Fn(&ThingsBoardError) + 'static) {
        self.state.borrow_mut().error_listeners.push(Rc::new(f));
    }

    pub(crate) fn emit_error(&self, e: ThingsBoardError) {
        let listeners = self.state.borrow().error_listeners.clone();
        for l in listeners {
            l(&e);
        }
    }

    fn next_id(&self) -> u32 {
        let mut s = self.state.borrow_mut();
        s.next_request_id = s.next_request_id.wrapping_add(1).max(1);
        s.next_request_id
    }

    /// Subscribes to a whitelisted filter once; later calls return at once, and a call made while
    /// the SUBSCRIBE is under way waits for its SUBACK instead of sending another.
    pub(crate) async fn ensure_subscribed(&self, filter: &str) -> Result<(), ThingsBoardError> {
        let (tx, rx) = oneshot::channel();
        let need = self.state.borrow_mut().subscriptions.need(filter, tx);
        if need == Need::Subscribe {
            let result =
                self.client.subscribe(filter, QoS::AtLeastOnce).await.map(drop).map_err(ThingsBoardError::from);
            let waiters = self.state.borrow_mut().subscriptions.settled(filter, result.is_ok());
            for w in waiters {
                let _ = w.send(result.clone());
            }
        }
        match need {
            Need::Ready => Ok(()),
            Need::Subscribe | Need::Wait => {
                rx.await.unwrap_or(Err(ThingsBoardError::Client(crate::ClientError::Closed)))
            }
        }
    }

    /// Hands the pacer's turn to every publish that may go now, and arms the timer for the next.
    fn pace(&self) {
        let now = now_ms();
        let mut s = self.state.borrow_mut();
        loop {
            let mut freed = false;
            for ticket in s.pacer.release(now) {
                if let Some((tx, in_flight)) = s.paced.remove(&ticket) {
                    // A caller that went away gives its in-flight slot back.
                    if tx.send(()).is_err() && in_flight {
                        s.pacer.completed();
                        freed = true;
                    }
                }
            }
            if !freed {
                break;
            }
        }
        let deadline = s.pacer.poll_timeout(now);
        if let Some(t) = s.pacer_timer.as_mut() {
            t.sync(now, deadline);
        }
    }

    /// Publishes within the session's rate limits and in-flight window: waits instead of being cut off.
    /// A payload over the topic's [`SessionLimits::payload_budget`] is an error: ThingsBoard would
    /// drop the connection.
    async fn publish(&self, topic: &str, payload: Vec<u8>, budget: Budget) -> Result<(), ThingsBoardError> {
        let max = self.payload_budget(topic);
        if payload.len() > max {
            return Err(ThingsBoardError::PayloadTooLarge { size: payload.len(), max });
        }
        let qos = self.options.qos.min(QoS::AtLeastOnce);
        let in_flight = qos == QoS::AtLeastOnce;
        let turn = {
            let mut s = self.state.borrow_mut();
            let ticket = s.pacer.offer(budget, in_flight);
            let (tx, rx) = oneshot::channel();
            s.paced.insert(ticket, (tx, in_flight));
            rx
        };
        self.pace();
        if turn.await.is_err() {
            return Err(ThingsBoardError::Client(crate::ClientError::Closed));
        }
        let result = self.client.publish(Outgoing::new(topic, payload).qos(qos)).await;
        if in_flight {
            self.state.borrow_mut().pacer.completed();
            self.pace();
        }
        Ok(result?)
    }

    /// Sends telemetry in any documented format (`{k:v}`, `[{k:v}]`, `{ts, values}`, `[{ts, values}]`),
    /// split so that no PUBLISH exceeds the session's max payload size.
    pub async fn send_telemetry(&self, telemetry: &Value) -> Result<(), ThingsBoardError> {
        let records = parse_telemetry(telemetry)?;
        for p in split_payloads(&records, self.payload_budget(topics::TELEMETRY))? {
            self.publish(topics::TELEMETRY, p.json.into_bytes(), Budget::Telemetry { points: p.data_points as u64 })
                .await?;
        }
        Ok(())
    }

    /// Sends any serde type as telemetry (a struct becomes `{field: value}`).
    pub async fn send_telemetry_of<T: Serialize>(&self, telemetry: &T) -> Result<(), ThingsBoardError> {
        let value = serde_json::to_value(telemetry).map_err(|e| ThingsBoardError::InvalidTelemetry(e.to_string()))?;
        self.send_telemetry(&value).await
    }

    /// Publishes client-side attributes and keeps them in the mirror.
    pub async fn send_attributes(&self, attributes: &Value) -> Result<(), ThingsBoardError> {
        let map = validate_attributes(attributes)?.clone();
        let body = attributes.to_string();
        self.publish(topics::ATTRIBUTES, body.into_bytes(), Budget::Message).await?;
        self.state.borrow_mut().mirror.apply_client(&map);
        Ok(())
    }

    /// Asks for client and shared attributes; resolves with `{client, shared}` or times out.
    pub async fn request_attributes(
        &self,
        client_keys: &[&str],
        shared_keys: &[&str],
    ) -> Result<AttributeResponse, ThingsBoardError> {
        let payload = attribute_request_payload(client_keys, shared_keys)?;
        self.ensure_subscribed(topics::ATTRIBUTES_RESPONSE_FILTER).await?;
        let id = self.next_id();
        let (tx, rx) = oneshot::channel();
        self.state.borrow_mut().pending_attributes.insert(id, tx);
        if let Err(e) = self.publish(&topics::attributes_request(id), payload.into_bytes(), Budget::Message).await {
            self.state.borrow_mut().pending_attributes.remove(&id);
            return Err(e);
        }
        let ms = self.options.request_timeout_ms;
        let answer = timeout(ms, rx).await;
        self.state.borrow_mut().pending_attributes.remove(&id);
        match answer {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ThingsBoardError::Client(crate::ClientError::Session(SessionError::ConnectionLost))),
            None => Err(ThingsBoardError::Timeout { what: "attribute request", timeout_ms: ms }),
        }
    }

    /// Calls `f` on every shared-attribute update (with `deleted` keys), after subscribing to them.
    pub async fn subscribe_shared_attributes(
        &self,
        f: impl Fn(&SharedAttributesUpdate) + 'static,
    ) -> Result<(), ThingsBoardError> {
        self.state.borrow_mut().shared_listeners.push(Rc::new(f));
        self.ensure_subscribed(topics::ATTRIBUTES).await
    }

    /// Answers server-side RPCs of `method`; the handler may be async. Subscribes on first use.
    pub fn on_rpc<F, Fut>(&self, method: &str, handler: F)
    where
        F: Fn(RpcRequest) -> Fut + 'static,
        Fut: Future<Output = RpcResult> + 'static,
    {
        self.register_rpc(method, Rc::new(move |r| Box::pin(handler(r))), false);
    }

    /// Handles one-way RPCs of `method`: the handler runs, and no reply is sent.
    pub fn on_rpc_one_way<F, Fut>(&self, method: &str, handler: F)
    where
        F: Fn(RpcRequest) -> Fut + 'static,
        Fut: Future<Output = RpcResult> + 'static,
    {
        self.register_rpc(method, Rc::new(move |r| Box::pin(handler(r))), true);
    }

    /// Removes a method's handler; later calls to it get `{"error": "unknown method"}`.
    pub fn remove_rpc(&self, method: &str) -> bool {
        self.state.borrow_mut().rpc_handlers.remove(method).is_some()
    }

    fn register_rpc(&self, method: &str, handler: RpcHandler, one_way: bool) {
        self.state.borrow_mut().rpc_handlers.insert(method.to_owned(), Registered { handler, one_way });
        let device = self.clone();
        spawn_local(async move {
            if let Err(e) = device.ensure_subscribed(topics::RPC_REQUEST_FILTER).await {
                device.emit_error(e);
            }
        });
    }

    /// Subscribes to server-side RPC now, to know it worked (handlers subscribe lazily otherwise).
    pub async fn enable_rpc(&self) -> Result<(), ThingsBoardError> {
        self.ensure_subscribed(topics::RPC_REQUEST_FILTER).await
    }

    /// Client-side RPC: resolves with the server's result, a typed `RpcError`, or a timeout.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ThingsBoardError> {
        let payload = rpc_call_payload(method, &params)?;
        self.ensure_subscribed(topics::RPC_RESPONSE_FILTER).await?;
        let id = self.next_id();
        let (tx, rx) = oneshot::channel();
        self.state.borrow_mut().pending_calls.insert(id, (method.to_owned(), tx));
        if let Err(e) = self.publish(&topics::rpc_request(id), payload.into_bytes(), Budget::Message).await {
            self.state.borrow_mut().pending_calls.remove(&id);
            return Err(e);
        }
        let ms = self.options.request_timeout_ms;
        let answer = timeout(ms, rx).await;
        self.state.borrow_mut().pending_calls.remove(&id);
        match answer {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ThingsBoardError::Client(crate::ClientError::Session(SessionError::ConnectionLost))),
            None => Err(ThingsBoardError::Timeout { what: "RPC call", timeout_ms: ms }),
        }
    }

    /// Starts claiming (docs/platforms/thingsboard.md#claiming); both arguments are optional.
    pub async fn claim(&self, secret_key: Option<&str>, duration_ms: Option<u64>) -> Result<(), ThingsBoardError> {
        self.publish(topics::CLAIM, claim_payload(secret_key, duration_ms).into_bytes(), Budget::Message).await
    }

    /// Publishes JSON to a topic within the limits (for the OTA flow's telemetry).
    pub(crate) async fn publish_telemetry_value(&self, value: &Value) -> Result<(), ThingsBoardError> {
        self.send_telemetry(value).await
    }

    pub(crate) async fn publish_raw(&self, topic: &str, payload: Vec<u8>) -> Result<(), ThingsBoardError> {
        self.publish(topic, payload, Budget::Message).await
    }

    pub(crate) async fn publish_telemetry_raw(
        &self,
        topic: &str,
        payload: Vec<u8>,
        points: u64,
    ) -> Result<(), ThingsBoardError> {
        self.publish(topic, payload, Budget::Telemetry { points }).await
    }

    pub(crate) fn payload_budget(&self, topic: &str) -> usize {
        self.state.borrow().limits.payload_budget(topic)
    }

    pub(crate) fn next_request_id(&self) -> u32 {
        self.next_id()
    }

    /// Disconnects and frees the client's handlers and timers.
    pub fn close(&self) {
        self.client.close();
        let mut s = self.state.borrow_mut();
        s.rpc_handlers.clear();
        s.shared_listeners.clear();
        s.error_listeners.clear();
        s.on_shared_change.clear();
        s.pending_attributes.clear();
        s.pending_calls.clear();
        s.pending_chunks.clear();
        s.paced.clear();
        s.subscriptions.clear();
        s.pacer_timer = None;
    }

    fn on_shared_update(&self, m: &Message) {
        match parse_shared_update(&m.payload) {
            Ok(update) => {
                let (listeners, hooks) = {
                    let mut s = self.state.borrow_mut();
                    s.mirror.apply_update(&update);
                    (s.shared_listeners.clone(), s.on_shared_change.clone())
                };
                for l in listeners {
                    l(&update);
                }
                for h in hooks {
                    h();
                }
            }
            Err(e) => self.emit_error(e),
        }
    }

    fn on_attribute_response(&self, m: &Message) {
        let Some(id) = topics::id_after(&m.topic, topics::ATTRIBUTES_RESPONSE_PREFIX).and_then(|id| id.parse().ok())
        else {
            return self.emit_error(ThingsBoardError::InvalidPayload {
                what: "attribute response",
                detail: format!("topic {:?} has no integer request id", m.topic),
            });
        };
        let result = parse_attribute_response(&m.payload);
        let waiter = {
            let mut s = self.state.borrow_mut();
            if let Ok(r) = &result {
                s.mirror.apply_response(r);
            }
            s.pending_attributes.remove(&id)
        };
        match (waiter, result) {
            (Some(w), result) => {
                let _ = w.send(result);
            }
            (None, Err(e)) => self.emit_error(e),
            (None, Ok(_)) => {}
        }
    }

    fn on_rpc_response(&self, m: &Message) {
        let Some(id) = topics::id_after(&m.topic, topics::RPC_RESPONSE_PREFIX).and_then(|id| id.parse().ok()) else {
            return self.emit_error(ThingsBoardError::InvalidPayload {
                what: "RPC response",
                detail: format!("topic {:?} has no integer request id", m.topic),
            });
        };
        let pending = self.state.borrow_mut().pending_calls.remove(&id);
        if let Some((method, w)) = pending {
            let _ = w.send(parse_rpc_result(&method, &m.payload));
        }
    }

    fn on_rpc_request(&self, m: &Message) {
        let request = match parse_rpc_request(&m.topic, &m.payload) {
            Ok(r) => r,
            Err(e) => return self.emit_error(e),
        };
        let found = {
            let s = self.state.borrow();
            s.rpc_handlers.get(&request.method).map(|r| (r.handler.clone(), r.one_way))
        };
        let device = self.clone();
        spawn_local(async move {
            let id = request.id.to_string();
            let method = request.method.clone();
            let result = match found {
                Some((handler, true)) => {
                    let _ = handler(request).await;
                    return;
                }
                Some((handler, false)) => handler(request).await,
                None => Err(format!("unknown method: {method}")),
            };
            let reply = rpc_reply_payload(&result).into_bytes();
            if let Err(e) = device.publish(&topics::rpc_response(&id), reply, Budget::Message).await {
                device.emit_error(e);
            }
        });
    }
}

/// A device handle for closures stored inside the client, so they do not keep it alive.
#[derive(Clone)]
pub(crate) struct WeakDevice {
    client: WeakMqttClient,
    state: std::rc::Weak<RefCell<DeviceState>>,
    options: Rc<DeviceOptions>,
}

impl WeakDevice {
    pub(crate) fn upgrade(&self) -> Option<ThingsBoardDevice> {
        Some(ThingsBoardDevice {
            client: self.client.upgrade()?,
            state: self.state.upgrade()?,
            options: self.options.clone(),
        })
    }
}
