//! The async MQTT client for the browser: the pure session driven by a WebSocket and timers.
//! `connect`, `publish`, `subscribe` are futures; messages and state changes reach callbacks or streams.

mod network;
mod persistence;
pub mod time;

use std::cell::RefCell;

use crate::collections::VecMap;
use std::rc::{Rc, Weak};

use futures_channel::{mpsc, oneshot};

use crate::error::ClientError;
use crate::session::options::ClientOptions;
use crate::session::router::Router;
use crate::session::{
    generate_client_id, ConnAck, ConnectOptions, Message, Outgoing, Phase, QoS, Session, SessionEvent, TimerKind,
};
use crate::transport::{drop_later, TimerSet, TransportEvent, WebSocketTransport};

/// Where the connection stands. Every change reaches the state listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// Created, never connected.
    Idle,
    Connecting,
    Connected(ConnAck),
    /// The connection dropped; attempt `attempt` starts after `delay_ms`.
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
        reason: ClientError,
    },
    /// The connection ended or never came up; the error says why.
    Disconnected(ClientError),
    /// `close()` was called; the client is done.
    Closed,
}

/// Identifies a registered handler, for `remove_listener`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenerId {
    Route(u64),
    Message(u64),
    State(u64),
}

type Handler<T> = Rc<dyn Fn(&T)>;
type Delivery = Box<dyn FnOnce()>;

struct Inner {
    url: String,
    session: Session,
    transport: Option<WebSocketTransport>,
    timers: Option<TimerSet>,
    state: ConnectionState,
    lost_reason: Option<ClientError>,
    socket_error: bool,
    closing: bool,
    connect_waiter: Option<oneshot::Sender<Result<ConnAck, ClientError>>>,
    /// Publishes waiting for completion, by session token.
    publish_waiters: VecMap<u64, oneshot::Sender<Result<(), ClientError>>>,
    subscribe_waiters: VecMap<u16, oneshot::Sender<Vec<Result<QoS, ClientError>>>>,
    unsubscribe_waiters: VecMap<u16, oneshot::Sender<Vec<Result<(), ClientError>>>>,
    routes: Router<Handler<Message>>,
    message_listeners: Vec<(u64, Handler<Message>)>,
    state_listeners: Vec<(u64, Handler<ConnectionState>)>,
    next_listener: u64,
    client_options: ClientOptions,
    /// Reconnect attempts since the connection was last up.
    reconnect_attempt: u32,
    /// Whether the connection was ever up: reconnecting starts only after a first success.
    was_connected: bool,
    /// The browser said it is offline: reconnect attempts wait for `online`.
    browser_offline: bool,
    network: Option<network::NetworkWatch>,
    /// IndexedDB store of unsent messages, opened by the first `connect`.
    store: Option<persistence::MessageStore>,
    /// Session token → store key of each persisted message not yet delivered.
    persisted: VecMap<u64, f64>,
}

/// The rest of a QoS 1/2 publish: resolves on PUBACK/PUBCOMP, or with why it cannot complete.
pub struct PublishCompletion {
    rx: oneshot::Receiver<Result<(), ClientError>>,
}

impl std::future::Future for PublishCompletion {
    type Output = Result<(), ClientError>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.rx).poll(cx).map(|r| r.unwrap_or(Err(ClientError::ConnectionLost)))
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
        mut options: ConnectOptions,
        client_options: ClientOptions,
    ) -> Result<Self, ClientError> {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ClientError::InvalidOption {
                field: "url",
                reason: format!("{url:?} is not a WebSocket URL: it must start with ws:// or wss://"),
            });
        }
        if options.client_id.is_empty() {
            options.client_id = generate_client_id((js_sys::Math::random() * 9.007_199_254_740_991e15) as u64);
        }
        let mut session = Session::new(options);
        if client_options.reconnect.enabled || client_options.persistence.is_some() {
            session.set_offline_queue(client_options.offline_queue.clone());
        }
        let inner = Rc::new(RefCell::new(Inner {
            url: url.to_owned(),
            session,
            transport: None,
            timers: None,
            state: ConnectionState::Idle,
            lost_reason: None,
            socket_error: false,
            closing: false,
            connect_waiter: None,
            publish_waiters: VecMap::new(),
            subscribe_waiters: VecMap::new(),
            unsubscribe_waiters: VecMap::new(),
            routes: Router::new(),
            message_listeners: Vec::new(),
            state_listeners: Vec::new(),
            next_listener: 1,
            client_options,
            reconnect_attempt: 0,
            was_connected: false,
            browser_offline: false,
            network: None,
            store: None,
            persisted: VecMap::new(),
        }));
        let weak = Rc::downgrade(&inner);
        let fire: Rc<dyn Fn(TimerKind)> = Rc::new(move |kind| on_timer(&weak, kind));
        let main_thread = !inner.borrow().client_options.worker_timers;
        inner.borrow_mut().timers = Some(TimerSet::new(fire, main_thread));
        Ok(Self { inner })
    }

    pub fn url(&self) -> String {
        self.inner.borrow().url.clone()
    }

    pub fn client_id(&self) -> String {
        self.inner.borrow().session.options().client_id.clone()
    }

    pub fn client_options(&self) -> ClientOptions {
        self.inner.borrow().client_options.clone()
    }

    pub fn options(&self) -> ConnectOptions {
        self.inner.borrow().session.options().clone()
    }

    pub fn state(&self) -> ConnectionState {
        self.inner.borrow().state.clone()
    }

    pub fn is_connected(&self) -> bool {
        matches!(self.inner.borrow().state, ConnectionState::Connected(_))
    }

    /// The largest packet the broker accepts, when it announced one (MQTT 5).
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.inner.borrow().session.maximum_packet_size()
    }

    /// Opens the socket, sends CONNECT and resolves with the CONNACK, or with why it failed
    /// (refused with its reason code, timed out, or the socket closed).
    pub async fn connect(&self) -> Result<ConnAck, ClientError> {
        self.restore_persisted().await?;
        let mut deliveries = Vec::new();
        let rx = {
            let mut i = self.inner.borrow_mut();
            match &i.state {
                ConnectionState::Connected(ack) => return Ok(ack.clone()),
                ConnectionState::Connecting => {
                    return Err(ClientError::InvalidOption {
                        field: "connect",
                        reason: "a connect is already under way".into(),
                    })
                }
                ConnectionState::Closed => return Err(ClientError::Closed),
                _ => {}
            }
            if let Some(t) = i.timers.as_mut() {
                t.cancel(TimerKind::Reconnect);
            }
            open_transport(&self.inner, &mut i, &mut deliveries)?;
            if i.network.is_none() && i.client_options.reconnect.enabled {
                i.network = network::NetworkWatch::new(Rc::downgrade(&self.inner), on_network);
            }
            let (tx, rx) = oneshot::channel();
            i.connect_waiter = Some(tx);
            rx
        };
        run(deliveries);
        rx.await.unwrap_or(Err(ClientError::Closed))
    }

    /// With persistence on, opens the store once and queues what an earlier page left unsent,
    /// oldest first, ahead of anything published from now on.
    async fn restore_persisted(&self) -> Result<(), ClientError> {
        let name = {
            let i = self.inner.borrow();
            match (&i.store, &i.client_options.persistence) {
                (None, Some(name)) => name.clone(),
                _ => return Ok(()),
            }
        };
        let store = persistence::MessageStore::open(&name).await?;
        let records = store.load().await?;
        let mut i = self.inner.borrow_mut();
        if i.store.is_some() {
            return Ok(());
        }
        for (key, message) in records {
            if let Ok((ticket, _)) = i.session.publish(&message) {
                if ticket.completes_later() {
                    i.persisted.insert(ticket.token, key);
                }
            }
        }
        i.store = Some(store);
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
            // A closed client never connects again: queued, the message would wait for ever.
            if i.closing {
                return Err(ClientError::Closed);
            }
            let (ticket, events) = i.session.publish(&msg)?;
            let rx = ticket.completes_later().then(|| {
                let (tx, rx) = oneshot::channel();
                i.publish_waiters.insert(ticket.token, tx);
                rx
            });
            if let (Some(store), true) = (i.store.clone(), ticket.completes_later()) {
                let key = store.next_key();
                i.persisted.insert(ticket.token, key);
                let message = msg.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = store.save(key, &message).await;
                });
            }
            (rx, events)
        };
        process(&self.inner, events)?;
        Ok(rx.map(|rx| PublishCompletion { rx }))
    }

    /// Subscribes to one filter and resolves with the QoS the broker granted.
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, ClientError> {
        let mut results = self.subscribe_many(&[(filter.to_owned(), qos)]).await?;
        results.pop().unwrap_or(Err(ClientError::ConnectionLost))
    }

    /// Subscribes to several filters in one SUBSCRIBE; one result per filter, in order.
    pub async fn subscribe_many(
        &self,
        filters: &[(String, QoS)],
    ) -> Result<Vec<Result<QoS, ClientError>>, ClientError> {
        let (rx, events) = {
            let mut i = self.inner.borrow_mut();
            let (id, events) = i.session.subscribe(filters)?;
            let (tx, rx) = oneshot::channel();
            i.subscribe_waiters.insert(id, tx);
            (rx, events)
        };
        process(&self.inner, events)?;
        rx.await.map_err(|_| ClientError::ConnectionLost)
    }

    pub async fn unsubscribe(&self, filters: &[String]) -> Result<Vec<Result<(), ClientError>>, ClientError> {
        let (rx, events) = {
            let mut i = self.inner.borrow_mut();
            let (id, events) = i.session.unsubscribe(filters)?;
            let (tx, rx) = oneshot::channel();
            i.unsubscribe_waiters.insert(id, tx);
            (rx, events)
        };
        process(&self.inner, events)?;
        rx.await.map_err(|_| ClientError::ConnectionLost)
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
        let events = {
            let mut i = self.inner.borrow_mut();
            i.lost_reason = Some(ClientError::Disconnected);
            if let Some(t) = i.timers.as_mut() {
                t.cancel(TimerKind::Reconnect);
            }
            i.session.disconnect()
        };
        let _ = process(&self.inner, events);
        let mut deliveries = Vec::new();
        {
            let mut i = self.inner.borrow_mut();
            if let Some(t) = i.transport.take() {
                drop_later(t);
            }
            let why = i.lost_reason.take().unwrap_or(ClientError::Disconnected);
            finish_close(&mut i, why, &mut deliveries);
        }
        run(deliveries);
    }

    /// Disconnects and frees every socket handler, timer and listener. The client cannot be used again.
    pub fn close(&self) {
        self.inner.borrow_mut().closing = true;
        self.disconnect();
        let mut i = self.inner.borrow_mut();
        if let Some(watch) = i.network.take() {
            drop_later(watch);
        }
        if let Some(store) = i.store.take() {
            store.close();
        }
        if let Some(timers) = i.timers.take() {
            drop_later(timers);
        }
        i.routes = Router::new();
        i.message_listeners.clear();
        i.state_listeners.clear();
    }

    /// Messages waiting for a connection, and QoS >= 1 messages sent but not yet acknowledged.
    pub fn pending(&self) -> (usize, usize) {
        let i = self.inner.borrow();
        (i.session.queued(), i.session.in_flight())
    }

    /// Timers armed and sockets open, for leak checks.
    pub fn live_resources(&self) -> (usize, bool) {
        let i = self.inner.borrow();
        (i.timers.as_ref().map_or(0, TimerSet::armed), i.transport.is_some())
    }
}

fn on_timer(weak: &Weak<RefCell<Inner>>, kind: TimerKind) {
    let Some(rc) = weak.upgrade() else { return };
    let events = {
        let mut i = rc.borrow_mut();
        // A deadline pushed back since the timer was armed: it re-armed itself; nothing is due.
        if !i.timers.as_mut().is_some_and(|t| t.fired(kind)) {
            return;
        }
        if kind == TimerKind::Reconnect {
            drop(i);
            return attempt_reconnect(&rc);
        }
        if kind == TimerKind::ConnectTimeout
            && i.session.phase() == Phase::Idle
            && i.state == ConnectionState::Connecting
        {
            // The socket itself never opened.
            let timeout_ms = i.session.options().connect_timeout_ms;
            vec![
                SessionEvent::NotifyConnectFailed(ClientError::ConnectTimeout { timeout_ms }),
                SessionEvent::RequestClose,
            ]
        } else {
            i.session.timer_fired(kind)
        }
    };
    let _ = process(&rc, events);
}

fn on_transport(rc: &Rc<RefCell<Inner>>, event: TransportEvent) {
    let events = {
        let mut i = rc.borrow_mut();
        match event {
            TransportEvent::Open => match i.session.connect() {
                Ok(events) => events,
                Err(e) => vec![SessionEvent::NotifyConnectFailed(e), SessionEvent::RequestClose],
            },
            TransportEvent::Bytes(bytes) => i.session.feed(&bytes),
            TransportEvent::Error => {
                i.socket_error = true;
                return;
            }
            TransportEvent::Closed { code, reason } => {
                let why = if i.socket_error && code == 1006 {
                    ClientError::Socket(
                        "the connection was refused or broke (close code 1006): is the broker running, and the URL, port and path right?"
                            .into(),
                    )
                } else {
                    ClientError::SocketClosed { code, reason }
                };
                i.lost_reason.get_or_insert(why);
                vec![SessionEvent::RequestClose]
            }
        }
    };
    let _ = process(rc, events);
}

/// Applies session events: I/O under the borrow, callbacks after it is released, so a handler
/// may call back into the client. Returns an error only when bytes could not be handed to the socket.
fn process(rc: &Rc<RefCell<Inner>>, events: Vec<SessionEvent>) -> Result<(), ClientError> {
    let mut deliveries: Vec<Delivery> = Vec::new();
    let mut result = Ok(());
    {
        let mut i = rc.borrow_mut();
        let mut queue = events;
        let mut closed = false;
        loop {
            let mut outgoing: Vec<u8> = Vec::new();
            let mut close_requested = false;
            for event in queue.drain(..) {
                apply(&mut i, event, &mut outgoing, &mut close_requested, &mut deliveries);
            }
            if !outgoing.is_empty() {
                // One WebSocket message for everything this input produced.
                result = match i.transport.as_ref() {
                    Some(t) => t.send(&outgoing),
                    None => Err(ClientError::NotConnected),
                };
            }
            if !close_requested || closed {
                break;
            }
            closed = true;
            if let Some(t) = i.transport.take() {
                drop_later(t);
            }
            queue = i.session.notify_closed();
        }
        if closed {
            let why = i.lost_reason.take().unwrap_or(ClientError::ConnectionLost);
            if should_reconnect(&i, &why) {
                schedule_reconnect(&mut i, why, &mut deliveries);
            } else {
                finish_close(&mut i, why, &mut deliveries);
            }
        }
    }
    run(deliveries);
    result
}

fn apply(i: &mut Inner, event: SessionEvent, outgoing: &mut Vec<u8>, close: &mut bool, deliveries: &mut Vec<Delivery>) {
    match event {
        SessionEvent::RequestSend(bytes) => outgoing.extend_from_slice(&bytes),
        SessionEvent::RequestTimerReset { kind, duration_ms } => {
            if let Some(t) = i.timers.as_mut() {
                t.reset(kind, duration_ms);
            }
        }
        SessionEvent::RequestTimerCancel(kind) => {
            if let Some(t) = i.timers.as_mut() {
                t.cancel(kind);
            }
        }
        SessionEvent::RequestClose => *close = true,
        SessionEvent::NotifyConnected(ack) => {
            i.was_connected = true;
            i.reconnect_attempt = 0;
            if let Some(w) = i.connect_waiter.take() {
                let _ = w.send(Ok(ack.clone()));
            }
            set_state(i, ConnectionState::Connected(ack), deliveries);
        }
        SessionEvent::NotifyConnectFailed(e) => {
            // A socket that closed says more than the session's "connection lost".
            let e = match (&e, &i.lost_reason) {
                (ClientError::ConnectionLost, Some(better)) => better.clone(),
                _ => e,
            };
            if let Some(w) = i.connect_waiter.take() {
                let _ = w.send(Err(e.clone()));
            }
            i.lost_reason = Some(e.clone());
            // A failed reconnect attempt goes straight on to the next Reconnecting state.
            if !(i.was_connected && i.client_options.reconnect.enabled) {
                set_state(i, ConnectionState::Disconnected(e), deliveries);
            }
        }
        SessionEvent::NotifyMessage(m) => {
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
        SessionEvent::NotifyPublishCompleted { token, result } => {
            forget_persisted(i, token, &result);
            if let Some(w) = i.publish_waiters.remove(&token) {
                let _ = w.send(result);
            }
        }
        SessionEvent::NotifySubscribed { packet_id, results } => {
            if let Some(w) = i.subscribe_waiters.remove(&packet_id) {
                let _ = w.send(results);
            }
        }
        SessionEvent::NotifyUnsubscribed { packet_id, results } => {
            if let Some(w) = i.unsubscribe_waiters.remove(&packet_id) {
                let _ = w.send(results);
            }
        }
        SessionEvent::NotifyConnectionLost(e) => {
            i.lost_reason.get_or_insert(e);
        }
    }
}

/// After the socket is gone: fail what still waits and announce the final state once.
fn finish_close(i: &mut Inner, why: ClientError, deliveries: &mut Vec<Delivery>) {
    if let Some(t) = i.timers.as_mut() {
        t.cancel_all();
    }
    let final_error = if i.closing { ClientError::Closed } else { why };
    if let Some(w) = i.connect_waiter.take() {
        let _ = w.send(Err(final_error.clone()));
    }
    // Giving up for good: what still waits to be sent fails with the reason.
    i.session.discard_pending();
    // What was persisted stays in the store, to be sent by the next page.
    i.persisted.clear();
    i.reconnect_attempt = 0;
    for (_, w) in i.publish_waiters.drain() {
        let _ = w.send(Err(final_error.clone()));
    }
    i.subscribe_waiters.clear();
    i.unsubscribe_waiters.clear();
    let next = if i.closing { ConnectionState::Closed } else { ConnectionState::Disconnected(final_error) };
    let already_down = matches!(
        (&i.state, &next),
        (ConnectionState::Disconnected(_), ConnectionState::Disconnected(_)) | (ConnectionState::Idle, _)
    ) && !i.closing;
    if !already_down && i.state != next {
        set_state(i, next, deliveries);
    }
}

/// A delivered message (or one the broker refused for good) leaves the store; one that merely
/// could not be sent yet stays for the next connection or page.
fn forget_persisted(i: &mut Inner, token: u64, result: &Result<(), ClientError>) {
    let settled = match result {
        Ok(()) => true,
        Err(e) => matches!(
            e,
            ClientError::PublishRefused { .. } | ClientError::DroppedFromQueue | ClientError::PacketTooLarge { .. }
        ),
    };
    if !settled {
        return;
    }
    if let (Some(key), Some(store)) = (i.persisted.remove(&token), i.store.clone()) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = store.remove(key).await;
        });
    }
}

/// Opens a socket for a connect or reconnect attempt and arms the connect timeout.
fn open_transport(rc: &Rc<RefCell<Inner>>, i: &mut Inner, deliveries: &mut Vec<Delivery>) -> Result<(), ClientError> {
    let weak = Rc::downgrade(rc);
    let sink: Rc<dyn Fn(TransportEvent)> = Rc::new(move |ev| {
        if let Some(rc) = weak.upgrade() {
            on_transport(&rc, ev);
        }
    });
    if !i.client_options.websocket_protocols.iter().any(|p| p == "mqtt") {
        return Err(ClientError::InvalidOption {
            field: "websocketProtocols",
            reason: "MQTT over WebSocket requires the subprotocol \"mqtt\" among those offered".into(),
        });
    }
    let worker_clock = i.client_options.worker_timers;
    let transport = WebSocketTransport::open(&i.url, &i.client_options.websocket_protocols, worker_clock, sink)?;
    i.transport = Some(transport);
    i.lost_reason = None;
    i.socket_error = false;
    let timeout = i.session.options().connect_timeout_ms;
    if let Some(t) = i.timers.as_mut() {
        t.reset(TimerKind::ConnectTimeout, timeout);
    }
    set_state(i, ConnectionState::Connecting, deliveries);
    Ok(())
}

/// Reconnect only after a connection that was once up dropped by itself, and never when the
/// broker refused the credentials (retrying cannot fix those).
fn should_reconnect(i: &Inner, why: &ClientError) -> bool {
    use crate::session::reason::ConnectRefusal as R;
    let refused_for_good = matches!(
        why,
        ClientError::ConnectRefused {
            refusal: R::NotAuthorized
                | R::BadUserNameOrPassword
                | R::ClientIdentifierNotValid
                | R::Banned
                | R::BadAuthenticationMethod
                | R::UnsupportedProtocolVersion,
            ..
        }
    );
    !i.closing
        && i.was_connected
        && i.client_options.reconnect.enabled
        && !refused_for_good
        && !matches!(why, ClientError::Disconnected | ClientError::Closed)
}

/// Arms the next attempt after a full-jitter backoff delay, or gives up after `max_attempts`.
fn schedule_reconnect(i: &mut Inner, why: ClientError, deliveries: &mut Vec<Delivery>) {
    if let Some(t) = i.timers.as_mut() {
        t.cancel_all();
    }
    i.reconnect_attempt += 1;
    let attempt = i.reconnect_attempt;
    let options = &i.client_options.reconnect;
    if options.max_attempts.is_some_and(|max| attempt > max) {
        let gave_up = ClientError::ReconnectGaveUp { attempts: attempt - 1 };
        return finish_close(i, gave_up, deliveries);
    }
    let delay_ms = crate::session::backoff::reconnect_delay_ms(options, attempt, js_sys::Math::random());
    if !i.browser_offline {
        if let Some(t) = i.timers.as_mut() {
            t.reset(TimerKind::Reconnect, delay_ms);
        }
    }
    set_state(i, ConnectionState::Reconnecting { attempt, delay_ms, reason: why }, deliveries);
}

fn attempt_reconnect(rc: &Rc<RefCell<Inner>>) {
    let mut deliveries = Vec::new();
    {
        let mut i = rc.borrow_mut();
        if i.closing || i.transport.is_some() || !matches!(i.state, ConnectionState::Reconnecting { .. }) {
            return;
        }
        if let Err(e) = open_transport(rc, &mut i, &mut deliveries) {
            schedule_reconnect(&mut i, e, &mut deliveries);
        }
    }
    run(deliveries);
}

/// The browser's `online` / `offline` events: wait while offline, try at once when back online.
fn on_network(rc: &Rc<RefCell<Inner>>, online: bool) {
    let retry = {
        let mut i = rc.borrow_mut();
        i.browser_offline = !online;
        let reconnecting = matches!(i.state, ConnectionState::Reconnecting { .. });
        if !online && reconnecting {
            if let Some(t) = i.timers.as_mut() {
                t.cancel(TimerKind::Reconnect);
            }
        }
        online && reconnecting
    };
    if retry {
        attempt_reconnect(rc);
    }
}

fn set_state(i: &mut Inner, state: ConnectionState, deliveries: &mut Vec<Delivery>) {
    i.state = state.clone();
    let listeners: Vec<Handler<ConnectionState>> = i.state_listeners.iter().map(|(_, h)| h.clone()).collect();
    if !listeners.is_empty() {
        deliveries.push(Box::new(move || {
            for l in listeners {
                l(&state);
            }
        }));
    }
}

fn run(deliveries: Vec<Delivery>) {
    for d in deliveries {
        d();
    }
}
