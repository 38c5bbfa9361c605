//! A ThingsBoard device session on top of the pair: what the async `ThingsBoardDevice` does in the
//! browser, done by hand. Requests of the device session go to the client's supervisor; the
//! client's messages, completions and SUBACKs go back to it; both run on the pair's clock.

use iotmqtt::collections::VecMap;
use iotmqtt::platforms::thingsboard::session::{DeviceEvent, DeviceSession, OpId, Outcome, PublishId, SessionOptions};
use iotmqtt::platforms::thingsboard::ThingsBoardError;
use iotmqtt::supervisor::{Event, Millis};
use iotmqtt::{ClientOptions, ConnectOptions, Outgoing, ProtocolVersion, QoS};

use super::Pair;

pub struct DevicePair {
    pub pair: Pair,
    pub device: DeviceSession,
    /// How far into `pair.events` the device has read.
    cursor: usize,
    tokens: VecMap<u64, PublishId>,
    subscribes: VecMap<u16, String>,
    /// Every event of the device session other than its requests, in order.
    pub events: Vec<DeviceEvent>,
    /// Every request of the device session, with the instant it was made.
    pub requests: Vec<(Millis, DeviceEvent)>,
}

pub const TOKEN: &str = "demo-thermostat-token";
pub const GATEWAY_TOKEN: &str = "demo-gateway-token";

impl DevicePair {
    /// A connected thermostat (QoS 1, 5 s request timeout).
    pub fn thermostat(tb: &std::sync::Arc<iotmqtt_sim::thingsboard::ThingsBoard>) -> Self {
        Self::device(tb, TOKEN)
    }

    /// The demo gateway, connected as a device.
    pub fn gateway(tb: &std::sync::Arc<iotmqtt_sim::thingsboard::ThingsBoard>) -> Self {
        Self::device(tb, GATEWAY_TOKEN)
    }

    fn device(tb: &std::sync::Arc<iotmqtt_sim::thingsboard::ThingsBoard>, token: &str) -> Self {
        let options = ConnectOptions {
            version: ProtocolVersion::V3_1_1,
            client_id: format!("pair-{token}"),
            username: Some(token.into()),
            keepalive_secs: 30,
            ..Default::default()
        };
        let mut pair = Pair::thingsboard(tb, options, ClientOptions::default());
        pair.now = 1_000;
        pair.connect();
        let device = DeviceSession::new(SessionOptions { qos: QoS::AtLeastOnce, request_timeout_ms: 5_000 });
        let cursor = pair.events.len();
        Self {
            pair,
            device,
            cursor,
            tokens: VecMap::new(),
            subscribes: VecMap::new(),
            events: Vec::new(),
            requests: Vec::new(),
        }
    }

    pub fn now(&self) -> Millis {
        self.pair.now
    }

    /// Moves requests and reports between the device session and the client until nothing moves.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            self.pair.deliver_pushes();
            while self.cursor < self.pair.events.len() {
                let event = self.pair.events[self.cursor].clone();
                self.cursor += 1;
                moved = true;
                let now = self.pair.now;
                match event {
                    Event::NotifyMessage(m) => {
                        self.device.handle_message(now, &m.topic, &m.payload);
                    }
                    Event::NotifyPublishCompleted { token, result } => {
                        if let Some(publish) = self.tokens.remove(&token) {
                            self.device.published(now, publish, result.map_err(ThingsBoardError::from));
                        }
                    }
                    Event::NotifySubscribed { packet_id, results } => {
                        if let Some(filter) = self.subscribes.remove(&packet_id) {
                            let result = match results.into_iter().next() {
                                Some(Ok(_)) => Ok(()),
                                Some(Err(e)) => Err(ThingsBoardError::from(e)),
                                None => Err(ThingsBoardError::from(iotmqtt::ClientError::Closed)),
                            };
                            self.device.subscribed(now, &filter, result);
                        }
                    }
                    _ => {}
                }
            }
            while let Some(event) = self.device.poll_event() {
                moved = true;
                let now = self.pair.now;
                match &event {
                    DeviceEvent::RequestSubscribe { filter } => {
                        self.requests.push((now, event.clone()));
                        match self.pair.client.subscribe(now, &[(filter.clone(), QoS::AtLeastOnce)]) {
                            Ok((id, events)) => {
                                self.subscribes.insert(id, filter.clone());
                                self.pair.apply(events);
                            }
                            Err(e) => self.device.subscribed(now, filter, Err(e.into())),
                        }
                    }
                    DeviceEvent::RequestPublish { publish, topic, payload, qos } => {
                        self.requests.push((now, event.clone()));
                        let msg = Outgoing::new(topic.clone(), payload.clone()).qos(*qos);
                        match self.pair.client.publish(now, &msg, None) {
                            Ok((ticket, events)) => {
                                if ticket.completes_later() {
                                    self.tokens.insert(ticket.token, *publish);
                                } else {
                                    self.device.published(now, *publish, Ok(()));
                                }
                                self.pair.apply(events);
                            }
                            Err(e) => self.device.published(now, *publish, Err(e.into())),
                        }
                    }
                    _ => self.events.push(event),
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Moves both clocks forward by `ms`, stopping at every instant anything is due on either side
    /// or arrives, so the device session reacts at the exact instant.
    pub fn advance(&mut self, ms: Millis) {
        let target = self.pair.now + ms;
        loop {
            self.pump();
            let next = [self.device.poll_timeout(), self.pair.next_deadline()].into_iter().flatten().min();
            let Some(at) = next.filter(|t| *t <= target) else { break };
            let step = at.saturating_sub(self.pair.now);
            self.pair.advance(step);
            self.pump();
            self.device.handle_timeout(self.pair.now);
        }
        let rest = target.saturating_sub(self.pair.now);
        self.pair.advance(rest);
        self.pump();
    }

    /// The end of operation `op`, if it ended.
    pub fn done(&self, op: OpId) -> Option<Result<Outcome, ThingsBoardError>> {
        self.events.iter().find_map(|e| match e {
            DeviceEvent::NotifyDone { op: o, result } if *o == op => Some(result.clone()),
            _ => None,
        })
    }

    /// The topics of the publishes requested so far, with their instants.
    pub fn published_topics(&self) -> Vec<(Millis, String)> {
        self.requests
            .iter()
            .filter_map(|(t, e)| match e {
                DeviceEvent::RequestPublish { topic, .. } => Some((*t, topic.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn subscribe_requests(&self) -> Vec<String> {
        self.requests
            .iter()
            .filter_map(|(_, e)| match e {
                DeviceEvent::RequestSubscribe { filter } => Some(filter.clone()),
                _ => None,
            })
            .collect()
    }
}
