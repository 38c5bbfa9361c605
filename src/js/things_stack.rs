//! `ThingsStackApp` for JavaScript: an application's MQTT integration with typed events, uplink
//! decoders, and downlinks pushed from plain objects and tracked to their outcome.

use std::cell::RefCell;
use std::rc::Rc;

use super::promise;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::client::{bool_field, forward_state, live_resources_js};
use super::errors::{js, option_error};
use super::listeners::{self, Listeners, SharedListeners};
use super::options::{fields, plain_object, read_error};
use super::payload::{bytes_js, get, list, string_field, string_list, to_js, to_json, Obj};
use super::types::*;
use crate::error::{ClientError, SessionError};
use crate::json::FromJson;
use crate::platforms::things_stack::{
    CayenneLpp, DownlinkBuilder, DownlinkHandle, DownlinkStatus, EventKind, JsFormatter, Subscription, ThingsStackApp,
    ThingsStackEvent, UplinkDecoder,
};
use crate::session::ConnectOptions;

const EVENTS: &[&str] = &["event", "error", "state"];
const DOWNLINK_KEYS: &[&str] =
    &["fPort", "bytes", "hex", "base64", "text", "decodedPayload", "priority", "confirmed", "correlationIds"];
const DEFAULT_WAIT_MS: u32 = 30_000;

/// An application on The Things Stack (or the local simulator), over MQTT.
///
/// ```ts
/// const app = await ThingsStackApp.connect(url, { application: "my-app@ttn", apiKey: "NNSXS...." });
/// app.on("event", (e) => console.log(e.deviceId, e.kind, e.payload));
/// await app.subscribe();
/// const [tracker] = await app.push("my-device", [{ fPort: 15, hex: "BE EF", confirmed: true }]);
/// console.log(await tracker.outcome()); // { status: "acked" }
/// ```
#[wasm_bindgen(js_name = ThingsStackApp)]
pub struct JsThingsStackApp {
    app: ThingsStackApp,
    listeners: SharedListeners,
}

#[wasm_bindgen(js_class = ThingsStackApp)]
impl JsThingsStackApp {
    /// Logs in as `application` with an API key (MQTT 3.1.1, the only version The Things Stack
    /// speaks). Rejects with `TTS_NOT_AUTHORIZED`, `TTS_MISSING_API_KEY`, `TTS_INVALID_ID`, `INVALID_OPTION`.
    pub fn connect(url: String, options: ThingsStackOptionsTs) -> PromiseThingsStackApp {
        let parsed = fields(&options.into(), "options", &[]).and_then(|(mut f, _)| {
            let read = (|| {
                let d = ConnectOptions::default();
                let application: String = f.or("application", String::new())?;
                let api_key: String = f.or("apiKey", String::new())?;
                let connect = ConnectOptions {
                    client_id: f.or("clientId", d.client_id)?,
                    keepalive_secs: f.or("keepaliveSecs", d.keepalive_secs)?,
                    connect_timeout_ms: f.or("connectTimeoutMs", d.connect_timeout_ms)?,
                    ..d
                };
                f.deny_unknown().map(|()| (application, api_key, connect))
            })();
            read.map_err(read_error)
        });
        promise(async move {
            let (application, api_key, connect) = parsed?;
            let app = ThingsStackApp::connect(&url, &application, &api_key, connect).await.map_err(js)?;
            let listeners: SharedListeners = Rc::new(RefCell::new(Listeners::default()));
            forward_state(app.client(), &listeners);
            let weak = Rc::downgrade(&listeners);
            app.on_event(move |e| listeners::emit_weak(&weak, "event", || event_js(e)));
            let weak = Rc::downgrade(&listeners);
            app.on_error(move |e| listeners::emit_weak(&weak, "error", || js(e.clone())));
            Ok(JsThingsStackApp { app, listeners }.into())
        })
        .unchecked_into()
    }

    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        let event = listeners::event_name(&event, EVENTS)?;
        Ok(listeners::add(&self.listeners, event, listener))
    }

    /// Subscribes to the whole application (no argument), one device, one event kind, or both.
    pub fn subscribe(&self, subscription: Option<ThingsStackSubscriptionTs>) -> PromiseVoid {
        let parsed = subscription_option(&subscription.map_or(JsValue::UNDEFINED, Into::into));
        let app = self.app.clone();
        promise(async move {
            app.subscribe(&parsed?).await.map_err(js)?;
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// Appends downlinks to the device's queue; resolves with one tracker per downlink. Invalid
    /// downlinks are refused before sending (`TTS_INVALID_FPORT`, `TTS_PAYLOAD_TOO_LONG`, ...).
    pub fn push(&self, device_id: String, downlinks: DownlinkRequestsTs) -> PromiseDownlinkTrackers {
        self.send(device_id, downlinks.into(), false)
    }

    /// Replaces the device's queue with these downlinks.
    pub fn replace(&self, device_id: String, downlinks: DownlinkRequestsTs) -> PromiseDownlinkTrackers {
        self.send(device_id, downlinks.into(), true)
    }

    /// Empties the device's downlink queue.
    pub fn clear(&self, device_id: String) -> PromiseVoid {
        let app = self.app.clone();
        promise(async move {
            app.clear(&device_id).await.map_err(js)?;
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// Decodes uplinks in the page: `"cayenne-lpp"`, or `{formatter}` with the source of a TTS
    /// `decodeUplink(input)` formatter. The output arrives as `event.decoded`. A device's decoder
    /// overrides an FPort's, which overrides the default (`{}`).
    #[wasm_bindgen(js_name = setUplinkDecoder)]
    pub fn set_uplink_decoder(&self, target: DecoderTargetTs, decoder: UplinkDecoderTs) -> Result<(), JsValue> {
        let target: JsValue = target.into();
        plain_object(&target, "target", &["deviceId", "fPort"])?;
        let decoder: JsValue = decoder.into();
        let decoder: Rc<dyn UplinkDecoder> = if decoder.as_string().as_deref() == Some("cayenne-lpp") {
            Rc::new(CayenneLpp)
        } else if let Some(source) = match decoder.is_object() {
            true => {
                plain_object(&decoder, "decoder", &["formatter"]).and_then(|_| string_field(&decoder, "formatter"))?
            }
            false => None,
        } {
            Rc::new(JsFormatter::new(&source).map_err(js)?)
        } else {
            return Err(option_error("decoder", "expected \"cayenne-lpp\" or {formatter: source}"));
        };
        let f_port = get(&target, "fPort")?;
        if let Some(device_id) = string_field(&target, "deviceId")? {
            self.app.set_device_decoder(&device_id, decoder);
        } else if !f_port.is_undefined() {
            // Application uplinks use FPorts 1 to 223 (LoRaWAN; 0 carries MAC commands only).
            let port = f_port.as_f64().filter(|p| p.fract() == 0.0 && (1.0..=223.0).contains(p));
            let port = port.ok_or_else(|| option_error("fPort", "expected a whole number from 1 to 223"))?;
            self.app.set_f_port_decoder(port as u32, decoder);
        } else {
            self.app.set_default_decoder(decoder);
        }
        Ok(())
    }

    /// The application as the login names it (`app@tenant`).
    #[wasm_bindgen(getter)]
    pub fn application(&self) -> String {
        self.app.application().uid()
    }

    /// Downlinks still waiting for news.
    #[wasm_bindgen(getter, js_name = trackedDownlinks)]
    pub fn tracked_downlinks(&self) -> u32 {
        self.app.tracked_downlinks() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn state(&self) -> ConnectionStateTs {
        super::client::state_js(&self.app.client().state()).unchecked_into()
    }

    /// Disconnects, ends every tracker and frees every listener, closure and timer.
    pub fn close(&self) {
        self.app.close();
        self.listeners.borrow_mut().clear();
    }

    #[wasm_bindgen(js_name = liveResources)]
    pub fn live_resources(&self) -> LiveResourcesTs {
        live_resources_js(self.app.client(), self.listeners.borrow().len())
    }
}

impl JsThingsStackApp {
    fn send(&self, device_id: String, downlinks: JsValue, replace: bool) -> PromiseDownlinkTrackers {
        let parsed = downlink_list(&downlinks);
        let app = self.app.clone();
        promise(async move {
            let downlinks = parsed?;
            let handles = if replace {
                app.replace(&device_id, &downlinks).await
            } else {
                app.push(&device_id, &downlinks).await
            };
            let trackers = Array::new();
            for handle in handles.map_err(js)? {
                trackers.push(&JsDownlinkTracker::new(handle).into());
            }
            Ok(trackers.into())
        })
        .unchecked_into()
    }
}

fn subscription_option(value: &JsValue) -> Result<Subscription, JsValue> {
    plain_object(value, "subscription", &["deviceId", "event"])?;
    let event = match crate::json::from_js(&get(value, "event")?) {
        Ok(serde_json::Value::Null) => None,
        read => Some(read.and_then(EventKind::from_json).map_err(|e| option_error("event", e.message()))?),
    };
    Ok(Subscription { device_id: string_field(value, "deviceId")?, event })
}

fn downlink_list(value: &JsValue) -> Result<Vec<crate::platforms::things_stack::Downlink>, JsValue> {
    let downlinks =
        list(value, "downlinks")?.ok_or_else(|| option_error("downlinks", "expected an array of downlinks"))?;
    downlinks.iter().map(downlink).collect()
}

/// A `DownlinkRequest` through the platform's builder, so every mistake gets its TTS code.
fn downlink(value: &JsValue) -> Result<crate::platforms::things_stack::Downlink, JsValue> {
    plain_object(value, "downlink", DOWNLINK_KEYS)?;
    let f_port = get(value, "fPort")?.as_f64().filter(|p| p.fract() == 0.0 && *p >= 0.0);
    let f_port = f_port.ok_or_else(|| option_error("fPort", "expected an integer"))?;
    let mut builder = DownlinkBuilder::new(f_port.min(u32::MAX as f64) as u32);
    let bytes = get(value, "bytes")?;
    if !bytes.is_undefined() {
        let bytes =
            bytes.dyn_into::<js_sys::Uint8Array>().map_err(|_| option_error("bytes", "expected a Uint8Array"))?;
        builder = builder.bytes(bytes.to_vec());
    }
    if let Some(hex) = string_field(value, "hex")? {
        builder = builder.hex(hex);
    }
    if let Some(base64) = string_field(value, "base64")? {
        builder = builder.base64(base64);
    }
    if let Some(text) = string_field(value, "text")? {
        builder = builder.text(&text);
    }
    let decoded = get(value, "decodedPayload")?;
    if !decoded.is_undefined() {
        builder = builder.decoded_payload(to_json(&decoded, "decodedPayload")?);
    }
    if let Some(priority) = string_field(value, "priority")? {
        builder = builder.priority_name(priority);
    }
    builder = builder.confirmed(bool_field(value, "confirmed")?);
    for id in string_list(&get(value, "correlationIds")?, "correlationIds")?.unwrap_or_default() {
        builder = builder.correlation_id(id);
    }
    builder.build().map_err(js)
}

fn event_js(e: &ThingsStackEvent) -> JsValue {
    Obj::new()
        .set("deviceId", e.device_id.as_str())
        .set("kind", to_js(&e.kind))
        .set("payload", e.up.frm_payload().map_or(JsValue::NULL, bytes_js))
        .set("fPort", e.up.f_port().map_or(JsValue::NULL, JsValue::from))
        .set("decoded", e.decoded.as_ref().map_or(JsValue::NULL, to_js))
        .set("up", to_js(&e.up))
        .build()
}

/// Follows one pushed downlink: `queued`, `sent`, then `acked`/`nacked` when confirmed, or
/// `failed`/`invalidated`.
#[wasm_bindgen(js_name = DownlinkTracker)]
pub struct JsDownlinkTracker {
    handle: Rc<RefCell<Option<DownlinkHandle>>>,
    history: Rc<RefCell<Vec<DownlinkStatus>>>,
    correlation_id: String,
    device_id: String,
    confirmed: bool,
}

impl JsDownlinkTracker {
    fn new(handle: DownlinkHandle) -> Self {
        Self {
            correlation_id: handle.correlation_id().to_owned(),
            device_id: handle.device_id().to_owned(),
            confirmed: handle.confirmed(),
            handle: Rc::new(RefCell::new(Some(handle))),
            history: Rc::default(),
        }
    }
}

#[wasm_bindgen(js_class = DownlinkTracker)]
impl JsDownlinkTracker {
    /// The id the client added to the downlink; every event about it carries it.
    #[wasm_bindgen(getter, js_name = correlationId)]
    pub fn correlation_id(&self) -> String {
        self.correlation_id.clone()
    }

    #[wasm_bindgen(getter, js_name = deviceId)]
    pub fn device_id(&self) -> String {
        self.device_id.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    /// Every status seen so far, in order.
    #[wasm_bindgen(getter)]
    pub fn history(&self) -> DownlinkStatusesTs {
        to_js(&*self.history.borrow()).unchecked_into()
    }

    /// The next status within `timeoutMs` (default 30 s); `null` once nothing more can come.
    /// Rejects with `TTS_DOWNLINK_TIMEOUT`.
    pub fn next(&self, timeout_ms: Option<u32>) -> PromiseDownlinkStatusOrNull {
        let (handle, history) = (self.handle.clone(), self.history.clone());
        promise(async move {
            let mut h = take(&handle)?;
            let result = h.next(timeout_ms.unwrap_or(DEFAULT_WAIT_MS)).await;
            *history.borrow_mut() = h.history().to_vec();
            *handle.borrow_mut() = Some(h);
            Ok(result.map_err(js)?.map_or(JsValue::NULL, |s| to_js(&s)))
        })
        .unchecked_into()
    }

    /// Waits up to `timeoutMs` (default 30 s) for the final status: `acked` (confirmed), `sent`
    /// (unconfirmed), `failed` or `invalidated`.
    pub fn outcome(&self, timeout_ms: Option<u32>) -> PromiseDownlinkStatus {
        let (handle, history) = (self.handle.clone(), self.history.clone());
        promise(async move {
            let mut h = take(&handle)?;
            let result = h.outcome(timeout_ms.unwrap_or(DEFAULT_WAIT_MS)).await;
            *history.borrow_mut() = h.history().to_vec();
            *handle.borrow_mut() = Some(h);
            Ok(to_js(&result.map_err(js)?))
        })
        .unchecked_into()
    }
}

/// The handle for one wait; a second wait at the same time is refused rather than racing.
fn take(handle: &Rc<RefCell<Option<DownlinkHandle>>>) -> Result<DownlinkHandle, JsValue> {
    handle.borrow_mut().take().ok_or_else(|| {
        js(ClientError::Session(SessionError::InvalidOption {
            field: "downlink",
            reason: "another wait on this downlink is under way".into(),
        }))
    })
}
