// The CloudPlugs stand-in: enrollment of things and controllers, login by Plug-ID or account email,
// data routed between connections by channel filter, and additional properties (docs/platforms/cloudplugs.md).

pub mod admin;

use crate::clock;
use crate::config::{AccountSeed, CloudPlugsSeed, ProductionModelSeed};
use crate::mqtt::packet::{Connect, Publish, Will};
use crate::session::{
    Outbox, PlatformGate, PlatformSession, PublishVerdict, Push, Refusal, SessionHandle, SubscribeVerdict,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlugKind {
    Thing,
    Controller,
}

#[derive(Debug, Clone)]
pub struct Plug {
    pub id: String,
    pub hwid: String,
    pub name: String,
    pub auth: String,
    pub model: String,
    pub kind: PlugKind,
    /// For a controller: the Plug-ID of the thing it controls.
    pub controls: Option<String>,
    pub properties: Map<String, Value>,
}

pub struct CloudPlugsState {
    pub models: Vec<ProductionModelSeed>,
    pub plugs: Vec<Plug>,
    accounts: Vec<AccountSeed>,
    sessions: HashMap<u64, (SessionHandle, Option<String>)>,
    /// The last published document per `PLUG_ID/data/CHANNEL`.
    pub last_data: BTreeMap<String, Value>,
}

impl CloudPlugsState {
    pub fn plug(&self, id: &str) -> Option<&Plug> {
        self.plugs.iter().find(|p| p.id == id)
    }

    pub fn is_connected(&self, plug_id: &str) -> bool {
        self.sessions.values().any(|(_, p)| p.as_deref() == Some(plug_id))
    }

    fn may_write(&self, session_plug: Option<&str>, target: &str) -> bool {
        match session_plug {
            // An account login is not attached to a device and may act for its devices.
            None => true,
            Some(own) if own == target => true,
            Some(own) => self.plug(own).is_some_and(|p| p.controls.as_deref() == Some(target)),
        }
    }

    /// Delivers to every CloudPlugs connection whose subscriptions match.
    fn route(&self, topic: &str, payload: &[u8]) {
        for (h, _) in self.sessions.values() {
            let _ = h.push.send(Push::Deliver { topic: topic.to_string(), payload: payload.to_vec() });
        }
    }
}

/// Why an enrollment failed, published as `{"err":N,"msg":"..."}` before the close.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollError {
    pub err: u16,
    pub msg: String,
}

pub struct CloudPlugs {
    state: Mutex<CloudPlugsState>,
}

impl CloudPlugs {
    pub fn new(seed: &CloudPlugsSeed) -> Arc<Self> {
        let plugs = seed
            .plugs
            .iter()
            .map(|p| Plug {
                id: p.id.clone(),
                hwid: p.hwid.clone(),
                name: p.name.clone(),
                auth: p.auth.clone(),
                model: p.model.clone(),
                kind: PlugKind::Thing,
                controls: None,
                properties: Map::new(),
            })
            .collect();
        Arc::new(Self {
            state: Mutex::new(CloudPlugsState {
                models: seed.models.clone(),
                plugs,
                accounts: seed.accounts.clone(),
                sessions: HashMap::new(),
                last_data: BTreeMap::new(),
            }),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, CloudPlugsState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Enrolls through `MODEL/thing/PASS` or `MODEL/ctrl/THING_HWID/PASS`.
    pub fn enroll(&self, hwid: &str, name: &str, topic: &str) -> Result<Plug, EnrollError> {
        let fail = |err: u16, msg: &str| EnrollError { err, msg: msg.to_string() };
        let levels: Vec<&str> = topic.split('/').collect();
        let (model, pass, thing_hwid) = match levels.as_slice() {
            [model, "thing", pass] => (*model, *pass, None),
            [model, "ctrl", thing, pass] => (*model, *pass, Some(*thing)),
            _ => return Err(fail(400, "enrollment topic must be MODEL/thing/PASS or MODEL/ctrl/THING_HWID/PASS")),
        };
        let mut st = self.lock();
        let Some(m) = st.models.iter().find(|m| m.model == model) else {
            return Err(fail(404, "unknown production template"));
        };
        if m.enroll_pass != pass {
            return Err(fail(401, "wrong enrollment pass"));
        }
        let (kind, controls) = match thing_hwid {
            None => (PlugKind::Thing, None),
            Some(t) => match st.plugs.iter().find(|p| p.hwid == t && p.model == model && p.kind == PlugKind::Thing) {
                Some(thing) => (PlugKind::Controller, Some(thing.id.clone())),
                None => return Err(fail(404, "the thing to control is not enrolled")),
            },
        };
        // Enrolling the same hardware again returns the same plug.
        if let Some(existing) =
            st.plugs.iter().find(|p| p.hwid == hwid && p.model == model && p.kind == kind && p.controls == controls)
        {
            return Ok(existing.clone());
        }
        let plug = Plug {
            id: format!(
                "dev-{:012}{:012}",
                clock::random_u64() % 1_000_000_000_000,
                clock::random_u64() % 1_000_000_000_000
            ),
            hwid: hwid.to_string(),
            name: name.to_string(),
            auth: clock::token(24),
            model: model.to_string(),
            kind,
            controls,
            properties: Map::new(),
        };
        st.plugs.push(plug.clone());
        crate::sim_log!("cloudplugs", "enrolled {:?} as {} ({:?})", hwid, plug.id, plug.kind);
        Ok(plug)
    }

    /// Stores and routes one data publication; `None` when the payload is not a data document.
    pub fn publish_data(&self, topic: &str, payload: &[u8]) -> Result<Value, String> {
        let value: Value = serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))?;
        let Some(obj) = value.as_object() else {
            return Err("data must be a JSON object {\"data\":...}".into());
        };
        if !obj.contains_key("data") {
            return Err("the object needs a \"data\" field".into());
        }
        let mut doc = obj.clone();
        doc.entry("id").or_insert_with(|| json!(clock::token(24)));
        doc.entry("at").or_insert_with(|| json!(clock::now_ms()));
        let doc = Value::Object(doc);
        let mut st = self.lock();
        st.last_data.insert(topic.to_string(), doc.clone());
        st.route(topic, doc.to_string().as_bytes());
        Ok(doc)
    }

    fn set_properties(&self, plug_id: &str, payload: &[u8]) -> Value {
        let value: Result<Value, _> = serde_json::from_slice(payload);
        let Ok(Value::Object(props)) = value else {
            return json!({"err": 400, "msg": "properties must be a JSON object"});
        };
        let mut st = self.lock();
        let Some(plug) = st.plugs.iter_mut().find(|p| p.id == plug_id) else {
            return json!({"err": 404, "msg": "plug not found"});
        };
        for (k, v) in props {
            plug.properties.insert(k, v);
        }
        Value::Null
    }

    fn get_properties(&self, plug_id: &str, payload: &[u8]) -> Value {
        let wanted: Option<Vec<String>> = if payload.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<Vec<String>>(payload) {
                Ok(names) => Some(names),
                Err(_) => return json!({"err": 400, "msg": "the request must be empty or a JSON array of names"}),
            }
        };
        let st = self.lock();
        let Some(plug) = st.plug(plug_id) else {
            return json!({"err": 404, "msg": "plug not found"});
        };
        let resolve = |v: &Value| -> Value {
            // {"channel":"Name"} stands for the last value published on that channel.
            match v.get("channel").and_then(Value::as_str) {
                Some(ch) if v.as_object().is_some_and(|o| o.len() == 1) => st
                    .last_data
                    .get(&format!("{plug_id}/data/{ch}"))
                    .and_then(|d| d.get("data").cloned())
                    .unwrap_or(Value::Null),
                _ => v.clone(),
            }
        };
        let out: Map<String, Value> = plug
            .properties
            .iter()
            .filter(|(k, _)| wanted.as_ref().is_none_or(|w| w.contains(k)))
            .map(|(k, v)| (k.clone(), resolve(v)))
            .collect();
        Value::Object(out)
    }
}

pub struct CloudPlugsGate(pub Arc<CloudPlugs>);

impl PlatformGate for CloudPlugsGate {
    fn name(&self) -> &'static str {
        "cloudplugs"
    }

    fn max_packet_size(&self) -> usize {
        1024 * 1024
    }

    fn accept(&self, connect: &Connect, handle: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal> {
        let cp = &self.0;
        if connect.level.is_v5() {
            return Err(Refusal { v3_code: 0x01, v5_code: 0x84, reason: "CloudPlugs speaks MQTT 3.1.1".into() });
        }
        let (hwid, name) = match connect.client_id.split_once('/') {
            Some((h, n)) => (h.to_string(), n.to_string()),
            None => (connect.client_id.clone(), String::new()),
        };
        let username = connect.username_str();
        let password = connect.password_str();
        let mode = if username.is_empty() && password.is_empty() {
            if hwid.is_empty() {
                return Err(Refusal {
                    v3_code: 0x02,
                    v5_code: 0x85,
                    reason: "enrollment needs a client id HWID[/NAME]".into(),
                });
            }
            Mode::Enrolling { hwid, name }
        } else {
            let st = cp.lock();
            if st.plugs.iter().any(|p| p.id == username && p.auth == password) {
                Mode::Plug(username.to_string())
            } else if st.accounts.iter().any(|a| a.email == username && a.password == password) {
                Mode::Account
            } else {
                return Err(Refusal {
                    v3_code: 0x04,
                    v5_code: 0x86,
                    reason: format!("unknown Plug-ID/email {username:?} or wrong auth code"),
                });
            }
        };
        let plug_id = match &mode {
            Mode::Plug(id) => Some(id.clone()),
            _ => None,
        };
        cp.lock().sessions.insert(handle.id, (handle.clone(), plug_id));
        Ok(Box::new(PlugSession { cp: cp.clone(), handle, mode, will: connect.will.clone() }))
    }
}

enum Mode {
    Enrolling { hwid: String, name: String },
    Plug(String),
    Account,
}

struct PlugSession {
    cp: Arc<CloudPlugs>,
    handle: SessionHandle,
    mode: Mode,
    will: Option<Will>,
}

impl PlatformSession for PlugSession {
    fn subscribe(&mut self, filter: &str, _qos: u8) -> SubscribeVerdict {
        // QoS 0 only; permissions are not checked here, and MQTT could not say so (docs/platforms/cloudplugs.md#qos).
        if let Mode::Enrolling { .. } = self.mode {
            let levels = filter.split('/').count();
            if !(filter.contains("/thing/") || filter.contains("/ctrl/")) || !(3..=4).contains(&levels) {
                return SubscribeVerdict::Refuse {
                    reason: "an enrollment session subscribes MODEL/thing/PASS or MODEL/ctrl/THING_HWID/PASS".into(),
                };
            }
        }
        SubscribeVerdict::Grant { filter: filter.to_string(), qos: 0 }
    }

    fn subscribed(&mut self, granted: &[String], out: &mut Outbox) {
        let Mode::Enrolling { hwid, name } = &self.mode else { return };
        let Some(topic) = granted.first() else { return };
        match self.cp.enroll(hwid, name, topic) {
            Ok(plug) => out.reply(topic.clone(), json!({"id": plug.id, "auth": plug.auth}).to_string()),
            Err(e) => {
                out.reply(topic.clone(), json!({"err": e.err, "msg": e.msg}).to_string());
                out.close(format!("enrollment failed: {}", e.msg));
            }
        }
    }

    fn publish(&mut self, publish: &Publish, out: &mut Outbox) -> PublishVerdict {
        let session_plug = match &self.mode {
            Mode::Enrolling { .. } => {
                return PublishVerdict::TopicInvalid("an enrollment session cannot publish".into());
            }
            Mode::Plug(id) => Some(id.clone()),
            Mode::Account => None,
        };
        let levels: Vec<&str> = publish.topic.split('/').collect();
        let target = levels.first().copied().unwrap_or("");
        if !self.cp.lock().may_write(session_plug.as_deref(), target) {
            crate::sim_log!("cloudplugs", "publish to {:?} dropped: no permission", publish.topic);
            return PublishVerdict::Accepted;
        }
        match levels.as_slice() {
            [_, "data", _, ..] => {
                if let Err(e) = self.cp.publish_data(&publish.topic, &publish.payload) {
                    crate::sim_log!("cloudplugs", "data on {:?} dropped: {e}", publish.topic);
                }
                PublishVerdict::Accepted
            }
            [plug, "ag", "prop", "set"] => {
                let answer = self.cp.set_properties(plug, &publish.payload);
                let body = if answer.is_null() { Vec::new() } else { answer.to_string().into_bytes() };
                out.reply(publish.topic.clone(), body);
                PublishVerdict::Accepted
            }
            [plug, "ag", "prop", "get"] => {
                out.reply(publish.topic.clone(), self.cp.get_properties(plug, &publish.payload).to_string());
                PublishVerdict::Accepted
            }
            _ => PublishVerdict::TopicInvalid(
                "not a CloudPlugs channel (PLUG_ID/data/CHANNEL or PLUG_ID/ag/prop/...)".into(),
            ),
        }
    }

    fn closed(&mut self, graceful: bool) {
        let mut st = self.cp.lock();
        st.sessions.remove(&self.handle.id);
        if let (false, Some(will)) = (graceful, &self.will) {
            st.route(&will.topic, &will.payload);
        }
    }
}
