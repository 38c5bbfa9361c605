//! The async MQTT client for the browser: a thin shell over the pure supervisor. It moves bytes
//! between the WebSocket and the supervisor, arms one timer for the supervisor's deadline, and turns
//! the supervisor's events into futures and callbacks. Every rule lives in `crate::supervisor`.

#[cfg(feature = "auth")]
mod auth;
mod link;
mod network;
mod persistence;
mod request;
#[cfg(feature = "shared-client")]
mod shared;
pub mod time;

#[cfg(feature = "auth")]
pub use auth::AuthAnswer;
pub use link::{Link, WeakLink};
pub use request::{RequestError, RequestOptions};
#[cfg(feature = "shared-client")]
pub use shared::{SharedClient, SharedClientError, SharedState};

#[cfg(feature = "cloudplugs")]
pub mod cloudplugs;
#[cfg(feature = "things-stack")]
pub mod things_stack;
// The Rust client's ThingsBoard types are the device's, and its gateway builds on them.
#[cfg(feature = "thingsboard-device")]
pub mod thingsboard;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures_channel::{mpsc, oneshot};
use wasm_bindgen::JsCast;

use crate::collections::VecMap;
use crate::error::{ClientError, SessionError};
use crate::session::options::ClientOptions;
use crate::session::request::Requests;
use crate::session::router::Router;
#[cfg(feature = "reason-strings")]
use crate::session::said::Acknowledged;
use crate::session::SubscribeOptions;
use crate::session::{ConnAck, ConnectOptions, Message, Outgoing, QoS};
pub use crate::supervisor::ConnectionState;
use crate::supervisor::{ConnectStart, Event, Flush, Supervisor};
use crate::transport::{clock, drop_later, now_ms, queue_microtask, DeadlineTimer, TransportEvent, WebSocketTransport};

/// Identifies a registered handler, for `remove_listener`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenerId {
    Route(u64),
    Message(u64),
    State(u64),
    #[cfg(feature = "reason-strings")]
    Acknowledged(u64),
    /// A listener on the shared session (`SharedClient`).
    #[cfg(feature = "shared-client")]
    Shared(u64),
}

type Handler<T> = Rc<dyn Fn(&T)>;
type Delivery = Box<dyn FnOnce()>;

/// A credentials callback: a user name and password for the next CONNECT, or why there are none.
pub type Login = Result<(Option<String>, Option<String>), String>;
type CredentialsCallback = Rc<dyn Fn() -> futures_util::future::LocalBoxFuture<'static, Login>>;

struct Inner {
    sup: Supervisor,
    transport: Option<WebSocketTransport>,
    timer: Option<DeadlineTimer>,
    connect_waiter: Option<oneshot::Sender<Result<ConnAck, ClientError>>>,
    /// Publishes waiting for completion, by session token.
    publish_waiters: VecMap<u64, oneshot::Sender<Result<(), ClientError>>>,
    subscribe_waiters: VecMap<u16, oneshot::Sender<Vec<Result<QoS, ClientError>>>>,
    unsubscribe_waiters: VecMap<u16, oneshot::Sender<Vec<Result<(), ClientError>>>>,
    routes: Router<Handler<Message>>,
    message_listeners: Vec<(u64, Handler<Message>)>,
    state_listeners: Vec<(u64, Handler<ConnectionState>)>,
    /// Hear the successful acknowledgements that said more than "success" (`on_acknowledged`).
    #[cfg(feature = "reason-strings")]
    ack_listeners: Vec<(u64, Handler<Acknowledged>)>,
    next_listener: u64,
    network: Option<network::NetworkWatch>,
    /// IndexedDB store of unsent messages, opened by the first `connect`.
    store: Option<persistence::MessageStore>,
    /// Asked before every connect and reconnect (`ClientOptions::credentials`).
    credentials: Option<CredentialsCallback>,
    /// MQTT 5 requests waiting for their reply (`request.rs`), and who waits for each.
    requests: Requests,
    request_waiters: VecMap<u64, oneshot::Sender<Message>>,
    /// Answers the broker's MQTT 5 authentication challenges (`auth.rs`).
    #[cfg(feature = "auth")]
    authenticator: Option<auth::Authenticator>,
    /// Who waits for the re-authentication under way.
    #[cfg(feature = "auth")]
    reauthentication: Option<auth::Reauthentication>,
}

/// The rest of a QoS 1/2 publish: resolves on PUBACK/PUBCOMP, or with why it cannot complete.
pub struct PublishCompletion {
    rx: oneshot::Receiver<Result<(), ClientError>>,
}

impl std::future::Future for PublishCompletion {
    type Output = Result<(), ClientError>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(ClientError::Session(SessionError::ConnectionLost))))
    }
}

/// An MQTT client over one browser WebSocket. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct MqttClient {
    inner: Rc<RefCell<Inner>>,
}

/// A handle that does not keep the client alive; for closures the client itself stores.
#[derive(Clone)]
pub struct WeakMqttClient {
    inner: Weak<RefCell<Inner>>,
}

impl WeakMqttClient {
    pub fn upgrade(&self) -> Option<MqttClient> {
        self.inner.upgrade().map(|inner| MqttClient { inner })
    }
}

impl MqttClient {
    pub fn downgrade(&self) -> WeakMqttClient {
        WeakMqttClient { inner: Rc::downgrade(&self.inner) }
    }

    /// A client for `url` (`ws://` or `wss://`) with the default reconnect and queue behaviour.
    /// Nothing is opened until `connect`. An empty client id is replaced by a generated one.
    pub fn new(url: &str, options: ConnectOptions) -> Result<Self, ClientError> {
        Self::with_options(url, options, ClientOptions::default())
    }

    /// A client with explicit reconnect, offline-queue and persistence behaviour.
    pub fn with_options(
        url: &str,
        options: ConnectOptions,
        client_options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let seed = (js_sys::Math::random() * 9.007_199_254_740_991e15) as u64;
        let main_thread = !client_options.worker_timers;
        let sup = Supervisor::new(url, options, client_options, seed, clock::uses_worker())?;
        let inner = Rc::new(RefCell::new(Inner {
            sup,
            transport: None,
            timer: None,
            connect_waiter: None,
            publish_waiters: VecMap::new(),
            subscribe_waiters: VecMap::new(),
            unsubscribe_waiters: VecMap::new(),
            routes: Router::new(),
            message_listeners: Vec::new(),
            state_listeners: Vec::new(),
            #[cfg(feature = "reason-strings")]
            ack_listeners: Vec::new(),
            next_listener: 1,
            network: None,
            store: None,
            credentials: None,
            requests: Requests::new(seed.rotate_left(17)),
            request_waiters: VecMap::new(),
            #[cfg(feature = "auth")]
            authenticator: None,
            #[cfg(feature = "auth")]
            reauthentication: None,
        }));
        let weak = Rc::downgrade(&inner);
        let fire: Rc<dyn Fn()> = Rc::new(move || on_timer(&weak));
        inner.borrow_mut().timer = Some(DeadlineTimer::new(fire, main_thread));
        Ok(Self { inner })
    }

    /// Calls `callback` before every connect and reconnect for that CONNECT's user name and
    /// password, so a token can be renewed; an `Err` fails the attempt with `CREDENTIALS_FAILED`.
    /// Takes effect with `ClientOptions { credentials: true, .. }`.
    pub fn set_credentials<F, Fut>(&self, callback: F)
    where
        F: Fn() -> Fut + 'static,
        Fut: std::future::Future<Output = Login> + 'static,
    {
        let callback: CredentialsCallback = Rc::new(move || Box::pin(callback()));
        self.inner.borrow_mut().credentials = Some(callback);
    }

    /// The server of the current connection or of the next attempt: the URL given, or one of
    /// `ClientOptions::servers` after a failover.
    pub fn url(&self) -> String {
        self.inner.borrow().sup.url().to_owned()
    }

    pub fn client_id(&self) -> String {
        self.inner.borrow().sup.session().options().client_id.clone()
    }

    pub fn client_options(&self) -> ClientOptions {
        self.inner.borrow().sup.client_options().clone()
    }

    pub fn options(&self) -> ConnectOptions {
        self.inner.borrow().sup.session().options().clone()
    }

    pub fn state(&self) -> ConnectionState {
        self.inner.borrow().sup.state().clone()
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.inner.borrow().sup.state(), ConnectionState::Connected(_))
    }

    /// The subscriptions the broker granted (and a reconnect restores), with their QoS.
    pub fn subscriptions(&self) -> Vec<(String, QoS)> {
        self.inner.borrow().sup.session().subscriptions().to_vec()
    }

    /// The largest packet the broker accepts, when it announced one (MQTT 5).
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.inner.borrow().sup.session().maximum_packet_size()
    }

    /// Opens the socket, sends CONNECT and resolves with the CONNACK, or with why it failed
    /// (refused with its reason code, timed out, or the socket closed).
    pub async fn connect(&self) -> Result<ConnAck, ClientError> {
        self.restore_persisted().await?;
        let rx = {
            let mut i = self.inner.borrow_mut();
            let events = match i.sup.connect(now_ms())? {
                ConnectStart::Connected(ack) => return Ok(ack),
                ConnectStart::Started(events) => events,
            };
            if i.network.is_none() && i.sup.client_options().reconnect.enabled {
                i.network = network::NetworkWatch::new(Rc::downgrade(&self.inner), on_network);
            }
            let (tx, rx) = oneshot::channel();
            i.connect_waiter = Some(tx);
            drop(i);
            process(&self.inner, events);
            rx
        };
        rx.await.unwrap_or(Err(ClientError::Closed))
    }

    /// With persistence on, opens the store once and queues what an earlier page left unsent,
    /// oldest first, ahead of anything published from now on.
    async fn restore_persisted(&self) -> Result<(), ClientError> {
        let name = {
            let i = self.inner.borrow();
            match (&i.store, &i.sup.client_options().persistence) {
                (None, Some(name)) => name.clone(),
                _ => return Ok(()),
            }
        };
        let store = persistence::MessageStore::open(&name).await?;
        let records = store.load().await?;
        let mut events = Vec::new();
        {
            let mut i = self.inner.borrow_mut();
            if i.store.is_some() {
                return Ok(());
            }
            for (key, message) in records {
                if let Ok((_, more)) = i.sup.publish(now_ms(), &message, Some(key as u64)) {
                    events.extend(more);
                }
            }
            i.store = Some(store);
        }
        process(&self.inner, events);
        Ok(())
    }

    /// Messages in the persistent store not yet delivered (0 without persistence).
    pub async fn persisted_count(&self) -> Result<u32, ClientError> {
        let store = self.inner.borrow().store.clone();
        match store {
            Some(s) => s.count().await,
            None => Ok(0),
        }
    }

    /// Publishes a message. QoS 0 resolves once the bytes are handed to the socket; QoS 1 on PUBACK,
    /// QoS 2 on PUBCOMP, or with the broker's error reason code.
    /// While reconnecting (reconnect on), the message waits in the offline queue and the future
    /// resolves once it is delivered after the reconnect.
    pub async fn publish(&self, msg: Outgoing) -> Result<(), ClientError> {
        match self.start_publish(msg)? {
            None => Ok(()),
            Some(completion) => completion.await,
        }
    }

    /// The synchronous half of [`publish`](Self::publish): hands the message to the session (and
    /// the socket, or the offline queue) now. `None` when it is already complete (QoS 0 written or
    /// queued); otherwise a future that resolves on PUBACK/PUBCOMP.
    pub fn start_publish(&self, msg: Outgoing) -> Result<Option<PublishCompletion>, ClientError> {
        let (rx, events) = {
            let mut i = self.inner.borrow_mut();
            let store = i.store.clone();
            let key = store.as_ref().map(persistence::MessageStore::next_key);
            let (ticket, events) = i.sup.publish(now_ms(), &msg, key.map(|k| k as u64))?;
            let rx = ticket.completes_later().then(|| {
                let (tx, rx) = oneshot::channel();
                i.publish_waiters.insert(ticket.token, tx);
                rx
            });
            if let (Some(store), Some(key), true) = (store, key, ticket.completes_later()) {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = store.save(key, &msg).await;
                });
            }
            (rx, events)
        };
        process(&self.inner, events);
        Ok(rx.map(|rx| PublishCompletion { rx }))
    }

    /// Subscribes to one filter and resolves with the QoS the broker granted.
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, ClientError> {
        let mut results = self.subscribe_many(&[(filter.to_owned(), qos)]).await?;
        results.pop().unwrap_or(Err(ClientError::Session(SessionError::ConnectionLost)))
    }

    /// Subscribes to several filters in one SUBSCRIBE; one result per filter, in order.
    pub async fn subscribe_many(
        &self,
        filters: &[(String, QoS)],
    ) -> Result<Vec<Result<QoS, ClientError>>, ClientError> {
        self.subscribe_request(|sup| sup.subscribe(now_ms(), filters)).await
    }

    /// Subscribes with each filter's MQTT 5 options (No Local, Retain As Published, Retain
    /// Handling) and a Subscription Identifier the matching messages will carry; one result per
    /// filter, in order.
    pub async fn subscribe_with(
        &self,
        filters: &[(String, SubscribeOptions)],
        identifier: Option<u32>,
    ) -> Result<Vec<Result<QoS, ClientError>>, ClientError> {
        self.subscribe_request(|sup| sup.subscribe_with(now_ms(), filters, identifier)).await
    }

    /// A SUBSCRIBE the supervisor sent: resolves with its SUBACK's results.
    async fn subscribe_request(
        &self,
        send: impl FnOnce(&mut Supervisor) -> Result<(u16, Vec<Event>), ClientError>,
    ) -> Result<Vec<Result<QoS, ClientError>>, ClientError> {
        let (rx, events) = {
            let mut i = self.inner.borrow_mut();
            let (id, events) = send(&mut i.sup)?;
            let (tx, rx) = oneshot::channel();
            i.subscribe_waiters.insert(id, tx);
            (rx, events)
        };
        process(&self.inner, events);
        rx.await.map_err(|_| ClientError::Session(SessionError::ConnectionLost))
    }

    pub async fn unsubscribe(&self, filters: &[String]) -> Result<Vec<Result<(), ClientError>>, ClientError> {
        let (rx, events) = {
            let mut i = self.inner.borrow_mut();
            let (id, events) = i.sup.unsubscribe(now_ms(), filters)?;
            let (tx, rx) = oneshot::channel();
            i.unsubscribe_waiters.insert(id, tx);
            (rx, events)
        };
        process(&self.inner, events);
        rx.await.map_err(|_| ClientError::Session(SessionError::ConnectionLost))
    }

    /// Calls `handler` for every message whose topic matches `filter` (MQTT matching rules).
    /// Routing only: subscribe separately.
    pub fn on_message(&self, filter: &str, handler: impl Fn(&Message) + 'static) -> Result<ListenerId, ClientError> {
        crate::session::topic::validate_topic_filter(filter)?;
        Ok(ListenerId::Route(self.inner.borrow_mut().routes.add(filter, Rc::new(handler))))
    }

    /// Calls `handler` for every message, whatever its topic.
    pub fn on_any_message(&self, handler: impl Fn(&Message) + 'static) -> ListenerId {
        let mut i = self.inner.borrow_mut();
        let id = i.next_listener;
        i.next_listener += 1;
        i.message_listeners.push((id, Rc::new(handler)));
        ListenerId::Message(id)
    }

    /// Calls `handler` on every connection-state change.
    pub fn on_state(&self, handler: impl Fn(&ConnectionState) + 'static) -> ListenerId {
        let mut i = self.inner.borrow_mut();
        let id = i.next_listener;
        i.next_listener += 1;
        i.state_listeners.push((id, Rc::new(handler)));
        ListenerId::State(id)
    }

    /// Calls `handler` for each successful acknowledgement that said more than "success" (MQTT 5):
    /// a PUBACK or PUBREC 0x10 "No matching subscribers", an UNSUBACK 0x11 "No subscription
    /// existed", or any PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK with a Reason String or User
    /// Properties. It names the publish's topic or the filters. It comes before the publish,
    /// subscribe or unsubscribe resolves; a refusal's words are in its error instead.
    #[cfg(feature = "reason-strings")]
    pub fn on_acknowledged(&self, handler: impl Fn(&Acknowledged) + 'static) -> ListenerId {
        let mut i = self.inner.borrow_mut();
        let id = i.next_listener;
        i.next_listener += 1;
        i.ack_listeners.push((id, Rc::new(handler)));
        ListenerId::Acknowledged(id)
    }

    pub fn remove_listener(&self, id: ListenerId) -> bool {
        let mut i = self.inner.borrow_mut();
        match id {
            ListenerId::Route(id) => i.routes.remove(id),
            ListenerId::Message(id) => {
                let before = i.message_listeners.len();
                i.message_listeners.retain(|(l, _)| *l != id);
                before != i.message_listeners.len()
            }
            ListenerId::State(id) => {
                let before = i.state_listeners.len();
                i.state_listeners.retain(|(l, _)| *l != id);
                before != i.state_listeners.len()
            }
            #[cfg(feature = "reason-strings")]
            ListenerId::Acknowledged(id) => {
                let before = i.ack_listeners.len();
                i.ack_listeners.retain(|(l, _)| *l != id);
                before != i.ack_listeners.len()
            }
            #[cfg(feature = "shared-client")]
            ListenerId::Shared(_) => false,
        }
    }

    /// Every message as a stream.
    pub fn messages(&self) -> mpsc::UnboundedReceiver<Message> {
        let (tx, rx) = mpsc::unbounded();
        self.on_any_message(move |m| {
            let _ = tx.unbounded_send(m.clone());
        });
        rx
    }

    /// Every connection-state change as a stream.
    pub fn states(&self) -> mpsc::UnboundedReceiver<ConnectionState> {
        let (tx, rx) = mpsc::unbounded();
        self.on_state(move |s| {
            let _ = tx.unbounded_send(s.clone());
        });
        rx
    }

    /// Sends DISCONNECT and closes the socket; `connect` may be called again later.
    pub fn disconnect(&self) {
        let events = self.inner.borrow_mut().sup.disconnect(now_ms());
        process(&self.inner, events);
    }

    /// Disconnects and frees every socket handler, timer and listener. The client cannot be used again.
    pub fn close(&self) {
        let events = self.inner.borrow_mut().sup.close(now_ms());
        process(&self.inner, events);
        let mut i = self.inner.borrow_mut();
        if let Some(watch) = i.network.take() {
            drop_later(watch);
        }
        if let Some(store) = i.store.take() {
            store.close();
        }
        if let Some(timer) = i.timer.take() {
            drop_later(timer);
        }
        i.routes = Router::new();
        i.message_listeners.clear();
        i.state_listeners.clear();
        #[cfg(feature = "reason-strings")]
        i.ack_listeners.clear();
    }

    /// Messages waiting for a connection, and QoS >= 1 messages sent but not yet acknowledged.
    pub fn pending(&self) -> (usize, usize) {
        let i = self.inner.borrow();
        (i.sup.session().queued(), i.sup.session().in_flight())
    }

    /// Timers armed and sockets open, for leak checks.
    pub fn live_resources(&self) -> (usize, bool) {
        let i = self.inner.borrow();
        let timer_armed = i.timer.as_ref().is_some_and(DeadlineTimer::is_armed);
        (i.sup.armed_timers().max(usize::from(timer_armed)), i.transport.is_some())
    }
}

fn on_timer(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    let events = {
        let mut i = rc.borrow_mut();
        if let Some(t) = i.timer.as_mut() {
            t.fired();
        }
        i.sup.handle_timeout(now_ms())
    };
    process(&rc, events);
}

fn on_flush(weak: &Weak<RefCell<Inner>>) {
    let Some(rc) = weak.upgrade() else { return };
    let events = rc.borrow_mut().sup.flush(now_ms());
    process(&rc, events);
}

fn on_transport(rc: &Rc<RefCell<Inner>>, event: TransportEvent) {
    let events = {
        let mut i = rc.borrow_mut();
        let now = now_ms();
        match event {
            TransportEvent::Open => i.sup.socket_opened(now),
            TransportEvent::Bytes(bytes) => i.sup.socket_bytes(now, &bytes),
            TransportEvent::Text => i.sup.socket_text(now),
            TransportEvent::Error => {
                i.sup.socket_error();
                return;
            }
            TransportEvent::Closed { code, reason } => i.sup.socket_closed(now, code, &reason),
        }
    };
    process(rc, events);
}

/// The credentials callback answered.
fn on_credentials(weak: &std::rc::Weak<RefCell<Inner>>, answer: Login) {
    let Some(rc) = weak.upgrade() else { return };
    let events = rc.borrow_mut().sup.credentials(now_ms(), answer);
    process(&rc, events);
}

/// The browser's `online` / `offline` events.
fn on_network(rc: &Rc<RefCell<Inner>>, online: bool) {
    let events = rc.borrow_mut().sup.set_online(now_ms(), online);
    process(rc, events);
}

/// Carries out the supervisor's events: I/O under the borrow, callbacks after it is released, so
/// a handler may call back into the client. Ends by arming the timer for the next deadline.
fn process(rc: &Rc<RefCell<Inner>>, events: Vec<Event>) {
    let mut deliveries: Vec<Delivery> = Vec::new();
    let mut follow_up = Vec::new();
    {
        let mut i = rc.borrow_mut();
        for event in events {
            apply(rc, &mut i, event, &mut deliveries, &mut follow_up);
        }
        let deadline = i.sup.poll_timeout();
        if let Some(t) = i.timer.as_mut() {
            t.sync(now_ms(), deadline);
        }
    }
    run(deliveries);
    // A socket the browser refused to make: the supervisor hears of it once the borrow is free.
    for error in follow_up {
        let events = rc.borrow_mut().sup.open_failed(now_ms(), error);
        process(rc, events);
    }
}

fn apply(
    rc: &Rc<RefCell<Inner>>,
    i: &mut Inner,
    event: Event,
    deliveries: &mut Vec<Delivery>,
    open_failures: &mut Vec<ClientError>,
) {
    match event {
        Event::RequestOpen { url, mqtt_only } => {
            // A socket refused before it opened is replaced from its own close handler (the
            // subprotocol retry): its closures go on a later microtask.
            if let Some(old) = i.transport.take() {
                drop_later(old);
            }
            let weak = Rc::downgrade(rc);
            let sink: Rc<dyn Fn(TransportEvent)> = Rc::new(move |ev| {
                if let Some(rc) = weak.upgrade() {
                    on_transport(&rc, ev);
                }
            });
            let mqtt = ["mqtt".to_owned()];
            let protocols = if mqtt_only { &mqtt[..] } else { &i.sup.client_options().websocket_protocols[..] };
            match WebSocketTransport::open(&url, protocols, sink) {
                Ok(t) => i.transport = Some(t),
                Err(e) => open_failures.push(e),
            }
        }
        Event::RequestCredentials => {
            let weak = Rc::downgrade(rc);
            let callback = i.credentials.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let answer = match callback {
                    Some(callback) => callback().await,
                    None => Err("no credentials callback: call Client::set_credentials".into()),
                };
                on_credentials(&weak, answer);
            });
        }
        Event::RequestTransmit(bytes) => {
            if let Some(t) = i.transport.as_ref() {
                t.send(&bytes);
            }
        }
        Event::RequestFlush(when) => {
            let weak = Rc::downgrade(rc);
            match when {
                Flush::Microtask => {
                    // The microtask owns its closure, freed after it runs.
                    let flush = wasm_bindgen::closure::Closure::once_into_js(move || on_flush(&weak));
                    queue_microtask(flush.unchecked_ref());
                }
                Flush::Tick => {
                    clock::schedule(0, false, Box::new(move || on_flush(&weak)));
                }
            }
        }
        Event::RequestClose => {
            if let Some(t) = i.transport.take() {
                drop_later(t);
            }
        }
        // This client's store keeps messages, not their QoS 2 stages: it never calls
        // `Supervisor::keep_stages`, so no write is asked of it.
        #[cfg(feature = "durable")]
        Event::RequestWrite { .. } => {}
        Event::RequestForget(key) => {
            if let Some(store) = i.store.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = store.remove(key as f64).await;
                });
            }
        }
        Event::NotifyState(state) => {
            // A re-authentication ends with the connection it was on.
            #[cfg(feature = "auth")]
            if !matches!(state, ConnectionState::Connected(_)) {
                if let Some(w) = i.reauthentication.take() {
                    let why = match &state {
                        ConnectionState::Reconnecting { reason, .. } | ConnectionState::Disconnected(reason) => {
                            reason.clone()
                        }
                        _ => ClientError::Session(SessionError::ConnectionLost),
                    };
                    let _ = w.send(Err(why));
                }
            }
            let listeners: Vec<Handler<ConnectionState>> = i.state_listeners.iter().map(|(_, h)| h.clone()).collect();
            if !listeners.is_empty() {
                deliveries.push(Box::new(move || {
                    for l in listeners {
                        l(&state);
                    }
                }));
            }
        }
        Event::NotifyConnected(ack) => {
            if let Some(w) = i.connect_waiter.take() {
                let _ = w.send(Ok(ack));
            }
        }
        Event::NotifyConnectFailed(e) => {
            if let Some(w) = i.connect_waiter.take() {
                let _ = w.send(Err(e));
            }
        }
        Event::NotifyMessage(m) => {
            if let Some(w) = i.requests.answer(&m).and_then(|id| i.request_waiters.remove(&id)) {
                let _ = w.send(m.clone());
            }
            let handlers: Vec<Handler<Message>> = i
                .routes
                .matching(&m.topic)
                .cloned()
                .chain(i.message_listeners.iter().map(|(_, h)| h.clone()))
                .collect();
            if !handlers.is_empty() {
                deliveries.push(Box::new(move || {
                    for h in handlers {
                        h(&m);
                    }
                }));
            }
        }
        Event::NotifyPublishCompleted { token, result } => {
            if let Some(w) = i.publish_waiters.remove(&token) {
                let _ = w.send(result);
            }
        }
        Event::NotifySubscribed { packet_id, results } => {
            if let Some(w) = i.subscribe_waiters.remove(&packet_id) {
                let _ = w.send(results);
            }
        }
        Event::NotifyUnsubscribed { packet_id, results } => {
            if let Some(w) = i.unsubscribe_waiters.remove(&packet_id) {
                let _ = w.send(results);
            }
        }
        #[cfg(feature = "auth")]
        Event::NotifyAuthChallenge { round, data } => auth::challenge(rc, i, round, data),
        #[cfg(feature = "auth")]
        Event::NotifyReauthenticated(data) => {
            if let Some(w) = i.reauthentication.take() {
                let _ = w.send(Ok(data));
            }
        }
        #[cfg(feature = "reason-strings")]
        Event::NotifyAcknowledged(ack) => {
            let listeners: Vec<Handler<Acknowledged>> = i.ack_listeners.iter().map(|(_, h)| h.clone()).collect();
            if !listeners.is_empty() {
                deliveries.push(Box::new(move || {
                    for l in listeners {
                        l(&ack);
                    }
                }));
            }
        }
        Event::NotifyEnded(e) => {
            if let Some(w) = i.connect_waiter.take() {
                let _ = w.send(Err(e.clone()));
            }
            for (_, w) in i.publish_waiters.drain() {
                let _ = w.send(Err(e.clone()));
            }
            i.subscribe_waiters.clear();
            i.unsubscribe_waiters.clear();
        }
    }
}

fn run(deliveries: Vec<Delivery>) {
    for d in deliveries {
        d();
    }
}
