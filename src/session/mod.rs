//! The pure MQTT session: the client side of the protocol (packet ids, the QoS 1 and 2 flows,
//! keepalive, what survives a lost connection) over the packets `packets` builds and parses. It
//! validates what the application asks for and turns packets into typed events. No sockets, no
//! clock, no web-sys.
//!
//! Every input (`connect`, `publish`, `feed`, `timer_fired`, `notify_closed`, ...) returns the
//! events it caused, named by direction as in mqtt-protocol-core: `Request*` are jobs for the
//! I/O shell (send bytes, arm a timer, close the socket), `Notify*` are news for the application.

pub mod auth;
pub mod backoff;
pub mod durable;
pub mod error;
pub mod framing;
pub mod in_flight;
pub mod offline_queue;
pub mod options;
pub mod packets;
pub mod reason;
pub mod request;
pub mod resubscribe;
pub mod router;
pub mod said;
pub mod topic;
pub mod topic_alias;

use std::collections::VecDeque;

use crate::collections::{heapsort, VecMap};
use in_flight::InFlight as InFlightTable;

pub use error::SessionError;
use offline_queue::{OfflineQueue, Queued};
use options::subscription::{has_wildcard, shared};
pub use options::{
    Authentication, ConnAck, ConnectOptions, Message, Outgoing, ProtocolVersion, PublishProperties, QoS,
    RetainHandling, SubscribeOptions, Will,
};
use packets::{Ack, Inbound};
use reason::{ConnectRefusal, ReasonCode};
pub use router::Router;
use said::Said;
use topic::{validate_topic_filter, validate_topic_name};
use topic_alias::{Naming, TopicAliases};

/// The timers the shell keeps, one handle per kind: arming a kind again replaces its old timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// Send PINGREQ when the connection has been idle for the keepalive.
    PingreqSend,
    /// Give up when no PINGRESP arrives in time.
    PingrespRecv,
    /// Give up when no CONNACK arrives in time.
    ConnectTimeout,
    /// The supervisor's: time for the next reconnect attempt.
    Reconnect,
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
    /// With stages kept (`Session::keep_stages`): write that the QoS 2 message `token` has packet id
    /// `packet_id` and stage `released` (its PUBREC came), then say so with `Session::written`. Its
    /// PUBLISH or PUBREL goes only then.
    #[cfg(feature = "durable")]
    RequestWrite {
        token: u64,
        packet_id: u16,
        released: bool,
    },
    NotifyConnected(ConnAck),
    /// MQTT 5: the broker named another server (Server Reference, with a refusing CONNACK or a
    /// DISCONNECT); the connection's failure follows.
    NotifyServerReference(String),
    /// The CONNECT failed: refused, timed out, or the socket went away first.
    NotifyConnectFailed(SessionError),
    NotifyMessage(Message),
    /// A publish that did not complete on hand-off finished: PUBACK, PUBCOMP, an error reason code,
    /// a queued QoS 0 message flushed (or dropped from a full queue), or the connection lost.
    NotifyPublishCompleted {
        token: u64,
        result: Result<(), SessionError>,
    },
    /// The SUBACK, one result per filter in the order they were asked for.
    NotifySubscribed {
        packet_id: u16,
        results: Vec<Result<QoS, SessionError>>,
    },
    NotifyUnsubscribed {
        packet_id: u16,
        results: Vec<Result<(), SessionError>>,
    },
    /// An established connection ended: server DISCONNECT, ping timeout or malformed input.
    NotifyConnectionLost(SessionError),
    /// MQTT 5 enhanced authentication: the broker's challenge (AUTH 0x18) and its data, before the
    /// CONNACK or in a re-authentication. `Session::authenticate` answers it.
    #[cfg(feature = "auth")]
    NotifyAuthChallenge(Option<Vec<u8>>),
    /// The re-authentication `Session::reauthenticate` started succeeded (AUTH 0x00), with the
    /// broker's last data.
    #[cfg(feature = "auth")]
    NotifyReauthenticated(Option<Vec<u8>>),
    /// A successful acknowledgement said more than "success": a success code other than 0x00, or
    /// the broker's Reason String or User Properties. It comes just before the publish's,
    /// subscription's or unsubscription's own completion.
    #[cfg(feature = "reason-strings")]
    NotifyAcknowledged(said::Acknowledged),
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
    /// Waiting to be sent: in the offline queue for a connection, or for a free slot under the
    /// broker's Receive Maximum (MQTT 5).
    pub queued: bool,
}

impl PublishTicket {
    /// Whether a `NotifyPublishCompleted` will follow (otherwise it completed on hand-off).
    pub fn completes_later(&self) -> bool {
        self.queued || self.packet_id.is_some()
    }
}

/// A QoS 1 or 2 message sent and not yet acknowledged.
#[derive(Debug, Clone)]
struct InFlight {
    token: u64,
    message: Outgoing,
    /// QoS 2 only: the PUBREC came and PUBREL went; PUBCOMP ends it. The number orders the PUBREC
    /// among the others, for resending PUBRELs in the order their PUBRECs came.
    released: Option<u64>,
    /// Its packet id and stage are written where the next page finds them (`durable`): until then,
    /// with stages kept, its PUBLISH or PUBREL waits. Always true without.
    written: bool,
}

pub struct Session {
    options: ConnectOptions,
    phase: Phase,
    connack: Option<ConnAck>,
    /// In-flight QoS >= 1 publishes by packet id, kept so that a lost connection can send them again.
    publishes: InFlightTable<InFlight>,
    /// QoS >= 1 publishes waiting for a slot under the broker's Receive Maximum, in order.
    held: VecDeque<Queued>,
    /// In-flight messages of a resumed session not resent yet, in order: the broker's Receive
    /// Maximum had no room for them (MQTT 5 §4.9). They keep their packet ids.
    unsent: VecDeque<u16>,
    /// Inbound QoS 2 packet ids acknowledged with PUBREC and not yet released: a resend of one of
    /// them is acknowledged again but not delivered twice (MQTT 3.1.1 §4.3.3).
    received_qos2: Vec<u16>,
    next_packet_id: u16,
    next_token: u64,
    next_release: u64,
    /// The PINGREQ interval of this connection: the keepalive, or the broker's Server Keep Alive.
    ping_interval_ms: u64,
    /// The PINGREQ timer fired while the CONNACK was awaited: the PINGREQ goes with the CONNACK.
    ping_overdue: bool,
    /// With a queue, publishes wait for the connection and in-flight ones survive its loss.
    queue: Option<OfflineQueue>,
    /// Set after the first CONNACK: later CONNECTs of an MQTT 5 session with an expiry resume it.
    connected_before: bool,
    /// Granted subscriptions, restored after a reconnect when the broker has no session for us.
    subscriptions: Vec<(String, QoS)>,
    /// The start of a packet whose end has not arrived yet.
    inbound: Vec<u8>,
    /// Filters (with their requested QoS) of each SUBSCRIBE waiting for its SUBACK.
    subscribes: VecMap<u16, Vec<(String, QoS)>>,
    unsubscribes: VecMap<u16, Vec<String>>,
    /// MQTT 5 Topic Aliases of the current connection, both ways.
    aliases: TopicAliases,
    /// The options of subscriptions made with them, for a reconnect (`resubscribe`).
    kept: resubscribe::Kept,
    /// Where an MQTT 5 enhanced authentication stands on this connection.
    #[cfg(feature = "auth")]
    auth: auth::Exchange,
    /// QoS 2 packet ids and stages are written before they are sent (`durable`).
    durable: bool,
}

impl Session {
    pub fn new(options: ConnectOptions) -> Self {
        Self {
            options,
            phase: Phase::Idle,
            connack: None,
            publishes: InFlightTable::default(),
            held: VecDeque::new(),
            unsent: VecDeque::new(),
            received_qos2: Vec::new(),
            next_packet_id: 1,
            next_token: 0,
            next_release: 0,
            ping_interval_ms: 0,
            ping_overdue: false,
            queue: None,
            connected_before: false,
            subscriptions: Vec::new(),
            inbound: Vec::new(),
            subscribes: VecMap::new(),
            unsubscribes: VecMap::new(),
            aliases: TopicAliases::default(),
            kept: resubscribe::Kept::new(),
            #[cfg(feature = "auth")]
            auth: auth::Exchange::default(),
            durable: false,
        }
    }

    /// Turns on the offline queue: publishes made while disconnected wait in it, and in-flight
    /// QoS >= 1 messages of a lost connection are sent again on the next one.
    pub fn set_offline_queue(&mut self, options: options::OfflineQueueOptions) {
        self.queue = Some(OfflineQueue::new(options));
    }

    /// Messages waiting to be sent: for a connection (with in-flight ones a lost connection left
    /// behind), or for a slot under the broker's Receive Maximum.
    pub fn queued(&self) -> usize {
        self.queue.as_ref().map_or(0, OfflineQueue::len) + self.held.len()
    }

    /// QoS >= 1 messages sent and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.publishes.len()
    }

    /// Whether the broker keeps this session across connections, so in-flight messages are resent
    /// with DUP when it says the session is present (clean session off, or an MQTT 5 session expiry).
    pub fn resumes_session(&self) -> bool {
        !self.options.clean_start
            || (self.options.version == ProtocolVersion::V5 && self.options.session_expiry_secs.unwrap_or(0) > 0)
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    /// The next packet id no pending publish, SUBSCRIBE or UNSUBSCRIBE uses.
    fn packet_id(&mut self) -> Result<u16, SessionError> {
        for _ in 0..u16::MAX {
            let id = self.next_packet_id;
            self.next_packet_id = if id == u16::MAX { 1 } else { id + 1 };
            let used =
                self.publishes.contains(id) || self.subscribes.contains_key(&id) || self.unsubscribes.contains_key(&id);
            if !used {
                return Ok(id);
            }
        }
        Err(SessionError::PacketIdsExhausted)
    }

    /// The user name and password of the next CONNECT (a credentials callback's answer).
    pub fn set_login(&mut self, username: Option<String>, password: Option<String>) {
        self.options.username = username;
        self.options.password = password;
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

    /// Whether the broker's Receive Maximum (MQTT 5) allows no more unacknowledged QoS >= 1 messages.
    /// A QoS 2 message whose packet id is still being written holds its slot (`durable`), so that
    /// new publishes wait in `held` rather than take packet ids and writes beyond the maximum.
    fn at_receive_maximum(&self) -> bool {
        let max = self.connack.as_ref().and_then(|c| c.receive_maximum);
        max.is_some_and(|m| self.publishes.len().saturating_sub(self.unsent.len()) >= usize::from(m))
    }

    /// Whether a message of `qos` must wait for a slot: behind held messages, or at the broker's
    /// Receive Maximum. QoS 0 never waits.
    fn must_hold(&self, qos: QoS) -> bool {
        qos != QoS::AtMostOnce && (self.at_receive_maximum() || !self.held.is_empty())
    }

    /// Sends CONNECT; call it once the socket is open.
    pub fn connect(&mut self) -> Result<Vec<SessionEvent>, SessionError> {
        if self.phase != Phase::Idle {
            return Err(SessionError::InvalidOption {
                field: "connect",
                reason: "already connecting or connected".into(),
            });
        }
        if let Some(will) = &self.options.will {
            validate_topic_name(&will.topic)?;
        }
        // A reconnect resumes the session the first CONNECT asked the broker to keep.
        let resume = self.options.version == ProtocolVersion::V5
            && self.connected_before
            && self.options.session_expiry_secs.unwrap_or(0) > 0;
        let bytes = packets::connect(&self.options, resume)?;
        self.ping_interval_ms = u64::from(self.options.keepalive_secs) * 1000;
        self.ping_overdue = false;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        self.phase = Phase::Connecting;
        out.push(SessionEvent::RequestTimerReset {
            kind: TimerKind::ConnectTimeout,
            duration_ms: self.options.connect_timeout_ms,
        });
        Ok(out)
    }

    /// Sends PUBLISH, or queues it while disconnected when the offline queue is on. A QoS 0 message
    /// sent now is complete on hand-off; anything else completes later with `NotifyPublishCompleted`.
    pub fn publish(&mut self, msg: &Outgoing) -> Result<(PublishTicket, Vec<SessionEvent>), SessionError> {
        validate_topic_name(&msg.topic)?;
        msg.properties.check(self.options.version, &msg.payload)?;
        // MQTT 5.0 §3.2.2.3.5: a broker without retained messages ends a connection that sends one.
        if msg.retain && self.connack.as_ref().is_some_and(|c| c.retain_available == Some(false)) {
            return Err(SessionError::InvalidOption {
                field: "retain",
                reason: "the broker keeps no retained messages (its CONNACK said Retain Available 0)".into(),
            });
        }
        if let Some(max) = self.connack.as_ref().and_then(|c| c.maximum_qos) {
            if msg.qos > max {
                return Err(SessionError::QosNotSupported { requested: msg.qos, maximum: max });
            }
        }
        let size = publish_size(self.options.version, msg);
        if let Some(max) = self.maximum_packet_size() {
            if size > max as usize {
                return Err(SessionError::PacketTooLarge { size, max: max as usize });
            }
        }
        let token = self.token();
        if self.phase != Phase::Connected {
            let Some(queue) = self.queue.as_mut() else { return Err(SessionError::NotConnected) };
            let dropped = queue.push(Queued { token, message: msg.clone() })?;
            let events = dropped
                .into_iter()
                .map(|token| SessionEvent::NotifyPublishCompleted {
                    token,
                    result: Err(SessionError::DroppedFromQueue),
                })
                .collect();
            return Ok((PublishTicket { token, packet_id: None, queued: true }, events));
        }
        if self.must_hold(msg.qos) {
            self.held.push_back(Queued { token, message: msg.clone() });
            return Ok((PublishTicket { token, packet_id: None, queued: true }, Vec::new()));
        }
        let mut out = Vec::new();
        let packet_id = self.send_publish(token, msg, &mut out)?;
        Ok((PublishTicket { token, packet_id, queued: false }, out))
    }

    fn send_publish(
        &mut self,
        token: u64,
        msg: &Outgoing,
        out: &mut Vec<SessionEvent>,
    ) -> Result<Option<u16>, SessionError> {
        let packet_id = match msg.qos {
            QoS::AtMostOnce => None,
            _ => Some(self.packet_id()?),
        };
        #[cfg(feature = "durable")]
        if let Some(id) = packet_id.filter(|_| self.writes(msg.qos)) {
            self.publishes.insert(id, InFlight { token, message: msg.clone(), released: None, written: false });
            out.push(SessionEvent::RequestWrite { token, packet_id: id, released: false });
            return Ok(packet_id);
        }
        // Topic Aliases are in the builds with the `mqtt5` feature (the npm platform entries leave them out).
        let naming = match self.options.version {
            ProtocolVersion::V5 if cfg!(feature = "mqtt5") => self.aliases.outbound(&msg.topic),
            _ => Naming::Topic,
        };
        let bytes = packets::publish(self.options.version, msg, packet_id, false, naming)?;
        self.emit(bytes, out)?;
        if let Some(id) = packet_id {
            self.publishes.insert(id, InFlight { token, message: msg.clone(), released: None, written: true });
        }
        Ok(packet_id)
    }

    /// Sends a queued message, or holds it behind the messages already waiting for a slot under
    /// the broker's Receive Maximum.
    fn send_or_hold(&mut self, token: u64, message: Outgoing, out: &mut Vec<SessionEvent>) {
        if self.must_hold(message.qos) {
            self.held.push_back(Queued { token, message });
            return;
        }
        self.send_waiting(token, message, out);
    }

    /// Sends a message that waited; its completion (or failure) is reported as an event.
    fn send_waiting(&mut self, token: u64, message: Outgoing, out: &mut Vec<SessionEvent>) {
        match self.send_publish(token, &message, out) {
            Ok(None) => out.push(SessionEvent::NotifyPublishCompleted { token, result: Ok(()) }),
            Ok(Some(_)) => {}
            Err(e) => out.push(SessionEvent::NotifyPublishCompleted { token, result: Err(e) }),
        }
    }

    /// Sends everything the queue holds, in order, right after CONNACK.
    fn flush_queue(&mut self, out: &mut Vec<SessionEvent>) {
        let items = match self.queue.as_mut() {
            Some(q) => q.drain(),
            None => return,
        };
        for item in items {
            self.send_or_hold(item.token, item.message, out);
        }
    }

    /// Sends held messages while the broker's Receive Maximum leaves room.
    pub(super) fn release_held(&mut self, out: &mut Vec<SessionEvent>) {
        while self.phase == Phase::Connected && !self.at_receive_maximum() {
            let Some(Queued { token, message }) = self.held.pop_front() else { break };
            self.send_waiting(token, message, out);
        }
    }

    /// In-flight publishes the broker will not resend for us go to the front of the held ones, in
    /// the order they were first sent, to be sent again as new messages (new packet ids, no DUP).
    fn unsend_in_flight(&mut self) {
        // Sorted as (token, id) pairs, the same sort as `resend_in_flight`'s: one instance in the wasm.
        let mut order: Vec<(u64, u16)> = self.publishes.iter().map(|(id, f)| (f.token, id)).collect();
        heapsort(&mut order);
        let mut publishes = std::mem::take(&mut self.publishes);
        for (token, id) in order.into_iter().rev() {
            if let Some(flight) = publishes.remove(id) {
                self.held.push_front(Queued { token, message: flight.message });
            }
        }
    }

    /// Sends SUBSCRIBE for one or more filters; the SUBACK arrives as `NotifySubscribed`.
    pub fn subscribe(&mut self, filters: &[(String, QoS)]) -> Result<(u16, Vec<SessionEvent>), SessionError> {
        validate_filters(filters.iter().map(|(f, _)| f))?;
        self.require_connected()?;
        let id = self.packet_id()?;
        let bytes = packets::subscribe(self.options.version, id, filters)?;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        self.subscribes.insert(id, filters.to_vec());
        Ok((id, out))
    }

    /// SUBSCRIBE with each filter's options, and (MQTT 5) a Subscription Identifier that the
    /// messages these filters match will carry. Checked first against MQTT 5.0 §3.8 and §4.8.2 and
    /// against what the broker's CONNACK said it supports. A reconnect to a broker that kept no
    /// session makes the subscription again with these options and identifier (with the
    /// `subscription-options` feature; without it, with its QoS alone: `resubscribe`).
    pub fn subscribe_with(
        &mut self,
        filters: &[(String, SubscribeOptions)],
        identifier: Option<u32>,
    ) -> Result<(u16, Vec<SessionEvent>), SessionError> {
        validate_filters(filters.iter().map(|(f, _)| f))?;
        self.check_subscriptions(filters, identifier)?;
        self.require_connected()?;
        let id = self.packet_id()?;
        let bytes = packets::subscribe_with(self.options.version, id, filters, identifier)?;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        self.subscribes.insert(id, filters.iter().map(|(f, o)| (f.clone(), o.qos)).collect());
        self.kept.asked(id, filters, identifier);
        Ok((id, out))
    }

    fn check_subscriptions(
        &self,
        filters: &[(String, SubscribeOptions)],
        identifier: Option<u32>,
    ) -> Result<(), SessionError> {
        let v5 = self.options.version == ProtocolVersion::V5;
        // One error built at one place: each site building its own cost the npm entries 0.3 KB.
        match subscription_problem(v5, self.connack.as_ref(), filters, identifier) {
            None => Ok(()),
            Some((Some(filter), _, reason)) => Err(SessionError::InvalidFilter { filter: filter.clone(), reason }),
            Some((None, field, reason)) => Err(SessionError::InvalidOption { field, reason: reason.into() }),
        }
    }

    /// Sends UNSUBSCRIBE; the UNSUBACK arrives as `NotifyUnsubscribed`.
    pub fn unsubscribe(&mut self, filters: &[String]) -> Result<(u16, Vec<SessionEvent>), SessionError> {
        validate_filters(filters.iter())?;
        self.require_connected()?;
        let id = self.packet_id()?;
        let bytes = packets::unsubscribe(self.options.version, id, filters)?;
        let mut out = Vec::new();
        self.emit(bytes, &mut out)?;
        self.unsubscribes.insert(id, filters.to_vec());
        Ok((id, out))
    }

    /// Sends DISCONNECT (when connected) and asks for the socket to close.
    pub fn disconnect(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        if self.phase == Phase::Connected {
            let _ = self.emit(packets::disconnect(self.options.version, 0), &mut out);
        }
        close(&mut out);
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
                self.inbound.extend_from_slice(bytes.get(used..).unwrap_or_default());
            }
        } else {
            let mut buffer = std::mem::take(&mut self.inbound);
            buffer.extend_from_slice(bytes);
            let used = self.feed_packets(&buffer, &mut out);
            if self.phase != Phase::Idle {
                buffer.drain(..used.min(buffer.len()));
                self.inbound = buffer;
            }
        }
        out
    }

    /// The broker sent a WebSocket text frame, which MQTT does not allow (MQTT-6.0.0-1): the
    /// connection ends with a protocol error.
    pub fn text_frame(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        if self.phase != Phase::Idle {
            self.fail(SessionError::Protocol { detail: "a WebSocket text frame".into() }, &mut out);
        }
        out
    }

    /// Handles each whole, vetted packet; returns how many bytes were used.
    fn feed_packets(&mut self, bytes: &[u8], out: &mut Vec<SessionEvent>) -> usize {
        let mut used = 0;
        let (v5, max) = (self.options.version == ProtocolVersion::V5, self.options.maximum_packet_size);
        while self.phase != Phase::Idle {
            let rest = bytes.get(used..).unwrap_or_default();
            let len = match framing::next_frame(rest, v5, max) {
                framing::Frame::Packet(len) => len,
                framing::Frame::Incomplete => break,
                framing::Frame::Malformed(why) => {
                    self.malformed(why, out);
                    break;
                }
                framing::Frame::TooLarge(size) => {
                    self.say_why(0x95, out); // "packet too large"
                    self.fail(SessionError::IncomingPacketTooLarge { size, max }, out);
                    break;
                }
            };
            let packet = rest.get(..len).unwrap_or_default();
            let inbound = match packets::read(v5, packet).and_then(|p| self.resolve_alias(p)) {
                Ok(inbound) => inbound,
                Err(why) => {
                    self.malformed(why, out);
                    break;
                }
            };
            if let Err(e) = self.on_packet(inbound, out) {
                // A packet out of place is a protocol error, 0x82.
                if matches!(e, SessionError::Protocol { .. }) {
                    self.say_why(0x82, out);
                }
                self.fail(e, out);
                break;
            }
            used += len;
        }
        used
    }

    /// A received PUBLISH's topic, its Topic Alias resolved. Without the `mqtt5` feature the
    /// client allows no alias.
    fn resolve_alias(&mut self, mut packet: Inbound) -> Result<Inbound, &'static str> {
        if let Inbound::Publish { message, alias: alias @ Some(_), .. } = &mut packet {
            if !cfg!(feature = "mqtt5") {
                return Err(topic_alias::UNALLOWED_ALIAS);
            }
            let topic = std::mem::take(&mut message.topic);
            message.topic = self.aliases.inbound(self.options.topic_alias_maximum, topic, alias.take())?;
        }
        Ok(packet)
    }

    /// Ends the connection for bytes that are not valid MQTT. MQTT 5 says why first (§4.13.1): 0x81
    /// "malformed packet", 0x94 "topic alias invalid" for an alias the client never allowed
    /// (§3.3.2.3.4), 0x82 "protocol error" for one the broker never set (§3.3.4).
    fn malformed(&mut self, why: &'static str, out: &mut Vec<SessionEvent>) {
        let reason = if why == topic_alias::UNALLOWED_ALIAS {
            0x94
        } else if cfg!(feature = "mqtt5") && why == topic_alias::UNKNOWN_ALIAS {
            0x82
        } else {
            0x81
        };
        self.say_why(reason, out);
        self.fail(SessionError::Protocol { detail: why.into() }, out);
    }

    /// MQTT 5.0 §4.13.1: before the client closes the connection for what the broker did, it says
    /// why, in a DISCONNECT with `reason`. MQTT 3.1.1 has no such packet.
    fn say_why(&self, reason: u8, out: &mut Vec<SessionEvent>) {
        if self.options.version == ProtocolVersion::V5 {
            out.push(SessionEvent::RequestSend(packets::disconnect(ProtocolVersion::V5, reason)));
        }
    }

    /// Ends the connection with `error`: a failed connect while connecting, a lost connection after.
    fn fail(&mut self, error: SessionError, out: &mut Vec<SessionEvent>) {
        let was = self.phase;
        self.end(out);
        out.push(match was {
            Phase::Connecting => SessionEvent::NotifyConnectFailed(error),
            _ => SessionEvent::NotifyConnectionLost(error),
        });
        close(out);
    }

    /// A timer the shell armed has fired.
    pub fn timer_fired(&mut self, kind: TimerKind) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        match (kind, self.phase) {
            (TimerKind::ConnectTimeout, Phase::Connecting) => {
                let timeout_ms = self.options.connect_timeout_ms;
                self.fail(SessionError::ConnectTimeout { timeout_ms }, &mut out);
            }
            // MQTT 3.1.1 §3.1.2.10: a PINGREQ when nothing else was sent for the keepalive.
            (TimerKind::PingreqSend, Phase::Connected) => self.send_pingreq(&mut out),
            (TimerKind::PingreqSend, Phase::Connecting) => self.ping_overdue = true,
            (TimerKind::PingrespRecv, Phase::Connected) => {
                self.say_why(0x8D, &mut out); // "keep alive timeout" (MQTT 5 §4.13.2)
                self.fail(SessionError::PingTimeout, &mut out);
            }
            _ => {}
        }
        out
    }

    /// The socket closed (for whatever reason). Fails whatever was waiting for an answer.
    pub fn notify_closed(&mut self) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        let was = self.phase;
        self.end(&mut out);
        if was == Phase::Connecting {
            out.push(SessionEvent::NotifyConnectFailed(SessionError::ConnectionLost));
        }
        out
    }

    /// Moves to Idle: cancels timers and fails every pending request.
    fn end(&mut self, out: &mut Vec<SessionEvent>) {
        if self.phase == Phase::Idle {
            return;
        }
        self.phase = Phase::Idle;
        self.connack = None;
        #[cfg(feature = "auth")]
        {
            self.auth = auth::Exchange::default();
        }
        self.inbound.clear();
        self.unsent.clear();
        for kind in [TimerKind::ConnectTimeout, TimerKind::PingreqSend, TimerKind::PingrespRecv] {
            out.push(SessionEvent::RequestTimerCancel(kind));
        }
        if self.resumes_session() {
            // MQTT 3.1.1 §4.4: the broker keeps the session, so the client keeps its side (in-flight
            // messages with their packet ids, inbound QoS 2 state) for a reconnect; a client that
            // gives up instead discards them (`discard_pending`).
        } else if self.queue.is_some() {
            self.received_qos2.clear();
            self.unsend_in_flight();
        } else {
            self.received_qos2.clear();
            let mut lost = self.take_in_flight();
            lost.extend(self.held.drain(..).map(|q| q.token));
            for token in lost {
                out.push(SessionEvent::NotifyPublishCompleted { token, result: Err(SessionError::ConnectionLost) });
            }
        }
        for (packet_id, filters) in self.subscribes.drain() {
            self.kept.answered(packet_id);
            let results = filters.iter().map(|_| Err(SessionError::ConnectionLost)).collect();
            out.push(SessionEvent::NotifySubscribed { packet_id, results });
        }
        for (packet_id, filters) in self.unsubscribes.drain() {
            let results = filters.iter().map(|_| Err(SessionError::ConnectionLost)).collect();
            out.push(SessionEvent::NotifyUnsubscribed { packet_id, results });
        }
    }

    fn require_connected(&self) -> Result<(), SessionError> {
        if self.phase == Phase::Connected {
            Ok(())
        } else {
            Err(SessionError::NotConnected)
        }
    }

    /// Sends one packet if the broker accepts its size, and pushes the next PINGREQ back: the
    /// keepalive counts from the last packet sent (MQTT 3.1.1 §3.1.2.10).
    fn emit(&mut self, bytes: Vec<u8>, out: &mut Vec<SessionEvent>) -> Result<(), SessionError> {
        if let Some(max) = self.maximum_packet_size() {
            if bytes.len() > max as usize {
                return Err(SessionError::PacketTooLarge { size: bytes.len(), max: max as usize });
            }
        }
        out.push(SessionEvent::RequestSend(bytes));
        if self.ping_interval_ms > 0 {
            out.push(SessionEvent::RequestTimerReset {
                kind: TimerKind::PingreqSend,
                duration_ms: self.ping_interval_ms,
            });
        }
        Ok(())
    }

    fn send_pingreq(&mut self, out: &mut Vec<SessionEvent>) {
        if let Some(bytes) = packets::pingreq(self.options.version) {
            if self.emit(bytes, out).is_ok() && self.options.keepalive_secs > 0 {
                out.push(SessionEvent::RequestTimerReset {
                    kind: TimerKind::PingrespRecv,
                    duration_ms: self.options.effective_ping_timeout_ms(),
                });
            }
        }
    }

    /// `found`: false answers an acknowledgement for a packet id this client does not know.
    fn send_ack(
        &mut self,
        kind: Ack,
        packet_id: u16,
        found: bool,
        out: &mut Vec<SessionEvent>,
    ) -> Result<(), SessionError> {
        let bytes = packets::ack(self.options.version, kind, packet_id, found)?;
        self.emit(bytes, out)
    }

    /// The in-flight message `packet_id` names, if it was sent with `qos`.
    fn flight(&mut self, packet_id: u16, qos: QoS) -> Option<&mut InFlight> {
        self.publishes.get_mut(packet_id).filter(|f| f.message.qos == qos)
    }

    fn on_packet(&mut self, packet: Inbound, out: &mut Vec<SessionEvent>) -> Result<(), SessionError> {
        let connected = self.phase == Phase::Connected;
        match packet {
            Inbound::ConnAck { .. } if connected => {
                return Err(SessionError::Protocol { detail: "a second CONNACK".into() })
            }
            Inbound::ConnAck { code, ack, server_reference, authentication } => {
                let accepted = match self.options.version {
                    ProtocolVersion::V3_1_1 => code == 0,
                    ProtocolVersion::V5 => code < 0x80,
                };
                if accepted {
                    self.accept_authentication(authentication)?;
                    self.on_connected(ack, out)?;
                } else {
                    refer(server_reference, out);
                    self.on_refused(code, out);
                }
            }
            Inbound::Auth { code, authentication } => self.on_auth(code, authentication, out)?,
            _ if !connected => return Err(SessionError::Protocol { detail: "a packet before the CONNACK".into() }),
            Inbound::Publish { packet_id, message, .. } => match (message.qos, packet_id) {
                (QoS::AtMostOnce, _) => out.push(SessionEvent::NotifyMessage(message)),
                (QoS::AtLeastOnce, Some(id)) => {
                    self.send_ack(Ack::PubAck, id, true, out)?;
                    out.push(SessionEvent::NotifyMessage(message));
                }
                (QoS::ExactlyOnce, Some(id)) => {
                    self.send_ack(Ack::PubRec, id, true, out)?;
                    if !self.received_qos2.contains(&id) {
                        self.received_qos2.push(id);
                        out.push(SessionEvent::NotifyMessage(message));
                    }
                }
                (_, None) => return Err(SessionError::Protocol { detail: "a PUBLISH without its packet id".into() }),
            },
            // An acknowledgement that does not fit the message's flow is ignored (a broker may repeat
            // one after a resend); MQTT 5 answers a PUBREC or PUBREL for an unknown packet id with
            // 0x92 "packet identifier not found" (§4.3.3).
            Inbound::PubAck { packet_id, code, said } => {
                if self.flight(packet_id, QoS::AtLeastOnce).is_some() {
                    self.complete_publish(packet_id, code, said, out);
                }
            }
            Inbound::PubRec { packet_id, code, said } => {
                let order = self.next_release;
                #[cfg(feature = "durable")]
                let durable = self.writes(QoS::ExactlyOnce);
                match self.flight(packet_id, QoS::ExactlyOnce) {
                    None => self.send_ack(Ack::PubRel, packet_id, false, out)?,
                    Some(_) if code >= 0x80 => self.complete_publish(packet_id, code, said, out),
                    Some(flight) => {
                        // The first PUBREC's words, not a repeated one's.
                        #[cfg(feature = "reason-strings")]
                        if flight.released.is_none() {
                            let topic = || vec![flight.message.topic.clone()];
                            out.extend(
                                said::acknowledged(said::AckPacket::PubRec, &[code], said, topic)
                                    .map(SessionEvent::NotifyAcknowledged),
                            );
                        }
                        #[cfg(not(feature = "reason-strings"))]
                        let _ = said;
                        #[cfg(feature = "durable")]
                        if flight.released.is_none() && durable {
                            // The PUBREL waits for the stage to be written (`durable`).
                            flight.written = false;
                            let token = flight.token;
                            out.push(SessionEvent::RequestWrite { token, packet_id, released: true });
                        }
                        let written = flight.written;
                        flight.released.get_or_insert(order);
                        self.next_release += 1;
                        if !durable::DURABLE || written {
                            self.send_ack(Ack::PubRel, packet_id, true, out)?;
                        }
                    }
                }
            }
            Inbound::PubRel { packet_id } => {
                let known = self.received_qos2.contains(&packet_id);
                self.received_qos2.retain(|id| *id != packet_id);
                self.send_ack(Ack::PubComp, packet_id, known, out)?;
            }
            // Whatever its reason code, a PUBCOMP ends the flow: after a successful PUBREC the broker
            // has the message, and 0x92 only says it already completed a resent PUBREL.
            Inbound::PubComp { packet_id, code, said } => {
                if self.flight(packet_id, QoS::ExactlyOnce).is_some_and(|f| f.released.is_some()) {
                    // Its code says nothing of the message (0x92: a resent PUBREL already completed).
                    let code = if code < 0x80 { code } else { 0 };
                    self.complete_publish_as(said::AckPacket::PubComp, packet_id, code, said, out);
                }
            }
            Inbound::SubAck { packet_id, codes, said } => self.complete_subscribe(packet_id, &codes, said, out),
            Inbound::UnsubAck { packet_id, codes, said } => self.complete_unsubscribe(packet_id, &codes, said, out),
            Inbound::PingResp => out.push(SessionEvent::RequestTimerCancel(TimerKind::PingrespRecv)),
            Inbound::Disconnect { code, server_reference, said } => {
                refer(server_reference, out);
                self.end(out);
                out.push(SessionEvent::NotifyConnectionLost(SessionError::ServerDisconnected {
                    reason: ReasonCode(code),
                    said,
                }));
                close(out);
            }
        }
        Ok(())
    }

    fn on_connected(&mut self, connack: ConnAck, out: &mut Vec<SessionEvent>) -> Result<(), SessionError> {
        // The codec refused a Receive Maximum or Maximum Packet Size of 0 (MQTT 5 §3.2.2.3.3, §3.2.2.3.6).
        self.phase = Phase::Connected;
        self.connected_before = true;
        out.push(SessionEvent::RequestTimerCancel(TimerKind::ConnectTimeout));
        let overdue = std::mem::take(&mut self.ping_overdue);
        // MQTT 5 §3.2.2.3.14: the broker's Server Keep Alive replaces ours.
        if let Some(secs) = connack.server_keepalive_secs {
            self.ping_interval_ms = u64::from(secs) * 1000;
            if secs == 0 {
                out.push(SessionEvent::RequestTimerCancel(TimerKind::PingreqSend));
            } else if !overdue {
                out.push(SessionEvent::RequestTimerReset {
                    kind: TimerKind::PingreqSend,
                    duration_ms: self.ping_interval_ms,
                });
            }
        }
        // The keepalive ran out before the CONNACK came: the PINGREQ goes now, and sending it arms
        // the timer again (nothing else would).
        if overdue && self.ping_interval_ms > 0 {
            self.send_pingreq(out);
        }
        self.connack = Some(connack.clone());
        self.aliases.reset(connack.topic_alias_maximum.unwrap_or(0));
        if connack.session_present {
            self.resend_in_flight(out);
        } else {
            // The broker has no session: what was in flight goes out again as new messages.
            self.received_qos2.clear();
            self.unsend_in_flight();
        }
        let restore = !connack.session_present && self.queue.is_some() && !self.subscriptions.is_empty();
        out.push(SessionEvent::NotifyConnected(connack));
        if restore {
            // Resubscribe before flushing, so messages the queue sends to our own filters come back.
            self.subscribe_again(out);
        }
        // Oldest first: what waited for a slot, then what was published while disconnected.
        self.release_held(out);
        self.flush_queue(out);
        Ok(())
    }

    /// The broker kept no session: the granted subscriptions again, those made with options as they
    /// were made (`resubscribe`), the others with their QoS, in one SUBSCRIBE.
    fn subscribe_again(&mut self, out: &mut Vec<SessionEvent>) {
        let mut plain = self.subscriptions.clone();
        plain.retain(|(f, _)| !self.kept.has(f));
        if !plain.is_empty() {
            let sent = self.subscribe(&plain);
            resubscribed(sent, out);
        }
        for (filters, identifier) in self.kept.again() {
            let sent = self.subscribe_with(&filters, identifier);
            resubscribed(sent, out);
        }
    }

    /// MQTT 3.1.1 §4.4: on a resumed session, unacknowledged PUBLISH packets go again with DUP, and
    /// released QoS 2 ones as PUBREL. MQTT 5 §4.6: PUBLISHes in the order they were first sent,
    /// PUBRELs in the order their PUBRECs came. PUBLISH resends beyond the broker's Receive Maximum
    /// wait in `unsent` for acknowledgements to free slots.
    fn resend_in_flight(&mut self, out: &mut Vec<SessionEvent>) {
        let mut releases: Vec<(u64, u16)> = Vec::new();
        let mut publishes: Vec<(u64, u16)> = Vec::new();
        // One not written yet goes when it is (`written`).
        for (id, flight) in self.publishes.iter().filter(|(_, f)| !durable::DURABLE || f.written) {
            match flight.released {
                Some(order) => releases.push((order, id)),
                None => publishes.push((flight.token, id)),
            }
        }
        heapsort(&mut releases);
        heapsort(&mut publishes);
        self.unsent = publishes.into_iter().map(|(_, id)| id).collect();
        for (_, id) in releases {
            if let Some(flight) = self.publishes.get(id).cloned() {
                self.resend(id, &flight, out);
            }
        }
        self.release_unsent(out);
    }

    /// Resends while the broker's Receive Maximum leaves room.
    fn release_unsent(&mut self, out: &mut Vec<SessionEvent>) {
        // Only what was sent counts here (`durable`: one whose write is pending has not been sent,
        // and must not keep a resend waiting).
        while !(if durable::DURABLE { self.sent_at_receive_maximum(0) } else { self.at_receive_maximum() }) {
            let Some(id) = self.unsent.pop_front() else { break };
            if let Some(flight) = self.publishes.get(id).cloned() {
                self.resend(id, &flight, out);
            }
        }
    }

    /// Sends one in-flight message again. One the broker now refuses (a smaller Maximum Packet
    /// Size) fails on its own; the connection goes on.
    fn resend(&mut self, id: u16, flight: &InFlight, out: &mut Vec<SessionEvent>) {
        self.send_flight(id, flight, true, out);
    }

    /// Sends an in-flight message's PUBLISH (`dup`: again) or PUBREL.
    fn send_flight(&mut self, id: u16, flight: &InFlight, dup: bool, out: &mut Vec<SessionEvent>) {
        let sent = if flight.released.is_some() {
            self.send_ack(Ack::PubRel, id, true, out)
        } else {
            packets::publish(self.options.version, &flight.message, Some(id), dup, Naming::Topic)
                .and_then(|bytes| self.emit(bytes, out))
        };
        if let Err(e) = sent {
            self.publishes.remove(id);
            out.push(SessionEvent::NotifyPublishCompleted { token: flight.token, result: Err(e) });
        }
    }

    /// The subscriptions the broker granted and that a reconnect restores.
    pub fn subscriptions(&self) -> &[(String, QoS)] {
        &self.subscriptions
    }

    /// Whether a SUBSCRIBE for `filter` is waiting for its SUBACK.
    pub fn subscribing(&self, filter: &str) -> bool {
        self.subscribes.values().any(|filters| filters.iter().any(|(f, _)| f == filter))
    }

    /// Empties the in-flight table; returns the tokens in the order they were first sent.
    fn take_in_flight(&mut self) -> Vec<u64> {
        // Sorted as (token, id) pairs, the same sort as `resend_in_flight`'s: one instance in the wasm.
        let mut order: Vec<(u64, u16)> = self.publishes.iter().map(|(id, f)| (f.token, id)).collect();
        heapsort(&mut order);
        self.publishes.clear();
        order.into_iter().map(|(token, _)| token).collect()
    }

    /// Drops everything waiting (queued, held and in flight) and returns their tokens, for a client
    /// that gives up on the connection for good.
    pub fn discard_pending(&mut self) -> Vec<u64> {
        self.unsent.clear();
        let mut tokens = self.take_in_flight();
        tokens.extend(self.held.drain(..).map(|q| q.token));
        if let Some(q) = self.queue.as_mut() {
            tokens.extend(q.drain().into_iter().map(|q| q.token));
        }
        tokens
    }

    fn on_refused(&mut self, code: u8, out: &mut Vec<SessionEvent>) {
        let version = self.options.version;
        let refusal = match version {
            ProtocolVersion::V3_1_1 => ConnectRefusal::from_v3(code),
            ProtocolVersion::V5 => ConnectRefusal::from_v5(code),
        };
        self.fail(SessionError::ConnectRefused { version, code, refusal }, out);
    }

    fn complete_publish(&mut self, packet_id: u16, code: u8, said: Said, out: &mut Vec<SessionEvent>) {
        self.complete_publish_as(said::AckPacket::PubAck, packet_id, code, said, out);
    }

    /// `packet` (a PUBACK, a refusing PUBREC or a PUBCOMP) ends the flow of `packet_id`.
    fn complete_publish_as(
        &mut self,
        packet: said::AckPacket,
        packet_id: u16,
        code: u8,
        said: Said,
        out: &mut Vec<SessionEvent>,
    ) {
        let Some(flight) = self.publishes.remove(packet_id) else { return };
        // A broker that acknowledges a message not resent yet: it no longer waits to be.
        if durable::DURABLE {
            self.unsent.retain(|&id| id != packet_id);
        }
        let result = match code {
            0x80.. => Err(SessionError::PublishRefused { topic: flight.message.topic, reason: ReasonCode(code), said }),
            _ => {
                #[cfg(feature = "reason-strings")]
                out.extend(
                    said::acknowledged(packet, &[code], said, || vec![flight.message.topic])
                        .map(SessionEvent::NotifyAcknowledged),
                );
                #[cfg(not(feature = "reason-strings"))]
                let _ = (packet, said);
                Ok(())
            }
        };
        out.push(SessionEvent::NotifyPublishCompleted { token: flight.token, result });
        self.release_unsent(out);
        self.release_held(out);
    }

    fn complete_subscribe(&mut self, packet_id: u16, codes: &[u8], said: Said, out: &mut Vec<SessionEvent>) {
        let Some(filters) = self.subscribes.remove(&packet_id) else { return };
        for (i, (filter, qos)) in filters.iter().enumerate() {
            if matches!(codes.get(i), Some(0..=2)) {
                self.subscriptions.retain(|(f, _)| f != filter);
                self.subscriptions.push((filter.clone(), *qos));
                self.kept.granted(packet_id, filter);
            }
        }
        self.kept.answered(packet_id);
        #[cfg(feature = "reason-strings")]
        if codes.iter().any(|c| *c <= 2) {
            let subjects = || filters.iter().map(|(f, _)| f.clone()).collect();
            out.extend(
                said::acknowledged(said::AckPacket::SubAck, codes, said.clone(), subjects)
                    .map(SessionEvent::NotifyAcknowledged),
            );
        }
        let results = filters
            .into_iter()
            .enumerate()
            .map(|(i, (filter, _))| match codes.get(i).copied() {
                Some(c @ 0..=2) => Ok(packets::qos_from_u8(c)),
                Some(c) => Err(SessionError::SubscribeRefused { filter, reason: ReasonCode(c), said: said.clone() }),
                None => Err(SessionError::Protocol { detail: "the SUBACK has fewer codes than filters".into() }),
            })
            .collect();
        out.push(SessionEvent::NotifySubscribed { packet_id, results });
    }

    fn complete_unsubscribe(&mut self, packet_id: u16, codes: &[u8], said: Said, out: &mut Vec<SessionEvent>) {
        let Some(filters) = self.unsubscribes.remove(&packet_id) else { return };
        self.subscriptions.retain(|(f, _)| !filters.contains(f));
        self.kept.forget(&filters);
        #[cfg(feature = "reason-strings")]
        if codes.iter().any(|c| *c < 0x80) {
            out.extend(
                said::acknowledged(said::AckPacket::UnsubAck, codes, said.clone(), || filters.clone())
                    .map(SessionEvent::NotifyAcknowledged),
            );
        }
        let results = filters
            .into_iter()
            .enumerate()
            .map(|(i, filter)| match codes.get(i).copied() {
                Some(c) if c >= 0x80 => {
                    Err(SessionError::UnsubscribeRefused { filter, reason: ReasonCode(c), said: said.clone() })
                }
                _ => Ok(()),
            })
            .collect();
        out.push(SessionEvent::NotifyUnsubscribed { packet_id, results });
    }
}

/// What MQTT 5.0 §3.8 and §4.8.2, or the broker's CONNACK, refuse in a SUBSCRIBE: the filter (for an
/// `InvalidFilter`) or the option's name (for an `InvalidOption`), and why.
fn subscription_problem<'a>(
    v5: bool,
    ack: Option<&ConnAck>,
    filters: &'a [(String, SubscribeOptions)],
    identifier: Option<u32>,
) -> Option<(Option<&'a String>, &'static str, &'static str)> {
    let refused = |flag: fn(&ConnAck) -> Option<bool>| ack.and_then(flag) == Some(false);
    const ID: &str = "subscriptionIdentifier";
    if let Some(n) = identifier {
        if !v5 {
            return Some((None, ID, NEEDS_V5));
        }
        if !(1..=268_435_455).contains(&n) {
            return Some((None, ID, "must be from 1 to 268,435,455"));
        }
        if refused(|a| a.subscription_identifiers_available) {
            return Some((None, ID, "the broker's CONNACK refuses it"));
        }
    }
    for (filter, options) in filters {
        if options.beyond_qos() && !v5 {
            return Some((None, "noLocal", NEEDS_V5));
        }
        if let Some((name, rest)) = shared(filter) {
            if name.is_empty() || has_wildcard(name) || rest.is_empty() {
                return Some((Some(filter), "", "a shared subscription is $share/{name}/{filter}"));
            }
            // MQTT-3.8.3-4: No Local on a shared subscription is a protocol error.
            if options.no_local {
                return Some((None, "noLocal", "a shared subscription cannot be No Local"));
            }
            if refused(|a| a.shared_subscription_available) {
                return Some((Some(filter), "", "the broker's CONNACK refuses shared subscriptions"));
            }
        }
        if has_wildcard(filter) && refused(|a| a.wildcard_subscription_available) {
            return Some((Some(filter), "", "the broker's CONNACK refuses wildcards"));
        }
    }
    None
}

/// At least one filter, each a valid topic filter.
fn validate_filters<'a>(filters: impl ExactSizeIterator<Item = &'a String>) -> Result<(), SessionError> {
    if filters.len() == 0 {
        return Err(SessionError::InvalidOption { field: "filters", reason: "give at least one topic filter".into() });
    }
    // One result per filter goes back in a batch record counted in 16 bits.
    if filters.len() > usize::from(u16::MAX) {
        return Err(SessionError::InvalidOption { field: "filters", reason: "at most 65,535 filters at once".into() });
    }
    for f in filters {
        validate_topic_filter(f)?;
    }
    Ok(())
}

/// Asks the shell to close the socket, once per batch of events.
/// A SUBSCRIBE of `subscribe_again` went, or could not: the connection cannot go on without it.
fn resubscribed(sent: Result<(u16, Vec<SessionEvent>), SessionError>, out: &mut Vec<SessionEvent>) {
    match sent {
        Ok((_, events)) => out.extend(events),
        Err(e) => out.push(SessionEvent::NotifyConnectionLost(e)),
    }
}

fn refer(server_reference: Option<String>, out: &mut Vec<SessionEvent>) {
    if let Some(url) = server_reference {
        out.push(SessionEvent::NotifyServerReference(url));
    }
}

fn close(out: &mut Vec<SessionEvent>) {
    // `matches!`, not `contains`: comparing whole events would bring their equality into the wasm.
    if !out.iter().any(|e| matches!(e, SessionEvent::RequestClose)) {
        out.push(SessionEvent::RequestClose);
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

/// The size of `msg`'s PUBLISH with its properties: beyond the one byte of an empty property list,
/// their length's other bytes and the properties themselves.
fn publish_size(version: ProtocolVersion, msg: &Outgoing) -> usize {
    // Encoded only when there are some: no allocation for every other publish.
    let props = match version {
        ProtocolVersion::V5 if !msg.properties.is_empty() => packets::publish_properties(&msg.properties).len() - 1,
        _ => 0,
    };
    publish_packet_size(version, msg.topic.len(), msg.payload.len() + props, msg.qos)
}

/// What an option that only MQTT 5 has is told on an MQTT 3.1.1 connection.
pub const NEEDS_V5: &str = "needs MQTT 5: this connection is MQTT 3.1.1";

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
