//! `ThingsStackApp`: one application's MQTT integration on the async client — login with refusals
//! in platform words, subscriptions, typed events, downlink push/replace/clear and tracking handles.

use std::cell::RefCell;

use crate::collections::VecMap;
use std::rc::{Rc, Weak};

use futures_channel::{mpsc, oneshot};
use wasm_bindgen_futures::spawn_local;

use crate::client::{Link, MqttClient, WeakLink};
use crate::error::{ClientError, SessionError};
use crate::platforms::things_stack::decoder::{DecoderRegistry, UplinkDecoder};
use crate::platforms::things_stack::downlink::Downlink;
use crate::platforms::things_stack::error::ThingsStackError;
use crate::platforms::things_stack::event::{parse_event, ThingsStackEvent};
use crate::platforms::things_stack::session::{ApplicationEvent, ApplicationSession, OpId};
use crate::platforms::things_stack::topic::{ApplicationUid, DownlinkOp, Subscription};
use crate::platforms::things_stack::tracking::DownlinkStatus;
use crate::platforms::things_stack::waits::{DownlinkWaits, WaitDone, WaitId, WaitKind};
use crate::session::reason::ConnectRefusal;
use crate::transport::{now_ms, DeadlineTimer};
use crate::{ConnectOptions, Message, Outgoing, ProtocolVersion, QoS};

type EventHandler = Rc<dyn Fn(&ThingsStackEvent)>;
type ErrorHandler = Rc<dyn Fn(&ThingsStackError)>;

struct Shared {
    app: ApplicationUid,
    event_listeners: Vec<(u64, EventHandler)>,
    error_listeners: Vec<(u64, ErrorHandler)>,
    next_listener: u64,
    decoders: DecoderRegistry,
    /// The pure session: validation, correlation ids, tracking, lazy `down/#` subscriptions.
    core: ApplicationSession,
    /// Each tracked downlink's handle, by correlation id.
    /// The waits on pushed downlinks (the rules: `platforms::things_stack::waits`), the futures
    /// waiting for them, and the one timer of their deadlines.
    waits: DownlinkWaits,
    waiting: VecMap<WaitId, oneshot::Sender<WaitDone>>,
    timer: Option<DeadlineTimer>,
    /// The futures waiting for each push or replace.
    sends: VecMap<OpId, oneshot::Sender<Result<(), ThingsStackError>>>,
    /// The connection, for what the session asks while handling an event.
    client: WeakLink,
}

/// An application's MQTT integration. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct ThingsStackApp {
    client: Link,
    shared: Rc<RefCell<Shared>>,
}

impl ThingsStackApp {
    /// Logs in as `application` (`app` or `app@tenant`; on TTN `app@ttn`) with an API key.
    /// The connection is MQTT 3.1.1 whatever `options.version` says: the only version TTS speaks.
    pub async fn connect(
        url: &str,
        application: &str,
        api_key: &str,
        options: ConnectOptions,
    ) -> Result<Self, ThingsStackError> {
        let (app, options) = login(application, api_key, options)?;
        Self::start(app, Link::Own(MqttClient::new(url, options)?)).await
    }

    /// `connect` on the session that every tab of the origin naming the same URL, application, API
    /// key and client id shares (docs/shared.md): one connection for all of them, so the
    /// application's connection limit counts one. `module` is where the page serves the shared
    /// session's page side (`iotmqtt/shared`'s `shared.js`). Each tab keeps its own subscriptions,
    /// events, decoders and downlinks: its correlation ids are its own.
    #[cfg(feature = "shared-client")]
    pub async fn connect_shared(
        module: &str,
        url: &str,
        application: &str,
        api_key: &str,
        options: ConnectOptions,
    ) -> Result<Self, ThingsStackError> {
        let (app, options) = login(application, api_key, options)?;
        Self::start(app, Link::Shared(Link::open_shared(module, url, &options).await?)).await
    }

    async fn start(app: ApplicationUid, client: Link) -> Result<Self, ThingsStackError> {
        let shared = Rc::new(RefCell::new(Shared {
            app: app.clone(),
            event_listeners: Vec::new(),
            error_listeners: Vec::new(),
            next_listener: 1,
            decoders: DecoderRegistry::new(),
            core: ApplicationSession::new(app.clone()),
            waits: DownlinkWaits::new(),
            waiting: VecMap::new(),
            timer: None,
            sends: VecMap::new(),
            client: client.downgrade(),
        }));
        let weak = Rc::downgrade(&shared);
        let wake: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(shared) = weak.upgrade() {
                {
                    let mut s = shared.borrow_mut();
                    if let Some(t) = s.timer.as_mut() {
                        t.fired();
                    }
                    s.waits.handle_timeout(now_ms());
                }
                settle_waits(&shared);
            }
        });
        shared.borrow_mut().timer = Some(DeadlineTimer::new(wake, false));
        let weak = Rc::downgrade(&shared);
        client.on_message(&format!("v3/{}/devices/+/#", app.uid()), move |m| on_message(&weak, m))?;
        match client.connect().await {
            Ok(_) => Ok(Self { client, shared }),
            Err(e) => {
                client.close();
                Err(login_error(&app, e))
            }
        }
    }

    pub fn application(&self) -> ApplicationUid {
        self.shared.borrow().app.clone()
    }

    /// The connection the application runs over.
    pub fn link(&self) -> &Link {
        &self.client
    }

    /// The connection of its own, for its state and raw MQTT; none on a shared one.
    pub fn client(&self) -> Option<&MqttClient> {
        self.client.own()
    }

    /// Subscribes to the whole application, one device, one event kind, or a device's one kind.
    pub async fn subscribe(&self, subscription: &Subscription) -> Result<(), ThingsStackError> {
        let filter = subscription.filter(&self.shared.borrow().app)?;
        self.client.subscribe(&filter, QoS::AtMostOnce).await?;
        Ok(())
    }

    /// Calls `handler` for every event of the subscribed topics.
    pub fn on_event(&self, handler: impl Fn(&ThingsStackEvent) + 'static) -> u64 {
        let mut s = self.shared.borrow_mut();
        let id = s.next_listener;
        s.next_listener += 1;
        s.event_listeners.push((id, Rc::new(handler)));
        id
    }

    /// Calls `handler` for every message on an event topic that could not be read.
    pub fn on_error(&self, handler: impl Fn(&ThingsStackError) + 'static) -> u64 {
        let mut s = self.shared.borrow_mut();
        let id = s.next_listener;
        s.next_listener += 1;
        s.error_listeners.push((id, Rc::new(handler)));
        id
    }

    pub fn remove_listener(&self, id: u64) -> bool {
        let mut s = self.shared.borrow_mut();
        let before = s.event_listeners.len() + s.error_listeners.len();
        s.event_listeners.retain(|(l, _)| *l != id);
        s.error_listeners.retain(|(l, _)| *l != id);
        before != s.event_listeners.len() + s.error_listeners.len()
    }

    /// Every event, and every unreadable one as an error, as a stream.
    pub fn events(&self) -> mpsc::UnboundedReceiver<Result<ThingsStackEvent, ThingsStackError>> {
        let (tx, rx) = mpsc::unbounded();
        let errors = tx.clone();
        self.on_event(move |e| {
            let _ = tx.unbounded_send(Ok(e.clone()));
        });
        self.on_error(move |e| {
            let _ = errors.unbounded_send(Err(e.clone()));
        });
        rx
    }

    /// Decodes this device's uplinks in the page (overrides the FPort and default decoders).
    pub fn set_device_decoder(&self, device_id: &str, decoder: Rc<dyn UplinkDecoder>) {
        self.shared.borrow_mut().decoders.set_for_device(device_id, decoder);
    }

    pub fn set_f_port_decoder(&self, f_port: u32, decoder: Rc<dyn UplinkDecoder>) {
        self.shared.borrow_mut().decoders.set_for_f_port(f_port, decoder);
    }

    pub fn set_default_decoder(&self, decoder: Rc<dyn UplinkDecoder>) {
        self.shared.borrow_mut().decoders.set_fallback(decoder);
    }

    /// For removals and anything else the setters do not cover.
    pub fn with_decoders<R>(&self, f: impl FnOnce(&mut DecoderRegistry) -> R) -> R {
        f(&mut self.shared.borrow_mut().decoders)
    }

    /// Appends downlinks to the device's queue; one tracking handle per downlink, in order.
    pub async fn push(&self, device_id: &str, downlinks: &[Downlink]) -> Result<Vec<DownlinkHandle>, ThingsStackError> {
        self.send(device_id, downlinks, DownlinkOp::Push).await
    }

    /// Replaces the device's queue with these downlinks.
    pub async fn replace(
        &self,
        device_id: &str,
        downlinks: &[Downlink],
    ) -> Result<Vec<DownlinkHandle>, ThingsStackError> {
        self.send(device_id, downlinks, DownlinkOp::Replace).await
    }

    /// Empties the device's queue (a replace with `[]`, docs/platforms/things-stack.md#downlinks).
    pub async fn clear(&self, device_id: &str) -> Result<(), ThingsStackError> {
        self.send(device_id, &[], DownlinkOp::Replace).await.map(|_| ())
    }

    async fn send(
        &self,
        device_id: &str,
        downlinks: &[Downlink],
        op: DownlinkOp,
    ) -> Result<Vec<DownlinkHandle>, ThingsStackError> {
        let random = (js_sys::Math::random() * 9.007_199_254_740_991e15) as u64;
        let (rx, handles) = {
            let mut s = self.shared.borrow_mut();
            let (op_id, ids) = s.core.send(device_id, downlinks, op, random)?;
            let mut handles = Vec::with_capacity(ids.len());
            for (id, d) in ids.into_iter().zip(downlinks) {
                s.waits.watch(&id, d.confirmed);
                handles.push(DownlinkHandle {
                    correlation_id: id,
                    device_id: device_id.to_owned(),
                    confirmed: d.confirmed,
                    shared: Rc::downgrade(&self.shared),
                    history: Vec::new(),
                    done: false,
                });
            }
            let (tx, rx) = oneshot::channel();
            s.sends.insert(op_id, tx);
            (rx, handles)
        };
        drive(&self.shared, &self.client);
        rx.await.unwrap_or(Err(ThingsStackError::Client(ClientError::Closed))).map(|()| handles)
    }

    /// Downlinks still waiting for news.
    pub fn tracked_downlinks(&self) -> usize {
        self.shared.borrow().core.tracked()
    }

    /// Disconnects and ends every tracking handle's stream.
    pub fn close(&self) {
        self.client.close();
        {
            let mut s = self.shared.borrow_mut();
            s.sends.clear();
            s.core.close();
            s.waits.close();
            s.event_listeners.clear();
            s.error_listeners.clear();
        }
        settle_waits(&self.shared);
        self.shared.borrow_mut().timer = None;
    }
}

/// The application and its CONNECT: MQTT 3.1.1 whatever `options.version` says (the only version
/// The Things Stack speaks), the application's id as the user name and the API key as the password.
fn login(
    application: &str,
    api_key: &str,
    mut options: ConnectOptions,
) -> Result<(ApplicationUid, ConnectOptions), ThingsStackError> {
    let app = ApplicationUid::parse(application)?;
    if api_key.trim().is_empty() {
        return Err(ThingsStackError::MissingApiKey);
    }
    options.version = ProtocolVersion::V3_1_1;
    options.username = Some(app.uid());
    options.password = Some(api_key.to_owned());
    Ok((app, options))
}

/// CONNACK 0x04/0x05 in The Things Stack's terms: the server gives the same code for a wrong key,
/// an unknown application and a missing or wrong tenant.
fn login_error(app: &ApplicationUid, e: ClientError) -> ThingsStackError {
    match &e {
        ClientError::Session(SessionError::ConnectRefused {
            refusal: ConnectRefusal::NotAuthorized | ConnectRefusal::BadUserNameOrPassword,
            ..
        }) => ThingsStackError::NotAuthorized { app_id: app.application_id.clone(), tenant: app.tenant.clone() },
        _ => e.into(),
    }
}

fn on_message(weak: &Weak<RefCell<Shared>>, m: &Message) {
    let Some(shared) = weak.upgrade() else { return };
    let parsed = parse_event(&shared.borrow().app, &m.topic, &m.payload);
    let mut event = match parsed {
        Ok(Some(event)) => event,
        Ok(None) => return,
        Err(e) => {
            let listeners: Vec<ErrorHandler> = shared.borrow().error_listeners.iter().map(|(_, h)| h.clone()).collect();
            for l in listeners {
                l(&e);
            }
            return;
        }
    };
    if let Some(input) = event.head.uplink_input() {
        let decoder = shared.borrow().decoders.find(&event.device_id, input.f_port);
        if let Some(decoder) = decoder {
            // Run outside any borrow: a JavaScript formatter may do anything.
            event.decoded = Some(decoder.decode_uplink(&input));
        }
    }
    shared.borrow_mut().core.handle_event(&event.head);
    let client = shared.borrow().client.upgrade();
    if let Some(client) = client {
        drive(&shared, &client);
    }
    let listeners: Vec<EventHandler> = shared.borrow().event_listeners.iter().map(|(_, h)| h.clone()).collect();
    for l in listeners {
        l(&event);
    }
}

/// Carries out what the session asks on the client: the `down/#` subscriptions and the publishes.
fn drive(shared: &Rc<RefCell<Shared>>, client: &Link) {
    loop {
        let Some(event) = shared.borrow_mut().core.poll_event() else { break };
        match event {
            ApplicationEvent::RequestSubscribe { filter } => {
                let (shared, client) = (shared.clone(), client.clone());
                spawn_local(async move {
                    let result =
                        client.subscribe(&filter, QoS::AtMostOnce).await.map(drop).map_err(ThingsStackError::from);
                    shared.borrow_mut().core.subscribed(&filter, result);
                    drive(&shared, &client);
                });
            }
            ApplicationEvent::RequestPublish { op, topic, payload } => {
                let (shared, client) = (shared.clone(), client.clone());
                spawn_local(async move {
                    let result = client.publish(Outgoing::new(topic, payload).qos(QoS::AtLeastOnce)).await;
                    shared.borrow_mut().core.published(op, result.map_err(ThingsStackError::from));
                    drive(&shared, &client);
                });
            }
            ApplicationEvent::NotifySent { op, result } => {
                let waiter = shared.borrow_mut().sends.remove(&op);
                if let Some(w) = waiter {
                    let _ = w.send(result);
                }
            }
            ApplicationEvent::NotifyDownlink(update) => shared.borrow_mut().waits.update(&update),
        }
    }
    settle_waits(shared);
}

/// Hands the waits that ended to their futures, and arms the timer for the next deadline.
fn settle_waits(shared: &Rc<RefCell<Shared>>) {
    loop {
        let done = {
            let mut s = shared.borrow_mut();
            let Some(done) = s.waits.poll_done() else { break };
            s.waiting.remove(&done.wait).map(|tx| (tx, done))
        };
        if let Some((tx, done)) = done {
            let _ = tx.send(done);
        }
    }
    let mut s = shared.borrow_mut();
    let deadline = s.waits.poll_timeout();
    if let Some(t) = s.timer.as_mut() {
        t.sync(now_ms(), deadline);
    }
}

/// One pushed downlink's progress: `queued`, `sent`, then `acked`/`nacked` when confirmed, or
/// `failed`/`invalidated`.
pub struct DownlinkHandle {
    correlation_id: String,
    device_id: String,
    confirmed: bool,
    shared: Weak<RefCell<Shared>>,
    history: Vec<DownlinkStatus>,
    done: bool,
}

impl DownlinkHandle {
    /// The id the client added to the downlink; it appears in every event about it.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    /// Every status seen so far, in order.
    pub fn history(&self) -> &[DownlinkStatus] {
        &self.history
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next status within `timeout_ms`; `Ok(None)` once nothing more can come (finished, or
    /// the application was closed).
    pub async fn next(&mut self, timeout_ms: u32) -> Result<Option<DownlinkStatus>, ThingsStackError> {
        self.wait(WaitKind::Next, timeout_ms).await
    }

    /// Waits up to `timeout_ms` in all for the final status: `acked` (confirmed), `sent`
    /// (unconfirmed), `failed` or `invalidated`. A `nacked` is recorded and waiting goes on,
    /// since the server may retry a confirmed downlink.
    pub async fn outcome(&mut self, timeout_ms: u32) -> Result<DownlinkStatus, ThingsStackError> {
        self.wait(WaitKind::Outcome, timeout_ms).await?.ok_or(ThingsStackError::Client(ClientError::Closed))
    }

    /// One wait through the application's `DownlinkWaits`; dropping the future cancels it.
    async fn wait(&mut self, kind: WaitKind, timeout_ms: u32) -> Result<Option<DownlinkStatus>, ThingsStackError> {
        let Some(shared) = self.shared.upgrade() else {
            // The application is gone: nothing more can come.
            return match (kind, self.done) {
                (WaitKind::Next, _) => Ok(None),
                (WaitKind::Outcome, true) => Ok(self.history.last().cloned()),
                (WaitKind::Outcome, false) => Err(ThingsStackError::Client(ClientError::Closed)),
            };
        };
        let (id, rx) = {
            let mut s = shared.borrow_mut();
            let id = s.waits.wait(now_ms(), &self.correlation_id, kind, timeout_ms)?;
            let (tx, rx) = oneshot::channel();
            s.waiting.insert(id, tx);
            (id, rx)
        };
        settle_waits(&shared);
        drop(shared);
        let mut cancel = CancelWait { shared: self.shared.clone(), wait: Some(id) };
        let done = rx.await;
        cancel.wait = None;
        let WaitDone { read, result, .. } = done.map_err(|_| ThingsStackError::Client(ClientError::Closed))?;
        for status in &read {
            self.done |= status.is_final(self.confirmed);
        }
        self.history.extend(read);
        result
    }
}

impl Drop for DownlinkHandle {
    /// Nobody will ask about this downlink again: the application forgets it.
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            if let Ok(mut s) = shared.try_borrow_mut() {
                s.waits.forget(&self.correlation_id);
            }
        }
    }
}

/// Cancels a wait whose future was dropped before it ended.
struct CancelWait {
    shared: Weak<RefCell<Shared>>,
    wait: Option<WaitId>,
}

impl Drop for CancelWait {
    fn drop(&mut self) {
        if let (Some(wait), Some(shared)) = (self.wait, self.shared.upgrade()) {
            if let Ok(mut s) = shared.try_borrow_mut() {
                s.waits.cancel(wait);
                s.waiting.remove(&wait);
            }
        }
    }
}
