//! `ThingsBoardGateway`: many devices over one connection (docs/platforms/thingsboard.md#gateway). Built on a
//! `ThingsBoardDevice`, so its publishes obey the same payload, in-flight and rate limits.

use crate::error::SessionError;
use std::cell::RefCell;

use crate::collections::{VecMap, VecSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_channel::oneshot;
use serde_json::{Map, Value};
use wasm_bindgen_futures::spawn_local;

use super::device::{RpcResult, ThingsBoardDevice};
use crate::client::time::timeout;
use crate::platforms::thingsboard::attributes::SharedAttributesUpdate;
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::gateway::{self as codec, GatewayRpcRequest};
use crate::platforms::thingsboard::options::{Credentials, DeviceOptions};
use crate::platforms::thingsboard::telemetry::{parse_telemetry, validate_attributes};
use crate::platforms::thingsboard::topics;
use crate::session::Message;

type GatewayRpcHandler = Rc<dyn Fn(GatewayRpcRequest) -> Pin<Box<dyn Future<Output = RpcResult>>>>;
type AttributeListener = Rc<dyn Fn(&str, &SharedAttributesUpdate)>;
type Route = fn(&ThingsBoardGateway, &Message);
type PendingAttributes = oneshot::Sender<Result<Map<String, Value>, ThingsBoardError>>;

#[derive(Default)]
struct GatewayState {
    devices: VecSet<String>,
    pending: VecMap<u64, (Option<String>, PendingAttributes)>,
    rpc: Option<GatewayRpcHandler>,
    attribute_listeners: Vec<AttributeListener>,
}

#[derive(Clone)]
pub struct ThingsBoardGateway {
    device: ThingsBoardDevice,
    state: Rc<RefCell<GatewayState>>,
}

impl ThingsBoardGateway {
    /// Connects as the gateway device (its own token or basic credentials).
    pub async fn connect(
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        let device = ThingsBoardDevice::connect(url, credentials, options).await?;
        let gateway = Self { device, state: Rc::default() };
        let routes: [(&str, Route); 3] = [
            (topics::GATEWAY_ATTRIBUTES_RESPONSE, Self::on_attribute_response),
            (topics::GATEWAY_ATTRIBUTES, Self::on_attribute_update),
            (topics::GATEWAY_RPC, Self::on_rpc_request),
        ];
        for (filter, handler) in routes {
            let weak_state = Rc::downgrade(&gateway.state);
            let weak_client = gateway.device.client.downgrade();
            let options = gateway.device.options.clone();
            let device_state = Rc::downgrade(&gateway.device.state);
            let _ = gateway.device.client.on_message(filter, move |m| {
                let (Some(state), Some(client), Some(dstate)) =
                    (weak_state.upgrade(), weak_client.upgrade(), device_state.upgrade())
                else {
                    return;
                };
                let gw = ThingsBoardGateway {
                    device: ThingsBoardDevice { client, state: dstate, options: options.clone() },
                    state,
                };
                handler(&gw, m);
            });
        }
        Ok(gateway)
    }

    /// The gateway's own device session (its own telemetry, attributes, RPC).
    pub fn device(&self) -> &ThingsBoardDevice {
        &self.device
    }

    /// The sub-devices connected through this gateway, by name.
    pub fn devices(&self) -> Vec<String> {
        let mut names: Vec<String> = self.state.borrow().devices.iter().cloned().collect();
        names.sort_unstable();
        names
    }

    pub async fn connect_device(&self, name: &str, device_type: Option<&str>) -> Result<(), ThingsBoardError> {
        let body = codec::connect_payload(name, device_type)?;
        self.device.publish_raw(topics::GATEWAY_CONNECT, body.into_bytes()).await?;
        self.state.borrow_mut().devices.insert(name.to_owned());
        Ok(())
    }

    pub async fn disconnect_device(&self, name: &str) -> Result<(), ThingsBoardError> {
        let body = codec::disconnect_payload(name)?;
        self.device.publish_raw(topics::GATEWAY_DISCONNECT, body.into_bytes()).await?;
        self.state.borrow_mut().devices.remove(name);
        Ok(())
    }

    /// Telemetry for one sub-device, in any of the device API's formats.
    pub async fn send_telemetry(&self, name: &str, telemetry: &Value) -> Result<(), ThingsBoardError> {
        self.send_telemetry_batch(&[(name, telemetry)]).await
    }

    /// Telemetry for several sub-devices in one PUBLISH (split when over the max payload).
    pub async fn send_telemetry_batch(&self, batch: &[(&str, &Value)]) -> Result<(), ThingsBoardError> {
        let now = js_sys::Date::now() as i64;
        let parsed: Vec<(&str, Vec<crate::platforms::thingsboard::telemetry::TelemetryRecord>)> =
            batch.iter().map(|(d, v)| parse_telemetry(v).map(|r| (*d, r))).collect::<Result<_, _>>()?;
        let max = self.device.payload_budget(topics::GATEWAY_TELEMETRY);
        // A device too big for a PUBLISH of its own fails the batch before anything is sent.
        for (name, records) in &parsed {
            let size = codec::telemetry_payload(&[(*name, records.as_slice())], now)?.len();
            if size > max {
                return Err(ThingsBoardError::PayloadTooLarge { size, max });
            }
        }
        let mut group: Vec<(&str, &[crate::platforms::thingsboard::telemetry::TelemetryRecord])> = Vec::new();
        let mut points = 0u64;
        for (name, records) in &parsed {
            let candidate: Vec<_> = group.iter().copied().chain([(*name, records.as_slice())]).collect();
            if !group.is_empty() && codec::telemetry_payload(&candidate, now)?.len() > max {
                let body = codec::telemetry_payload(&group, now)?;
                self.device.publish_telemetry_raw(topics::GATEWAY_TELEMETRY, body.into_bytes(), points).await?;
                group.clear();
                points = 0;
            }
            group.push((name, records.as_slice()));
            points += crate::platforms::thingsboard::telemetry::data_points(records) as u64;
        }
        if !group.is_empty() {
            let body = codec::telemetry_payload(&group, now)?;
            self.device.publish_telemetry_raw(topics::GATEWAY_TELEMETRY, body.into_bytes(), points).await?;
        }
        Ok(())
    }

    pub async fn send_attributes(&self, name: &str, attributes: &Value) -> Result<(), ThingsBoardError> {
        let map = validate_attributes(attributes)?;
        let body = codec::attributes_payload(name, map)?;
        self.device.publish_raw(topics::GATEWAY_ATTRIBUTES, body.into_bytes()).await
    }

    /// Asks for a sub-device's client (`client = true`) or shared attributes.
    pub async fn request_attributes(
        &self,
        name: &str,
        keys: &[&str],
        client: bool,
    ) -> Result<Map<String, Value>, ThingsBoardError> {
        self.device.ensure_subscribed(topics::GATEWAY_ATTRIBUTES_RESPONSE).await?;
        let id = self.device.next_request_id();
        let body = codec::attribute_request_payload(id, name, keys, client)?;
        let (tx, rx) = oneshot::channel();
        let single = (keys.len() == 1).then(|| keys[0].to_owned());
        self.state.borrow_mut().pending.insert(u64::from(id), (single, tx));
        if let Err(e) = self.device.publish_raw(topics::GATEWAY_ATTRIBUTES_REQUEST, body.into_bytes()).await {
            self.state.borrow_mut().pending.remove(&u64::from(id));
            return Err(e);
        }
        let ms = self.device.options.request_timeout_ms;
        let answer = timeout(ms, rx).await;
        self.state.borrow_mut().pending.remove(&u64::from(id));
        match answer {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ThingsBoardError::Client(crate::ClientError::Session(SessionError::ConnectionLost))),
            None => Err(ThingsBoardError::Timeout { what: "gateway attribute request", timeout_ms: ms }),
        }
    }

    /// Calls `f(device, update)` on shared-attribute changes of any sub-device.
    pub async fn subscribe_attributes(
        &self,
        f: impl Fn(&str, &SharedAttributesUpdate) + 'static,
    ) -> Result<(), ThingsBoardError> {
        self.state.borrow_mut().attribute_listeners.push(Rc::new(f));
        self.device.ensure_subscribed(topics::GATEWAY_ATTRIBUTES).await
    }

    /// Answers RPCs to sub-devices; the reply goes to `v1/gateway/rpc` as `{"device","id","data"}`.
    pub async fn on_rpc<F, Fut>(&self, handler: F) -> Result<(), ThingsBoardError>
    where
        F: Fn(GatewayRpcRequest) -> Fut + 'static,
        Fut: Future<Output = RpcResult> + 'static,
    {
        self.state.borrow_mut().rpc = Some(Rc::new(move |r| Box::pin(handler(r))));
        self.device.ensure_subscribed(topics::GATEWAY_RPC).await
    }

    pub async fn claim(
        &self,
        name: &str,
        secret_key: Option<&str>,
        duration_ms: Option<u64>,
    ) -> Result<(), ThingsBoardError> {
        let body = codec::claim_payload(name, secret_key, duration_ms)?;
        self.device.publish_raw(topics::GATEWAY_CLAIM, body.into_bytes()).await
    }

    pub fn close(&self) {
        self.device.close();
        let mut s = self.state.borrow_mut();
        s.pending.clear();
        s.rpc = None;
        s.attribute_listeners.clear();
    }

    fn on_attribute_response(&self, m: &Message) {
        let parsed = {
            let s = self.state.borrow();
            codec::parse_attribute_response(&m.payload, &|id| s.pending.get(&id).and_then(|(k, _)| k.clone()))
        };
        match parsed {
            Ok(r) => {
                let waiter = self.state.borrow_mut().pending.remove(&r.id);
                if let Some((_, w)) = waiter {
                    let _ = w.send(Ok(r.values));
                }
            }
            Err(e) => self.device.emit_error(e),
        }
    }

    fn on_attribute_update(&self, m: &Message) {
        match codec::parse_attribute_update(&m.payload) {
            Ok((name, update)) => {
                let listeners = self.state.borrow().attribute_listeners.clone();
                for l in listeners {
                    l(&name, &update);
                }
            }
            Err(e) => self.device.emit_error(e),
        }
    }

    fn on_rpc_request(&self, m: &Message) {
        let request = match codec::parse_rpc_request(&m.payload) {
            Ok(r) => r,
            Err(e) => return self.device.emit_error(e),
        };
        let handler = self.state.borrow().rpc.clone();
        let device = self.device.clone();
        spawn_local(async move {
            let (name, id, method) = (request.device.clone(), request.id, request.method.clone());
            let result = match handler {
                Some(h) => h(request).await,
                None => Err(format!("unknown method: {method}")),
            };
            let body = codec::rpc_reply_payload(&name, id, &result);
            if let Err(e) = device.publish_raw(topics::GATEWAY_RPC, body.into_bytes()).await {
                device.emit_error(e);
            }
        });
    }
}
