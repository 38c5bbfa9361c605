// ThingsBoard device provisioning: the provision-only MQTT session (username or client id `provision`)
// that accepts one `/provision/request` and answers on `/provision/response`, then closes.

use super::{Device, ThingsBoard};
use crate::config::{MqttBasicSeed, ProvisionStrategy};
use crate::mqtt::packet::Publish;
use crate::session::{Outbox, PlatformSession, PublishVerdict, SessionHandle, SubscribeVerdict};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub struct ProvisionSession {
    tb: Arc<ThingsBoard>,
    _handle: SessionHandle,
}

impl ProvisionSession {
    pub fn new(tb: Arc<ThingsBoard>, handle: SessionHandle) -> Self {
        Self { tb, _handle: handle }
    }
}

fn failure(status: &str, message: impl Into<String>) -> Value {
    json!({"errorMsg": message.into(), "status": status})
}

fn text(request: &Value, key: &str) -> Option<String> {
    request.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from)
}

/// Runs one provisioning request against the profiles and registry, as DeviceProvisionServiceImpl does.
pub fn provision(tb: &ThingsBoard, request: &Value) -> Value {
    let (Some(key), Some(secret)) = (text(request, "provisionDeviceKey"), text(request, "provisionDeviceSecret"))
    else {
        return failure("NOT_FOUND", "provisionDeviceKey and provisionDeviceSecret are required");
    };
    let mut st = tb.lock();
    let Some(profile) = st.profiles.iter().find(|p| p.key == key && p.secret == secret).cloned() else {
        return failure("NOT_FOUND", "Provision profile with such key and secret not found");
    };
    let credentials_type = text(request, "credentialsType").unwrap_or_else(|| "ACCESS_TOKEN".into());
    let name = text(request, "deviceName");
    let existing = name.as_deref().and_then(|n| st.devices.iter().find(|d| d.name == n)).cloned();

    let device = match (profile.strategy, existing) {
        (ProvisionStrategy::AllowCreateNewDevices, Some(_)) => {
            return failure(
                "FAILURE",
                format!("Device with name {:?} already exists: it was provisioned before", name.unwrap_or_default()),
            );
        }
        (ProvisionStrategy::CheckPreProvisionedDevices, None) => {
            return failure("NOT_FOUND", "Device not found: this profile only provisions pre-provisioned devices");
        }
        (ProvisionStrategy::CheckPreProvisionedDevices, Some(d)) => d,
        (ProvisionStrategy::AllowCreateNewDevices, None) => {
            let name = name.unwrap_or_else(|| format!("provisioned-{}", crate::clock::token(8)));
            let mut device = Device::new(&name, "default");
            device.gateway = request.get("gateway").and_then(Value::as_bool).unwrap_or(false);
            match credentials_type.as_str() {
                "ACCESS_TOKEN" => {
                    let token = text(request, "token").unwrap_or_else(|| crate::clock::token(20));
                    if st.devices.iter().any(|d| d.access_token.as_deref() == Some(&token)) {
                        return failure("FAILURE", "Device credentials are already in use");
                    }
                    device.access_token = Some(token);
                }
                "MQTT_BASIC" => {
                    device.mqtt_basic = Some(MqttBasicSeed {
                        client_id: Some(text(request, "clientId").unwrap_or_else(|| crate::clock::token(20))),
                        username: text(request, "username"),
                        password: text(request, "password"),
                    });
                }
                "X509_CERTIFICATE" => {
                    let Some(hash) = text(request, "hash") else {
                        return failure("FAILURE", "X509_CERTIFICATE needs \"hash\"");
                    };
                    device.x509_hash = Some(hash);
                }
                other => {
                    return failure("FAILURE", format!("Unsupported credentialsType {other:?}"));
                }
            }
            st.add_device(device).clone()
        }
    };
    crate::sim_log!("thingsboard", "provisioned device {:?} with profile {:?}", device.name, profile.name);
    if let Some(basic) = &device.mqtt_basic {
        json!({
            "credentialsType": "MQTT_BASIC",
            "credentialsValue": {
                "clientId": basic.client_id,
                "userName": basic.username,
                "password": basic.password,
            },
            "status": "SUCCESS",
        })
    } else if let Some(hash) = &device.x509_hash {
        json!({"credentialsType": "X509_CERTIFICATE", "credentialsValue": hash, "status": "SUCCESS"})
    } else {
        json!({
            "credentialsType": "ACCESS_TOKEN",
            "credentialsValue": device.access_token,
            "status": "SUCCESS",
        })
    }
}

impl PlatformSession for ProvisionSession {
    fn subscribe(&mut self, filter: &str, qos: u8) -> SubscribeVerdict {
        if filter == "/provision/response" {
            SubscribeVerdict::Grant { filter: filter.into(), qos: qos.min(1) }
        } else {
            SubscribeVerdict::Refuse { reason: "a provision session may only subscribe to /provision/response".into() }
        }
    }

    fn publish(&mut self, publish: &Publish, out: &mut Outbox) -> PublishVerdict {
        if publish.topic != "/provision/request" {
            return PublishVerdict::Disconnect(format!(
                "a provision session may only publish to /provision/request, not {:?}",
                publish.topic
            ));
        }
        let request: Value = match serde_json::from_slice(&publish.payload) {
            Ok(v) => v,
            Err(e) => return PublishVerdict::Disconnect(format!("invalid provision request: {e}")),
        };
        let answer = provision(&self.tb, &request);
        out.reply("/provision/response", answer.to_string());
        out.close_after(
            Duration::from_millis(self.tb.timings.provision_close_delay_ms),
            "ThingsBoard closes a provision session after answering",
        );
        PublishVerdict::Accepted
    }
}
