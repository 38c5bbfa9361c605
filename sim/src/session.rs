// One client connection on any platform: MQTT framing, CONNECT/SUBSCRIBE/PUBLISH handling, keep-alive,
// and delivery of server pushes. What a topic means is left to the platform's `PlatformSession`.

use crate::mqtt::packet::{self, Connect, Packet, PacketFramer, ProtocolLevel, Publish};
use crate::mqtt::topic;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Something the server side wants a connected session to do, sent through its push channel.
#[derive(Debug, Clone)]
pub enum Push {
    /// Publish to the client when one of its subscriptions matches.
    Deliver { topic: String, payload: Vec<u8> },
    /// ThingsBoard: shared attributes of `device` changed (a flat map, plus `deleted`).
    SharedAttributes { device: String, update: serde_json::Value },
    /// ThingsBoard: a server-side RPC for `device`.
    ServerRpc { device: String, id: u64, method: String, params: serde_json::Value },
    /// Close the connection (simulator shutdown, or the platform ending the session).
    Close { reason: String },
}

/// How the session reaches its client from elsewhere in the simulator.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    pub id: u64,
    pub push: mpsc::UnboundedSender<Push>,
}

/// The receiving end of a session's pushes.
pub type Pushes = mpsc::UnboundedReceiver<Push>;

impl SessionHandle {
    /// A handle and the receiving end of its pushes, for whoever drives the session.
    pub fn channel(id: u64) -> (Self, Pushes) {
        let (push, pushes) = mpsc::unbounded_channel();
        (Self { id, push }, pushes)
    }
}

/// Whether a publication goes out regardless of subscriptions (a reply) or only to a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Reply,
    IfSubscribed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Publish { topic: String, payload: Vec<u8>, delivery: Delivery },
    Close { reason: String },
    CloseAfter { delay: Duration, reason: String },
}

/// Collects what a platform handler wants sent, in order.
#[derive(Debug, Default)]
pub struct Outbox {
    pub actions: Vec<Action>,
}

impl Outbox {
    pub fn reply(&mut self, topic: impl Into<String>, payload: impl Into<Vec<u8>>) {
        self.actions.push(Action::Publish { topic: topic.into(), payload: payload.into(), delivery: Delivery::Reply });
    }
    pub fn notify(&mut self, topic: impl Into<String>, payload: impl Into<Vec<u8>>) {
        self.actions.push(Action::Publish {
            topic: topic.into(),
            payload: payload.into(),
            delivery: Delivery::IfSubscribed,
        });
    }
    pub fn close(&mut self, reason: impl Into<String>) {
        self.actions.push(Action::Close { reason: reason.into() });
    }
    pub fn close_after(&mut self, delay: Duration, reason: impl Into<String>) {
        self.actions.push(Action::CloseAfter { delay, reason: reason.into() });
    }
}

pub enum SubscribeVerdict {
    Grant { filter: String, qos: u8 },
    Refuse { reason: String },
}

pub enum PublishVerdict {
    Accepted,
    /// Unknown topic: PUBACK with reason 0x90 topic-name-invalid on MQTT 5, no disconnect.
    TopicInvalid(String),
    /// Bad payload on a known topic: MQTT 3.1.x disconnects, MQTT 5 gets PUBACK 0x99.
    PayloadInvalid(String),
    Disconnect(String),
}

/// A CONNECT the platform refused: the CONNACK codes for each protocol version and why, for the log.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub v3_code: u8,
    pub v5_code: u8,
    pub reason: String,
}

/// A platform's side of one accepted connection.
pub trait PlatformSession: Send {
    fn subscribe(&mut self, filter: &str, qos: u8) -> SubscribeVerdict;
    /// After the SUBACK went out, with the filters that were granted.
    fn subscribed(&mut self, _granted: &[String], _out: &mut Outbox) {}
    fn publish(&mut self, publish: &Publish, out: &mut Outbox) -> PublishVerdict;
    /// A push other than `Deliver`, which the session core routes itself.
    fn push(&mut self, _push: Push, _subs: &Subscriptions, _out: &mut Outbox) {}
    fn closed(&mut self, _graceful: bool) {}
    /// The highest QoS the platform publishes at, whatever a subscription was granted.
    fn max_delivery_qos(&self) -> u8 {
        1
    }
}

/// The front door of a platform: decides CONNECT, and the largest packet it reads.
pub trait PlatformGate: Send + Sync {
    fn name(&self) -> &'static str;
    fn max_packet_size(&self) -> usize;
    fn accept(&self, connect: &Connect, handle: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal>;
}

#[derive(Debug, Default, Clone)]
pub struct Subscriptions {
    entries: Vec<(String, u8)>,
}

impl Subscriptions {
    fn add(&mut self, filter: String, qos: u8) {
        self.entries.retain(|(f, _)| *f != filter);
        self.entries.push((filter, qos));
    }
    fn remove(&mut self, filter: &str) {
        self.entries.retain(|(f, _)| f != filter);
    }
    /// The highest granted QoS among the subscriptions that match `topic`.
    pub fn qos_for(&self, topic_name: &str) -> Option<u8> {
        self.entries.iter().filter(|(f, _)| topic::matches(f, topic_name)).map(|(_, q)| *q).max()
    }
    pub fn has(&self, filter: &str) -> bool {
        self.entries.iter().any(|(f, _)| f == filter)
    }
}

/// What the connection driver must do with the socket.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    Write(Vec<u8>),
    Close,
    /// Close once this much time has passed (the driver keeps the clock: the session reads none).
    CloseAfter(Duration),
}

/// The transport-independent state of one connection: bytes and pushes in, `Output`s out. It reads
/// no clock: `idle_limit` and `Output::CloseAfter` leave the timing to whoever drives it.
pub struct ServerSession {
    gate: std::sync::Arc<dyn PlatformGate>,
    handle: SessionHandle,
    peer: String,
    framer: PacketFramer,
    level: Option<ProtocolLevel>,
    platform: Option<Box<dyn PlatformSession>>,
    subs: Subscriptions,
    next_packet_id: u16,
    keep_alive: Option<Duration>,
    accepted: bool,
    closed: bool,
}

impl ServerSession {
    pub fn new(gate: std::sync::Arc<dyn PlatformGate>, handle: SessionHandle, peer: String) -> Self {
        let framer = PacketFramer::new(gate.max_packet_size());
        Self {
            gate,
            handle,
            peer,
            framer,
            level: None,
            platform: None,
            subs: Subscriptions::default(),
            next_packet_id: 0,
            keep_alive: None,
            accepted: false,
            closed: false,
        }
    }

    /// MQTT's keep-alive: the server may close after one and a half times the interval of silence.
    pub fn idle_limit(&self) -> Option<Duration> {
        self.keep_alive.map(|k| k * 3 / 2)
    }

    fn log(&self, message: &str) {
        crate::log::line(self.gate.name(), &format!("{} #{}: {message}", self.peer, self.handle.id));
    }

    fn close(&mut self, out: &mut Vec<Output>, reason: &str, v5_reason: u8) {
        if self.closed {
            return;
        }
        self.log(&format!("closing: {reason}"));
        if self.level == Some(ProtocolLevel::V5) && self.accepted {
            out.push(Output::Write(packet::encode_disconnect_v5(v5_reason)));
        }
        out.push(Output::Close);
        self.closed = true;
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        if self.closed {
            return out;
        }
        self.framer.push(bytes);
        // One packet per call: loop until the buffer holds no complete packet.
        while !self.closed {
            match self.framer.next_packet(self.level) {
                Ok(Some(p)) => self.on_packet(p, &mut out),
                Ok(None) => break,
                Err(e) => {
                    let reason = if matches!(e, packet::DecodeError::TooLarge { .. }) { 0x95 } else { 0x81 };
                    if let (None, packet::DecodeError::UnsupportedLevel(_)) = (self.level, &e) {
                        // MQTT 3.1.1 3.1.2.2: answer an unsupported level with CONNACK 0x01.
                        out.push(Output::Write(packet::encode_connack(ProtocolLevel::V3_1_1, false, 0x01)));
                    }
                    self.close(&mut out, &format!("decode failure: {e}"), reason);
                }
            }
        }
        out
    }

    fn on_packet(&mut self, p: Packet, out: &mut Vec<Output>) {
        let level = self.level.unwrap_or(ProtocolLevel::V3_1_1);
        if let Packet::Connect(c) = p {
            return self.on_connect(c, out);
        }
        // The framer decodes nothing but CONNECT first, and a refused CONNECT closes the session;
        // the platform is put back after each packet so handlers can borrow the rest of `self`.
        let Some(mut platform) = self.platform.take() else {
            self.close(out, "packet before an accepted CONNECT", 0x82);
            return;
        };
        match p {
            Packet::Connect(_) => {}
            Packet::Publish(publish) => self.on_publish(platform.as_mut(), publish, out),
            Packet::Subscribe { packet_id, filters } => {
                let mut codes = Vec::with_capacity(filters.len());
                let mut granted = Vec::new();
                for (filter, qos) in filters {
                    let verdict = if topic::is_valid_filter(&filter) {
                        platform.subscribe(&filter, qos)
                    } else {
                        SubscribeVerdict::Refuse { reason: "malformed topic filter".into() }
                    };
                    match verdict {
                        SubscribeVerdict::Grant { filter: f, qos } => {
                            codes.push(qos);
                            self.subs.add(f.clone(), qos);
                            granted.push(f);
                        }
                        SubscribeVerdict::Refuse { reason } => {
                            self.log(&format!("SUBSCRIBE {filter:?} refused (0x80): {reason}"));
                            codes.push(0x80);
                        }
                    }
                }
                out.push(Output::Write(packet::encode_suback(level, packet_id, &codes)));
                let mut outbox = Outbox::default();
                platform.subscribed(&granted, &mut outbox);
                self.apply(outbox, out);
            }
            Packet::Unsubscribe { packet_id, filters } => {
                for f in &filters {
                    self.subs.remove(f);
                }
                out.push(Output::Write(packet::encode_unsuback(level, packet_id, filters.len())));
            }
            Packet::Pingreq => out.push(Output::Write(packet::encode_pingresp())),
            Packet::Disconnect => {
                platform.closed(true);
                self.log("client sent DISCONNECT");
                self.closed = true;
                out.push(Output::Close);
                return;
            }
            Packet::Pubrel(id) => out.push(Output::Write(packet::encode_pubcomp(id))),
            Packet::Puback(_) | Packet::Pubrec(_) | Packet::Pubcomp(_) | Packet::Auth => {}
        }
        self.platform = Some(platform);
    }

    fn on_connect(&mut self, c: Connect, out: &mut Vec<Output>) {
        let level = c.level;
        self.level = Some(level);
        match self.gate.accept(&c, self.handle.clone()) {
            Ok(session) => {
                self.log(&format!(
                    "connected (client id {:?}, username {:?}, {:?})",
                    c.client_id,
                    c.username_str(),
                    level
                ));
                self.platform = Some(session);
                self.accepted = true;
                if c.keep_alive_s > 0 {
                    self.keep_alive = Some(Duration::from_secs(u64::from(c.keep_alive_s)));
                }
                out.push(Output::Write(packet::encode_connack(level, false, 0)));
            }
            Err(refusal) => {
                let code = if level.is_v5() { refusal.v5_code } else { refusal.v3_code };
                self.log(&format!("CONNECT refused (CONNACK 0x{code:02X}): {}", refusal.reason));
                out.push(Output::Write(packet::encode_connack(level, false, code)));
                self.close(out, "connection refused", code);
            }
        }
    }

    fn on_publish(&mut self, platform: &mut dyn PlatformSession, publish: Publish, out: &mut Vec<Output>) {
        let level = self.level.unwrap_or(ProtocolLevel::V3_1_1);
        if publish.qos == 2 {
            self.close(out, "PUBLISH at QoS 2, which this platform does not support", 0x9B);
            return;
        }
        let mut outbox = Outbox::default();
        let verdict = platform.publish(&publish, &mut outbox);
        let ack = |reason: u8, out: &mut Vec<Output>| {
            if let Some(id) = publish.packet_id {
                out.push(Output::Write(packet::encode_puback(level, id, reason)));
            }
        };
        match verdict {
            PublishVerdict::Accepted => {
                ack(0, out);
                self.apply(outbox, out);
            }
            PublishVerdict::TopicInvalid(why) => {
                self.log(&format!("PUBLISH to {:?} ignored: {why}", publish.topic));
                ack(0x90, out);
                self.apply(outbox, out);
            }
            PublishVerdict::PayloadInvalid(why) => {
                if level.is_v5() {
                    self.log(&format!("PUBLISH to {:?} rejected (PUBACK 0x99): {why}", publish.topic));
                    ack(0x99, out);
                    self.apply(outbox, out);
                } else {
                    self.close(out, &format!("invalid payload on {:?}: {why}", publish.topic), 0x99);
                }
            }
            PublishVerdict::Disconnect(why) => {
                self.apply(outbox, out);
                self.close(out, &why, 0x83);
            }
        }
    }

    pub fn on_push(&mut self, push: Push) -> Vec<Output> {
        let mut out = Vec::new();
        if self.closed {
            return out;
        }
        let mut outbox = Outbox::default();
        match push {
            Push::Deliver { topic, payload } => outbox.notify(topic, payload),
            Push::Close { reason } => {
                self.close(&mut out, &reason, 0x8B);
                return out;
            }
            other => {
                if let Some(p) = self.platform.as_deref_mut() {
                    p.push(other, &self.subs, &mut outbox);
                }
            }
        }
        self.apply(outbox, &mut out);
        out
    }

    /// Called once when the transport is gone, whatever the reason.
    pub fn on_transport_closed(&mut self) {
        if let Some(mut p) = self.platform.take() {
            p.closed(false);
        }
        self.closed = true;
    }

    fn apply(&mut self, outbox: Outbox, out: &mut Vec<Output>) {
        let level = self.level.unwrap_or(ProtocolLevel::V3_1_1);
        let max_qos = self.platform.as_ref().map_or(1, |p| p.max_delivery_qos());
        for action in outbox.actions {
            if self.closed {
                return;
            }
            match action {
                Action::Publish { topic, payload, delivery } => {
                    let qos = match (self.subs.qos_for(&topic), delivery) {
                        (Some(q), _) => q.min(max_qos),
                        (None, Delivery::Reply) => 0,
                        (None, Delivery::IfSubscribed) => continue,
                    };
                    let packet_id = if qos > 0 {
                        self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
                        self.next_packet_id
                    } else {
                        0
                    };
                    out.push(Output::Write(packet::encode_publish(level, &topic, &payload, qos, packet_id)));
                }
                Action::Close { reason } => self.close(out, &reason, 0x83),
                Action::CloseAfter { delay, reason } => {
                    self.log(&format!("will close in {} ms: {reason}", delay.as_millis()));
                    out.push(Output::CloseAfter(delay));
                }
            }
        }
    }
}

/// Bytes to the client, or the end of the connection.
#[derive(Debug)]
pub enum WireOut {
    Bytes(Vec<u8>),
    Close,
}

static NEXT_SESSION_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Runs one connection until either side closes it. `inbound` carries the client's bytes in
/// whatever pieces the transport delivers; `outbound` feeds the transport's writer.
pub async fn drive(
    gate: std::sync::Arc<dyn PlatformGate>,
    peer: String,
    mut inbound: mpsc::Receiver<Vec<u8>>,
    outbound: mpsc::UnboundedSender<WireOut>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let (handle, mut push_rx) =
        SessionHandle::channel(NEXT_SESSION_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let mut session = ServerSession::new(gate, handle, peer);
    let mut close_at: Option<Instant> = None;
    // A client must send CONNECT promptly; until then the idle limit is fixed.
    let mut last_input = Instant::now();
    loop {
        let idle_limit =
            session.idle_limit().or(if session.level.is_none() { Some(Duration::from_secs(30)) } else { None });
        let idle_deadline = idle_limit.map(|l| last_input + l);
        let deadline = match (idle_deadline, close_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let outputs = tokio::select! {
            chunk = inbound.recv() => match chunk {
                Some(bytes) => {
                    last_input = Instant::now();
                    session.on_bytes(&bytes)
                }
                None => break,
            },
            Some(push) = push_rx.recv() => session.on_push(push),
            _ = shutdown.changed() => session.on_push(Push::Close { reason: "simulator shutting down".into() }),
            _ = sleep_until_opt(deadline) => {
                if close_at.is_some_and(|t| t <= Instant::now()) {
                    session.on_push(Push::Close { reason: "scheduled close".into() })
                } else {
                    session.on_push(Push::Close { reason: "keep-alive expired".into() })
                }
            }
        };
        let mut closing = false;
        for o in outputs {
            match o {
                Output::Write(bytes) => {
                    let _ = outbound.send(WireOut::Bytes(bytes));
                }
                Output::Close => closing = true,
                Output::CloseAfter(delay) => {
                    let t = Instant::now() + delay;
                    close_at = Some(close_at.map_or(t, |c| c.min(t)));
                }
            }
        }
        if closing || session.is_closed() {
            break;
        }
    }
    session.on_transport_closed();
    let _ = outbound.send(WireOut::Close);
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
