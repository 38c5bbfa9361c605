//! `ThingsBoardDevice` and `ThingsBoardGateway` for JavaScript: telemetry, attributes, RPC both
//! ways (handlers may be async JS functions), claiming, firmware updates and provisioning.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::promise;
use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::client::{forward_state, live_resources_js};
use super::errors::{js, option_error};
use super::listeners::{self, Listeners, SharedListeners};
use super::options::{fields, plain_object, read_error};
use super::payload::{bytes_js, get, string_field, string_list, to_js, to_json};
use super::types::*;
use crate::collections::VecSet;
use crate::platforms::thingsboard::{
    provision, Credentials, DeviceOptions, FirmwareUpdater, OtaOptions, PackageKind, ProvisionRequest,
    ThingsBoardDevice, ThingsBoardGateway,
};
use crate::session::ProtocolVersion;

const DEVICE_EVENTS: &[&str] = &["sharedAttributes", "firmware", "error", "state"];
const GATEWAY_EVENTS: &[&str] = &["attributes", "error", "state"];

/// Reads `{token}` or `{clientId, username?, password?}` plus the device options.
fn device_options(options: &JsValue) -> Result<(Credentials, DeviceOptions), JsValue> {
    let (mut f, _) = fields(options, "options", &[])?;
    let read = (|| {
        let credentials = Credentials::read(&mut f)?;
        let device = DeviceOptions::read(&mut f)?;
        f.deny_unknown().map(|()| (credentials, device))
    })();
    read.map_err(read_error)
}

/// Runs a JS handler and waits for its result if it returns a Promise; a throw or a rejection
/// becomes the error text sent back to ThingsBoard.
async fn call_handler(f: &Function, args: &[JsValue]) -> Result<Value, String> {
    let returned = match args {
        [a] => f.call1(&JsValue::UNDEFINED, a),
        [a, b] => f.call2(&JsValue::UNDEFINED, a, b),
        _ => f.call0(&JsValue::UNDEFINED),
    };
    let value = match returned {
        Ok(v) => JsFuture::from(Promise::resolve(&v)).await.map_err(|e| error_text(&e))?,
        Err(e) => return Err(error_text(&e)),
    };
    if value.is_undefined() {
        return Ok(Value::Object(Default::default()));
    }
    to_json(&value, "RPC result").map_err(|e| error_text(&e))
}

fn error_text(e: &JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => e.as_string().unwrap_or_else(|| "the handler failed".into()),
    }
}

fn key_list(value: &JsValue, field: &str) -> Result<Vec<String>, JsValue> {
    string_list(value, field).map(Option::unwrap_or_default)
}

fn claim_options(options: &JsValue) -> Result<(Option<String>, Option<u64>), JsValue> {
    plain_object(options, "options", &["secretKey", "durationMs"])?;
    let secret = string_field(options, "secretKey")?;
    let duration = get(options, "durationMs")?;
    let duration = if duration.is_undefined() || duration.is_null() {
        None
    } else {
        Some(duration.as_f64().filter(|d| *d >= 0.0).ok_or_else(|| option_error("durationMs", "expected a number"))?
            as u64)
    };
    Ok((secret, duration))
}

fn void<E: super::errors::Coded>(r: Result<(), E>) -> Result<JsValue, JsValue> {
    r.map(|_| JsValue::UNDEFINED).map_err(js)
}

/// The provisioning request, and the options of its short connection.
fn provision_options(
    request: &JsValue,
    options: &JsValue,
) -> Result<(ProvisionRequest, ProtocolVersion, u32), JsValue> {
    let (mut f, _) = fields(request, "request", &[])?;
    let request = ProvisionRequest::read(&mut f).and_then(|r| f.deny_unknown().map(|()| r)).map_err(read_error)?;
    let (mut f, _) = fields(options, "options", &[])?;
    let read = (|| {
        let version = f.or("version", ProtocolVersion::V3_1_1)?;
        let timeout_ms = f.or("timeoutMs", 10_000)?;
        f.deny_unknown().map(|()| (request, version, timeout_ms))
    })();
    read.map_err(read_error)
}

struct DeviceInner {
    device: ThingsBoardDevice,
    listeners: SharedListeners,
    rpc_methods: RefCell<VecSet<String>>,
    shared_subscribed: Cell<bool>,
    updaters: RefCell<Vec<FirmwareUpdater>>,
}

/// A ThingsBoard device over MQTT (through a WebSocket bridge, or the local simulator).
///
/// ```ts
/// const device = await ThingsBoardDevice.connect("ws://127.0.0.1:8088/mqtt/thingsboard", { token: "..." });
/// device.onRpc("setValve", async (params) => ({ ok: true }));
/// await device.sendTelemetry({ temperature: 21.5 });
/// ```
#[wasm_bindgen(js_name = ThingsBoardDevice)]
pub struct JsThingsBoardDevice {
    inner: Rc<DeviceInner>,
}

#[wasm_bindgen(js_class = ThingsBoardDevice)]
impl JsThingsBoardDevice {
    /// Connects as a device with `{token}` or `{clientId, username, password}`. Rejects with
    /// `TB_TOKEN_REJECTED`, `TB_BASIC_CREDENTIALS_REJECTED`, `TB_INVALID_OPTION` (no token), `INVALID_OPTION`.
    pub fn connect(url: String, options: ThingsBoardDeviceOptionsTs) -> PromiseThingsBoardDevice {
        let parsed = device_options(&options.into());
        promise(async move {
            let (credentials, options) = parsed?;
            let device = ThingsBoardDevice::connect(&url, credentials, options).await.map_err(js)?;
            Ok(JsThingsBoardDevice::wrap(device).into())
        })
        .unchecked_into()
    }

    /// Provisions a new device on its own short connection and resolves with its credentials;
    /// `TB_PROVISION_FAILED` carries the server's message.
    pub fn provision(
        url: String,
        request: ProvisionRequestTs,
        options: Option<ProvisionOptionsTs>,
    ) -> PromiseProvisionedCredentials {
        let parsed = provision_options(&request.into(), &options.map_or(JsValue::UNDEFINED, Into::into));
        promise(async move {
            let (request, version, timeout_ms) = parsed?;
            let credentials = provision(&url, &request, version, timeout_ms).await.map_err(js)?;
            Ok(to_js(&credentials))
        })
        .unchecked_into()
    }

    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        let event = listeners::event_name(&event, DEVICE_EVENTS)?;
        Ok(listeners::add(&self.inner.listeners, event, listener))
    }

    /// Sends telemetry in any of ThingsBoard's formats, split to fit the session's payload limit.
    #[wasm_bindgen(js_name = sendTelemetry)]
    pub fn send_telemetry(&self, telemetry: TelemetryTs) -> PromiseVoid {
        let value = to_json(&telemetry.into(), "telemetry");
        let device = self.inner.device.clone();
        promise(async move { void(device.send_telemetry(&value?).await) }).unchecked_into()
    }

    /// Publishes client-side attributes.
    #[wasm_bindgen(js_name = sendAttributes)]
    pub fn send_attributes(&self, attributes: JsonObjectTs) -> PromiseVoid {
        let value = to_json(&attributes.into(), "attributes");
        let device = self.inner.device.clone();
        promise(async move { void(device.send_attributes(&value?).await) }).unchecked_into()
    }

    /// Asks for client and shared attributes by key; resolves with `{client, shared}`.
    #[wasm_bindgen(js_name = requestAttributes)]
    pub fn request_attributes(&self, request: AttributeRequestTs) -> PromiseAttributeValues {
        let request: JsValue = request.into();
        let keys = plain_object(&request, "request", &["client", "shared"]).and_then(|_| {
            Ok((key_list(&get(&request, "client")?, "client")?, key_list(&get(&request, "shared")?, "shared")?))
        });
        let device = self.inner.device.clone();
        promise(async move {
            let (client, shared) = keys?;
            let client: Vec<&str> = client.iter().map(String::as_str).collect();
            let shared: Vec<&str> = shared.iter().map(String::as_str).collect();
            let response = device.request_attributes(&client, &shared).await.map_err(js)?;
            Ok(to_js(&response))
        })
        .unchecked_into()
    }

    /// Subscribes to shared-attribute pushes; each arrives as a `"sharedAttributes"` event.
    #[wasm_bindgen(js_name = subscribeSharedAttributes)]
    pub fn subscribe_shared_attributes(&self) -> PromiseVoid {
        let inner = self.inner.clone();
        promise(async move {
            if inner.shared_subscribed.replace(true) {
                return Ok(JsValue::UNDEFINED);
            }
            let weak = Rc::downgrade(&inner.listeners);
            let result = inner
                .device
                .subscribe_shared_attributes(move |update| {
                    listeners::emit_weak(&weak, "sharedAttributes", || to_js(update))
                })
                .await;
            void(result)
        })
        .unchecked_into()
    }

    /// Answers server-side RPCs of `method` with what `handler` returns (or resolves to); a throw
    /// replies `{"error": message}`. Subscribes on first use. Returns the function that removes it.
    #[wasm_bindgen(js_name = onRpc)]
    pub fn on_rpc(
        &self,
        method: String,
        handler: RpcHandlerTs,
        options: Option<RpcHandlerOptionsTs>,
    ) -> Result<UnsubscribeTs, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        plain_object(&options, "options", &["oneWay"])?;
        let one_way = super::client::bool_field(&options, "oneWay")?;
        let handler: Function = handler.unchecked_into();
        let run = move |request: crate::platforms::thingsboard::RpcRequest| {
            let handler = handler.clone();
            async move { call_handler(&handler, &[to_js(&request.params), to_js(&request)]).await }
        };
        if one_way {
            self.inner.device.on_rpc_one_way(&method, run);
        } else {
            self.inner.device.on_rpc(&method, run);
        }
        self.inner.rpc_methods.borrow_mut().insert(method.clone());
        let weak = Rc::downgrade(&self.inner);
        Ok(listeners::unsubscribe_fn(move || {
            if let Some(inner) = weak.upgrade() {
                inner.device.remove_rpc(&method);
                inner.rpc_methods.borrow_mut().remove(&method);
            }
        })
        .unchecked_into())
    }

    /// Subscribes to server-side RPC now, to know it worked (`onRpc` subscribes lazily otherwise).
    #[wasm_bindgen(js_name = enableRpc)]
    pub fn enable_rpc(&self) -> PromiseVoid {
        let device = self.inner.device.clone();
        promise(async move { void(device.enable_rpc().await) }).unchecked_into()
    }

    /// Client-side RPC: resolves with the server's result; rejects with `TB_RPC_ERROR` or `TB_TIMEOUT`.
    pub fn call(&self, method: String, params: Option<JsonValueTs>) -> PromiseJsonValue {
        let params: JsValue = params.map_or(JsValue::UNDEFINED, Into::into);
        let params =
            if params.is_undefined() { Ok(Value::Object(Default::default())) } else { to_json(&params, "params") };
        let device = self.inner.device.clone();
        promise(async move {
            let result = device.call(&method, params?).await.map_err(js)?;
            Ok(to_js(&result))
        })
        .unchecked_into()
    }

    /// Starts claiming the device (both options optional).
    pub fn claim(&self, options: Option<ClaimOptionsTs>) -> PromiseVoid {
        let parsed = claim_options(&options.map_or(JsValue::UNDEFINED, Into::into));
        let device = self.inner.device.clone();
        promise(async move {
            let (secret, duration) = parsed?;
            void(device.claim(secret.as_deref(), duration).await)
        })
        .unchecked_into()
    }

    /// Runs firmware (or software) updates: reports the current version, downloads announced
    /// packages in chunks, verifies them and hands each image to `install`. Progress arrives as
    /// `"firmware"` events.
    #[wasm_bindgen(js_name = startFirmwareUpdates)]
    pub fn start_firmware_updates(
        &self,
        options: Option<FirmwareUpdateOptionsTs>,
        install: FirmwareInstallerTs,
    ) -> PromiseVoid {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let parsed = ota_options(&options);
        let install: Function = install.unchecked_into();
        let inner = self.inner.clone();
        promise(async move {
            let installer = move |info: crate::platforms::thingsboard::PackageInfo, image: Vec<u8>| {
                let install = install.clone();
                async move { call_handler(&install, &[to_js(&info), bytes_js(&image)]).await.map(|_| ()) }
            };
            let weak = Rc::downgrade(&inner.listeners);
            let on_event = move |event: &_| listeners::emit_weak(&weak, "firmware", || to_js(event));
            let updater =
                FirmwareUpdater::start_with_events(&inner.device, parsed?, installer, on_event).await.map_err(js)?;
            inner.updaters.borrow_mut().push(updater);
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// The local attribute mirror: client attributes sent, shared attributes received.
    #[wasm_bindgen(getter)]
    pub fn attributes(&self) -> AttributeValuesTs {
        to_js(&self.inner.device.attributes()).unchecked_into()
    }

    /// The limits in force (from `getSessionLimits`, or ThingsBoard's defaults).
    #[wasm_bindgen(getter, js_name = sessionLimits)]
    pub fn session_limits(&self) -> SessionLimitsTs {
        to_js(&self.inner.device.session_limits()).unchecked_into()
    }

    /// The MQTT filters subscribed so far: only ThingsBoard's whitelisted ones, one per feature used.
    #[wasm_bindgen(getter, js_name = subscribedFilters)]
    pub fn subscribed_filters(&self) -> Vec<String> {
        self.inner.device.subscribed_filters()
    }

    #[wasm_bindgen(getter)]
    pub fn state(&self) -> ConnectionStateTs {
        super::client::state_js(&self.inner.device.client().state()).unchecked_into()
    }

    /// Disconnects and frees every listener, RPC handler, closure and timer.
    pub fn close(&self) {
        self.inner.device.close();
        self.inner.listeners.borrow_mut().clear();
        self.inner.rpc_methods.borrow_mut().clear();
        self.inner.updaters.borrow_mut().clear();
    }

    /// What is still alive, for leak checks: all zero and `socket: false` after `close()`.
    #[wasm_bindgen(js_name = liveResources)]
    pub fn live_resources(&self) -> LiveResourcesTs {
        let held = self.inner.listeners.borrow().len() + self.inner.rpc_methods.borrow().len();
        live_resources_js(self.inner.device.client(), held)
    }
}

impl JsThingsBoardDevice {
    fn wrap(device: ThingsBoardDevice) -> Self {
        let listeners: SharedListeners = Rc::new(RefCell::new(Listeners::default()));
        forward_state(device.client(), &listeners);
        let weak = Rc::downgrade(&listeners);
        device.on_error(move |e| listeners::emit_weak(&weak, "error", || js(e.clone())));
        Self {
            inner: Rc::new(DeviceInner {
                device,
                listeners,
                rpc_methods: RefCell::default(),
                shared_subscribed: Cell::new(false),
                updaters: RefCell::default(),
            }),
        }
    }
}

fn ota_options(options: &JsValue) -> Result<OtaOptions, JsValue> {
    plain_object(options, "options", &["kind", "currentTitle", "currentVersion", "chunkSize"])?;
    let mut ota = OtaOptions::default();
    match string_field(options, "kind")?.as_deref() {
        None | Some("fw") => {}
        Some("sw") => ota.kind = PackageKind::Sw,
        Some(other) => {
            return Err(option_error("kind", &format!("unknown package kind {other:?}: use \"fw\" or \"sw\"")))
        }
    }
    if let (Some(title), Some(version)) =
        (string_field(options, "currentTitle")?, string_field(options, "currentVersion")?)
    {
        ota.current = Some((title, version));
    }
    let chunk = get(options, "chunkSize")?;
    if !chunk.is_undefined() {
        ota.chunk_size =
            chunk.as_f64().filter(|c| *c >= 0.0).ok_or_else(|| option_error("chunkSize", "expected a number"))?
                as usize;
    }
    Ok(ota)
}

struct GatewayInner {
    gateway: ThingsBoardGateway,
    listeners: SharedListeners,
    attributes_subscribed: Cell<bool>,
    rpc_handler: Cell<bool>,
}

/// A ThingsBoard gateway: many devices over one connection.
///
/// ```ts
/// const gw = await ThingsBoardGateway.connect(url, { token: "gateway-token" });
/// await gw.connectDevice("Pump 1", "pump");
/// await gw.sendTelemetry("Pump 1", { rpm: 1200 });
/// ```
#[wasm_bindgen(js_name = ThingsBoardGateway)]
pub struct JsThingsBoardGateway {
    inner: Rc<GatewayInner>,
}

#[wasm_bindgen(js_class = ThingsBoardGateway)]
impl JsThingsBoardGateway {
    /// Connects as the gateway device (its own token or basic credentials).
    pub fn connect(url: String, options: ThingsBoardDeviceOptionsTs) -> PromiseThingsBoardGateway {
        let parsed = device_options(&options.into());
        promise(async move {
            let (credentials, options) = parsed?;
            let gateway = ThingsBoardGateway::connect(&url, credentials, options).await.map_err(js)?;
            let listeners: SharedListeners = Rc::new(RefCell::new(Listeners::default()));
            forward_state(gateway.device().client(), &listeners);
            let weak = Rc::downgrade(&listeners);
            gateway.device().on_error(move |e| listeners::emit_weak(&weak, "error", || js(e.clone())));
            let inner = GatewayInner {
                gateway,
                listeners,
                attributes_subscribed: Cell::new(false),
                rpc_handler: Cell::new(false),
            };
            Ok(JsThingsBoardGateway { inner: Rc::new(inner) }.into())
        })
        .unchecked_into()
    }

    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: String, listener: Function) -> Result<JsValue, JsValue> {
        let event = listeners::event_name(&event, GATEWAY_EVENTS)?;
        Ok(listeners::add(&self.inner.listeners, event, listener))
    }

    /// Announces a device behind the gateway (`type` is its device profile).
    #[wasm_bindgen(js_name = connectDevice)]
    pub fn connect_device(&self, name: String, device_type: Option<String>) -> PromiseVoid {
        let inner = self.inner.clone();
        promise(async move { void(inner.gateway.connect_device(&name, device_type.as_deref()).await) }).unchecked_into()
    }

    #[wasm_bindgen(js_name = disconnectDevice)]
    pub fn disconnect_device(&self, name: String) -> PromiseVoid {
        let inner = self.inner.clone();
        promise(async move { void(inner.gateway.disconnect_device(&name).await) }).unchecked_into()
    }

    /// Telemetry for one device behind the gateway, in any of the device API's formats.
    #[wasm_bindgen(js_name = sendTelemetry)]
    pub fn send_telemetry(&self, name: String, telemetry: TelemetryTs) -> PromiseVoid {
        let value = to_json(&telemetry.into(), "telemetry");
        let inner = self.inner.clone();
        promise(async move { void(inner.gateway.send_telemetry(&name, &value?).await) }).unchecked_into()
    }

    #[wasm_bindgen(js_name = sendAttributes)]
    pub fn send_attributes(&self, name: String, attributes: JsonObjectTs) -> PromiseVoid {
        let value = to_json(&attributes.into(), "attributes");
        let inner = self.inner.clone();
        promise(async move { void(inner.gateway.send_attributes(&name, &value?).await) }).unchecked_into()
    }

    /// Asks for a device's shared attributes (or client attributes with `client: true`).
    #[wasm_bindgen(js_name = requestAttributes)]
    pub fn request_attributes(&self, name: String, keys: StringArrayTs, client: Option<bool>) -> PromiseJsonObject {
        let keys = key_list(&keys.into(), "keys");
        let inner = self.inner.clone();
        promise(async move {
            let keys = keys?;
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let values = inner.gateway.request_attributes(&name, &keys, client.unwrap_or(false)).await.map_err(js)?;
            Ok(to_js(&values))
        })
        .unchecked_into()
    }

    /// Subscribes to shared-attribute changes of every device behind the gateway (`"attributes"` events).
    #[wasm_bindgen(js_name = subscribeAttributes)]
    pub fn subscribe_attributes(&self) -> PromiseVoid {
        let inner = self.inner.clone();
        promise(async move {
            if inner.attributes_subscribed.replace(true) {
                return Ok(JsValue::UNDEFINED);
            }
            let weak = Rc::downgrade(&inner.listeners);
            let result = inner
                .gateway
                .subscribe_attributes(move |device, update| {
                    listeners::emit_weak(&weak, "attributes", || {
                        let event = to_js(update);
                        let _ = js_sys::Reflect::set(&event, &"device".into(), &device.into());
                        event
                    })
                })
                .await;
            void(result)
        })
        .unchecked_into()
    }

    /// Answers RPCs to the devices behind the gateway (one handler for all; replaces the previous one).
    #[wasm_bindgen(js_name = onRpc)]
    pub fn on_rpc(&self, handler: GatewayRpcHandlerTs) -> PromiseVoid {
        let handler: Function = handler.unchecked_into();
        let inner = self.inner.clone();
        promise(async move {
            inner.rpc_handler.set(true);
            let result = inner
                .gateway
                .on_rpc(move |request| {
                    let handler = handler.clone();
                    async move { call_handler(&handler, &[to_js(&request)]).await }
                })
                .await;
            void(result)
        })
        .unchecked_into()
    }

    /// Starts claiming a device behind the gateway.
    pub fn claim(&self, name: String, options: Option<ClaimOptionsTs>) -> PromiseVoid {
        let parsed = claim_options(&options.map_or(JsValue::UNDEFINED, Into::into));
        let inner = self.inner.clone();
        promise(async move {
            let (secret, duration) = parsed?;
            void(inner.gateway.claim(&name, secret.as_deref(), duration).await)
        })
        .unchecked_into()
    }

    /// The devices connected through this gateway.
    #[wasm_bindgen(getter)]
    pub fn devices(&self) -> Vec<String> {
        self.inner.gateway.devices()
    }

    /// Disconnects and frees every listener, handler, closure and timer.
    pub fn close(&self) {
        self.inner.gateway.close();
        self.inner.listeners.borrow_mut().clear();
        self.inner.rpc_handler.set(false);
    }

    #[wasm_bindgen(js_name = liveResources)]
    pub fn live_resources(&self) -> LiveResourcesTs {
        let held = self.inner.listeners.borrow().len() + usize::from(self.inner.rpc_handler.get());
        live_resources_js(self.inner.gateway.device().client(), held)
    }
}
