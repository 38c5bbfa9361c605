//! `CloudPlugsDevice` for JavaScript: login, data channels (records as `"data"` events),
//! additional properties, and enrollment of things and controllers on connections of their own.

use std::cell::RefCell;
use std::rc::Rc;

use super::promise;
use js_sys::Function;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::client::{forward_state, live_resources_js};
use super::errors::{js, option_error};
use super::listeners::{self, Listeners, SharedListeners};
use super::options::{fields, nested_fields, plain_object, read_error};
use super::payload::{get, string_field, string_list, to_js, to_json};
use super::types::*;
use crate::json::ReadError;
use crate::platforms::cloudplugs::{
    data_filter, parse_data_record, parse_data_topic, CloudPlugsDevice, CloudPlugsOptions, DataDocument, LastWill,
    PropertyMap, PropertyValue,
};
use crate::session::QoS;

const EVENTS: &[&str] = &["data", "error", "state"];

/// A device (or account) logged in to CloudPlugs. Every PUBLISH and SUBSCRIBE is QoS 0, and
/// CloudPlugs cannot report a denied one.
///
/// ```ts
/// const dev = await CloudPlugsDevice.login(url, { username: "dev-...", auth: "...", hwid: "HW1" });
/// dev.on("data", (r) => console.log(r.channel, r.data));
/// await dev.subscribe("temperature");
/// await dev.publish("temperature", 21.5);
/// ```
#[wasm_bindgen(js_name = CloudPlugsDevice)]
pub struct JsCloudPlugsDevice {
    device: CloudPlugsDevice,
    listeners: SharedListeners,
}

#[wasm_bindgen(js_class = CloudPlugsDevice)]
impl JsCloudPlugsDevice {
    /// Logs in with a Plug-ID (or account email) and its auth code. Rejects with
    /// `CLOUDPLUGS_MISSING_AUTH`, `CLOUDPLUGS_INVALID_*`, `CONNACK_*` or `INVALID_OPTION`.
    pub fn login(url: String, options: CloudPlugsOptionsTs) -> PromiseCloudPlugsDevice {
        let parsed = login_options(&options.into());
        promise(async move {
            let device = CloudPlugsDevice::new(&url, &parsed?).map_err(js)?;
            let listeners: SharedListeners = Rc::new(RefCell::new(Listeners::default()));
            forward_state(device.client(), &listeners);
            let weak = Rc::downgrade(&listeners);
            device.client().on_any_message(move |m| {
                if parse_data_topic(&m.topic).is_none() {
                    return;
                }
                match parse_data_record(&m.topic, &m.payload) {
                    Ok(record) => listeners::emit_weak(&weak, "data", || to_js(&record)),
                    Err(e) => listeners::emit_weak(&weak, "error", || js(e)),
                }
            });
            let wrapped = JsCloudPlugsDevice { device, listeners };
            if let Err(e) = wrapped.device.connect().await {
                wrapped.close();
                return Err(js(e));
            }
            Ok(wrapped.into())
        })
        .unchecked_into()
    }

    /// Enrolls a thing of production template `model` and resolves with the credentials it logs in with.
    #[wasm_bindgen(js_name = enrollThing)]
    pub fn enroll_thing(url: String, options: EnrollThingOptionsTs) -> PromiseCloudPlugsCredentials {
        let options: JsValue = options.into();
        let fields = (|| {
            plain_object(&options, "options", &["model", "hwid", "name", "pass"])?;
            Ok::<_, JsValue>((
                required(&options, "model")?,
                required(&options, "hwid")?,
                string_field(&options, "name")?,
                required(&options, "pass")?,
            ))
        })();
        promise(async move {
            let (model, hwid, name, pass) = fields?;
            let credentials =
                CloudPlugsDevice::enroll_thing(&url, &model, &hwid, name.as_deref(), &pass).await.map_err(js)?;
            Ok(to_js(&credentials))
        })
        .unchecked_into()
    }

    /// Enrolls a controller of the thing with hardware ID `thingHwid`.
    #[wasm_bindgen(js_name = enrollController)]
    pub fn enroll_controller(url: String, options: EnrollControllerOptionsTs) -> PromiseCloudPlugsCredentials {
        let options: JsValue = options.into();
        let fields = (|| {
            plain_object(&options, "options", &["model", "thingHwid", "pass", "controllerHwid", "controllerName"])?;
            Ok::<_, JsValue>((
                required(&options, "model")?,
                required(&options, "thingHwid")?,
                required(&options, "pass")?,
                required(&options, "controllerHwid")?,
                string_field(&options, "controllerName")?,
            ))
        })();
        promise(async move {
            let (model, thing, pass, hwid, name) = fields?;
            let credentials = CloudPlugsDevice::enroll_controller(&url, &model, &thing, &pass, &hwid, name.as_deref())
                .await
                .map_err(js)?;
            Ok(to_js(&credentials))
        })
        .unchecked_into()
    }

    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        let event = listeners::event_name(&event, EVENTS)?;
        Ok(listeners::add(&self.listeners, event, listener))
    }

    /// Publishes `{"data", "at"?}` to `PLUG_ID/data/CHANNEL` (this device's, or `options.plugId`).
    pub fn publish(
        &self,
        channel: String,
        data: JsonValueTs,
        options: Option<CloudPlugsPublishOptionsTs>,
    ) -> PromiseVoid {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let parsed = (|| {
            plain_object(&options, "options", &["at", "plugId"])?;
            let at = get(&options, "at")?;
            let at = if at.is_undefined() {
                None
            } else {
                Some(at.as_f64().filter(|t| *t >= 0.0).ok_or_else(|| option_error("at", "expected a number"))? as u64)
            };
            Ok::<_, JsValue>((to_json(&data.into(), "data")?, at, string_field(&options, "plugId")?))
        })();
        let device = self.device.clone();
        promise(async move {
            let (data, at, plug_id) = parsed?;
            match plug_id {
                Some(plug) => device.publish_document(&plug, &channel, &DataDocument::new(data, at)).await,
                None => device.publish(&channel, data, at).await,
            }
            .map_err(js)?;
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// Subscribes to `PLUG_ID/data/MASK` (`+` and `#` allowed in the mask); records arrive as `"data"` events.
    pub fn subscribe(&self, channel_mask: String, options: Option<CloudPlugsSubscribeOptionsTs>) -> PromiseVoid {
        self.subscription(channel_mask, options, true)
    }

    pub fn unsubscribe(&self, channel_mask: String, options: Option<CloudPlugsSubscribeOptionsTs>) -> PromiseVoid {
        self.subscription(channel_mask, options, false)
    }

    /// Sets additional properties (static values, or `{channel}` references); resolves when CloudPlugs confirms.
    #[wasm_bindgen(js_name = setProperties)]
    pub fn set_properties(
        &self,
        properties: PropertiesTs,
        options: Option<CloudPlugsSubscribeOptionsTs>,
    ) -> PromiseVoid {
        let parsed = (|| {
            let Value::Object(map) = to_json(&properties.into(), "properties")? else {
                return Err(option_error("properties", "expected an object"));
            };
            let properties =
                PropertyMap::from_distinct(map.into_iter().map(|(k, v)| (k, PropertyValue::from(v))).collect());
            Ok((properties, plug_option(options)?))
        })();
        let device = self.device.clone();
        promise(async move {
            let (properties, plug_id) = parsed?;
            match plug_id {
                Some(plug) => device.set_properties_of(&plug, &properties).await,
                None => device.set_properties(&properties).await,
            }
            .map_err(js)?;
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// Reads additional properties: the names given, or all of them.
    #[wasm_bindgen(js_name = getProperties)]
    pub fn get_properties(
        &self,
        names: Option<StringArrayTs>,
        options: Option<CloudPlugsSubscribeOptionsTs>,
    ) -> PromiseJsonObject {
        let parsed = (|| {
            let names = string_list(&names.map_or(JsValue::UNDEFINED, JsValue::from), "names")?;
            Ok::<_, JsValue>((names, plug_option(options)?))
        })();
        let device = self.device.clone();
        promise(async move {
            let (names, plug_id) = parsed?;
            let values = match plug_id {
                Some(plug) => device.get_properties_of(&plug, names.as_deref()).await,
                None => device.get_properties(names.as_deref()).await,
            }
            .map_err(js)?;
            Ok(to_js(&values))
        })
        .unchecked_into()
    }

    /// The Plug-ID this connection acts as; `null` after an account-email login.
    #[wasm_bindgen(getter, js_name = plugId)]
    pub fn plug_id(&self) -> Option<String> {
        self.device.plug_id().map(str::to_owned)
    }

    #[wasm_bindgen(getter)]
    pub fn state(&self) -> ConnectionStateTs {
        super::client::state_js(&self.device.client().state()).unchecked_into()
    }

    /// Disconnects and frees every listener, closure and timer.
    pub fn close(&self) {
        self.device.close();
        self.listeners.borrow_mut().clear();
    }

    #[wasm_bindgen(js_name = liveResources)]
    pub fn live_resources(&self) -> LiveResourcesTs {
        live_resources_js(self.device.client(), self.listeners.borrow().len())
    }
}

impl JsCloudPlugsDevice {
    fn subscription(
        &self,
        mask: String,
        options: Option<CloudPlugsSubscribeOptionsTs>,
        subscribe: bool,
    ) -> PromiseVoid {
        let filter = plug_option(options).and_then(|plug| data_filter(plug.as_deref(), &mask).map_err(js));
        let client = self.device.client().clone();
        promise(async move {
            let filter = filter?;
            if subscribe {
                client.subscribe(&filter, QoS::AtMostOnce).await.map_err(js)?;
            } else {
                for result in client.unsubscribe(&[filter]).await.map_err(js)? {
                    result.map_err(js)?;
                }
            }
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }
}

fn plug_option(options: Option<CloudPlugsSubscribeOptionsTs>) -> Result<Option<String>, JsValue> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    plain_object(&options, "options", &["plugId"])?;
    string_field(&options, "plugId")
}

fn required(options: &JsValue, field: &str) -> Result<String, JsValue> {
    string_field(options, field)?.ok_or_else(|| option_error(field, "is required"))
}

/// The login options; `will.data` is any JSON, written as `JSON.stringify` writes a payload, so
/// it is read apart from the typed fields.
fn login_options(options: &JsValue) -> Result<CloudPlugsOptions, JsValue> {
    let (mut f, apart) = fields(options, "options", &["will"])?;
    let mut login = CloudPlugsOptions::read(&mut f).and_then(|o| f.deny_unknown().map(|()| o)).map_err(read_error)?;
    let will = &apart[0];
    if will.is_undefined() || will.is_null() {
        return Ok(login);
    }
    let (mut f, apart) = nested_fields(will, "will", &["data"])?;
    let read = (|| {
        let channel = f.optional("channel")?.ok_or_else(|| ReadError::new("is required").under("channel"))?;
        let plug_id = f.optional("plugId")?;
        f.deny_unknown().map(|()| (channel, plug_id))
    })();
    let (channel, plug_id) = read.map_err(|e| read_error(e.under("will")))?;
    login.will = Some(LastWill { channel, data: to_json(&apart[0], "will.data")?, plug_id });
    Ok(login)
}
