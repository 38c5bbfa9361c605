//! A CloudPlugs session: enrollment, publishing data documents to a channel, subscriptions with
//! wildcards feeding a live record list, and additional properties set/get.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::json::{Map, Value};

use crate::app::error::AppError;
use crate::app::hooks::{now_ms, Redraw, Ring};
use crate::platforms::cloudplugs::{
    data_filter, CloudPlugsDevice, Credentials, DataRecord, PropertyMap, PropertyValue,
};
use crate::QoS;

#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub seq: u64,
    pub received: f64,
    pub record: Result<DataRecord, String>,
}

pub struct CloudPlugsStore {
    pub records: RefCell<Ring<RecordRow>>,
    pub subscriptions: RefCell<Vec<String>>,
    /// One listener for every data topic, made with the first subscription: a record that two
    /// overlapping subscriptions match is listed once.
    listening: Cell<bool>,
    pub published: RefCell<Ring<(f64, String, String)>>,
}

#[derive(Clone)]
pub struct CloudPlugsSession {
    pub device: CloudPlugsDevice,
    pub store: Rc<CloudPlugsStore>,
    pub redraw: Redraw,
}

impl PartialEq for CloudPlugsSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.store, &other.store)
    }
}

fn json_input(field: &'static str, text: &str) -> Result<Value, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::input(field, format!("not valid JSON: {e}")))
}

impl CloudPlugsSession {
    pub fn new(device: CloudPlugsDevice) -> Self {
        Self {
            device,
            store: Rc::new(CloudPlugsStore {
                records: RefCell::new(Ring::new(500)),
                subscriptions: RefCell::new(Vec::new()),
                listening: Cell::new(false),
                published: RefCell::new(Ring::new(50)),
            }),
            redraw: Redraw::default(),
        }
    }

    /// Subscribes to `PLUG/data/MASK` (`+` and `#` allowed) and lists every record that arrives.
    pub async fn subscribe(&self, plug_id: &str, mask: &str) -> Result<(), AppError> {
        let plug = Some(plug_id.trim()).filter(|p| !p.is_empty() && *p != "+");
        let filter = data_filter(plug, mask.trim()).map_err(|e| AppError::input("mask", e.to_string()))?;
        if self.store.subscriptions.borrow().contains(&filter) {
            return Err(AppError::input("mask", format!("{filter} is already subscribed")));
        }
        if !self.store.listening.replace(true) {
            let (store, redraw) = (Rc::downgrade(&self.store), self.redraw.clone());
            self.device.on_data(None, "#", move |record| {
                if let Some(store) = store.upgrade() {
                    let mut records = store.records.borrow_mut();
                    let seq = records.total();
                    records.push(RecordRow { seq, received: now_ms(), record: record.map_err(|e| e.to_string()) });
                    redraw.notify();
                }
            })?;
        }
        if let Err(e) = self.device.link().subscribe(&filter, QoS::AtMostOnce).await {
            return Err(AppError::input("mask", e.to_string()));
        }
        self.store.subscriptions.borrow_mut().push(filter);
        self.redraw.notify();
        Ok(())
    }

    /// Unsubscribes from one of the subscriptions made here.
    pub async fn unsubscribe(&self, filter: &str) -> Result<(), AppError> {
        self.device.link().unsubscribe(filter).await?;
        self.store.subscriptions.borrow_mut().retain(|f| f != filter);
        self.redraw.notify();
        Ok(())
    }

    pub async fn publish(&self, channel: &str, data: &str, at: Option<u64>) -> Result<(), AppError> {
        let value = json_input("data", data)?;
        self.device.publish(channel.trim(), value.clone(), at).await.map_err(|e| match e {
            crate::platforms::cloudplugs::CloudPlugsError::InvalidChannel { .. } => {
                AppError::input("channel", e.to_string())
            }
            other => other.into(),
        })?;
        self.store.published.borrow_mut().push((now_ms(), channel.trim().to_owned(), value.to_string()));
        self.redraw.notify();
        Ok(())
    }

    pub async fn set_properties(&self, json: &str) -> Result<(), AppError> {
        let Value::Object(map) = json_input("props_set", json)? else {
            return Err(AppError::input("props_set", "properties are a JSON object: {\"name\": value, ...}"));
        };
        let properties =
            PropertyMap::from_distinct(map.into_iter().map(|(k, v)| (k, PropertyValue::from(v))).collect());
        Ok(self.device.set_properties(&properties).await?)
    }

    pub async fn get_properties(&self, names: &str) -> Result<Map<String, Value>, AppError> {
        let names: Vec<String> = names.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let names = (!names.is_empty()).then_some(names);
        Ok(self.device.get_properties(names.as_deref()).await?)
    }
}

/// Enrolls a thing (or, with `thing_hwid`, a controller of that thing) on a connection of its own.
pub async fn enroll(
    url: &str,
    model: &str,
    pass: &str,
    hwid: &str,
    name: &str,
    thing_hwid: Option<&str>,
) -> Result<Credentials, AppError> {
    let name = Some(name.trim()).filter(|n| !n.is_empty());
    let credentials = match thing_hwid {
        None => CloudPlugsDevice::enroll_thing(url, model.trim(), hwid.trim(), name, pass).await?,
        Some(thing) => {
            CloudPlugsDevice::enroll_controller(url, model.trim(), thing.trim(), pass, hwid.trim(), name).await?
        }
    };
    Ok(credentials)
}
