//! A ThingsBoard gateway session: many simulated sub-devices over one connection, each with
//! generated telemetry, its last values and the RPCs it received (answered at once).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::json;
use crate::json::{Map, Value};
use gloo::timers::callback::Interval;
use wasm_bindgen_futures::spawn_local;

use crate::app::error::AppError;
use crate::app::hooks::{now_ms, Redraw, Ring};
use crate::platforms::thingsboard::gateway::GatewayRpcRequest;
use crate::platforms::thingsboard::ThingsBoardGateway;

pub const MAX_DEVICES: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubDevice {
    pub values: Map<String, Value>,
    pub sent_at: f64,
    pub messages: u64,
    /// The latest RPCs, newest last: (when, method, params).
    pub rpcs: Vec<(f64, String, String)>,
    pub shared: Map<String, Value>,
}

pub struct GatewayStore {
    pub devices: RefCell<BTreeMap<String, SubDevice>>,
    /// (connected so far, asked for) while adding devices.
    pub adding: Cell<Option<(usize, usize)>>,
    pub period_ms: Cell<u32>,
    generator: RefCell<Option<Interval>>,
    pub rpc_log: RefCell<Ring<(f64, String, String)>>,
    pub last_error: RefCell<Option<String>>,
    pub batches: Cell<u64>,
}

#[derive(Clone)]
pub struct GatewaySession {
    pub gateway: ThingsBoardGateway,
    pub store: Rc<GatewayStore>,
    pub redraw: Redraw,
}

impl PartialEq for GatewaySession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }
}

impl GatewaySession {
    /// Answers sub-device RPCs and records shared-attribute updates.
    pub async fn start(gateway: ThingsBoardGateway) -> Self {
        let session = Self {
            gateway: gateway.clone(),
            store: Rc::new(GatewayStore {
                devices: RefCell::new(BTreeMap::new()),
                adding: Cell::new(None),
                period_ms: Cell::new(1_000),
                generator: RefCell::new(None),
                rpc_log: RefCell::new(Ring::new(200)),
                last_error: RefCell::new(None),
                batches: Cell::new(0),
            }),
            redraw: Redraw::default(),
        };
        // The page says whether this tab answers the sub-devices' RPCs on a shared connection.
        let turns = session.redraw.clone();
        gateway.device().on_turns(move || turns.notify());
        let (store, redraw) = (Rc::downgrade(&session.store), session.redraw.clone());
        let rpc = gateway
            .on_rpc(move |r: GatewayRpcRequest| {
                if let Some(store) = store.upgrade() {
                    let (now, params) = (now_ms(), r.params.to_string());
                    if let Some(d) = store.devices.borrow_mut().get_mut(&r.device) {
                        d.rpcs.push((now, r.method.clone(), params.clone()));
                        if d.rpcs.len() > 5 {
                            d.rpcs.remove(0);
                        }
                    }
                    store.rpc_log.borrow_mut().push((now, r.device.clone(), format!("{} {}", r.method, params)));
                    redraw.notify();
                }
                let reply = json!({ "ok": true, "device": r.device, "method": r.method });
                async move { Ok(reply) }
            })
            .await;
        let (store, redraw) = (Rc::downgrade(&session.store), session.redraw.clone());
        let attrs = gateway
            .subscribe_attributes(move |device, update| {
                if let Some(store) = store.upgrade() {
                    if let Some(d) = store.devices.borrow_mut().get_mut(device) {
                        d.shared.extend(update.values.clone());
                        for k in &update.deleted {
                            d.shared.remove(k);
                        }
                    }
                    redraw.notify();
                }
            })
            .await;
        if let Err(e) = rpc.and(attrs) {
            *session.store.last_error.borrow_mut() = Some(e.to_string());
        }
        session
    }

    pub fn close(&self) {
        self.store.generator.borrow_mut().take();
        self.gateway.close();
    }

    /// Connects `count` new sub-devices named `prefix-0001`…, reporting progress as it goes.
    pub async fn add_devices(&self, count: usize, prefix: &str) -> Result<(), AppError> {
        // Room left, not existing + count: a count typed as 4294967295 must not wrap past the cap.
        let existing = self.store.devices.borrow().len();
        let room = MAX_DEVICES.saturating_sub(existing);
        if count == 0 || count > room {
            return Err(AppError::input(
                "device_count",
                format!("add 1 to {room} devices (the page holds at most {MAX_DEVICES})"),
            ));
        }
        let prefix = prefix.trim();
        if prefix.is_empty() || prefix.contains(['/', '+', '#']) {
            return Err(AppError::input("device_prefix", "use a name prefix without / + #"));
        }
        self.store.adding.set(Some((0, count)));
        self.redraw.notify();
        let mut next = existing + 1;
        for done in 0..count {
            let name = loop {
                let candidate = format!("{prefix}-{next:04}");
                next += 1;
                if !self.store.devices.borrow().contains_key(&candidate) {
                    break candidate;
                }
            };
            if let Err(e) = self.gateway.connect_device(&name, Some("simulated")).await {
                self.store.adding.set(None);
                self.redraw.notify();
                return Err(e.into());
            }
            self.store.devices.borrow_mut().insert(name, SubDevice::default());
            self.store.adding.set(Some((done + 1, count)));
            self.redraw.notify();
        }
        self.store.adding.set(None);
        self.ensure_generator();
        self.redraw.notify();
        Ok(())
    }

    pub async fn remove_all(&self) -> Result<(), AppError> {
        self.store.generator.borrow_mut().take();
        let names: Vec<String> = self.store.devices.borrow().keys().cloned().collect();
        for name in names {
            self.gateway.disconnect_device(&name).await?;
            self.store.devices.borrow_mut().remove(&name);
            self.redraw.notify();
        }
        Ok(())
    }

    pub fn set_period(&self, period_ms: u32) -> Result<(), AppError> {
        if !(200..=60_000).contains(&period_ms) {
            return Err(AppError::input("period", "send every 200 ms to 60 s"));
        }
        self.store.period_ms.set(period_ms);
        self.store.generator.borrow_mut().take();
        self.ensure_generator();
        Ok(())
    }

    /// One telemetry batch for every sub-device per period, sine waves with a phase each.
    fn ensure_generator(&self) {
        if self.store.generator.borrow().is_some() || self.store.devices.borrow().is_empty() {
            return;
        }
        let busy = Rc::new(Cell::new(false));
        let (store, redraw, gateway) = (Rc::downgrade(&self.store), self.redraw.clone(), self.gateway.clone());
        let started = now_ms();
        let interval = Interval::new(self.store.period_ms.get(), move || {
            let Some(store) = store.upgrade() else { return };
            if busy.replace(true) {
                return;
            }
            let t = (now_ms() - started) / 1000.0;
            let batch: Vec<(String, Value)> = store
                .devices
                .borrow()
                .iter()
                .enumerate()
                .map(|(i, (name, d))| {
                    let phase = i as f64 * 0.37;
                    let temperature = 20.0 + 5.0 * (t / 10.0 + phase).sin();
                    let value = json!({
                        "temperature": (temperature * 100.0).round() / 100.0,
                        "counter": d.messages + 1,
                    });
                    (name.clone(), value)
                })
                .collect();
            let (busy, gateway, redraw) = (busy.clone(), gateway.clone(), redraw.clone());
            spawn_local(async move {
                let refs: Vec<(&str, &Value)> = batch.iter().map(|(n, v)| (n.as_str(), v)).collect();
                let result = gateway.send_telemetry_batch(&refs).await;
                let now = now_ms();
                match result {
                    Ok(()) => {
                        store.batches.set(store.batches.get() + 1);
                        let mut devices = store.devices.borrow_mut();
                        for (name, value) in batch {
                            if let (Some(d), Value::Object(map)) = (devices.get_mut(&name), value) {
                                d.values = map;
                                d.sent_at = now;
                                d.messages += 1;
                            }
                        }
                        *store.last_error.borrow_mut() = None;
                    }
                    Err(e) => *store.last_error.borrow_mut() = Some(e.to_string()),
                }
                busy.set(false);
                redraw.notify();
            });
        });
        *self.store.generator.borrow_mut() = Some(interval);
    }
}
