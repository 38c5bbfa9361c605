//! Unsent publishes kept in IndexedDB, so a reload or a crash loses none: every queued or in-flight
//! message is written when published and deleted once delivered. IndexedDB's request/event API is
//! wrapped in Promises by a few lines of JS (below) rather than a crate: the `idb` crate brought tokio,
//! indexmap, num-traits and libm into the wasm for the same four operations.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::error::ClientError;
use crate::session::packets;
use crate::session::{Outgoing, PublishProperties, QoS};

#[wasm_bindgen(inline_js = r#"
const STORE = "unsent";
const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
const committed = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error || new Error("the IndexedDB transaction was aborted"));
});
export function idbOpen(name) {
  const request = indexedDB.open(name, 1);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
  };
  return done(request);
}
export function idbPut(db, key, value) {
  const tx = db.transaction(STORE, "readwrite");
  tx.objectStore(STORE).put(value, key);
  return committed(tx);
}
export function idbDelete(db, key) {
  const tx = db.transaction(STORE, "readwrite");
  tx.objectStore(STORE).delete(key);
  return committed(tx);
}
export function idbLoad(db) {
  const store = db.transaction(STORE, "readonly").objectStore(STORE);
  return Promise.all([done(store.getAllKeys()), done(store.getAll())]);
}
export function idbCount(db) {
  return done(db.transaction(STORE, "readonly").objectStore(STORE).count());
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = idbOpen, catch)]
    fn idb_open(name: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbPut, catch)]
    fn idb_put(db: &JsValue, key: f64, value: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbDelete, catch)]
    fn idb_delete(db: &JsValue, key: f64) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbLoad, catch)]
    fn idb_load(db: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = idbCount, catch)]
    fn idb_count(db: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, js_name = close)]
    fn close_db(db: &Database);
    type Database;
}

/// One database per persistence name; records keyed by a number that grows across reloads.
#[derive(Clone)]
pub struct MessageStore {
    db: Rc<JsValue>,
    last_key: Rc<Cell<f64>>,
}

/// Awaits an IndexedDB operation; a throw or a rejection (no IndexedDB, quota, a blocked upgrade,
/// private mode) becomes a `PERSISTENCE` error.
async fn run(started: Result<Promise, JsValue>) -> Result<JsValue, ClientError> {
    let failed = |e: JsValue| ClientError::Persistence(crate::transport::js_error_text(&e));
    JsFuture::from(started.map_err(failed)?).await.map_err(failed)
}

impl MessageStore {
    pub async fn open(name: &str) -> Result<Self, ClientError> {
        let db = run(idb_open(name)).await?;
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
        let both = Array::from(&run(idb_load(&self.db)).await?);
        let (keys, values) = (Array::from(&both.get(0)), Array::from(&both.get(1)));
        let mut out = Vec::with_capacity(keys.length() as usize);
        for (key, value) in keys.iter().zip(values.iter()) {
            if let (Some(key), Some(message)) = (key.as_f64(), decode(&value)) {
                self.last_key.set(self.last_key.get().max(key));
                out.push((key, message));
            }
        }
        Ok(out)
    }

    /// Writes a message; failures are reported, not fatal (the message still goes out).
    pub async fn save(&self, key: f64, message: &Outgoing) -> Result<(), ClientError> {
        run(idb_put(&self.db, key, &encode(message))).await.map(drop)
    }

    pub async fn remove(&self, key: f64) -> Result<(), ClientError> {
        run(idb_delete(&self.db, key)).await.map(drop)
    }

    pub async fn count(&self) -> Result<u32, ClientError> {
        Ok(run(idb_count(&self.db)).await?.as_f64().unwrap_or(0.0) as u32)
    }

    pub fn close(&self) {
        self.db.unchecked_ref::<Database>().close_db();
    }
}

fn encode(m: &Outgoing) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"topic".into(), &JsValue::from_str(&m.topic));
    let _ = Reflect::set(&o, &"payload".into(), &Uint8Array::from(m.payload.as_slice()));
    let _ = Reflect::set(&o, &"qos".into(), &JsValue::from(m.qos as u8));
    let _ = Reflect::set(&o, &"retain".into(), &JsValue::from_bool(m.retain));
    if !m.properties.is_empty() {
        // MQTT 5 properties in their wire form, read back by the codec's own reader.
        let props = packets::publish_properties(&m.properties);
        let _ = Reflect::set(&o, &"properties".into(), &Uint8Array::from(props.as_slice()));
    }
    o.into()
}

/// A record written by another version or by hand may be anything: skip what does not fit.
fn decode(v: &JsValue) -> Option<Outgoing> {
    let topic = Reflect::get(v, &"topic".into()).ok()?.as_string()?;
    let payload = Reflect::get(v, &"payload".into()).ok()?.dyn_into::<Uint8Array>().ok()?.to_vec();
    let qos = QoS::try_from(Reflect::get(v, &"qos".into()).ok()?.as_f64()? as u8).ok()?;
    let retain = Reflect::get(v, &"retain".into()).ok()?.as_bool().unwrap_or(false);
    // The npm shell writes an empty array for none; older records have no field.
    let properties = match Reflect::get(v, &"properties".into()).ok()?.dyn_into::<Uint8Array>() {
        Ok(bytes) if bytes.length() > 0 => packets::properties::stored(&bytes.to_vec()).ok()?,
        _ => PublishProperties::default(),
    };
    Some(Outgoing { topic, payload, qos, retain, properties })
}
