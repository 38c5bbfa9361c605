//! A ThingsBoard device session for the dashboard: telemetry (composed or generated), the
//! attribute table with deletions, server RPC answered by reply rules, client RPC, claiming.
//! Firmware lives in `firmware.rs`. Everything the page shows is recorded in `TbStore`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::json::{Map, Value};
use futures_channel::oneshot;
use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use serde::{Deserialize, Serialize};
use wasm_bindgen_futures::spawn_local;

use super::firmware::FirmwareView;
use super::payload::numeric_fields;
use super::rpc_memory;
use super::waveform::{GeneratorKey, Waveform};
use crate::app::error::AppError;
use crate::app::hooks::{now_ms, Redraw, Ring};
use crate::chart::SeriesSet;
use crate::client::thingsboard::device::RpcResult;
use crate::client::time::timeout;
use crate::platforms::thingsboard::rpc::parse_rpc_request;
use crate::platforms::thingsboard::telemetry::parse_telemetry;
use crate::platforms::thingsboard::topics::RPC_REQUEST_FILTER;
use crate::platforms::thingsboard::{FirmwareUpdater, RpcRequest, ThingsBoardDevice};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Client,
    Shared,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Shared => "shared",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeRow {
    pub value: Value,
    pub updated: f64,
    pub deleted: bool,
}

/// How a server-side RPC method is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReplyMode {
    Fixed(Value),
    Echo,
    /// The operator types the reply; after `timeout_secs` an error goes back instead.
    Manual {
        timeout_secs: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyRule {
    pub method: String,
    pub mode: ReplyMode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RpcDirection {
    /// From the server; `id` is ThingsBoard's request id.
    Incoming { id: u64 },
    /// A client-side call made from this page.
    Outgoing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcEntry {
    pub seq: u64,
    pub at: f64,
    pub direction: RpcDirection,
    pub method: String,
    pub params: String,
    /// The reply sent or the result received; `None` while waiting.
    pub outcome: Option<Result<String, String>>,
}

/// A server RPC waiting for the operator's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualReply {
    pub id: u64,
    pub method: String,
    pub params: String,
    pub deadline: f64,
}

pub struct Generator {
    _interval: Interval,
    pub keys: Vec<GeneratorKey>,
    pub rate_hz: f64,
}

pub struct TbStore {
    /// The profile this session connected with: the key of what it remembers across reloads.
    profile_id: String,
    pub series: Rc<RefCell<SeriesSet>>,
    pub attributes: RefCell<BTreeMap<(Scope, String), AttributeRow>>,
    pub rpc_log: RefCell<Ring<RpcEntry>>,
    pub rules: RefCell<Vec<ReplyRule>>,
    pub manual: RefCell<Vec<ManualReply>>,
    manual_replies: RefCell<HashMap<u64, oneshot::Sender<RpcResult>>>,
    pub generator: RefCell<Option<Generator>>,
    pub sent_messages: Cell<u64>,
    pub generator_error: RefCell<Option<String>>,
    pub errors: RefCell<Ring<String>>,
    pub firmware: RefCell<FirmwareView>,
    pub updater: RefCell<Option<FirmwareUpdater>>,
    /// The window's `storage` events, by which the rules follow another tab's changes.
    rules_listener: RefCell<Option<EventListener>>,
}

#[derive(Clone)]
pub struct TbSession {
    pub device: ThingsBoardDevice,
    pub store: Rc<TbStore>,
    pub redraw: Redraw,
}

impl PartialEq for TbSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}…", &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

impl TbSession {
    /// Subscribes to shared attributes and RPC, and asks for every attribute once. The profile's
    /// reply rules and RPC history come back from the last visit.
    pub async fn start(device: ThingsBoardDevice, profile_id: &str) -> Self {
        let session = Self {
            device: device.clone(),
            store: Rc::new(TbStore {
                profile_id: profile_id.to_owned(),
                series: Rc::new(RefCell::new(SeriesSet::new(8))),
                attributes: RefCell::new(BTreeMap::new()),
                rpc_log: RefCell::new(Ring::new(rpc_memory::KEPT_ROWS)),
                rules: RefCell::new(Vec::new()),
                manual: RefCell::new(Vec::new()),
                manual_replies: RefCell::new(HashMap::new()),
                generator: RefCell::new(None),
                sent_messages: Cell::new(0),
                generator_error: RefCell::new(None),
                errors: RefCell::new(Ring::new(50)),
                firmware: RefCell::new(FirmwareView::default()),
                updater: RefCell::new(None),
                rules_listener: RefCell::new(None),
            }),
            redraw: Redraw::default(),
        };
        let memory = rpc_memory::load(profile_id);
        for row in memory.log {
            session.store.rpc_log.borrow_mut().push(row);
        }
        for rule in memory.rules {
            session.apply_rule(rule);
        }
        // Another tab on the profile changed the rules: this one's follow.
        let weak = session.weak();
        let key = rpc_memory::rules_key(profile_id);
        let listener = web_sys::window().map(|w| {
            EventListener::new(&w, "storage", move |e| {
                // The rules' key, or none (the storage cleared); not the other tabs' history.
                let changed = js_sys::Reflect::get(e, &"key".into()).ok().and_then(|k| k.as_string());
                if changed.is_some_and(|k| k != key) {
                    return;
                }
                if let Some(s) = weak() {
                    s.follow_stored_rules();
                }
            })
        });
        *session.store.rules_listener.borrow_mut() = listener;
        // The firmware panel and the RPC log say which turns this tab holds on a shared connection.
        let redraw = session.redraw.clone();
        device.on_turns(move || redraw.notify());
        let weak = session.weak();
        device.on_error(move |e| {
            if let Some(s) = weak() {
                s.store.errors.borrow_mut().push(e.to_string());
                s.redraw.notify();
            }
        });
        // Every server RPC reaches the log, whether a rule answers it or not. A method without a
        // rule has no handler, so the client answers it at once with an error ("unknown method");
        // its row says so instead of waiting for a reply that nothing will give. On a shared
        // connection, the tab that holds the method's turn answers, and one tab answers "unknown
        // method" for a method no tab has a rule for (docs/shared.md).
        let weak = session.weak();
        let shared = device.client().is_none();
        let _ = device.link().on_message(RPC_REQUEST_FILTER, move |m| {
            let Some(s) = weak() else { return };
            if let Ok(r) = parse_rpc_request(&m.topic, &m.payload) {
                let ruled = s.store.rules.borrow().iter().any(|rule| rule.method == r.method);
                let outcome = match (ruled, shared) {
                    (false, false) => {
                        Some(Err(format!("no reply rule: answered error \"unknown method: {}\"", r.method)))
                    }
                    (false, true) => Some(Ok(format!(
                        "no reply rule here: a tab with one answers, or one tab answers \"unknown method: {}\"",
                        r.method
                    ))),
                    (true, true) if !s.device.runs_rpc(&r.method) => {
                        Some(Ok("left to the tab whose turn it is on this shared connection".to_owned()))
                    }
                    (true, _) => None,
                };
                s.log_rpc(RpcDirection::Incoming { id: r.id }, &r.method, short(&r.params), outcome);
            }
        });
        let weak = session.weak();
        let shared = device
            .subscribe_shared_attributes(move |update| {
                let Some(s) = weak() else { return };
                let now = now_ms();
                {
                    let mut attrs = s.store.attributes.borrow_mut();
                    for (k, v) in &update.values {
                        attrs.insert(
                            (Scope::Shared, k.clone()),
                            AttributeRow { value: v.clone(), updated: now, deleted: false },
                        );
                    }
                    for k in &update.deleted {
                        let row = attrs.entry((Scope::Shared, k.clone())).or_insert(AttributeRow {
                            value: Value::Null,
                            updated: now,
                            deleted: true,
                        });
                        row.deleted = true;
                        row.updated = now;
                    }
                }
                let mut series = s.store.series.borrow_mut();
                // Package descriptions (fw_size, ...) are not measurements.
                for (k, v) in numeric_fields(&Value::Object(update.values.clone())) {
                    if k.starts_with("fw_") || k.starts_with("sw_") {
                        continue;
                    }
                    series.push(&format!("received {k}"), now, v);
                }
                drop(series);
                s.redraw.notify();
            })
            .await;
        if let Err(e) = shared {
            session.store.errors.borrow_mut().push(e.to_string());
        }
        if let Err(e) = device.enable_rpc().await {
            session.store.errors.borrow_mut().push(e.to_string());
        }
        session
    }

    /// Adds what the device's attribute mirror knows and the table does not (answers to requests
    /// made by the firmware updater, for example).
    pub fn sync_mirror(&self) {
        let mirror = self.device.attributes();
        let now = now_ms();
        let mut attrs = self.store.attributes.borrow_mut();
        for (scope, map) in [(Scope::Client, &mirror.client), (Scope::Shared, &mirror.shared)] {
            for (k, v) in map {
                attrs.entry((scope, k.clone())).or_insert_with(|| AttributeRow {
                    value: v.clone(),
                    updated: now,
                    deleted: false,
                });
            }
        }
        drop(attrs);
        self.redraw.notify();
    }

    fn weak(&self) -> impl Fn() -> Option<TbSession> + 'static {
        let (device, store, redraw) = (self.device.clone(), Rc::downgrade(&self.store), self.redraw.clone());
        // The device is cheap to clone and holds the client only weakly inside its routes.
        move || store.upgrade().map(|store| TbSession { device: device.clone(), store, redraw: redraw.clone() })
    }

    pub fn close(&self) {
        self.store.rules_listener.borrow_mut().take();
        self.store.generator.borrow_mut().take();
        self.store.updater.borrow_mut().take();
        self.store.manual_replies.borrow_mut().clear();
        self.device.close();
    }

    fn log_rpc(
        &self,
        direction: RpcDirection,
        method: &str,
        params: String,
        outcome: Option<Result<String, String>>,
    ) -> u64 {
        let mut log = self.store.rpc_log.borrow_mut();
        let seq = log.total();
        log.push(RpcEntry { seq, at: now_ms(), direction, method: method.to_owned(), params, outcome });
        drop(log);
        self.remember();
        self.redraw.notify();
        seq
    }

    /// Keeps the RPC history for the next visit.
    fn remember(&self) {
        let store = &self.store;
        rpc_memory::save_log(&store.profile_id, store.rpc_log.borrow().iter());
    }

    /// Keeps the reply rules for the next visit and the other tabs on the profile.
    fn remember_rules(&self) {
        rpc_memory::save_rules(&self.store.profile_id, &self.store.rules.borrow());
    }

    /// The rules another tab on the profile wrote: those gone are removed, the new and changed
    /// ones answer from now on, in that tab's order. Nothing is written back, so two tabs never
    /// undo each other.
    fn follow_stored_rules(&self) {
        let Some(rules) = rpc_memory::rules(&self.store.profile_id) else { return };
        if *self.store.rules.borrow() == rules {
            return;
        }
        let gone: Vec<String> = {
            let mine = self.store.rules.borrow();
            mine.iter().filter(|r| !rules.iter().any(|n| n.method == r.method)).map(|r| r.method.clone()).collect()
        };
        for method in gone {
            self.drop_rule(&method);
        }
        for rule in &rules {
            if !self.store.rules.borrow().contains(rule) {
                self.apply_rule(rule.clone());
            }
        }
        *self.store.rules.borrow_mut() = rules;
    }

    fn settle_rpc(&self, matches: impl Fn(&RpcEntry) -> bool, outcome: Result<String, String>) {
        if let Some(e) = self.store.rpc_log.borrow_mut().iter_mut().rev().find(|e| matches(e)) {
            e.outcome = Some(outcome);
        }
        self.remember();
        self.redraw.notify();
    }

    /// Sends telemetry in any ThingsBoard format and charts its numeric values.
    pub async fn send_telemetry(&self, value: &Value) -> Result<(), AppError> {
        self.device.send_telemetry(value).await?;
        self.store.sent_messages.set(self.store.sent_messages.get() + 1);
        self.chart_sent(value);
        self.redraw.notify();
        Ok(())
    }

    fn chart_sent(&self, value: &Value) {
        let Ok(records) = parse_telemetry(value) else { return };
        let now = now_ms();
        let mut series = self.store.series.borrow_mut();
        for r in records {
            // Old timestamps would fall outside the live window: chart at arrival time instead.
            let t = r.ts.map(|t| t as f64).filter(|t| (now - t).abs() < 60_000.0).unwrap_or(now);
            for (k, v) in numeric_fields(&Value::Object(r.values)) {
                series.push(&format!("sent {k}"), t, v);
            }
        }
    }

    pub async fn send_attributes(&self, value: &Value) -> Result<(), AppError> {
        self.device.send_attributes(value).await?;
        let now = now_ms();
        if let Value::Object(map) = value {
            let mut attrs = self.store.attributes.borrow_mut();
            for (k, v) in map {
                attrs.insert(
                    (Scope::Client, k.clone()),
                    AttributeRow { value: v.clone(), updated: now, deleted: false },
                );
            }
        }
        self.redraw.notify();
        Ok(())
    }

    /// Asks for attributes by key (none = all) and puts the answer in the table.
    pub async fn request_attributes(&self, client: &[&str], shared: &[&str]) -> Result<usize, AppError> {
        let response = self.device.request_attributes(client, shared).await?;
        let now = now_ms();
        let mut attrs = self.store.attributes.borrow_mut();
        let mut count = 0;
        for (scope, map) in [(Scope::Client, &response.client), (Scope::Shared, &response.shared)] {
            for (k, v) in map {
                attrs.insert((scope, k.clone()), AttributeRow { value: v.clone(), updated: now, deleted: false });
                count += 1;
            }
        }
        drop(attrs);
        self.redraw.notify();
        Ok(count)
    }

    /// Adds or replaces the reply rule for a method and answers its calls from now on, in every tab
    /// on the profile.
    pub fn set_rule(&self, rule: ReplyRule) {
        // What another tab wrote since this one last heard is kept.
        self.follow_stored_rules();
        self.apply_rule(rule);
        self.remember_rules();
    }

    /// Adds or replaces the reply rule for a method in this tab.
    fn apply_rule(&self, rule: ReplyRule) {
        let method = rule.method.clone();
        {
            let mut rules = self.store.rules.borrow_mut();
            rules.retain(|r| r.method != method);
            rules.push(rule);
        }
        let weak = self.weak();
        let m = method.clone();
        self.device.on_rpc(&method, move |request: RpcRequest| {
            let session = weak();
            let method = m.clone();
            async move {
                let Some(s) = session else { return Err("the dashboard closed this session".to_string()) };
                let result = s.answer(&method, request).await;
                result
            }
        });
        self.redraw.notify();
    }

    /// Removes the reply rule for a method, in every tab on the profile.
    pub fn remove_rule(&self, method: &str) {
        self.follow_stored_rules();
        self.drop_rule(method);
        self.remember_rules();
    }

    fn drop_rule(&self, method: &str) {
        self.store.rules.borrow_mut().retain(|r| r.method != method);
        self.device.remove_rpc(method);
        self.redraw.notify();
    }

    async fn answer(&self, method: &str, request: RpcRequest) -> RpcResult {
        let mode = self.store.rules.borrow().iter().find(|r| r.method == method).map(|r| r.mode.clone());
        let id = request.id;
        let result = match mode {
            None => Err(format!("no reply rule for {method:?}")),
            Some(ReplyMode::Fixed(v)) => Ok(v),
            Some(ReplyMode::Echo) => Ok(request.params.clone()),
            Some(ReplyMode::Manual { timeout_secs }) => {
                let (tx, rx) = oneshot::channel();
                self.store.manual_replies.borrow_mut().insert(id, tx);
                self.store.manual.borrow_mut().push(ManualReply {
                    id,
                    method: method.to_owned(),
                    params: short(&request.params),
                    deadline: now_ms() + f64::from(timeout_secs) * 1000.0,
                });
                self.redraw.notify();
                let answer = timeout(timeout_secs * 1000, rx).await;
                self.store.manual_replies.borrow_mut().remove(&id);
                self.store.manual.borrow_mut().retain(|m| m.id != id);
                match answer {
                    Some(Ok(result)) => result,
                    _ => Err(format!("no reply from the operator within {timeout_secs} s")),
                }
            }
        };
        let shown = match &result {
            Ok(v) => Ok(format!("replied {}", short(v))),
            Err(e) => Err(format!("replied error: {e}")),
        };
        self.settle_rpc(|e| e.direction == RpcDirection::Incoming { id } && e.outcome.is_none(), shown);
        result
    }

    /// The operator's reply to a waiting manual RPC.
    pub fn reply_manual(&self, id: u64, reply: &str) -> Result<(), AppError> {
        let value: Value = serde_json::from_str(reply)
            .map_err(|e| AppError::input("manual_reply", format!("the reply must be JSON: {e}")))?;
        let tx = self.store.manual_replies.borrow_mut().remove(&id);
        match tx {
            Some(tx) => {
                let _ = tx.send(Ok(value));
                Ok(())
            }
            None => Err(AppError::input("manual_reply", "this RPC has already been answered or timed out")),
        }
    }

    /// A client-side RPC; its result or timeout goes to the log.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, AppError> {
        if method.trim().is_empty() {
            return Err(AppError::input("call_method", "enter the method to call"));
        }
        let seq = self.log_rpc(RpcDirection::Outgoing, method, short(&params), None);
        let result = self.device.call(method, params).await;
        let shown = match &result {
            Ok(v) => Ok(short(v)),
            Err(e) => Err(e.to_string()),
        };
        self.settle_rpc(|e| e.seq == seq, shown);
        Ok(result?)
    }

    pub async fn claim(&self, secret: Option<&str>, duration_ms: Option<u64>) -> Result<(), AppError> {
        Ok(self.device.claim(secret, duration_ms).await?)
    }

    /// Starts (or restarts) the generator: one telemetry message per tick with every key.
    pub fn start_generator(&self, keys: Vec<GeneratorKey>, rate_hz: f64) -> Result<(), AppError> {
        if keys.is_empty() {
            return Err(AppError::input("generator_keys", "add at least one key"));
        }
        if !(0.1..=50.0).contains(&rate_hz) {
            return Err(AppError::input("generator_rate", "the rate must be between 0.1 and 50 messages per second"));
        }
        let state: Rc<RefCell<Vec<(GeneratorKey, f64)>>> =
            Rc::new(RefCell::new(keys.iter().map(|k| (k.clone(), k.start())).collect()));
        let busy = Rc::new(Cell::new(false));
        let weak = self.weak();
        let started = now_ms();
        let interval = Interval::new((1000.0 / rate_hz) as u32, move || {
            let Some(s) = weak() else { return };
            if busy.replace(true) {
                return; // the last send is still waiting for its PUBACK
            }
            let t = (now_ms() - started) / 1000.0;
            let mut values = Map::new();
            for (key, last) in state.borrow_mut().iter_mut() {
                *last = key.next(*last, t);
                values.insert(key.name.clone(), Value::from((*last * 1000.0).round() / 1000.0));
            }
            let busy = busy.clone();
            spawn_local(async move {
                let result = s.send_telemetry(&Value::Object(values)).await;
                *s.store.generator_error.borrow_mut() = result.err().map(|e| e.to_string());
                busy.set(false);
            });
        });
        *self.store.generator.borrow_mut() = Some(Generator { _interval: interval, keys, rate_hz });
        self.redraw.notify();
        Ok(())
    }

    pub fn stop_generator(&self) {
        self.store.generator.borrow_mut().take();
        self.redraw.notify();
    }
}

/// Defaults for a new generator key.
pub fn default_generator_keys() -> Vec<GeneratorKey> {
    vec![
        GeneratorKey { name: "temperature".into(), waveform: Waveform::Sine, base: 21.0, amplitude: 3.0 },
        GeneratorKey { name: "humidity".into(), waveform: Waveform::RandomWalk, base: 45.0, amplitude: 0.5 },
    ]
}
