//! The native pair harness: the client's supervisor and session against the simulator's own server
//! session and platform gate, on one virtual clock, with no sockets (quinn-proto's `tests/util.rs`
//! `Pair`). Bytes move between the two in memory the moment they are written; the broker can be
//! stopped (connects are refused), frozen (it reads nothing and answers nothing) or killed mid-flight
//! (what it would still have written is lost).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Arc;

use iotmqtt::supervisor::{ConnectStart, ConnectionState, Event, Millis, Supervisor};
use iotmqtt::{ClientOptions, ConnectOptions};
use iotmqtt_sim::session::{Output, PlatformGate, Pushes, ServerSession, SessionHandle};
use iotmqtt_sim::thingsboard::{ThingsBoard, ThingsBoardGate};
use iotmqtt_sim::SimConfig;

pub const URL: &str = "ws://sim.invalid/mqtt/thingsboard";

/// What the server wrote, on its way to the client.
enum Wire {
    Bytes(Vec<u8>),
    Close,
}

/// The server end of the one connection the client has, if any.
struct ServerEnd {
    session: ServerSession,
    /// What the rest of the simulator sends this connection (shared attributes, server RPC).
    pushes: Pushes,
    /// When the client's last bytes arrived, for the server's 1.5 x keepalive limit.
    last_input: Millis,
    close_at: Option<Millis>,
}

pub struct Pair {
    pub now: Millis,
    pub client: Supervisor,
    gate: Arc<dyn PlatformGate>,
    server: Option<ServerEnd>,
    next_session: u64,
    /// Every event the client reported, in order, and the instant of each.
    pub events: Vec<Event>,
    pub event_times: Vec<Millis>,
    /// Connections the broker accepted at the socket level.
    pub sockets_accepted: usize,
    pub broker_up: bool,
    pub frozen: bool,
    /// How long the server's bytes take to reach the client (0: at once).
    pub latency_ms: Millis,
    /// Server output in flight to the client, with its arrival time.
    pipe: VecDeque<(Millis, Wire)>,
    /// Packets the server wrote that a killed broker never delivered.
    pub lost_to_client: Vec<Vec<u8>>,
    /// The simulator's own clock, for platforms whose server side runs timed tasks (The Things
    /// Stack's downlink queue): moved with the pair's, one millisecond at a time.
    pub sim_clock: Option<Box<dyn FnMut(Millis)>>,
}

/// A ThingsBoard simulator with the demo devices of the test configuration.
pub fn thingsboard() -> Arc<ThingsBoard> {
    iotmqtt_sim::log::set_quiet(true);
    let config = SimConfig::for_tests();
    ThingsBoard::new(&config.thingsboard, &config.timings)
}

impl Pair {
    pub fn new(gate: Arc<dyn PlatformGate>, options: ConnectOptions, client_options: ClientOptions) -> Self {
        let client = Supervisor::new(URL, options, client_options, 7, true).expect("valid options");
        Self {
            now: 0,
            client,
            gate,
            server: None,
            next_session: 1,
            events: Vec::new(),
            event_times: Vec::new(),
            sockets_accepted: 0,
            broker_up: true,
            frozen: false,
            latency_ms: 0,
            pipe: VecDeque::new(),
            lost_to_client: Vec::new(),
            sim_clock: None,
        }
    }

    pub fn thingsboard(tb: &Arc<ThingsBoard>, options: ConnectOptions, client_options: ClientOptions) -> Self {
        Self::new(Arc::new(ThingsBoardGate(tb.clone())), options, client_options)
    }

    pub fn state(&self) -> &ConnectionState {
        self.client.state()
    }

    /// Asks for a connection and runs until nothing moves.
    pub fn connect(&mut self) {
        match self.client.connect(self.now).expect("connect accepted") {
            ConnectStart::Started(events) => self.run(events),
            ConnectStart::Connected(_) => {}
        }
    }

    /// The events reported since `from`, without the I/O requests.
    pub fn notifications_since(&self, from: usize) -> Vec<Event> {
        self.events[from..]
            .iter()
            .filter(|e| {
                !matches!(
                    e,
                    Event::RequestOpen { .. }
                        | Event::RequestTransmit(_)
                        | Event::RequestFlush(_)
                        | Event::RequestClose
                        | Event::RequestForget(_)
                )
            })
            .cloned()
            .collect()
    }

    pub fn states_since(&self, from: usize) -> Vec<ConnectionState> {
        self.events[from..]
            .iter()
            .filter_map(|e| if let Event::NotifyState(s) = e { Some(s.clone()) } else { None })
            .collect()
    }

    /// Carries out the client's events, and everything they cause on both sides, until quiet.
    /// A requested flush runs once the current batch is done, as a microtask would.
    pub fn run(&mut self, events: Vec<Event>) {
        let mut queue: VecDeque<Event> = events.into();
        let mut flush_due = false;
        loop {
            let Some(event) = queue.pop_front() else {
                if std::mem::take(&mut flush_due) {
                    queue.extend(self.client.flush(self.now));
                    continue;
                }
                // What the simulator pushed meanwhile arrives at this same instant.
                if let Some(events) = self.take_pushed() {
                    queue.extend(events);
                    continue;
                }
                break;
            };
            self.events.push(event.clone());
            self.event_times.push(self.now);
            match event {
                Event::RequestOpen { .. } => {
                    if self.broker_up {
                        self.open_server();
                        queue.extend(self.client.socket_opened(self.now));
                    } else {
                        self.client.socket_error();
                        queue.extend(self.client.socket_closed(self.now, 1006, ""));
                    }
                }
                Event::RequestTransmit(bytes) => queue.extend(self.deliver_to_server(&bytes)),
                Event::RequestFlush(_) => flush_due = true,
                Event::RequestClose => {
                    if let Some(mut end) = self.server.take() {
                        end.session.on_transport_closed();
                    }
                }
                _ => {}
            }
        }
    }

    fn open_server(&mut self) {
        let (handle, pushes) = SessionHandle::channel(self.next_session);
        self.next_session += 1;
        self.sockets_accepted += 1;
        let session = ServerSession::new(self.gate.clone(), handle, "pair".into());
        self.server = Some(ServerEnd { session, pushes, last_input: self.now, close_at: None });
    }

    /// Bytes the client wrote reach the server; what it answers reaches the client.
    fn deliver_to_server(&mut self, bytes: &[u8]) -> Vec<Event> {
        if self.frozen {
            return Vec::new();
        }
        let Some(end) = self.server.as_mut() else { return Vec::new() };
        end.last_input = self.now;
        let outputs = end.session.on_bytes(bytes);
        self.carry_server_output(outputs)
    }

    fn carry_server_output(&mut self, outputs: Vec<Output>) -> Vec<Event> {
        let mut events = Vec::new();
        for output in outputs {
            match output {
                Output::Write(bytes) if self.latency_ms > 0 => {
                    self.pipe.push_back((self.now + self.latency_ms, Wire::Bytes(bytes)))
                }
                Output::Write(bytes) => events.extend(self.client.socket_bytes(self.now, &bytes)),
                Output::Close if self.latency_ms > 0 => {
                    if let Some(mut end) = self.server.take() {
                        end.session.on_transport_closed();
                        self.pipe.push_back((self.now + self.latency_ms, Wire::Close));
                    }
                }
                Output::Close => {
                    if let Some(mut end) = self.server.take() {
                        end.session.on_transport_closed();
                        events.extend(self.client.socket_closed(self.now, 1000, ""));
                    }
                }
                Output::CloseAfter(delay) => {
                    if let Some(end) = self.server.as_mut() {
                        end.close_at = Some(self.now + delay.as_millis() as Millis);
                    }
                }
            }
        }
        events
    }

    /// The broker goes away at once: the socket breaks, and nothing it had not written yet arrives.
    pub fn kill_broker(&mut self) {
        self.broker_up = false;
        for (_, wire) in self.pipe.drain(..) {
            if let Wire::Bytes(bytes) = wire {
                self.lost_to_client.push(bytes);
            }
        }
        if let Some(mut end) = self.server.take() {
            end.session.on_transport_closed();
            self.client.socket_error();
            let events = self.client.socket_closed(self.now, 1006, "");
            self.run(events);
        }
    }

    pub fn start_broker(&mut self) {
        self.broker_up = true;
    }

    /// The server's next deadline: its keepalive limit (unless frozen) or a scheduled close.
    fn server_deadline(&self) -> Option<Millis> {
        let end = self.server.as_ref()?;
        let idle =
            if self.frozen { None } else { end.session.idle_limit().map(|l| end.last_input + l.as_millis() as Millis) };
        match (idle, end.close_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next instant anything is due on either side or on the wire.
    pub fn next_deadline(&self) -> Option<Millis> {
        [self.client.poll_timeout(), self.server_deadline(), self.pipe.front().map(|(at, _)| *at)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Moves the clock forward by `ms`, running every deadline of either side on the way, at its
    /// exact instant.
    pub fn advance(&mut self, ms: Millis) {
        if self.sim_clock.is_some() {
            // The simulator's timers are not visible here: step by the millisecond, so that what
            // its tasks push arrives at the instant it was pushed.
            for _ in 0..ms {
                self.advance_by(1);
                if let Some(tick) = self.sim_clock.as_mut() {
                    tick(1);
                }
                self.deliver_pushes();
            }
            return;
        }
        self.advance_by(ms);
    }

    fn advance_by(&mut self, ms: Millis) {
        let target = self.now + ms;
        loop {
            let client = self.client.poll_timeout();
            let server = self.server_deadline();
            let arrival = self.pipe.front().map(|(at, _)| *at);
            if let Some(at) = arrival.filter(|at| *at <= target && client.is_none_or(|c| *at <= c)) {
                if server.is_none_or(|s| at <= s) {
                    self.now = self.now.max(at);
                    let events = self.deliver_arrived();
                    self.run(events);
                    continue;
                }
            }
            let next = match (client, server) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            if next > target {
                break;
            }
            self.now = self.now.max(next);
            if client == Some(next) {
                let events = self.client.handle_timeout(self.now);
                self.run(events);
            } else {
                let reason = "keep-alive expired or scheduled close".to_string();
                let outputs = match self.server.as_mut() {
                    Some(end) => end.session.on_push(iotmqtt_sim::session::Push::Close { reason }),
                    None => Vec::new(),
                };
                let events = self.carry_server_output(outputs);
                self.run(events);
            }
        }
        self.now = target;
    }

    /// Hands the client what the server wrote and what has arrived by now, in order.
    fn deliver_arrived(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while self.pipe.front().is_some_and(|(at, _)| *at <= self.now) {
            let Some((_, wire)) = self.pipe.pop_front() else { break };
            match wire {
                Wire::Bytes(bytes) => events.extend(self.client.socket_bytes(self.now, &bytes)),
                Wire::Close => events.extend(self.client.socket_closed(self.now, 1000, "")),
            }
        }
        events
    }

    /// Hands the server session what the simulator pushed to it, and the client what it answers.
    pub fn deliver_pushes(&mut self) {
        while let Some(events) = self.take_pushed() {
            self.run(events);
        }
    }

    /// One push the simulator made to this connection, carried to the client.
    fn take_pushed(&mut self) -> Option<Vec<Event>> {
        let end = self.server.as_mut()?;
        let push = end.pushes.try_recv().ok()?;
        let outputs = end.session.on_push(push);
        Some(self.carry_server_output(outputs))
    }

    /// Runs the events of a client call made by the test.
    pub fn apply(&mut self, events: Vec<Event>) {
        self.run(events);
    }
}
pub mod thingsboard;
