//! `ThingsBoardGateway`: many devices over one connection (docs/platforms/thingsboard.md#gateway), a
//! thin shell over the gateway API of the pure `DeviceSession`: batching, request correlation and
//! timeouts, RPC dispatch and the limits are the session's.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use crate::json::{Map, Value};

use super::device::{RpcResult, ThingsBoardDevice};
use crate::collections::VecSet;
use crate::platforms::thingsboard::attributes::SharedAttributesUpdate;
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::gateway::{self as codec, GatewayRpcRequest};
use crate::platforms::thingsboard::options::{Credentials, DeviceOptions};
use crate::platforms::thingsboard::telemetry::validate_attributes;
use crate::platforms::thingsboard::topics;

#[derive(Clone)]
pub struct ThingsBoardGateway {
    device: ThingsBoardDevice,
    /// The sub-devices connected through this gateway, by name.
    devices: Rc<RefCell<VecSet<String>>>,
}

impl ThingsBoardGateway {
    /// Connects as the gateway device (its own token or basic credentials).
    pub async fn connect(
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        Ok(Self::over(ThingsBoardDevice::connect(url, credentials, options).await?))
    }

    /// `connect` on the session that every tab of the origin naming the same URL and credentials
    /// shares (`ThingsBoardDevice::connect_shared`, docs/shared.md): each tab numbers its sub-devices'
    /// attribute requests in its own block, and one tab at a time answers the sub-devices' RPCs
    /// (the turn `gateway/rpc`, asked for by `on_rpc`). Each tab keeps its own list of sub-devices.
    #[cfg(all(feature = "thingsboard-shared", feature = "shared-client"))]
    pub async fn connect_shared(
        module: &str,
        url: &str,
        credentials: Credentials,
        options: DeviceOptions,
    ) -> Result<Self, ThingsBoardError> {
        Ok(Self::over(ThingsBoardDevice::connect_shared(module, url, credentials, options).await?))
    }

    /// The gateway API on a connected device: its topics routed to the device's session.
    fn over(device: ThingsBoardDevice) -> Self {
        for filter in [topics::GATEWAY_ATTRIBUTES_RESPONSE, topics::GATEWAY_ATTRIBUTES, topics::GATEWAY_RPC] {
            device.route(filter);
        }
        Self { device, devices: Rc::default() }
    }

    /// Whether this tab answers the sub-devices' RPCs now (`on_rpc`): on a shared connection, one tab
    /// at a time does; `device().on_turns` tells when that may have changed.
    pub fn answers_rpc(&self) -> bool {
        self.device.state.borrow().core.answers_gateway_rpc()
    }

    /// The gateway's own device session (its own telemetry, attributes, RPC).
    pub fn device(&self) -> &ThingsBoardDevice {
        &self.device
    }

    /// The sub-devices connected through this gateway, by name.
    pub fn devices(&self) -> Vec<String> {
        let mut names: Vec<String> = self.devices.borrow().iter().cloned().collect();
        names.sort_unstable();
        names
    }

    pub async fn connect_device(&self, name: &str, device_type: Option<&str>) -> Result<(), ThingsBoardError> {
        let body = codec::connect_payload(name, device_type)?;
        self.device.publish_raw(topics::GATEWAY_CONNECT, body.into_bytes()).await?;
        self.devices.borrow_mut().insert(name.to_owned());
        Ok(())
    }

    pub async fn disconnect_device(&self, name: &str) -> Result<(), ThingsBoardError> {
        let body = codec::disconnect_payload(name)?;
        self.device.publish_raw(topics::GATEWAY_DISCONNECT, body.into_bytes()).await?;
        self.devices.borrow_mut().remove(name);
        Ok(())
    }

    /// Telemetry for one sub-device, in any of the device API's formats.
    pub async fn send_telemetry(&self, name: &str, telemetry: &Value) -> Result<(), ThingsBoardError> {
        self.send_telemetry_batch(&[(name, telemetry)]).await
    }

    /// Telemetry for several sub-devices in one PUBLISH (split when over the max payload).
    pub async fn send_telemetry_batch(&self, batch: &[(&str, &Value)]) -> Result<(), ThingsBoardError> {
        self.device.gateway_telemetry(batch).await
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
        self.device.gateway_request_attributes(name, keys, client).await
    }

    /// Calls `f(device, update)` on shared-attribute changes of any sub-device.
    pub async fn subscribe_attributes(
        &self,
        f: impl Fn(&str, &SharedAttributesUpdate) + 'static,
    ) -> Result<(), ThingsBoardError> {
        self.device.state.borrow_mut().gateway_attribute_listeners.push(Rc::new(f));
        self.device.ensure_subscribed(topics::GATEWAY_ATTRIBUTES).await
    }

    /// Answers RPCs to sub-devices; the reply goes to `v1/gateway/rpc` as `{"device","id","data"}`.
    pub async fn on_rpc<F, Fut>(&self, handler: F) -> Result<(), ThingsBoardError>
    where
        F: Fn(GatewayRpcRequest) -> Fut + 'static,
        Fut: Future<Output = RpcResult> + 'static,
    {
        self.device.enable_gateway_rpc(Rc::new(move |r| Box::pin(handler(r)))).await
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
        self.devices.borrow_mut().clear();
    }
}
