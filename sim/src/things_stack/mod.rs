// The Things Stack application server stand-in: applications with API keys, simulated end devices
// that join and send uplinks, and per-device downlink queues whose events follow in time.

pub mod admin;
pub mod downlink;
pub mod uplink;

use crate::clock;
use crate::config::{EndDeviceSeed, ThingsStackSeed, Timings};
use crate::mqtt::packet::{Connect, Publish};
use crate::session::{
    Outbox, PlatformGate, PlatformSession, PublishVerdict, Push, Refusal, SessionHandle, SubscribeVerdict,
};
use downlink::Downlink;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

pub struct EndDevice {
    pub seed: EndDeviceSeed,
    pub index: usize,
    pub joined: bool,
    pub session_key_id: String,
    pub f_cnt_up: u32,
    pub f_cnt_down: u32,
    pub queue: Vec<Downlink>,
    pub last_uplink: Option<Value>,
    /// A task is working through the queue; pushes only add to it.
    scheduling: bool,
}

pub struct Application {
    pub id: String,
    pub api_keys: Vec<String>,
    pub devices: Vec<EndDevice>,
    joins_started: bool,
    sessions: HashMap<u64, SessionHandle>,
}

impl Application {
    pub fn device_mut(&mut self, id: &str) -> Option<&mut EndDevice> {
        self.devices.iter_mut().find(|d| d.seed.id == id)
    }
}

pub struct ThingsStackState {
    pub applications: Vec<Application>,
}

impl ThingsStackState {
    pub fn application_mut(&mut self, id: &str) -> Option<&mut Application> {
        self.applications.iter_mut().find(|a| a.id == id)
    }
}

pub struct ThingsStack {
    state: Mutex<ThingsStackState>,
    pub tenant: String,
    pub multi_tenant: bool,
    pub timings: Timings,
    shutdown: watch::Receiver<bool>,
}

impl ThingsStack {
    pub fn new(seed: &ThingsStackSeed, timings: &Timings, shutdown: watch::Receiver<bool>) -> Arc<Self> {
        let applications = seed
            .applications
            .iter()
            .map(|a| Application {
                id: a.id.clone(),
                api_keys: a.api_keys.clone(),
                devices: a
                    .devices
                    .iter()
                    .enumerate()
                    .map(|(index, d)| EndDevice {
                        seed: d.clone(),
                        index,
                        joined: false,
                        session_key_id: String::new(),
                        f_cnt_up: 0,
                        f_cnt_down: 0,
                        queue: Vec::new(),
                        last_uplink: None,
                        scheduling: false,
                    })
                    .collect(),
                joins_started: false,
                sessions: HashMap::new(),
            })
            .collect();
        Arc::new(Self {
            state: Mutex::new(ThingsStackState { applications }),
            tenant: seed.tenant.clone(),
            multi_tenant: seed.multi_tenant,
            timings: timings.clone(),
            shutdown,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, ThingsStackState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The application's id in topics: `app@tenant` on a multi-tenant deployment like TTN.
    pub fn uid(&self, app_id: &str) -> String {
        if self.multi_tenant {
            format!("{app_id}@{}", self.tenant)
        } else {
            app_id.to_string()
        }
    }

    fn end_device_ids(&self, app_id: &str, d: &EndDevice) -> Value {
        json!({
            "device_id": d.seed.id,
            "application_ids": {"application_id": app_id},
            "dev_eui": d.seed.dev_eui,
            "join_eui": d.seed.join_eui,
            "dev_addr": d.seed.dev_addr,
        })
    }

    fn envelope(&self, app_id: &str, d: &EndDevice, correlation_ids: Vec<String>, key: &str, body: Value) -> Value {
        let mut v = json!({
            "end_device_ids": self.end_device_ids(app_id, d),
            "correlation_ids": correlation_ids,
            "received_at": clock::rfc3339_ns(clock::now_ns()),
        });
        v[key] = body;
        v
    }

    /// Publishes to every MQTT session of the application whose subscriptions match.
    fn publish(&self, app: &Application, device_id: &str, event: &str, payload: &Value) {
        let topic = format!("v3/{}/devices/{device_id}/{event}", self.uid(&app.id));
        let bytes = payload.to_string().into_bytes();
        for s in app.sessions.values() {
            let _ = s.push.send(Push::Deliver { topic: topic.clone(), payload: bytes.clone() });
        }
    }

    /// A join accept for the device: new session key, frame counters reset.
    pub fn join(&self, app_id: &str, device_id: &str) -> bool {
        let mut st = self.lock();
        let Some(app) = st.application_mut(app_id) else { return false };
        let Some(d) = app.device_mut(device_id) else { return false };
        d.joined = true;
        d.session_key_id = base64_key();
        d.f_cnt_up = 0;
        d.f_cnt_down = 0;
        let ids = vec![format!("as:up:{}", clock::ulid()), format!("ns:uplink:{}", clock::ulid())];
        let body = json!({"session_key_id": d.session_key_id, "received_at": clock::rfc3339_ns(clock::now_ns())});
        let d = &*d;
        let event = self.envelope(app_id, d, ids, "join_accept", body);
        let app = &*app;
        self.publish(app, device_id, "join", &event);
        true
    }

    /// One uplink from the device: a generated reading, or `given` (an `uplink_message` from the
    /// simulate endpoint, completed where fields are missing).
    pub fn uplink(&self, app_id: &str, device_id: &str, given: Option<Value>) -> Option<Value> {
        let mut st = self.lock();
        let app = st.application_mut(app_id)?;
        let d = app.device_mut(device_id)?;
        d.f_cnt_up += 1;
        let radio = uplink::RadioSettings::simulated(d.seed.spreading_factor);
        let simulated = given.is_some();
        let message = match given {
            None => {
                let (t, h) = uplink::reading(d.f_cnt_up, d.index);
                uplink::uplink_message(&d.session_key_id, 1, d.f_cnt_up, &uplink::encode_lpp(t, h), &radio)
            }
            Some(mut m) => {
                if !m.is_object() {
                    m = json!({});
                }
                let bytes = m
                    .get("frm_payload")
                    .and_then(Value::as_str)
                    .and_then(|s| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s).ok())
                    .unwrap_or_default();
                let f_port = m.get("f_port").and_then(Value::as_u64).unwrap_or(1) as u8;
                let mut full = uplink::uplink_message(&d.session_key_id, f_port, d.f_cnt_up, &bytes, &radio);
                if let (Some(full_obj), Some(given_obj)) = (full.as_object_mut(), m.as_object()) {
                    for (k, v) in given_obj {
                        full_obj.insert(k.clone(), v.clone());
                    }
                }
                full
            }
        };
        let ids = vec![
            format!("gs:uplink:{}", clock::ulid()),
            format!("ns:uplink:{}", clock::ulid()),
            format!("as:up:{}", clock::ulid()),
        ];
        let d = &*d;
        let mut event = self.envelope(app_id, d, ids, "uplink_message", message);
        if simulated {
            event["simulated"] = json!(true);
        }
        let device_id = d.seed.id.clone();
        st.application_mut(app_id)?.device_mut(&device_id)?.last_uplink = Some(event.clone());
        let app = st.applications.iter().find(|a| a.id == app_id)?;
        self.publish(app, &device_id, "up", &event);
        Some(event)
    }

    /// `down/push` (append) or `down/replace` (replace the queue; `[]` clears it). Each new
    /// downlink is announced with `down/queued`; a task then sends them one by one.
    pub fn enqueue(self: &Arc<Self>, app_id: &str, device_id: &str, downlinks: Vec<Downlink>, replace: bool) -> bool {
        let mut st = self.lock();
        let Some(app) = st.application_mut(app_id) else { return false };
        let Some(d) = app.device_mut(device_id) else { return false };
        if replace {
            d.queue.clear();
        }
        let mut queued_events = Vec::new();
        for mut dl in downlinks {
            dl.correlation_ids.push(format!("as:downlink:{}", clock::ulid()));
            let body = dl.to_json(&d.session_key_id, None);
            queued_events.push(self.envelope(app_id, d, dl.correlation_ids.clone(), "downlink_queued", body));
            d.queue.push(dl);
        }
        let start_task = !d.scheduling && !d.queue.is_empty();
        if start_task {
            d.scheduling = true;
        }
        let app = &*app;
        for e in &queued_events {
            self.publish(app, device_id, "down/queued", e);
        }
        drop(st);
        if start_task {
            let tts = self.clone();
            let (app_id, device_id) = (app_id.to_string(), device_id.to_string());
            tokio::spawn(async move { tts.send_queue(&app_id, &device_id).await });
        }
        true
    }

    /// Sends queued downlinks in order, one per delay: `down/sent` then `down/ack` (or
    /// `down/nack` for a device flagged so) for confirmed ones, or `down/failed` when the payload
    /// is too long for the device's data rate.
    async fn send_queue(&self, app_id: &str, device_id: &str) {
        let delay = Duration::from_millis(self.timings.downlink_event_delay_ms);
        loop {
            tokio::time::sleep(delay).await;
            let (confirmed_event, nack) = {
                let mut st = self.lock();
                let Some(app) = st.application_mut(app_id) else { return };
                let Some(d) = app.device_mut(device_id) else { return };
                if d.queue.is_empty() {
                    d.scheduling = false;
                    return;
                }
                let dl = d.queue.remove(0);
                let max = downlink::max_payload_for_sf(d.seed.spreading_factor);
                let d = &*d;
                if dl.payload.len() > max {
                    let body = json!({
                        "downlink": dl.to_json(&d.session_key_id, None),
                        "error": {
                            "namespace": "pkg/networkserver",
                            "name": "application_downlink_too_long",
                            "message_format": "application downlink payload of {length} bytes is too long for data rate with maximum {max} bytes",
                            "attributes": {"length": dl.payload.len(), "max": max},
                            "code": 3,
                        },
                    });
                    let e = self.envelope(app_id, d, dl.correlation_ids.clone(), "downlink_failed", body);
                    let app = st.applications.iter().find(|a| a.id == app_id);
                    if let Some(app) = app {
                        self.publish(app, device_id, "down/failed", &e);
                    }
                    continue;
                }
                let nack = d.seed.nack_confirmed;
                let f_cnt = d.f_cnt_down;
                let body = dl.to_json(&d.session_key_id, Some(f_cnt));
                let e = self.envelope(app_id, d, dl.correlation_ids.clone(), "downlink_sent", body.clone());
                let confirmed = dl.confirmed.then(|| (dl.correlation_ids.clone(), body));
                if let Some(app) = st.application_mut(app_id) {
                    if let Some(d) = app.device_mut(device_id) {
                        d.f_cnt_down += 1;
                    }
                }
                if let Some(app) = st.applications.iter().find(|a| a.id == app_id) {
                    self.publish(app, device_id, "down/sent", &e);
                }
                (confirmed, nack)
            };
            if let Some((ids, body)) = confirmed_event {
                tokio::time::sleep(delay).await;
                let st = self.lock();
                let Some(app) = st.applications.iter().find(|a| a.id == app_id) else { return };
                let Some(d) = app.devices.iter().find(|d| d.seed.id == device_id) else { return };
                let (key, event) = if nack { ("downlink_nack", "down/nack") } else { ("downlink_ack", "down/ack") };
                let e = self.envelope(app_id, d, ids, key, body);
                self.publish(app, device_id, event, &e);
            }
        }
    }

    /// Joins every device of the application once someone listens, then runs periodic uplinks.
    fn start_joins(self: &Arc<Self>, app_id: &str) {
        let devices: Vec<String> = {
            let mut st = self.lock();
            let Some(app) = st.application_mut(app_id) else { return };
            if app.joins_started {
                return;
            }
            app.joins_started = true;
            app.devices.iter().map(|d| d.seed.id.clone()).collect()
        };
        let tts = self.clone();
        let app_id = app_id.to_string();
        tokio::spawn(async move {
            let mut shutdown = tts.shutdown.clone();
            tokio::time::sleep(Duration::from_millis(tts.timings.join_delay_ms)).await;
            for d in &devices {
                tts.join(&app_id, d);
            }
            let period = tts.timings.uplink_period_ms;
            if period == 0 {
                return;
            }
            let mut ticker = tokio::time::interval(Duration::from_millis(period));
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        for d in &devices {
                            tts.uplink(&app_id, d, None);
                        }
                    }
                    _ = shutdown.changed() => return,
                }
            }
        });
    }
}

fn base64_key() -> String {
    let mut bytes = clock::random_u64().to_be_bytes().to_vec();
    bytes.extend_from_slice(&clock::random_u64().to_be_bytes());
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
}

pub struct ThingsStackGate(pub Arc<ThingsStack>);

impl PlatformGate for ThingsStackGate {
    fn name(&self) -> &'static str {
        "thethingsstack"
    }

    fn max_packet_size(&self) -> usize {
        1024 * 1024
    }

    fn accept(&self, connect: &Connect, handle: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal> {
        let tts = &self.0;
        let refuse = |reason: String| Refusal { v3_code: 0x05, v5_code: 0x87, reason };
        if connect.level.is_v5() {
            // The Things Stack supports MQTT 3.1.1 only (docs/platforms/things-stack.md#login).
            return Err(Refusal {
                v3_code: 0x01,
                v5_code: 0x84,
                reason: "The Things Stack's MQTT server speaks MQTT 3.1.1, not 5".into(),
            });
        }
        let username = connect.username_str();
        let (app_id, tenant) = match username.split_once('@') {
            Some((a, t)) => (a, Some(t)),
            None => (username, None),
        };
        match tenant {
            Some(t) if t != tts.tenant => {
                return Err(refuse(format!("unknown tenant {t:?} (this deployment's tenant is {:?})", tts.tenant)))
            }
            None if tts.multi_tenant => {
                return Err(refuse(format!(
                    "username {username:?} has no tenant: this deployment is multi-tenant, use {app_id}@{}",
                    tts.tenant
                )))
            }
            _ => {}
        }
        let mut st = tts.lock();
        let Some(app) = st.application_mut(app_id) else {
            return Err(refuse(format!("unknown application {app_id:?}")));
        };
        let key = connect.password_str();
        if !app.api_keys.contains(&key) {
            return Err(refuse(format!("API key is not valid for application {app_id:?}")));
        }
        app.sessions.insert(handle.id, handle.clone());
        Ok(Box::new(ApplicationSession { tts: tts.clone(), handle, app_id: app_id.to_string(), uid: tts.uid(app_id) }))
    }
}

/// One MQTT connection of an application integration.
struct ApplicationSession {
    tts: Arc<ThingsStack>,
    handle: SessionHandle,
    app_id: String,
    uid: String,
}

impl PlatformSession for ApplicationSession {
    /// Upstream messages go out at QoS 0, even on a QoS 1 subscription (docs/platforms/things-stack.md#upstream-qos).
    fn max_delivery_qos(&self) -> u8 {
        0
    }

    fn subscribe(&mut self, filter: &str, qos: u8) -> SubscribeVerdict {
        let granted = |filter: String| SubscribeVerdict::Grant { filter, qos: qos.min(1) };
        // `#` and `v3/#` are rewritten to the application's own topics; `v3/+/...` gets the uid.
        if filter == "#" || filter == "v3/#" {
            return granted(format!("v3/{}/#", self.uid));
        }
        let levels: Vec<&str> = filter.split('/').collect();
        match levels.as_slice() {
            ["v3", "+", rest @ ..] => {
                granted(format!("v3/{}/{}", self.uid, rest.join("/")).trim_end_matches('/').to_string())
            }
            ["v3", app, ..] if *app == self.uid => granted(filter.to_string()),
            ["v3", app, ..] => SubscribeVerdict::Refuse {
                reason: format!("application {app:?} is not {:?}, the one this connection is authorized for", self.uid),
            },
            _ => SubscribeVerdict::Refuse { reason: "topics start with v3/{application id}/".into() },
        }
    }

    fn subscribed(&mut self, granted: &[String], _out: &mut Outbox) {
        if !granted.is_empty() {
            self.tts.start_joins(&self.app_id);
        }
    }

    fn publish(&mut self, publish: &Publish, _out: &mut Outbox) -> PublishVerdict {
        let levels: Vec<&str> = publish.topic.split('/').collect();
        let ["v3", app, "devices", device, "down", op @ ("push" | "replace")] = levels.as_slice() else {
            return PublishVerdict::TopicInvalid("only v3/{app}/devices/{dev}/down/push|replace are writable".into());
        };
        if *app != self.uid {
            crate::sim_log!("thethingsstack", "downlink for application {app:?} ignored: not {:?}", self.uid);
            return PublishVerdict::Accepted;
        }
        // An invalid downlink is only logged (docs/platforms/things-stack.md#downlink-validation).
        match downlink::parse_downlinks(&publish.payload) {
            Ok(list) => {
                if !self.tts.enqueue(&self.app_id, device, list, *op == "replace") {
                    crate::sim_log!("thethingsstack", "downlink for unknown device {device:?} ignored");
                }
            }
            Err(e) => crate::sim_log!("thethingsstack", "invalid downlink {op} for {device:?} ignored: {e}"),
        }
        PublishVerdict::Accepted
    }

    fn closed(&mut self, _graceful: bool) {
        if let Some(app) = self.tts.lock().application_mut(&self.app_id) {
            app.sessions.remove(&self.handle.id);
        }
    }
}
