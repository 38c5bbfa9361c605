//! Unsent publishes kept in IndexedDB (through the `idb` crate), so a reload or a crash loses none:
//! every queued or in-flight message is written when published and deleted once delivered.

use std::cell::Cell;
use std::rc::Rc;

use idb::{Database, ObjectStore, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

use crate::error::ClientError;
use crate::session::{Outgoing, QoS};

const STORE: &str = "unsent";

/// One database per persistence name; records keyed by a number that grows across reloads.
#[derive(Clone)]
pub struct MessageStore {
    db: Rc<Database>,
    last_key: Rc<Cell<f64>>,
}

fn store_error(e: impl core::fmt::Display) -> ClientError {
    ClientError::Persistence(e.to_string())
}

impl MessageStore {
    pub async fn open(name: &str) -> Result<Self, ClientError> {
        let db = Database::builder(name)
            .version(1)
            .add_object_store(ObjectStore::builder(STORE))
            .build()
            .await
            .map_err(store_error)?;
        Ok(Self { db: Rc::new(db), last_key: Rc::new(Cell::new(0.0)) })
    }

    /// A key above every earlier one, even those written before a reload (milliseconds * 1000 + n).
    pub fn next_key(&self) -> f64 {
        let key = (js_sys::Date::now() * 1000.0).max(self.last_key.get() + 1.0);
        self.last_key.set(key);
        key
    }

    /// Every stored message, oldest first.
    pub async fn load(&self) -> Result<Vec<(f64, Outgoing)>, ClientError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(store_error)?;
        let store = tx.object_store(STORE).map_err(store_error)?;
        let keys = store.get_all_keys(None, None).map_err(store_error)?.await.map_err(store_error)?;
        let values = store.get_all(None, None).map_err(store_error)?.await.map_err(store_error)?;
        let mut out = Vec::with_capacity(keys.len());
        for (key, value) in keys.iter().zip(values.iter()) {
            if let (Some(key), Some(message)) = (key.as_f64(), decode(value)) {
                self.last_key.set(self.last_key.get().max(key));
                out.push((key, message));
            }
        }
        Ok(out)
    }

    /// Writes a message; failures are reported, not fatal (the message still goes out).
    pub async fn save(&self, key: f64, message: &Outgoing) -> Result<(), ClientError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(store_error)?;
        let store = tx.object_store(STORE).map_err(store_error)?;
        store.put(&encode(message), Some(&JsValue::from_f64(key))).map_err(store_error)?.await.map_err(store_error)?;
        tx.await.map_err(store_error)?;
        Ok(())
    }

    pub async fn remove(&self, key: f64) -> Result<(), ClientError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(store_error)?;
        let store = tx.object_store(STORE).map_err(store_error)?;
        store.delete(JsValue::from_f64(key)).map_err(store_error)?.await.map_err(store_error)?;
        tx.await.map_err(store_error)?;
        Ok(())
    }

    pub async fn count(&self) -> Result<u32, ClientError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(store_error)?;
        let store = tx.object_store(STORE).map_err(store_error)?;
        store.count(None).map_err(store_error)?.await.map_err(store_error)
    }

    pub fn close(&self) {
        self.db.close();
    }
}

fn encode(m: &Outgoing) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"topic".into(), &JsValue::from_str(&m.topic));
    let _ = Reflect::set(&o, &"payload".into(), &Uint8Array::from(m.payload.as_slice()));
    let _ = Reflect::set(&o, &"qos".into(), &JsValue::from(m.qos as u8));
    let _ = Reflect::set(&o, &"retain".into(), &JsValue::from_bool(m.retain));
    o.into()
}

/// A record written by another version or by hand may be anything: skip what does not fit.
fn decode(v: &JsValue) -> Option<Outgoing> {
    let topic = Reflect::get(v, &"topic".into()).ok()?.as_string()?;
    let payload = Reflect::get(v, &"payload".into()).ok()?.dyn_into_u8array()?;
    let qos = QoS::try_from(Reflect::get(v, &"qos".into()).ok()?.as_f64()? as u8).ok()?;
    let retain = Reflect::get(v, &"retain".into()).ok()?.as_bool().unwrap_or(false);
    Some(Outgoing { topic, payload, qos, retain })
}

trait IntoBytes {
    fn dyn_into_u8array(self) -> Option<Vec<u8>>;
}

impl IntoBytes for JsValue {
    fn dyn_into_u8array(self) -> Option<Vec<u8>> {
        use wasm_bindgen::JsCast;
        self.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec())
    }
}
