//! The pure MQTT session: wraps mqtt-protocol-core's client `Connection`, validates what the
//! application asks for, and turns packets into typed events. No sockets, no clock, no web-sys.
//!
//! Every input (`connect`, `publish`, `feed`, `timer_fired`, `notify_closed`, ...) returns the
//! events it caused, named by direction as in mqtt-protocol-core: `Request*` are jobs for the
//! I/O shell (send bytes, arm a timer, close the socket), `Notify*` are news for the application.

pub mod backoff;
pub mod framing;
pub mod offline_queue;
pub mod options;
pub mod reason;
pub mod router;
pub mod topic;

use std::collections::HashMap;

use mqtt_protocol_core::mqtt;
use mqtt_protocol_core::mqtt::connection::Event as CoreEvent;
use mqtt_protocol_core::mqtt::packet::{GenericPacket, Property, SubEntry, SubOpts};
use mqtt_protocol_core::mqtt::prelude::*;

use crate::error::ClientError;
use offline_queue::{OfflineQueue, Queued};
pub use options::{ConnAck, ConnectOptions, Message, Outgoing, ProtocolVersion, QoS, Will};
use reason::{ConnectRefusal, ReasonCode};
pub use router::Router;
use topic::{validate_topic_filter, validate_topic_name};

/// The timers the shell keeps, one handle per kind: arming a kind again replaces its old timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// Send PINGREQ when the connection has been idle for the keepalive.
    PingreqSend,
    /// Give up when no PINGRESP arrives in time.
    PingrespRecv,
    /// Only servers use it; kept so the mapping from the core is total.
    PingreqRecv,
    /// Give up when no CONNACK arrives in time.
    ConnectTimeout,
    /// The shell's: time for the next reconnect attempt.
    Reconnect,
}

impl From<mqtt::connection::TimerKind> for TimerKind {
    fn from(kind: mqtt::connection::TimerKind) -> Self {
        match kind {
            mqtt::connection::TimerKind::PingreqSend => Self::PingreqSend,
            mqtt::connection::TimerKind::PingrespRecv => Self::PingrespRecv,
            mqtt::connection::TimerKind::PingreqRecv => Self::PingreqRecv,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// Write these bytes to the socket (one complete MQTT packet).
    RequestSend(Vec<u8>),
    RequestTimerReset {
        kind: TimerKind,
        duration_ms: u64,
    },
    RequestTimerCancel(TimerKind),
    /// Close the socket.
    RequestClose,
    NotifyConnected(ConnAck),
    /// The CONNECT failed: refused, timed out, or the socket went away first.
    NotifyConnectFailed(ClientError),
    NotifyMessage(Message),
    /// A publish that did not complete on hand-off finished: PUBACK, PUBCOMP, an error reason code,
    /// a queued QoS 0 message flushed (or dropped from a full queue), or the connection lost.
    NotifyPublishCompleted {
        token: u64,
        result: Result<(), ClientError>,
    },
    /// The SUBACK, one result per filter in the order they were asked for.
    NotifySubscribed {
        packet_id: u16,
        results: Vec<Result<QoS, ClientError>>,
    },
    NotifyUnsubscribed {
        packet_id: u16,
        results: Vec<Result<(), ClientError>>,
    },
    /// An established connection ended: server DISCONNECT, ping timeout or malformed input.
    NotifyConnectionLost(ClientError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Connecting,
    Connected,
}

/// What `publish` did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishTicket {
    /// Names the message in `NotifyPublishCompleted`.
    pub token: u64,
    /// The packet id of a QoS 1 or 2 message sent now.
    pub packet_id: Option<u16>,
    /// Waiting in the offline queue for a connection.
    pub queued: bool,
}

impl PublishTicket {
    /// Whether a `NotifyPublishCompleted` will follow (otherwise it completed on hand-off).
    pub fn completes_later(&self) -> bool {
        self.queued || self.packet_id.is_some()
    }
}

pub struct Session {
    conn: mqtt::Connection<mqtt::role::Client>,
    options: ConnectOptions,
    phase: Phase,
    connack: Option<ConnAck>,
    /// In-flight QoS >= 1 publishes by packet id: their token and the message, kept so that a lost
    /// connection can send them again.
    publishes: HashMap<u16, (u64, Outgoing)>,
    next_token: u64,
    /// With a queue, publishes wait for the connection and in-flight ones survive its loss.
    queue: Option<OfflineQueue>,
    /// Set after the first CONNACK: later CONNECTs of an MQTT 5 session with an expiry resume it.
    connected_before: bool,
    /// Granted subscriptions, restored after a reconnect when the broker has no session for us.
    subscriptions: Vec<(String, QoS)>,
    /// Filters asked for in each pending SUBSCRIBE, with their requested QoS.
    subscribe_qos: HashMap<u16, Vec<QoS>>,
    /// The start of a packet whose end has not arrived yet.
    inbound: Vec<u8>,
    subscribes: HashMap<u16, Vec<String>>,
    unsubscribes: HashMap<u16, Vec<String>>,
}

impl Session {
    pub fn new(options: ConnectOptions) -> Self {
        let version = match options.version {
            ProtocolVersion::V3_1_1 => mqtt::Version::V3_1_1,
            ProtocolVersion::V5 => mqtt::Version::V5_0,
        };
        let mut conn = mqtt::Connection::<mqtt::role::Client>::new(version);
        conn.set_auto_pub_response(true);
        conn.set_auto_ping_response(true);
        if options.keepalive_secs > 0 {
            conn.set_pingresp_recv_timeout(options.effective_ping_timeout_ms());
        }
        Self {
            conn,
            options,
            phase: Phase::Idle,
            connack: None,
            publishes: HashMap::new(),
            next_token: 0,
            queue: None,
            connected_before: false,
            subscriptions: Vec::new(),
            subscribe_qos: HashMap::new(),
            inbound: Vec::new(),
            subscribes: HashMap::new(),
            unsubscribes: HashMap::new(),
        }
    }

    /// Turns on the offline queue: publishes made while disconnected wait in it, and in-flight
    /// QoS >= 1 messages of a lost connection are sent again on the next one.
    pub fn set_offline_queue(&mut self, options: options::OfflineQueueOptions) {
        self.queue = Some(OfflineQueue::new(options));
    }

    /// Messages waiting for a connection (and in-flight ones a lost connection left behind).
    pub fn queued(&self) -> usize {
        self.queue.as_ref().map_or(0, OfflineQueue::len)
    }

    /// QoS >= 1 messages sent and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.publishes.len()
    }

    /// Whether the broker keeps this session across connections, so the core resends in-flight
    /// packets itself (clean session off, or an MQTT 5 session expiry).
    pub fn resumes_session(&self) -> bool {
        !self.options.clean_start
            || (self.options.version == ProtocolVersion::V5 && self.options.session_expiry_secs.unwrap_or(0) > 0)
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The CONNACK of the current connection, once connected.
    pub fn connack(&self) -> Option<&ConnAck> {
        self.connack.as_ref()
    }

    /// The largest packet the broker accepts, when it announced one (MQTT 5).
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.connack.as_ref().and_then(|c| c.maximum_packet_size)
    }

    /// Sends CONNECT; call it once the socket is open.
    pub fn connect(&mut self) -> Result<Vec<SessionEvent>, ClientError> {
        if self.phase != Phase::Idle {
            return Err(ClientError::InvalidOption {
                field: "connect",
                reason: "already connecting or connected".into(),
            });
        }
        let packet = self.build_connect()?;
        let mut out = self.send(packet)?;
        self.phase = Phase::Connecting;
        out.push(SessionEvent::RequestTimerReset {
            kind: TimerKind::ConnectTimeout,
            duration_ms: self.options.connect_timeout_ms,
        });
        Ok(out)
    }

    fn build_connect(&self) -> Result<GenericPacket<u16>, ClientError> {
        let o = &self.options;
        let bad = |field: &'static str| {
            move |e: mqtt::result_code::MqttError| ClientError::InvalidOption { field, reason: format!("{e:?}") }
        };
        if let Some(will) = &o.will {
            validate_topic_name(&will.topic)?;
        }
        if o.password.is_some() && o.username.is_none() && o.version == ProtocolVersion::V3_1_1 {
            return Err(ClientError::InvalidOption {
                field: "password",
                reason: "MQTT 3.1.1 allows a password only together with a user name".into(),
            });
        }
        Ok(match o.version {
            ProtocolVersion::V3_1_1 => {
                let mut b = mqtt::packet::v3_1_1::Connect::builder()
                    .client_id(o.client_id.as_str())
                    .map_err(bad("clientId"))?
                    .keep_alive(o.keepalive_secs)
                    .clean_session(o.clean_start);
                if let Some(u) = &o.username {
                    b = b.user_name(u.as_str()).map_err(bad("username"))?;
                }
                if let Some(p) = &o.password {
                    b = b.password(p.as_str()).map_err(bad("password"))?;
                }
                if let Some(w) = &o.will {
                    b = b.will_message(w.topic.as_str(), &w.payload, core_qos(w.qos), w.retain).map_err(bad("will"))?;
                }
                b.build().map_err(bad("connect"))?.into()
            }
            ProtocolVersion::V5 => {
                // A reconnect resumes the session the first CONNECT asked the broker to keep.
                let resume = self.connected_before && o.session_expiry_secs.unwrap_or(0) > 0;
                let mut b = mqtt::packet::v5_0::Connect::builder()
                    .client_id(o.client_id.as_str())
                    .map_err(bad("clientId"))?
                    .keep_alive(o.keepalive_secs)
                    .clean_start(o.clean_start && !resume);
                if let Some(u) = &o.username {
                    b = b.user_name(u.as_str()).map_err(bad("username"))?;
                }
                if let Some(p) = &o.password {
                    b = b.password(p.as_str()).map_err(bad("password"))?;
                }
                if let Some(w) = &o.will {
                    b = b.will_message(w.topic.as_str(), &w.payload, core_qos(w.qos), w.retain).map_err(bad("will"))?;
                }
                if let Some(secs) = o.session_expiry_secs {
                    let prop = mqtt::packet::SessionExpiryInterval::new(secs).map_err(bad("sessionExpirySecs"))?;
                    b = b.props(vec![prop.into()]);
                }
                b.build().map_err(bad("connect"))?.into()
            }
        })
    }

    /// Sends PUBLISH, or queues it while disconnected when the offline queue is on. A QoS 0 message
    /// sent now is complete on hand-off; anything else completes later with `NotifyPublishCompleted`.
    pub fn publish(&mut self, msg: &Outgoing) -> Result<(PublishTicket, Vec<SessionEvent>), ClientError> {
        validate_topic_name(&msg.topic)?;
        if let Some(max) = self.connack.as_ref().and_then(|c| c.maximum_qos) {
            if msg.qos > max {
                return Err(ClientError::QosNotSupported { requested: msg.qos, maximum: max });
            }
        }
        let size = publish_packet_size(self.options.version, msg.topic.len(), msg.payload.len(), msg.qos);
        if let Some(max) = self.maximum_packet_size() {
            if size > max as usize {
                return Err(ClientError::PacketTooLarge { size, max: max as usize });
            }
        }
        let token = self.token();
        if self.phase != Phase::Connected {
            let Some(queue) = self.queue.as_mut() else { return Err(ClientError::NotConnected) };
            let dropped = queue.push(Queued { token, message: msg.clone() })?;
            let events = dropped
                .into_iter()
                .map(|token| SessionEvent::NotifyPublishCompleted { token, result: Err(ClientError::DroppedFromQueue) })
                .collect();
            return Ok((PublishTicket { token, packet_id: None, queued: true }, events));
        }
        let (packet_id, events) = self.send_publish(token, msg)?;
        Ok((PublishTicket { token, packet_id, queued: false }, events))
    }

    fn send_publish(&mut self, token: u64, msg: &Outgoing) -> Result<(Option<u16>, Vec<SessionEvent>), ClientError> {
        let packet_id = match msg.qos {
            QoS::AtMostOnce => None,
            _ => Some(self.conn.acquire_packet_id().map_err(|_| ClientError::PacketIdsExhausted)?),
        };
        let built = self.build_publish(msg, packet_id);
        let sent = built.and_then(|p| self.send(p));
        match sent {
            Ok(out) => {
                if let Some(id) = packet_id {
                    self.publishes.insert(id, (token, msg.clone()));
                }
                Ok((packet_id, out))
            }
            Err(e) => {
                if let Some(id) = packet_id {
                    let _ = self.conn.release_packet_id(id);
                }
                Err(e)
            }
        }
    }

    /// Sends everything the queue holds, in order, right after CONNACK.
    fn flush_queue(&mut self, out: &mut Vec<SessionEvent>) {
        let items = match self.queue.as_mut() {
            Some(q) => q.drain(),
            None => return,
        };
        for item in items {
            match self.send_publish(item.token, &item.message) {
                Ok((packet_id, events)) => {
                    out.extend(events);
                    if packet_id.is_none() {
                        out.push(SessionEvent::NotifyPublishCompleted { token: item.token, result: Ok(()) });
                    }
                }
                Err(e) => out.push(SessionEvent::NotifyPublishCompleted { token: item.token, result: Err(e) }),
            }
        }
    }

    /// In-flight publishes the broker will not resend for us go back to the front of the queue.
    fn requeue_in_flight(&mut self) {
        let Some(queue) = self.queue.as_mut() else { return };
        let mut pending: Vec<(u64, Outgoing)> = self.publishes.drain().map(|(_, v)| v).collect();
        pending.sort_by_key(|(token, _)| *token);
        queue.push_front_all(pending.into_iter().map(|(token, message)| Queued { token, message }).collect());
    }

    fn build_publish(&self, msg: &Outgoing, packet_id: Option<u16>) -> Result<GenericPacket<u16>, ClientError> {
        let bad = |e: mqtt::result_code::MqttError| ClientError::InvalidTopic {
            topic: msg.topic.chars().take(120).collect(),
            reason: if e == mqtt::result_code::MqttError::MalformedPacket {
                "the topic could not be encoded"
            } else {
                "the publish could not be encoded"
            },
        };
        // The two versions' builders share no trait, only their method names.
        macro_rules! publish_packet {
            ($version:ident) => {{
                let mut b = mqtt::packet::$version::Publish::builder()
                    .topic_name(msg.topic.as_str())
                    .map_err(bad)?
                    .qos(core_qos(msg.qos))
                    .retain(msg.retain)
                    .payload(msg.payload.as_slice());
                if let Some(id) = packet_id {
                    b = b.packet_id(id);
                }
                b.build().map_err(bad)?.into()
            }};
        }
        Ok(match self.options.version {
            ProtocolVersion::V3_1_1 => publish_packet!(v3_1_1),
            ProtocolVersion::V5 => publish_packet!(v5_0),
        })
    }

    /// Sends SUBSCRIBE for one or more filters; the SUBACK arrives as `NotifySubscribed`.
    pub fn subscribe(&mut self, filters: &[(String, QoS)]) -> Result<(u16, Vec<SessionEvent>), ClientError> {
        if filters.is_empty() {
            return Err(ClientError::InvalidOption {
                field: "filters",
                reason: "give at least one topic filter".into(),
            });
        }
        for (f, _) in filters {
            validate_topic_filter(f)?;
        }
        self.require_connected()?;
        let mut entries = Vec::with_capacity(filters.len());
        for (f, q) in filters {
            let entry = SubEntry::new(f.as_str(), SubOpts::new().set_qos(core_qos(*q))).map_err(|_| {
                ClientError::InvalidFilter { filter: f.clone(), reason: "the filter could not be encoded" }
            })?;
            entries.push(entry);
        }
        let id = self.conn.acquire_packet_id().map_err(|_| ClientError::PacketIdsExhausted)?;
        let built = match self.options.version {
            ProtocolVersion::V3_1_1 => {
                mqtt::packet::v3_1_1::Subscribe::builder().packet_id(id).entries(entries).build().map(Into::into)
            }
            ProtocolVersion::V5 => {
                mqtt::packet::v5_0::Subscribe::builder().packet_id(id).entries(entries).build().map(Into::into)
            }
        }
        .map_err(|e| ClientError::Protocol { detail: format!("SUBSCRIBE could not be built: {e:?}") });
        match built.and_then(|p| self.send(p)) {
            Ok(out) => {
                self.subscribes.insert(id, filters.iter().map(|(f, _)| f.clone()).collect());
                self.subscribe_qos.insert(id, filters.iter().map(|(_, q)| *q).collect());
                Ok((id, out))
            }
            Err(e) => {
                let _ = self.conn.release_packet_id(id);
                Err(e)
            }
        }
    }

    /// Sends UNSUBSCRIBE; the UNSUBACK arrives as `NotifyUnsubscribed`.
    pub fn unsubscribe(&mut self, filters: &[String]) -> Result<(u16, Vec<SessionEvent>), ClientError> {
        if filters.is_empty() {
            return Err(ClientError::InvalidOption {
                field: "filters",
                reason: "give at least one topic filter".into(),
            });
        }
        for f in filters {
            validate_topic_filter(f)?;
        }
        self.require_connected()?;
        let id = self.conn.acquire_packet_id().map_err(|_| ClientError::PacketIdsExhausted)?;
        let names: Vec<&str> = filters.iter().map(String::as_str).collect();
        let built: Result<GenericPacket<u16>, _> = match self.options.version {
            ProtocolVersion::V3_1_1 => mqtt::packet::v3_1_1::Unsubscribe::builder()
                .packet_id(id)
                .entries(names)
                .and_then(|b| b.build())
                .map(Into::into),
            ProtocolVersion::V5 => mqtt::packet::v5_0::Unsubscribe::builder()
                .packet_id(id)
                .entries(names)
                .and_then(|b| b.build())
                .map(Into::into),
        };
        let built =
            built.map_err(|e| ClientError::Protocol { detail: format!("UNSUBSCRIBE could not be built: {e:?}") });
        match built.and_then(|p| self.send(p)) {
            Ok(out) => {
                self.unsubscribes.insert(id, filters.to_vec());
                Ok((id, out))
            }
            Err(e) => {
                let _ = self.conn.release_packet_id(id);
                Err(e)
            }
        }
    }

    /// Sends DISCONNECT (when connected) and asks for the socket to close.
    pub fn disconnect(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        if self.phase == Phase::Connected {
            let packet: Option<GenericPacket<u16>> = match self.options.version {
                ProtocolVersion::V3_1_1 => mqtt::packet::v3_1_1::Disconnect::builder().build().ok().map(Into::into),
                ProtocolVersion::V5 => mqtt::packet::v5_0::Disconnect::builder()
                    .reason_code(mqtt::result_code::DisconnectReasonCode::NormalDisconnection)
                    .build()
                    .ok()
                    .map(Into::into),
            };
            if let Some(p) = packet {
                let events = self.conn.send(p);
                self.absorb(events, &mut out);
            }
        }
        if !out.contains(&SessionEvent::RequestClose) {
            out.push(SessionEvent::RequestClose);
        }
        out
    }

    /// Feeds bytes from the socket. Consumes all of them: several packets in one call, and a
    /// packet split across calls, are both fine. Malformed input ends the connection.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        if self.phase == Phase::Idle {
            return out;
        }
        // Whole packets straight from the caller's buffer; only a split packet is copied.
        if self.inbound.is_empty() {
            let used = self.feed_packets(bytes, &mut out);
            if self.phase != Phase::Idle {
                self.inbound.extend_from_slice(&bytes[used..]);
            }
        } else {
            let mut buffer = std::mem::take(&mut self.inbound);
            buffer.extend_from_slice(bytes);
            let used = self.feed_packets(&buffer, &mut out);
            if self.phase != Phase::Idle {
                buffer.drain(..used);
                self.inbound = buffer;
            }
        }
        out
    }

    /// Hands each whole, vetted packet to the core; returns how many bytes were used.
    fn feed_packets(&mut self, bytes: &[u8], out: &mut Vec<SessionEvent>) -> usize {
        let mut used = 0;
        while self.phase != Phase::Idle {
            let rest = &bytes[used..];
            let len = match framing::next_frame(rest) {
                framing::Frame::Packet(len) => len,
                framing::Frame::Incomplete => break,
                framing::Frame::Malformed(why) => {
                    self.refuse_input(why, out);
                    break;
                }
            };
            let packet = &rest[..len];
            if let Err(why) = framing::check_packet(packet) {
                self.refuse_input(why, out);
                break;
            }
            let mut cursor = mqtt::common::Cursor::new(packet);
            let events = self.conn.recv(&mut cursor);
            self.absorb(events, out);
            used += len;
        }
        used
    }

    /// Bytes that are not acceptable MQTT end the connection, as a malformed packet would.
    fn refuse_input(&mut self, why: &'static str, out: &mut Vec<SessionEvent>) {
        self.fail(ClientError::Protocol { detail: why.into() }, out);
    }

    /// Ends the connection with `error`: a failed connect while connecting, a lost connection after.
    fn fail(&mut self, error: ClientError, out: &mut Vec<SessionEvent>) {
        let was = self.phase;
        self.end(out);
        out.push(match was {
            Phase::Connecting => SessionEvent::NotifyConnectFailed(error),
            _ => SessionEvent::NotifyConnectionLost(error),
        });
        if !out.contains(&SessionEvent::RequestClose) {
            out.push(SessionEvent::RequestClose);
        }
    }

    /// A timer the shell armed has fired.
    pub fn timer_fired(&mut self, kind: TimerKind) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        let core_kind = match kind {
            TimerKind::ConnectTimeout => {
                if self.phase == Phase::Connecting {
                    self.end(&mut out);
                    out.push(SessionEvent::NotifyConnectFailed(ClientError::ConnectTimeout {
                        timeout_ms: self.options.connect_timeout_ms,
                    }));
                    out.push(SessionEvent::RequestClose);
                }
                return out;
            }
            TimerKind::PingreqSend => mqtt::connection::TimerKind::PingreqSend,
            TimerKind::PingrespRecv => mqtt::connection::TimerKind::PingrespRecv,
            TimerKind::PingreqRecv => mqtt::connection::TimerKind::PingreqRecv,
            TimerKind::Reconnect => return out,
        };
        if self.phase == Phase::Idle {
            return out;
        }
        let events = self.conn.notify_timer_fired(core_kind);
        let closing = events.iter().any(|e| matches!(e, CoreEvent::RequestClose));
        self.absorb(events, &mut out);
        if closing && kind == TimerKind::PingrespRecv && self.phase != Phase::Idle {
            self.end(&mut out);
            out.push(SessionEvent::NotifyConnectionLost(ClientError::PingTimeout));
        }
        out
    }

    /// The socket closed (for whatever reason). Fails whatever was waiting for an answer.
    pub fn notify_closed(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        let was = self.phase;
        self.end(&mut out);
        if was == Phase::Connecting {
            out.push(SessionEvent::NotifyConnectFailed(ClientError::ConnectionLost));
        }
        out
    }

    /// Moves to Idle: tells the core, cancels timers and fails every pending request.
    fn end(&mut self, out: &mut Vec<SessionEvent>) {
        if self.phase == Phase::Idle {
            return;
        }
        self.phase = Phase::Idle;
        self.connack = None;
        self.inbound.clear();
        let events = self.conn.notify_closed();
        self.absorb(events, out);
        out.push(SessionEvent::RequestTimerCancel(TimerKind::ConnectTimeout));
        if self.queue.is_some() {
            // The core keeps a resumable session's in-flight packets and resends them (DUP) when
            // the broker says the session is present; otherwise we send them again ourselves.
            if !self.resumes_session() {
                self.requeue_in_flight();
            }
        } else {
            for (_, (token, _)) in self.publishes.drain() {
                out.push(SessionEvent::NotifyPublishCompleted { token, result: Err(ClientError::ConnectionLost) });
            }
        }
        self.subscribe_qos.clear();
        for (packet_id, filters) in self.subscribes.drain() {
            let results = filters.iter().map(|_| Err(ClientError::ConnectionLost)).collect();
            out.push(SessionEvent::NotifySubscribed { packet_id, results });
        }
        for (packet_id, filters) in self.unsubscribes.drain() {
            let results = filters.iter().map(|_| Err(ClientError::ConnectionLost)).collect();
            out.push(SessionEvent::NotifyUnsubscribed { packet_id, results });
        }
    }

    fn require_connected(&self) -> Result<(), ClientError> {
        if self.phase == Phase::Connected {
            Ok(())
        } else {
            Err(ClientError::NotConnected)
        }
    }

    /// Hands a packet to the core; an error the core reports for it becomes this call's error.
    fn send(&mut self, packet: GenericPacket<u16>) -> Result<Vec<SessionEvent>, ClientError> {
        let events = self.conn.send(packet);
        if let Some(e) = events.iter().find_map(|e| match e {
            CoreEvent::NotifyError(err) => Some(*err),
            _ => None,
        }) {
            return Err(match e {
                mqtt::result_code::MqttError::PacketTooLarge => {
                    ClientError::PacketTooLarge { size: 0, max: self.maximum_packet_size().unwrap_or(0) as usize }
                }
                mqtt::result_code::MqttError::PacketIdentifierFullyUsed => ClientError::PacketIdsExhausted,
                other => ClientError::Protocol { detail: format!("the packet could not be sent: {other:?}") },
            });
        }
        let mut out = Vec::with_capacity(events.len());
        self.absorb(events, &mut out);
        Ok(out)
    }

    fn absorb(&mut self, events: Vec<CoreEvent>, out: &mut Vec<SessionEvent>) {
        for event in events {
            match event {
                CoreEvent::RequestSendPacket { packet, .. } => {
                    out.push(SessionEvent::RequestSend(packet.to_continuous_buffer()))
                }
                CoreEvent::RequestTimerReset { kind, duration_ms } => {
                    out.push(SessionEvent::RequestTimerReset { kind: kind.into(), duration_ms })
                }
                CoreEvent::RequestTimerCancel(kind) => out.push(SessionEvent::RequestTimerCancel(kind.into())),
                CoreEvent::RequestClose => {
                    if !out.contains(&SessionEvent::RequestClose) {
                        out.push(SessionEvent::RequestClose)
                    }
                }
                CoreEvent::NotifyPacketReceived(packet) => self.on_packet(packet, out),
                CoreEvent::NotifyPacketIdReleased(_) => {}
                CoreEvent::NotifyError(e) => self.on_error(e, out),
            }
        }
    }

    fn on_error(&mut self, e: mqtt::result_code::MqttError, out: &mut Vec<SessionEvent>) {
        self.fail(ClientError::Protocol { detail: format!("{e:?}") }, out);
    }

    fn on_packet(&mut self, packet: GenericPacket<u16>, out: &mut Vec<SessionEvent>) {
        use GenericPacket as P;
        match packet {
            P::V3_1_1Connack(c) => {
                let code = c.return_code() as u8;
                if code == 0 {
                    self.on_connected(
                        ConnAck {
                            session_present: c.session_present(),
                            maximum_packet_size: None,
                            maximum_qos: None,
                            receive_maximum: None,
                            assigned_client_id: None,
                            server_keepalive_secs: None,
                        },
                        out,
                    );
                } else {
                    self.on_refused(code, ConnectRefusal::from_v3(code), out);
                }
            }
            P::V5_0Connack(c) => {
                let code = c.reason_code() as u8;
                if code < 0x80 {
                    self.on_connected(connack_v5(c.session_present(), c.props()), out);
                } else {
                    self.on_refused(code, ConnectRefusal::from_v5(code), out);
                }
            }
            P::V3_1_1Publish(p) => out.push(SessionEvent::NotifyMessage(Message {
                topic: p.topic_name().to_owned(),
                payload: p.payload().as_slice().to_vec(),
                qos: qos_from_core(p.qos()),
                retain: p.retain(),
                dup: p.dup(),
            })),
            P::V5_0Publish(p) => out.push(SessionEvent::NotifyMessage(Message {
                topic: p.topic_name().to_owned(),
                payload: p.payload().as_slice().to_vec(),
                qos: qos_from_core(p.qos()),
                retain: p.retain(),
                dup: p.dup(),
            })),
            P::V3_1_1Puback(p) => self.complete_publish(p.packet_id(), None, out),
            P::V5_0Puback(p) => self.complete_publish(p.packet_id(), p.reason_code().map(|r| r as u8), out),
            P::V5_0Pubrec(p) => {
                if let Some(code) = p.reason_code().map(|r| r as u8).filter(|c| *c >= 0x80) {
                    self.complete_publish(p.packet_id(), Some(code), out);
                }
            }
            P::V3_1_1Pubcomp(p) => self.complete_publish(p.packet_id(), None, out),
            P::V5_0Pubcomp(p) => self.complete_publish(p.packet_id(), None, out),
            P::V3_1_1Suback(s) => {
                let codes: Vec<u8> = s.return_codes().into_iter().map(|c| c as u8).collect();
                self.complete_subscribe(s.packet_id(), &codes, out);
            }
            P::V5_0Suback(s) => {
                let codes: Vec<u8> = s.reason_codes().into_iter().map(|c| c as u8).collect();
                self.complete_subscribe(s.packet_id(), &codes, out);
            }
            P::V3_1_1Unsuback(u) => self.complete_unsubscribe(u.packet_id(), &[], out),
            P::V5_0Unsuback(u) => {
                let codes: Vec<u8> = u.reason_codes().into_iter().map(|c| c as u8).collect();
                self.complete_unsubscribe(u.packet_id(), &codes, out);
            }
            P::V5_0Disconnect(d) => {
                let code = d.reason_code().map(|r| r as u8).unwrap_or(0);
                self.end(out);
                out.push(SessionEvent::NotifyConnectionLost(ClientError::ServerDisconnected {
                    reason: ReasonCode(code),
                }));
                if !out.contains(&SessionEvent::RequestClose) {
                    out.push(SessionEvent::RequestClose);
                }
            }
            _ => {}
        }
    }

    fn on_connected(&mut self, connack: ConnAck, out: &mut Vec<SessionEvent>) {
        self.phase = Phase::Connected;
        self.connected_before = true;
        if !connack.session_present {
            // The broker has no session: the core dropped its stored packets, so we resend.
            self.requeue_in_flight();
        }
        self.connack = Some(connack.clone());
        out.push(SessionEvent::RequestTimerCancel(TimerKind::ConnectTimeout));
        let restore = !connack.session_present && self.queue.is_some() && !self.subscriptions.is_empty();
        out.push(SessionEvent::NotifyConnected(connack));
        if restore {
            // Resubscribe before flushing, so messages the queue sends to our own filters come back.
            let subscriptions = self.subscriptions.clone();
            match self.subscribe(&subscriptions) {
                Ok((_, events)) => out.extend(events),
                Err(e) => out.push(SessionEvent::NotifyConnectionLost(e)),
            }
        }
        self.flush_queue(out);
    }

    /// The subscriptions the broker granted and that a reconnect restores.
    pub fn subscriptions(&self) -> &[(String, QoS)] {
        &self.subscriptions
    }

    /// Drops everything waiting (queued and in flight) and returns their tokens, for a client that
    /// gives up on the connection for good.
    pub fn discard_pending(&mut self) -> Vec<u64> {
        let mut tokens: Vec<u64> = self
            .publishes
            .drain()
            .map(|(id, (token, _))| {
                let _ = self.conn.release_packet_id(id);
                token
            })
            .collect();
        if let Some(q) = self.queue.as_mut() {
            tokens.extend(q.drain().into_iter().map(|q| q.token));
        }
        tokens
    }

    fn on_refused(&mut self, code: u8, refusal: ConnectRefusal, out: &mut Vec<SessionEvent>) {
        self.end(out);
        out.push(SessionEvent::NotifyConnectFailed(ClientError::ConnectRefused {
            version: self.options.version,
            code,
            refusal,
        }));
        if !out.contains(&SessionEvent::RequestClose) {
            out.push(SessionEvent::RequestClose);
        }
    }

    fn complete_publish(&mut self, packet_id: u16, code: Option<u8>, out: &mut Vec<SessionEvent>) {
        let Some((token, message)) = self.publishes.remove(&packet_id) else { return };
        let result = match code {
            Some(c) if c >= 0x80 => Err(ClientError::PublishRefused { topic: message.topic, reason: ReasonCode(c) }),
            _ => Ok(()),
        };
        out.push(SessionEvent::NotifyPublishCompleted { token, result });
    }

    fn complete_subscribe(&mut self, packet_id: u16, codes: &[u8], out: &mut Vec<SessionEvent>) {
        let Some(filters) = self.subscribes.remove(&packet_id) else { return };
        let asked = self.subscribe_qos.remove(&packet_id).unwrap_or_default();
        for (i, filter) in filters.iter().enumerate() {
            if matches!(codes.get(i), Some(0..=2)) {
                let qos = asked.get(i).copied().unwrap_or_default();
                self.subscriptions.retain(|(f, _)| f != filter);
                self.subscriptions.push((filter.clone(), qos));
            }
        }
        let results = filters
            .into_iter()
            .enumerate()
            .map(|(i, filter)| match codes.get(i).copied() {
                Some(c @ 0..=2) => Ok(qos_from_u8(c)),
                Some(c) => Err(ClientError::SubscribeRefused { filter, reason: ReasonCode(c) }),
                None => Err(ClientError::Protocol { detail: "the SUBACK has fewer codes than filters".into() }),
            })
            .collect();
        out.push(SessionEvent::NotifySubscribed { packet_id, results });
    }

    fn complete_unsubscribe(&mut self, packet_id: u16, codes: &[u8], out: &mut Vec<SessionEvent>) {
        let Some(filters) = self.unsubscribes.remove(&packet_id) else { return };
        self.subscriptions.retain(|(f, _)| !filters.contains(f));
        let results = filters
            .into_iter()
            .enumerate()
            .map(|(i, filter)| match codes.get(i).copied() {
                Some(c) if c >= 0x80 => Err(ClientError::UnsubscribeRefused { filter, reason: ReasonCode(c) }),
                _ => Ok(()),
            })
            .collect();
        out.push(SessionEvent::NotifyUnsubscribed { packet_id, results });
    }
}

fn connack_v5(session_present: bool, props: &[Property]) -> ConnAck {
    let mut c = ConnAck {
        session_present,
        maximum_packet_size: None,
        maximum_qos: None,
        receive_maximum: None,
        assigned_client_id: None,
        server_keepalive_secs: None,
    };
    for p in props {
        match p {
            Property::MaximumPacketSize(v) => c.maximum_packet_size = Some(v.val()),
            Property::MaximumQos(v) => c.maximum_qos = Some(qos_from_u8(v.val())),
            Property::ReceiveMaximum(v) => c.receive_maximum = Some(v.val()),
            Property::AssignedClientIdentifier(v) => c.assigned_client_id = Some(v.val().to_owned()),
            Property::ServerKeepAlive(v) => c.server_keepalive_secs = Some(v.val()),
            _ => {}
        }
    }
    c
}

fn core_qos(q: QoS) -> mqtt::packet::Qos {
    match q {
        QoS::AtMostOnce => mqtt::packet::Qos::AtMostOnce,
        QoS::AtLeastOnce => mqtt::packet::Qos::AtLeastOnce,
        QoS::ExactlyOnce => mqtt::packet::Qos::ExactlyOnce,
    }
}

fn qos_from_core(q: mqtt::packet::Qos) -> QoS {
    qos_from_u8(q as u8)
}

fn qos_from_u8(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// The encoded size of a PUBLISH, to check against the broker's maximum before building it.
pub fn publish_packet_size(version: ProtocolVersion, topic_len: usize, payload_len: usize, qos: QoS) -> usize {
    let id = if qos == QoS::AtMostOnce { 0 } else { 2 };
    let props = if version == ProtocolVersion::V5 { 1 } else { 0 };
    let remaining = 2 + topic_len + id + props + payload_len;
    let length_bytes = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    1 + length_bytes + remaining
}

/// A client id for a connection that gave none: "iotmqtt-" and 12 base-36 digits of `random`.
pub fn generate_client_id(random: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = random;
    let mut id = String::from("iotmqtt-");
    for _ in 0..12 {
        id.push(DIGITS[(n % 36) as usize] as char);
        n /= 36;
    }
    id
}
