//! The pure connection supervisor: everything about a connection's life that is not a packet. It
//! opens and closes sockets, reconnects with jittered backoff up to a cap, never retries refused
//! credentials, pauses while the browser is offline, times out a connect (the socket never opening
//! included), keeps the session's timers as deadlines, and decides when bytes leave.
//!
//! In the style of quinn-proto: no clock and no randomness of its own. Every input takes `now`;
//! the jitter comes from a seed; `poll_timeout` says when `handle_timeout` is next due. Each input
//! returns the events it caused: `Request*` are jobs for the I/O shell, `Notify*` news for the
//! application, in the order they happened.

pub mod deadlines;
pub mod outbox;
pub mod reconnect;
pub mod state;

use crate::collections::VecMap;
use crate::error::{ClientError, SessionError};
use crate::session::backoff::reconnect_delay_ms;
use crate::session::options::ClientOptions;
use crate::session::SubscribeOptions;
use crate::session::{
    generate_client_id, ConnAck, ConnectOptions, Message, Outgoing, Phase, PublishTicket, QoS, Session, SessionEvent,
    TimerKind,
};
use deadlines::Deadlines;
pub use deadlines::Millis;
pub use outbox::{Flush, BATCH_LIMIT, BUSY_MS};
use outbox::{Outbox, Push};
use reconnect::Jitter;
pub use state::ConnectionState;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Open a WebSocket to `url`, offering the client's subprotocols, or "mqtt" alone when
    /// `mqtt_only`. Report it with `socket_opened`, `socket_bytes`, `socket_error` and
    /// `socket_closed`, or with `open_failed` if it cannot even be made.
    RequestOpen {
        url: String,
        mqtt_only: bool,
    },
    /// Call the application's credentials callback and answer with `credentials`: the attempt's
    /// socket opens after it (when `ClientOptions::credentials` is set).
    RequestCredentials,
    /// Write these bytes to the socket as one WebSocket message.
    RequestTransmit(Vec<u8>),
    /// Call `flush` then: bytes are waiting.
    RequestFlush(Flush),
    /// Close the socket and drop it: none of its later events are wanted.
    RequestClose,
    /// Delete the persisted message with this store key: delivered, or refused for good.
    RequestForget(u64),
    /// Write into the persisted message with this store key its packet id and stage (`released`:
    /// its PUBREC came), then say so with `written`, naming the message by its `token`: its PUBLISH
    /// or PUBREL waits for it (src/session/durable.rs).
    #[cfg(feature = "durable")]
    RequestWrite {
        key: u64,
        token: u64,
        packet_id: u16,
        released: bool,
    },
    NotifyState(ConnectionState),
    NotifyConnected(ConnAck),
    /// A connect or reconnect attempt failed.
    NotifyConnectFailed(ClientError),
    NotifyMessage(Message),
    NotifyPublishCompleted {
        token: u64,
        result: Result<(), ClientError>,
    },
    NotifySubscribed {
        packet_id: u16,
        results: Vec<Result<QoS, ClientError>>,
    },
    NotifyUnsubscribed {
        packet_id: u16,
        results: Vec<Result<(), ClientError>>,
    },
    /// The supervisor gave up on the connection for good: everything still waiting fails with this.
    NotifyEnded(ClientError),
    /// MQTT 5 enhanced authentication: the broker's challenge and its data. Answer with
    /// `authenticate`, naming the challenge by `round`.
    #[cfg(feature = "auth")]
    NotifyAuthChallenge {
        round: u64,
        data: Option<Vec<u8>>,
    },
    /// A re-authentication `reauthenticate` started succeeded, with the broker's last data.
    #[cfg(feature = "auth")]
    NotifyReauthenticated(Option<Vec<u8>>),
    /// A successful acknowledgement said more than "success" (`session::said::Acknowledged`).
    #[cfg(feature = "reason-strings")]
    NotifyAcknowledged(crate::session::said::Acknowledged),
}

/// What `connect` did.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectStart {
    /// Already connected: the CONNACK of the connection in place.
    Connected(ConnAck),
    /// An attempt started; `NotifyConnected` or `NotifyConnectFailed` ends it.
    Started(Vec<Event>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Socket {
    None,
    /// The attempt waits for the application's credentials before it opens a socket.
    Credentials,
    Opening,
    Open,
}

pub struct Supervisor {
    url: String,
    /// Which server the current or next socket goes to: 0 the URL, then `ClientOptions::servers`.
    server: usize,
    session: Session,
    options: ClientOptions,
    state: ConnectionState,
    socket: Socket,
    deadlines: Deadlines,
    outbox: Outbox,
    jitter: Jitter,
    /// Why the connection is ending, once known; the best reason wins over "connection lost".
    lost_reason: Option<ClientError>,
    /// The socket reported an error before closing: a 1006 close then means "refused or broke".
    socket_error: bool,
    closing: bool,
    /// Reconnect attempts since the connection was last up.
    attempt: u32,
    /// Reconnecting starts only after a first success.
    was_connected: bool,
    /// The browser said it is offline: attempts wait for `set_online(true)`.
    offline: bool,
    /// Sockets offer "mqtt" alone instead of the client's subprotocols (see `socket_closed`): the
    /// offer tried last.
    mqtt_only: bool,
    /// This attempt's socket already switched the subprotocols once.
    switched: bool,
    /// A server the broker referred the client to (`follow_server_reference`): the connection's
    /// server from the next attempt (or `connect`) on, until a reconnect attempt after that one.
    referred: Option<String>,
    /// The referral is new: the next attempt goes to it.
    referral_pending: bool,
    /// Session token -> store key of each persisted message not yet settled.
    persisted: VecMap<u64, u64>,
    /// The number of the broker's last authentication challenge, on any connection.
    #[cfg(feature = "auth")]
    auth_round: u64,
}

fn is_websocket_url(url: &str) -> bool {
    url.starts_with("ws://") || url.starts_with("wss://")
}

fn websocket_url(url: &str, field: &'static str) -> Result<(), ClientError> {
    match is_websocket_url(url) {
        true => Ok(()),
        false => Err(ClientError::Session(SessionError::InvalidOption {
            field,
            reason: format!("\"{url}\" is not a WebSocket URL: it must start with ws:// or wss://"),
        })),
    }
}

impl Supervisor {
    /// A supervisor for `url` and then `client_options.servers` (each `ws://` or `wss://`): the first
    /// connect goes to `url`, and each reconnect attempt to the next of them. `seed` feeds the backoff jitter and, when
    /// `options.client_id` is empty, the generated client id. `may_defer`: whether the shell has an
    /// unthrottled clock for `Flush::Tick`.
    pub fn new(
        url: &str,
        mut options: ConnectOptions,
        client_options: ClientOptions,
        seed: u64,
        may_defer: bool,
    ) -> Result<Self, ClientError> {
        websocket_url(url, "url")?;
        for server in &client_options.servers {
            websocket_url(server, "servers")?;
        }
        let mut jitter = Jitter::new(seed);
        if options.client_id.is_empty() {
            options.client_id = generate_client_id(jitter.next_u64());
        }
        let mut session = Session::new(options);
        if client_options.reconnect.enabled || client_options.persistence.is_some() {
            session.set_offline_queue(client_options.offline_queue.clone());
        }
        let may_defer = may_defer && client_options.worker_timers;
        Ok(Self {
            url: url.to_owned(),
            server: 0,
            session,
            options: client_options,
            state: ConnectionState::Idle,
            socket: Socket::None,
            deadlines: Deadlines::default(),
            outbox: Outbox::new(may_defer),
            jitter,
            lost_reason: None,
            socket_error: false,
            closing: false,
            attempt: 0,
            was_connected: false,
            offline: false,
            mqtt_only: false,
            switched: false,
            referred: None,
            referral_pending: false,
            persisted: VecMap::new(),
            #[cfg(feature = "auth")]
            auth_round: 0,
        })
    }

    /// The server of the current connection, or of the next attempt.
    pub fn url(&self) -> &str {
        if let Some(referred) = &self.referred {
            return referred;
        }
        match self.server.checked_sub(1).and_then(|i| self.options.servers.get(i)) {
            Some(server) => server,
            None => &self.url,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn client_options(&self) -> &ClientOptions {
        &self.options
    }

    pub fn state(&self) -> &ConnectionState {
        &self.state
    }

    pub fn is_closed(&self) -> bool {
        self.closing
    }

    /// Whether a socket is open or opening.
    pub fn has_socket(&self) -> bool {
        self.socket != Socket::None
    }

    /// Timers armed, for leak checks.
    pub fn armed_timers(&self) -> usize {
        self.deadlines.len()
    }

    /// When `handle_timeout` is next due, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.deadlines.next()
    }

    /// The application asks for a connection.
    pub fn connect(&mut self, now: Millis) -> Result<ConnectStart, ClientError> {
        match &self.state {
            ConnectionState::Connected(ack) => return Ok(ConnectStart::Connected(ack.clone())),
            ConnectionState::Connecting => {
                return Err(ClientError::Session(SessionError::InvalidOption {
                    field: "connect",
                    reason: "a connect is already under way".into(),
                }))
            }
            ConnectionState::Closed => return Err(ClientError::Closed),
            _ => {}
        }
        if !self.options.websocket_protocols.iter().any(|p| p == "mqtt") {
            return Err(ClientError::Session(SessionError::InvalidOption {
                field: "websocketProtocols",
                reason: "MQTT over WebSocket requires the subprotocol \"mqtt\" among those offered".into(),
            }));
        }
        self.deadlines.cancel(TimerKind::Reconnect);
        // A connect of the application's starts at its URL (or where a broker just referred it).
        self.server = 0;
        let mut out = Vec::new();
        self.open(now, &mut out);
        Ok(ConnectStart::Started(out))
    }

    /// Publishes, or queues while disconnected. `store_key`: the persisted copy of the message,
    /// forgotten (`RequestForget`) once the message is settled.
    pub fn publish(
        &mut self,
        now: Millis,
        msg: &Outgoing,
        store_key: Option<u64>,
    ) -> Result<(PublishTicket, Vec<Event>), ClientError> {
        // A closed client never connects again: queued, the message would wait for ever.
        if self.closing {
            return Err(ClientError::Closed);
        }
        let (ticket, events) = self.session.publish(msg)?;
        if let (Some(key), true) = (store_key, ticket.completes_later()) {
            self.persisted.insert(ticket.token, key);
        }
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        Ok((ticket, out))
    }

    /// With a store, and a session the broker keeps past the page: the QoS 2 messages' packet ids
    /// and stages are written too (`RequestWrite`), for the page that resumes it
    /// (src/session/durable.rs). A session that only outlives a connection (MQTT 5 with Clean
    /// Start and an expiry) is resumed by this page alone, from memory. The shell turns it on when
    /// it writes them.
    pub fn keep_stages(&mut self) {
        if self.options.persistence.is_some() && self.session.options().session_outlives_page() {
            self.session.keep_stages();
        }
    }

    /// The shell wrote what `RequestWrite` asked for message `token`.
    pub fn written(&mut self, now: Millis, token: u64, packet_id: u16, released: bool) -> Vec<Event> {
        let events = self.session.written(token, packet_id, released);
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        out
    }

    /// A stored message an earlier page had in flight under `packet_id`, back in flight under
    /// `key` before the first connect (`Session::resume_flight`); returns its token, or `None`:
    /// send it anew.
    pub fn resume_flight(&mut self, msg: &Outgoing, key: u64, packet_id: u16, released: bool) -> Option<u64> {
        let token = self.session.resume_flight(msg, packet_id, released)?;
        self.persisted.insert(token, key);
        Some(token)
    }

    pub fn subscribe(&mut self, now: Millis, filters: &[(String, QoS)]) -> Result<(u16, Vec<Event>), ClientError> {
        let (id, events) = self.session.subscribe(filters)?;
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        Ok((id, out))
    }

    /// `subscribe` with each filter's MQTT 5 options and a Subscription Identifier
    pub fn subscribe_with(
        &mut self,
        now: Millis,
        filters: &[(String, SubscribeOptions)],
        identifier: Option<u32>,
    ) -> Result<(u16, Vec<Event>), ClientError> {
        let (id, events) = self.session.subscribe_with(filters, identifier)?;
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        Ok((id, out))
    }

    pub fn unsubscribe(&mut self, now: Millis, filters: &[String]) -> Result<(u16, Vec<Event>), ClientError> {
        let (id, events) = self.session.unsubscribe(filters)?;
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        Ok((id, out))
    }

    /// Sends DISCONNECT (when connected) and closes; `connect` may be called again later.
    pub fn disconnect(&mut self, now: Millis) -> Vec<Event> {
        self.lost_reason = Some(ClientError::Disconnected);
        self.deadlines.cancel(TimerKind::Reconnect);
        let events = self.session.disconnect();
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        out
    }

    /// Disconnects for good: the supervisor refuses everything from now on.
    pub fn close(&mut self, now: Millis) -> Vec<Event> {
        self.closing = true;
        let mut out = self.disconnect(now);
        // Closing an idle or already ended client still ends in `Closed`.
        if !matches!(self.state, ConnectionState::Closed) {
            self.finish(ClientError::Closed, &mut out);
        }
        out
    }

    /// The socket asked for by `RequestOpen` is open: CONNECT goes out.
    pub fn socket_opened(&mut self, now: Millis) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket != Socket::Opening {
            return out;
        }
        self.socket = Socket::Open;
        let events = match self.session.connect() {
            Ok(events) => events,
            Err(e) => vec![SessionEvent::NotifyConnectFailed(e), SessionEvent::RequestClose],
        };
        self.absorb(now, events, &mut out);
        out
    }

    /// One WebSocket message from the broker.
    pub fn socket_bytes(&mut self, now: Millis, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket == Socket::Open {
            let events = self.session.feed(bytes);
            self.absorb(now, events, &mut out);
        }
        out
    }

    /// A WebSocket text frame from the broker: MQTT over WebSocket is binary only (MQTT 5.0 §6,
    /// MQTT-6.0.0-1), so the connection ends with a protocol error.
    pub fn socket_text(&mut self, now: Millis) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket == Socket::Open {
            let events = self.session.text_frame();
            self.absorb(now, events, &mut out);
        }
        out
    }

    /// The socket reported an error; its close follows.
    pub fn socket_error(&mut self) {
        if self.socket != Socket::None {
            self.socket_error = true;
        }
    }

    /// The socket closed, with the WebSocket close code and reason.
    pub fn socket_closed(&mut self, now: Millis, code: u16, reason: &str) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket == Socket::None {
            return out;
        }
        let why = if self.socket_error && code == 1006 {
            ClientError::Socket(
                "the connection was refused or broke (close code 1006): is the broker running, and the URL, port and path right?"
                    .into(),
            )
        } else {
            ClientError::SocketClosed { code, reason: reason.to_owned() }
        };
        // A socket that dies before it opened, offering several subprotocols, is tried again at once
        // with the other offer, once per attempt; the next attempt starts with the offer tried last.
        // websockify (0.10) needs "binary" offered, and RabbitMQ 3.10's Web MQTT answers a list of
        // several with the whole list, which browsers refuse: no one offer reaches both. Any close
        // before opening switches (a server that is down costs one more refused socket).
        if self.socket == Socket::Opening && !self.switched && self.options.websocket_protocols.len() > 1 {
            self.switched = true;
            self.socket_error = false;
            self.mqtt_only = !self.mqtt_only;
            self.open_socket(&mut out);
            return out;
        }
        self.lost_reason.get_or_insert(why);
        // A socket that dies before it opened fails the attempt as a CONNACK refusal would.
        if self.socket == Socket::Opening {
            self.connect_failed(SessionError::ConnectionLost.into(), &mut out);
        }
        self.absorb(now, vec![SessionEvent::RequestClose], &mut out);
        out
    }

    /// The shell could not even make the socket `RequestOpen` asked for (the browser refused the URL).
    pub fn open_failed(&mut self, now: Millis, error: ClientError) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket != Socket::Opening {
            return out;
        }
        self.lost_reason = Some(error.clone());
        self.connect_failed(error, &mut out);
        self.absorb(now, vec![SessionEvent::RequestClose], &mut out);
        out
    }

    /// The browser's `online` / `offline` events: wait while offline, try at once when back online.
    pub fn set_online(&mut self, now: Millis, online: bool) -> Vec<Event> {
        self.offline = !online;
        let mut out = Vec::new();
        if matches!(self.state, ConnectionState::Reconnecting { .. }) {
            if online {
                self.attempt_reconnect(now, &mut out);
            } else {
                self.deadlines.cancel(TimerKind::Reconnect);
            }
        }
        out
    }

    /// The flush asked for by `RequestFlush` is due.
    pub fn flush(&mut self, now: Millis) -> Vec<Event> {
        match self.outbox.flush(now) {
            Some(bytes) if self.socket == Socket::Open => vec![Event::RequestTransmit(bytes)],
            _ => Vec::new(),
        }
    }

    /// The timer armed for `poll_timeout` fired (or any time after it): runs what is due at `now`.
    /// Each kind fires at most once per call, so a zero delay cannot loop.
    pub fn handle_timeout(&mut self, now: Millis) -> Vec<Event> {
        let mut out = Vec::new();
        for kind in self.deadlines.due(now) {
            if !self.deadlines.take_if_due(kind, now) {
                continue;
            }
            match kind {
                TimerKind::Reconnect => self.attempt_reconnect(now, &mut out),
                TimerKind::ConnectTimeout if matches!(self.socket, Socket::Opening | Socket::Credentials) => {
                    // The socket itself never opened (or the credentials never came).
                    let timeout_ms = self.session.options().connect_timeout_ms;
                    self.connect_failed(SessionError::ConnectTimeout { timeout_ms }.into(), &mut out);
                    self.absorb(now, vec![SessionEvent::RequestClose], &mut out);
                }
                kind => {
                    let events = self.session.timer_fired(kind);
                    self.absorb(now, events, &mut out);
                }
            }
        }
        out
    }

    /// Opens a socket for a connect or reconnect attempt and arms the connect timeout, which
    /// `session.connect` arms again once the socket is open.
    fn open(&mut self, now: Millis, out: &mut Vec<Event>) {
        self.socket = Socket::Opening;
        self.lost_reason = None;
        self.socket_error = false;
        let timeout = self.session.options().connect_timeout_ms;
        self.deadlines.set(TimerKind::ConnectTimeout, now.saturating_add(timeout));
        self.switched = false;
        match self.options.credentials {
            true => {
                self.socket = Socket::Credentials;
                out.push(Event::RequestCredentials);
            }
            false => self.open_socket(out),
        }
        self.set_state(ConnectionState::Connecting, out);
    }

    fn open_socket(&mut self, out: &mut Vec<Event>) {
        self.socket = Socket::Opening;
        out.push(Event::RequestOpen { url: self.url().to_owned(), mqtt_only: self.mqtt_only });
    }

    /// The application's credentials callback answered: a user name and password for this
    /// attempt's CONNECT (and the next ones', until it answers again), or why it failed, which
    /// fails the attempt. An answer nobody waits for any more is dropped.
    pub fn credentials(&mut self, now: Millis, answer: Result<(Option<String>, Option<String>), String>) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket != Socket::Credentials {
            return out;
        }
        match answer {
            Ok((username, password)) => {
                self.session.set_login(username, password);
                self.open_socket(&mut out);
            }
            Err(why) => {
                self.connect_failed(ClientError::Credentials(why), &mut out);
                self.absorb(now, vec![SessionEvent::RequestClose], &mut out);
            }
        }
        out
    }

    #[cfg(feature = "auth")]
    /// The application's answer to `NotifyAuthChallenge` `round`: its data for the broker, or why it
    /// has none, which ends the connection (`ClientError::Credentials`; a reconnect attempt starts the
    /// authentication again). An answer to any challenge but the last is dropped (its connection
    /// ended, and another may have challenged since).
    pub fn authenticate(&mut self, now: Millis, round: u64, answer: Result<Option<Vec<u8>>, String>) -> Vec<Event> {
        let mut out = Vec::new();
        if self.socket != Socket::Open || round != self.auth_round {
            return out;
        }
        let events = match answer.map_err(ClientError::Credentials) {
            Ok(data) => match self.session.authenticate(data) {
                Ok(events) => events,
                Err(e) => self.abandon_authentication(e.into()),
            },
            Err(e) => self.abandon_authentication(e),
        };
        self.absorb(now, events, &mut out);
        out
    }

    #[cfg(feature = "auth")]
    fn abandon_authentication(&mut self, why: ClientError) -> Vec<SessionEvent> {
        self.lost_reason = Some(why);
        self.session.abandon_authentication()
    }

    #[cfg(feature = "auth")]
    /// Starts an MQTT 5 re-authentication with `data` (`Session::reauthenticate`).
    pub fn reauthenticate(&mut self, now: Millis, data: Option<Vec<u8>>) -> Result<Vec<Event>, ClientError> {
        let events = self.session.reauthenticate(data)?;
        let mut out = Vec::new();
        self.absorb(now, events, &mut out);
        Ok(out)
    }

    /// Applies session events; a close they ask for ends the socket, and then the connection is
    /// either retried or given up.
    fn absorb(&mut self, now: Millis, events: Vec<SessionEvent>, out: &mut Vec<Event>) {
        let mut queue = events;
        let mut closed = false;
        loop {
            let mut close_requested = false;
            for event in queue.drain(..) {
                self.apply(now, event, &mut close_requested, out);
            }
            if !close_requested || closed {
                break;
            }
            closed = true;
            self.drop_socket(out);
            queue = self.session.notify_closed();
        }
        if closed {
            let why = self.lost_reason.take().unwrap_or(ClientError::Session(SessionError::ConnectionLost));
            if self.should_reconnect(&why) {
                self.schedule_reconnect(now, why, out);
            } else {
                self.finish(why, out);
            }
        }
    }

    fn apply(&mut self, now: Millis, event: SessionEvent, close: &mut bool, out: &mut Vec<Event>) {
        match event {
            SessionEvent::RequestSend(bytes) => match self.outbox.push(now, &bytes) {
                Push::Waiting => {}
                Push::Schedule(when) => out.push(Event::RequestFlush(when)),
                Push::Send(bytes) => out.push(Event::RequestTransmit(bytes)),
            },
            SessionEvent::RequestTimerReset { kind, duration_ms } => {
                self.deadlines.set(kind, now.saturating_add(duration_ms))
            }
            SessionEvent::RequestTimerCancel(kind) => self.deadlines.cancel(kind),
            SessionEvent::RequestClose => *close = true,
            #[cfg(feature = "durable")]
            SessionEvent::RequestWrite { token, packet_id, released } => match self.persisted.get(&token) {
                Some(&key) => out.push(Event::RequestWrite { key, token, packet_id, released }),
                // A message with no store has nothing to write: it goes now.
                None => {
                    for e in self.session.written(token, packet_id, released) {
                        self.apply(now, e, close, out);
                    }
                }
            },
            SessionEvent::NotifyConnected(ack) => {
                self.was_connected = true;
                self.attempt = 0;
                out.push(Event::NotifyConnected(ack.clone()));
                self.set_state(ConnectionState::Connected(ack), out);
            }
            SessionEvent::NotifyConnectFailed(e) => self.connect_failed(e.into(), out),
            SessionEvent::NotifyMessage(m) => out.push(Event::NotifyMessage(m)),
            SessionEvent::NotifyPublishCompleted { token, result } => {
                let result = result.map_err(ClientError::from);
                self.forget_if_settled(token, &result, out);
                out.push(Event::NotifyPublishCompleted { token, result });
            }
            SessionEvent::NotifySubscribed { packet_id, results } => {
                let results = results.into_iter().map(|r| r.map_err(ClientError::from)).collect();
                out.push(Event::NotifySubscribed { packet_id, results })
            }
            SessionEvent::NotifyUnsubscribed { packet_id, results } => {
                let results = results.into_iter().map(|r| r.map_err(ClientError::from)).collect();
                out.push(Event::NotifyUnsubscribed { packet_id, results })
            }
            SessionEvent::NotifyConnectionLost(e) => {
                self.lost_reason.get_or_insert(e.into());
            }
            #[cfg(feature = "auth")]
            SessionEvent::NotifyAuthChallenge(data) => {
                self.auth_round += 1;
                out.push(Event::NotifyAuthChallenge { round: self.auth_round, data })
            }
            #[cfg(feature = "auth")]
            SessionEvent::NotifyReauthenticated(data) => out.push(Event::NotifyReauthenticated(data)),
            #[cfg(feature = "reason-strings")]
            SessionEvent::NotifyAcknowledged(ack) => out.push(Event::NotifyAcknowledged(ack)),
            // MQTT 5 Server Reference, followed when the application allows it and it is a
            // WebSocket URL (a broker may name a host and port of its TCP listener instead).
            SessionEvent::NotifyServerReference(url) => {
                if self.options.follow_server_reference && is_websocket_url(&url) {
                    self.referred = Some(url);
                    self.referral_pending = true;
                }
            }
        }
    }

    /// A connect or reconnect attempt failed; the socket's close follows.
    fn connect_failed(&mut self, e: ClientError, out: &mut Vec<Event>) {
        // A socket that closed says more than the session's "connection lost".
        let e = match (&e, &self.lost_reason) {
            (ClientError::Session(SessionError::ConnectionLost), Some(better)) => better.clone(),
            _ => e,
        };
        out.push(Event::NotifyConnectFailed(e.clone()));
        self.lost_reason = Some(e.clone());
        // A failed reconnect attempt goes straight on to the next Reconnecting state.
        if !(self.was_connected && self.options.reconnect.enabled) {
            self.set_state(ConnectionState::Disconnected(e), out);
        }
    }

    /// The socket goes: what this input queued (a DISCONNECT, say) leaves before the close frame.
    fn drop_socket(&mut self, out: &mut Vec<Event>) {
        let bytes = self.outbox.drain();
        if self.socket == Socket::None {
            return;
        }
        if let (Some(bytes), Socket::Open) = (bytes, self.socket) {
            out.push(Event::RequestTransmit(bytes));
        }
        self.socket = Socket::None;
        out.push(Event::RequestClose);
    }

    /// Reconnect only after a connection that was once up dropped by itself, and never when the
    /// broker refused the credentials (retrying cannot fix those).
    fn should_reconnect(&self, why: &ClientError) -> bool {
        !self.closing
            && self.was_connected
            && self.options.reconnect.enabled
            && !reconnect::refused_for_good(why)
            && !reconnect::asked_for(why)
    }

    /// Arms the next attempt after a full-jitter backoff delay, or gives up after `max_attempts`.
    fn schedule_reconnect(&mut self, now: Millis, why: ClientError, out: &mut Vec<Event>) {
        self.deadlines.clear();
        self.attempt += 1;
        let attempt = self.attempt;
        if self.options.reconnect.max_attempts.is_some_and(|max| attempt > max) {
            return self.finish(ClientError::ReconnectGaveUp { attempts: attempt - 1 }, out);
        }
        let delay_ms = reconnect_delay_ms(&self.options.reconnect, attempt, self.jitter.next_unit());
        if !self.offline {
            self.deadlines.set(TimerKind::Reconnect, now.saturating_add(delay_ms));
        }
        self.set_state(ConnectionState::Reconnecting { attempt, delay_ms, reason: why }, out);
    }

    fn attempt_reconnect(&mut self, now: Millis, out: &mut Vec<Event>) {
        if self.closing || self.socket != Socket::None || !matches!(self.state, ConnectionState::Reconnecting { .. }) {
            return;
        }
        self.deadlines.cancel(TimerKind::Reconnect);
        // Failover: each reconnect attempt goes to the next server, round the list, unless the
        // broker has just referred the client elsewhere: then to that server, once.
        if !std::mem::take(&mut self.referral_pending) {
            self.referred = None;
            self.server = (self.server + 1) % (1 + self.options.servers.len());
        }
        self.open(now, out);
    }

    /// Gives up: fails what still waits and announces the final state once.
    fn finish(&mut self, why: ClientError, out: &mut Vec<Event>) {
        self.deadlines.clear();
        let final_error = if self.closing { ClientError::Closed } else { why };
        // What still waits to be sent fails with the reason; what was persisted stays in the
        // store, to be sent by the next page.
        self.session.discard_pending();
        self.persisted.clear();
        self.attempt = 0;
        out.push(Event::NotifyEnded(final_error.clone()));
        let next = if self.closing { ConnectionState::Closed } else { ConnectionState::Disconnected(final_error) };
        // Down already, or closed already: nothing new to announce. (`matches!`, not `!=`: the
        // derived equality of states and errors is 0.6 KB of every npm entry's wasm.)
        let already_down = matches!(
            (&self.state, &next),
            (ConnectionState::Disconnected(_), ConnectionState::Disconnected(_)) | (ConnectionState::Idle, _)
        ) && !self.closing;
        let already_closed = matches!((&self.state, &next), (ConnectionState::Closed, ConnectionState::Closed));
        if !already_down && !already_closed {
            self.set_state(next, out);
        }
    }

    /// A delivered message (or one the broker refused for good) leaves the store; one that merely
    /// could not be sent yet stays for the next connection or page.
    fn forget_if_settled(&mut self, token: u64, result: &Result<(), ClientError>, out: &mut Vec<Event>) {
        let settled = match result {
            Ok(()) => true,
            Err(e) => matches!(
                e,
                ClientError::Session(SessionError::PublishRefused { .. })
                    | ClientError::Session(SessionError::DroppedFromQueue)
                    | ClientError::Session(SessionError::PacketTooLarge { .. })
            ),
        };
        if settled {
            if let Some(key) = self.persisted.remove(&token) {
                out.push(Event::RequestForget(key));
            }
        }
    }

    fn set_state(&mut self, state: ConnectionState, out: &mut Vec<Event>) {
        self.state = state.clone();
        out.push(Event::NotifyState(state));
    }

    /// Whether the session is connected (CONNACK received).
    pub fn is_connected(&self) -> bool {
        self.session.phase() == Phase::Connected
    }

    /// Bytes waiting for the next flush.
    pub fn outbox_len(&self) -> usize {
        self.outbox.pending()
    }
}
