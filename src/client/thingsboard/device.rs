//! `ThingsBoardDevice`: one device's MQTT session with ThingsBoard in the browser, a thin shell over
//! the pure `platforms::thingsboard::session::DeviceSession`. It carries the session's subscribes and
//! publishes out on the client, reports their outcomes and the device's messages back, arms one
//! timer for the session's deadline, and turns its events into futures and callbacks.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::json::Value;
use futures_channel::oneshot;
use serde::Serialize;
use wasm_bindgen_futures::spawn_local;

use crate::client::{Link, MqttClient, WeakLink};
use crate::collections::VecMap;
use crate::platforms::thingsboard::attributes::{AttributeMirror, AttributeResponse, SharedAttributesUpdate};
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::gateway::GatewayRpcRequest;
use crate::platforms::thingsboard::limits::{parse_session_limits, SessionLimits};
use crate::platforms::thingsboard::options::{Credentials, DeviceOptions};
use crate::platforms::thingsboard::pacing::PacingStatus;
use crate::platforms::thingsboard::rpc::RpcRequest;
use crate::platforms::thingsboard::session::{DeviceEvent, DeviceSession, OpId, Outcome, SessionOptions};
use crate::platforms::thingsboard::topics;
use crate::platforms::thingsboard::update_flow::FirmwareEvent;
use crate::platforms::thingsboard::updater::{Updater, UpdaterEvent};

use super::ota::Installer;
use crate::session::{ConnectOptions, Message, Outgoing, QoS};
use crate::supervisor::Millis;
use crate::transport::{now_ms, DeadlineTimer};

/// What an RPC handler returns: the reply's JSON, or an error message sent as `{"error": ...}`.
pub type RpcResult = Result<Value, String>;
pub type RpcFuture = Pin<Box<dyn Future<Output = RpcResult>>>;
type RpcHandler = Rc<dyn Fn(RpcRequest) -> RpcFuture>;
pub(crate) type GatewayRpcHandler = Rc<dyn Fn(GatewayRpcRequest) -> RpcFuture>;
pub(crate) type GatewayAttributeListener = Rc<dyn Fn(&str, &SharedAttributesUpdate)>;
type Listener<T> = Rc<dyn Fn(&T)>;
type OpResult = Result<Outcome, ThingsBoardError>;

/// One updater on the device: the pure state machine, the installer it hands images to, its listeners.
pub(crate) struct UpdaterSlot {
    pub(crate) id: u64,
    pub(crate) updater: Updater,
    pub(crate) installer: Installer,
    pub(crate) listeners: Vec<Listener<FirmwareEvent>>,
}

pub(crate) struct DeviceState {
    pub(crate) core: DeviceSession,
    /// The futures waiting for each operation of the session.
    pub(crate) ops: VecMap<OpId, oneshot::Sender<OpResult>>,
    rpc_handlers: VecMap<String, RpcHandler>,
    shared_listeners: Vec<Listener<SharedAttributesUpdate>>,
    error_listeners: Vec<Listener<ThingsBoardError>>,
    /// Told when this tab may have been given or lost a turn on a shared connection.
    pub(crate) turn_listeners: Vec<Rc<dyn Fn()>>,
    /// Firmware and software updaters (`ota.rs`): the pure updaters with their installers and listeners.
    pub(crate) updaters: Vec<UpdaterSlot>,
    /// A gateway's: its sub-devices' shared-attribute listeners and RPC handler.
    pub(crate) gateway_attribute_listeners: Vec<GatewayAttributeListener>,
    pub(crate) gateway_rpc: Option<GatewayRpcHandler>,
    /// Armed for the session's next deadline (a request timeout, a rate window freeing).
    timer: Option<DeadlineTimer>,
    /// The filters routed to the session (`route`), each once: an updater started again adds none.
    routes: Vec<String>,
}

/// A ThingsBoard device connected over MQTT. Cheap to clone; clones share the session.
#[derive(Clone)]
pub struct ThingsBoardDevice {
    pub(crate) client: Link,
    pub(crate) state: Rc<RefCell<DeviceState>>,
    pub(crate) options: Rc<DeviceOptions>,
}

fn closed() -> ThingsBoardError {
    ThingsBoardError::Client(crate::ClientError::Closed)
}

impl ThingsBoardDevice {
    /// Connects to ThingsBoard (through a WebSocket bridge, or the simulator) as this device.
    pub async fn connect(
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        let (connect, basic) = login(&options, credentials)?;
        let device = Self::attach(MqttClient::new(url, connect)?, options);
        device.client.connect().await.map_err(|e| ThingsBoardError::from_client(e, basic))?;
        device.read_session_limits().await;
        Ok(device)
    }

    /// `connect` on the session that every tab of the origin naming the same URL and credentials
    /// shares (docs/shared.md): one connection for all of them. `module` is where the page serves
    /// the shared session's page side (`iotmqtt/shared`'s `shared.js`). The tab numbers its requests
    /// in its own block of ids, runs a server RPC only while it holds the method's turn, updates
    /// firmware only while it holds the device's firmware turn, and paces at its share of the limits
    /// (`platforms::thingsboard::session::shared`).
    #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
    pub async fn connect_shared(
        module: &str,
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        let (connect, basic) = login(&options, credentials)?;
        let client = Link::open_shared(module, url, &connect).await?;
        let device = Self::over(Link::Shared(client.clone()), options);
        if let Err(e) = device.client.connect().await {
            device.close();
            return Err(ThingsBoardError::from_client(e, basic));
        }
        super::shared::joined(&device, &client);
        device.read_session_limits().await;
        Ok(device)
    }

    /// Obeys the transport's limits when it tells them (`getSessionLimits`); an answer that cannot
    /// be read is an error event.
    async fn read_session_limits(&self) {
        if self.options.fetch_session_limits {
            match self.call("getSessionLimits", Value::Object(Default::default())).await {
                Ok(v) => match parse_session_limits(&v) {
                    Ok(limits) => self.set_limits(limits),
                    Err(e) => self.emit_error(e),
                },
                Err(e) => self.emit_error(e),
            }
        }
    }

    /// Wraps a client (connected or not) and routes ThingsBoard's topics to this device.
    pub fn attach(client: MqttClient, options: DeviceOptions) -> Self {
        Self::over(Link::Own(client), options)
    }

    /// The device over `client`: on the origin's shared session, its session is one tab's
    /// (`connect_shared`, which tells it the tab's number once joined).
    fn over(client: Link, options: DeviceOptions) -> Self {
        let core =
            DeviceSession::new(SessionOptions { qos: options.qos, request_timeout_ms: options.request_timeout_ms });
        let state = Rc::new(RefCell::new(DeviceState {
            core,
            ops: VecMap::new(),
            rpc_handlers: VecMap::new(),
            shared_listeners: Vec::new(),
            error_listeners: Vec::new(),
            turn_listeners: Vec::new(),
            updaters: Vec::new(),
            gateway_attribute_listeners: Vec::new(),
            gateway_rpc: None,
            timer: None,
            routes: Vec::new(),
        }));
        let device = Self { client, state, options: Rc::new(options) };
        let weak = device.weak();
        let wake: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(device) = weak.upgrade() {
                let now = now_ms();
                {
                    let mut s = device.state.borrow_mut();
                    if let Some(t) = s.timer.as_mut() {
                        t.fired();
                    }
                    s.core.handle_timeout(now);
                }
                device.drive();
            }
        });
        device.state.borrow_mut().timer = Some(DeadlineTimer::new(wake, false));
        for filter in [
            topics::ATTRIBUTES,
            topics::ATTRIBUTES_RESPONSE_FILTER,
            topics::RPC_REQUEST_FILTER,
            topics::RPC_RESPONSE_FILTER,
        ] {
            device.route(filter);
        }
        #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
        if let Link::Shared(client) = &device.client {
            super::shared::watch(&device, client);
        }
        device
    }

    /// Routes `filter`'s messages to the session (`deliver`), once per filter, through a handler
    /// that does not keep the client alive.
    pub(crate) fn route(&self, filter: &str) {
        if self.state.borrow().routes.iter().any(|f| f == filter) {
            return;
        }
        self.state.borrow_mut().routes.push(filter.to_owned());
        let weak = self.weak();
        let _ = self.client.on_message(filter, move |m| {
            if let Some(device) = weak.upgrade() {
                device.deliver(m);
            }
        });
    }

    pub(crate) fn weak(&self) -> WeakDevice {
        WeakDevice { client: self.client.downgrade(), state: Rc::downgrade(&self.state), options: self.options.clone() }
    }

    /// The connection of its own, for its state and raw MQTT; none on a shared one.
    pub fn client(&self) -> Option<&MqttClient> {
        self.client.own()
    }

    /// The connection the device runs over.
    pub fn link(&self) -> &Link {
        &self.client
    }

    /// The filters subscribed so far: always a subset of ThingsBoard's whitelist, one per feature used.
    pub fn subscribed_filters(&self) -> Vec<String> {
        self.state.borrow().core.subscribed_filters()
    }

    /// Where the pacing of publishes stands now: what waits, and which limit holds it back.
    pub fn pacing_status(&self) -> PacingStatus {
        self.state.borrow().core.pacing_status(now_ms())
    }

    pub fn session_limits(&self) -> SessionLimits {
        self.state.borrow().core.limits().clone()
    }

    /// Replaces the limits (normally from `getSessionLimits`).
    pub fn set_limits(&self, limits: SessionLimits) {
        self.state.borrow_mut().core.set_limits(now_ms(), limits);
        self.drive();
    }

    /// The local attribute mirror: client attributes sent, and shared attributes received.
    pub fn attributes(&self) -> AttributeMirror {
        self.state.borrow().core.mirror().clone()
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

    /// A message on one of the device's topics (the device's own routes, and the firmware
    /// updater's), for the session.
    pub(crate) fn deliver(&self, m: &Message) {
        self.state.borrow_mut().core.handle_message(now_ms(), &m.topic, &m.payload);
        self.drive();
    }

    /// Starts an operation of the session and waits for its end.
    async fn run(&self, start: impl FnOnce(&mut DeviceSession, Millis) -> Result<OpId, ThingsBoardError>) -> OpResult {
        let rx = {
            let mut s = self.state.borrow_mut();
            let op = start(&mut s.core, now_ms())?;
            let (tx, rx) = oneshot::channel();
            s.ops.insert(op, tx);
            rx
        };
        self.drive();
        rx.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Carries out what the session asks, until it asks nothing more; then arms the timer.
    pub(crate) fn drive(&self) {
        loop {
            let Some(event) = self.state.borrow_mut().core.poll_event() else { break };
            match event {
                DeviceEvent::RequestSubscribe { filter } => {
                    let device = self.clone();
                    spawn_local(async move {
                        let result = device.client.subscribe(&filter, QoS::AtLeastOnce).await;
                        let result = result.map(drop).map_err(ThingsBoardError::from);
                        device.state.borrow_mut().core.subscribed(now_ms(), &filter, result);
                        device.drive();
                    });
                }
                DeviceEvent::RequestPublish { publish, topic, payload, qos } => {
                    let outgoing = Outgoing::new(topic, payload).qos(qos);
                    let client = match &self.client {
                        Link::Own(client) => client,
                        #[allow(unreachable_patterns)]
                        shared => {
                            let (device, shared) = (self.clone(), shared.clone());
                            spawn_local(async move {
                                let result = shared.publish(outgoing).await.map_err(ThingsBoardError::from);
                                device.state.borrow_mut().core.published(now_ms(), publish, result);
                                device.drive();
                            });
                            continue;
                        }
                    };
                    match client.start_publish(outgoing) {
                        Ok(None) => self.state.borrow_mut().core.published(now_ms(), publish, Ok(())),
                        Ok(Some(completion)) => {
                            let device = self.clone();
                            spawn_local(async move {
                                let result = completion.await.map_err(ThingsBoardError::from);
                                device.state.borrow_mut().core.published(now_ms(), publish, result);
                                device.drive();
                            });
                        }
                        Err(e) => self.state.borrow_mut().core.published(now_ms(), publish, Err(e.into())),
                    }
                }
                DeviceEvent::NotifyDone { op, result } => {
                    let waiter = {
                        let mut guard = self.state.borrow_mut();
                        let s = &mut *guard;
                        let now = now_ms();
                        let updaters = &mut s.updaters;
                        match updaters.iter_mut().any(|u| u.updater.op_done(&mut s.core, now, op, &result)) {
                            true => None,
                            false => s.ops.remove(&op),
                        }
                    };
                    if let Some(w) = waiter {
                        let _ = w.send(result);
                    }
                }
                DeviceEvent::NotifySharedAttributes(update) => {
                    let listeners = self.state.borrow().shared_listeners.clone();
                    for l in listeners {
                        l(&update);
                    }
                    self.check_updaters();
                }
                DeviceEvent::NotifyRpcRequest { request, one_way } => {
                    let handler = self.state.borrow().rpc_handlers.get(&request.method).cloned();
                    let Some(handler) = handler else { continue };
                    let device = self.clone();
                    spawn_local(async move {
                        let id = request.id;
                        let result = handler(request).await;
                        if !one_way {
                            device.state.borrow_mut().core.reply_rpc(now_ms(), id, &result);
                            device.drive();
                        }
                    });
                }
                DeviceEvent::NotifyGatewayAttributes { device, update } => {
                    let listeners = self.state.borrow().gateway_attribute_listeners.clone();
                    for l in listeners {
                        l(&device, &update);
                    }
                }
                DeviceEvent::NotifyGatewayRpc(request) => {
                    let handler = self.state.borrow().gateway_rpc.clone();
                    let Some(handler) = handler else { continue };
                    let device = self.clone();
                    spawn_local(async move {
                        let (name, id) = (request.device.clone(), request.id);
                        let result = handler(request).await;
                        device.state.borrow_mut().core.reply_gateway_rpc(now_ms(), &name, id, &result);
                        device.drive();
                    });
                }
                DeviceEvent::NotifyError(e) => self.emit_error(e),
                // Asked only on a shared connection (`connect_shared`).
                #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
                DeviceEvent::RequestLease { topic } => super::shared::lease(self, topic),
                #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
                DeviceEvent::ReleaseLease { topic } => {
                    if let Link::Shared(client) = &self.client {
                        client.release(&topic);
                    }
                }
                #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
                DeviceEvent::RequestHolder { topic } => super::shared::holder(self, topic),
                #[cfg(all(feature = "thingsboard-shared", not(feature = "shared-client")))]
                DeviceEvent::RequestLease { .. }
                | DeviceEvent::ReleaseLease { .. }
                | DeviceEvent::RequestHolder { .. } => {}
            }
        }
        self.updater_events();
        let mut s = self.state.borrow_mut();
        let deadline = s.core.poll_timeout();
        if let Some(t) = s.timer.as_mut() {
            t.sync(now_ms(), deadline);
        }
    }

    /// Subscribes to a whitelisted filter once; later calls return at once, and a call made while
    /// the SUBSCRIBE is under way waits for its SUBACK instead of sending another.
    /// The shared attributes changed: each updater looks for a new package.
    pub(crate) fn check_updaters(&self) {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        let now = now_ms();
        for slot in &mut s.updaters {
            slot.updater.check(&mut s.core, now);
        }
    }

    /// What the updaters tell: firmware events to their listeners, images to digest (SHA-2) and to
    /// install, failures to put in words, errors to the device's error listeners. Listeners run with no borrow held.
    fn updater_events(&self) {
        loop {
            let next = {
                let mut s = self.state.borrow_mut();
                s.updaters.iter_mut().find_map(|slot| {
                    let event = slot.updater.poll_event()?;
                    Some((slot.id, event, slot.listeners.clone(), slot.installer.clone()))
                })
            };
            let Some((id, event, listeners, installer)) = next else { break };
            match event {
                UpdaterEvent::Firmware(e) => listeners.iter().for_each(|l| l(&e)),
                UpdaterEvent::Error(e) => self.emit_error(e),
                // The digest here, with the RustCrypto, CRC and Murmur3 crates: the pure updater leaves
                // every digest to its shell.
                UpdaterEvent::Digest { generation, algorithm, .. } => {
                    let result = {
                        let s = self.state.borrow();
                        let slot = s.updaters.iter().find(|slot| slot.id == id);
                        let image = slot.and_then(|slot| slot.updater.digest_input(generation)).unwrap_or_default();
                        Ok::<_, String>(algorithm.digest(image))
                    };
                    self.answer_updater(id, async move {
                        move |u: &mut Updater, core: &mut DeviceSession, now| u.digested(core, now, generation, result)
                    });
                }
                // The words of the error that failed an update, for `fw_error`: its `Display`.
                UpdaterEvent::Describe { generation, error, .. } => {
                    let words = error.to_string();
                    self.answer_updater(id, async move {
                        move |u: &mut Updater, core: &mut DeviceSession, now| u.described(core, now, generation, words)
                    });
                }
                UpdaterEvent::Install { generation, package, image } => {
                    self.answer_updater(id, async move {
                        let result = installer(package, image).await;
                        move |u: &mut Updater, core: &mut DeviceSession, now| u.installed(core, now, generation, result)
                    });
                }
            }
        }
    }

    /// What updater `id` waits for (a digest, words, an install) comes back: once `answer` has it,
    /// the updater takes it and the device drives on. Never within the drive that asked.
    fn answer_updater<F>(&self, id: u64, answer: impl Future<Output = F> + 'static)
    where
        F: FnOnce(&mut Updater, &mut DeviceSession, u64) + 'static,
    {
        let device = self.clone();
        spawn_local(async move {
            let take = answer.await;
            {
                let mut guard = device.state.borrow_mut();
                let s = &mut *guard;
                if let Some(slot) = s.updaters.iter_mut().find(|slot| slot.id == id) {
                    take(&mut slot.updater, &mut s.core, now_ms());
                }
            }
            device.drive();
        });
    }

    pub(crate) async fn ensure_subscribed(&self, filter: &str) -> Result<(), ThingsBoardError> {
        self.run(|core, now| Ok(core.subscribe(now, filter))).await.map(drop)
    }

    /// Sends telemetry in any documented format (`{k:v}`, `[{k:v}]`, `{ts, values}`, `[{ts, values}]`),
    /// split so that no PUBLISH exceeds the session's max payload size, within the rate limits.
    pub async fn send_telemetry(&self, telemetry: &Value) -> Result<(), ThingsBoardError> {
        self.run(|core, now| core.send_telemetry(now, telemetry)).await.map(drop)
    }

    /// Sends any serde type as telemetry (a struct becomes `{field: value}`).
    pub async fn send_telemetry_of<T: Serialize>(&self, telemetry: &T) -> Result<(), ThingsBoardError> {
        let value = serde_json::to_value(telemetry).map_err(|e| ThingsBoardError::InvalidTelemetry(e.to_string()))?;
        self.send_telemetry(&Value::from(value)).await
    }

    /// Publishes client-side attributes and keeps them in the mirror.
    pub async fn send_attributes(&self, attributes: &Value) -> Result<(), ThingsBoardError> {
        self.run(|core, now| core.send_attributes(now, attributes)).await.map(drop)
    }

    /// Asks for client and shared attributes; resolves with `{client, shared}` or times out.
    pub async fn request_attributes(
        &self,
        client_keys: &[&str],
        shared_keys: &[&str],
    ) -> Result<AttributeResponse, ThingsBoardError> {
        match self.run(|core, now| core.request_attributes(now, client_keys, shared_keys)).await? {
            Outcome::Attributes(r) => Ok(r),
            other => Err(unexpected(other)),
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

    /// Whether this tab runs the server RPCs of `method`: always on a connection of its own; on a
    /// shared one, while it holds the method's turn.
    pub fn runs_rpc(&self, method: &str) -> bool {
        #[cfg(feature = "thingsboard-shared")]
        let turn = &crate::platforms::thingsboard::session::rpc_turn(method);
        #[cfg(not(feature = "thingsboard-shared"))]
        let turn = method;
        self.state.borrow().core.holds_turn(turn)
    }

    /// Calls `f` when this tab may have been given or lost a turn on a shared connection (`runs_rpc`
    /// and `updates_firmware` may say otherwise now); never on a connection of its own.
    pub fn on_turns(&self, f: impl Fn() + 'static) {
        self.state.borrow_mut().turn_listeners.push(Rc::new(f));
    }

    /// Whether this tab's updaters of `kind` run: always on a connection of its own; on a shared
    /// one, while it holds the device's firmware turn.
    pub fn updates_firmware(&self, kind: crate::platforms::thingsboard::topics::PackageKind) -> bool {
        #[cfg(feature = "thingsboard-shared")]
        let turn = &crate::platforms::thingsboard::session::firmware_turn(kind);
        #[cfg(not(feature = "thingsboard-shared"))]
        let turn = kind.prefix();
        self.state.borrow().core.holds_turn(turn)
    }

    /// Removes a method's handler; later calls to it get `{"error": "unknown method"}`.
    pub fn remove_rpc(&self, method: &str) -> bool {
        let removed = {
            let mut s = self.state.borrow_mut();
            s.rpc_handlers.remove(method);
            s.core.remove_rpc(method)
        };
        // On a shared connection the method's turn goes back now, not at the next event.
        self.drive();
        removed
    }

    fn register_rpc(&self, method: &str, handler: RpcHandler, one_way: bool) {
        {
            let mut s = self.state.borrow_mut();
            s.rpc_handlers.insert(method.to_owned(), handler);
            s.core.register_rpc(now_ms(), method, one_way);
        }
        self.drive();
    }

    /// Subscribes to server-side RPC now, to know it worked (handlers subscribe lazily otherwise).
    pub async fn enable_rpc(&self) -> Result<(), ThingsBoardError> {
        self.ensure_subscribed(topics::RPC_REQUEST_FILTER).await
    }

    /// Client-side RPC: resolves with the server's result, a typed `RpcError`, or a timeout.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ThingsBoardError> {
        match self.run(|core, now| core.call(now, method, &params)).await? {
            Outcome::CallResult(v) => Ok(v),
            other => Err(unexpected(other)),
        }
    }

    /// Starts claiming (docs/platforms/thingsboard.md#claiming); both arguments are optional.
    pub async fn claim(&self, secret_key: Option<&str>, duration_ms: Option<u64>) -> Result<(), ThingsBoardError> {
        self.run(|core, now| core.claim(now, secret_key, duration_ms)).await.map(drop)
    }

    #[cfg(feature = "thingsboard-gateway")]
    pub(crate) async fn publish_raw(&self, topic: &str, payload: Vec<u8>) -> Result<(), ThingsBoardError> {
        use crate::platforms::thingsboard::pacing::Budget;
        self.run(|core, now| core.publish(now, topic, payload, Budget::Message)).await.map(drop)
    }

    /// A gateway's telemetry for several sub-devices, stamped with the page's clock where it has no `ts`.
    #[cfg(feature = "thingsboard-gateway")]
    pub(crate) async fn gateway_telemetry(&self, batch: &[(&str, &Value)]) -> Result<(), ThingsBoardError> {
        let epoch_ms = js_sys::Date::now() as i64;
        self.run(|core, now| core.gateway_telemetry(now, epoch_ms, batch)).await.map(drop)
    }

    /// A gateway's request for one sub-device's attributes.
    #[cfg(feature = "thingsboard-gateway")]
    pub(crate) async fn gateway_request_attributes(
        &self,
        device: &str,
        keys: &[&str],
        client: bool,
    ) -> Result<crate::json::Map<String, Value>, ThingsBoardError> {
        match self.run(|core, now| core.gateway_request_attributes(now, device, keys, client)).await? {
            Outcome::GatewayAttributes(values) => Ok(values),
            other => Err(unexpected(other)),
        }
    }

    /// A gateway answers its sub-devices' RPCs with `handler` from now on.
    #[cfg(feature = "thingsboard-gateway")]
    pub(crate) async fn enable_gateway_rpc(&self, handler: GatewayRpcHandler) -> Result<(), ThingsBoardError> {
        self.state.borrow_mut().gateway_rpc = Some(handler);
        self.run(|core, now| Ok(core.enable_gateway_rpc(now))).await.map(drop)
    }

    /// Disconnects and frees the client's handlers and timers; what was waiting fails.
    pub fn close(&self) {
        self.client.close();
        self.state.borrow_mut().core.close(closed());
        self.drive();
        let mut s = self.state.borrow_mut();
        s.rpc_handlers.clear();
        s.shared_listeners.clear();
        s.error_listeners.clear();
        s.turn_listeners.clear();
        s.updaters.clear();
        s.gateway_attribute_listeners.clear();
        s.gateway_rpc = None;
        s.ops.clear();
        s.timer = None;
    }
}

/// The device's CONNECT (`DeviceOptions::connect_options`, with the Rust client's Last Will), and
/// whether it logs in with MQTT basic credentials rather than an access token.
fn login(options: &DeviceOptions, credentials: Credentials) -> Result<(ConnectOptions, bool), ThingsBoardError> {
    let basic = matches!(credentials, Credentials::Basic { .. });
    let connect = options.connect_options(credentials)?;
    Ok((ConnectOptions { will: options.will.clone(), ..connect }, basic))
}

/// An operation ended with an outcome of another kind: a bug, reported rather than panicking.
fn unexpected(_outcome: Outcome) -> ThingsBoardError {
    let detail = "an operation ended with another kind of outcome".into();
    ThingsBoardError::InvalidPayload { what: "device session", detail }
}

/// A device handle for closures stored inside the client, so they do not keep it alive.
#[derive(Clone)]
pub(crate) struct WeakDevice {
    client: WeakLink,
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
