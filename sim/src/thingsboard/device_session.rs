// One device's MQTT session on ThingsBoard (`v1/devices/me/...`, the v2 short forms, OTA chunks) and,
// for a gateway device, the `v1/gateway/...` API for the devices behind it.

use super::payload::{self, parse_json, AttributeRequest};
use super::{AttributeValue, Claim, Device, OtaKind, ThingsBoard, DEFAULT_CLAIM_DURATION_MS};
use crate::mqtt::packet::Publish;
use crate::session::{Outbox, PlatformSession, PublishVerdict, Push, SessionHandle, SubscribeVerdict, Subscriptions};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The only filters ThingsBoard accepts (docs/platforms/thingsboard.md#subscribe-whitelist;
/// MqttTransportHandler.processSubscribe).
const DEVICE_FILTERS: &[&str] = &[
    "v1/devices/me/attributes",
    "v1/devices/me/attributes/response/+",
    "v1/devices/me/rpc/request/+",
    "v1/devices/me/rpc/response/+",
    "v2/fw/response/+/chunk/+",
    "v2/fw/error",
    "v2/sw/response/+/chunk/+",
    "v2/sw/error",
    "v2/a",
    "v2/a/res/+",
    "v2/r/req/+",
    "v2/r/res/+",
];
const GATEWAY_FILTERS: &[&str] = &["v1/gateway/attributes", "v1/gateway/rpc", "v1/gateway/attributes/response"];
const RPC_REQUEST_FILTERS: &[&str] = &["v1/devices/me/rpc/request/+", "v2/r/req/+"];

pub struct DeviceSession {
    tb: Arc<ThingsBoard>,
    handle: SessionHandle,
    device_id: String,
    device_name: String,
    gateway: bool,
    /// Last chunk size per OTA request id: an empty chunk request reuses it.
    chunk_sizes: HashMap<(OtaKind, String), usize>,
}

impl DeviceSession {
    pub fn new(tb: Arc<ThingsBoard>, handle: SessionHandle, device: Device) -> Self {
        Self {
            tb,
            handle,
            device_id: device.id,
            device_name: device.name,
            gateway: device.gateway,
            chunk_sizes: HashMap::new(),
        }
    }

    fn with_device<R>(&self, f: impl FnOnce(&mut Device) -> R) -> Option<R> {
        let mut st = self.tb.lock();
        st.device_mut(&self.device_id).map(f)
    }

    fn telemetry(&self, json: &Value) -> PublishVerdict {
        let entries = match payload::parse_telemetry(json, crate::clock::now_ms()) {
            Ok(e) => e,
            Err(e) => return PublishVerdict::PayloadInvalid(e),
        };
        self.with_device(|d| {
            for e in &entries {
                d.record_telemetry(e.ts, &e.values);
            }
        });
        PublishVerdict::Accepted
    }

    fn client_attributes(&self, json: &Value) -> PublishVerdict {
        let Some(obj) = json.as_object() else {
            return PublishVerdict::PayloadInvalid("attributes must be a JSON object".into());
        };
        self.with_device(|d| store_client_attributes(d, obj));
        PublishVerdict::Accepted
    }

    fn attribute_request(&self, json: &Value, reply_topic: String, out: &mut Outbox) -> PublishVerdict {
        let request = match payload::parse_attribute_request(json) {
            Ok(r) => r,
            Err(e) => return PublishVerdict::PayloadInvalid(e),
        };
        if let Some(answer) = self.with_device(|d| d.answer_attribute_request(&request)) {
            out.reply(reply_topic, answer.to_string());
        }
        PublishVerdict::Accepted
    }

    fn client_rpc(&self, json: &Value, reply_topic: String, out: &mut Outbox) -> PublishVerdict {
        let Some(obj) = json.as_object() else {
            return PublishVerdict::PayloadInvalid("RPC request must be a JSON object".into());
        };
        let method = obj.get("method").and_then(Value::as_str).unwrap_or("");
        let params = obj.get("params").cloned().unwrap_or(Value::Null);
        let answer = match method {
            "getTime" => {
                let now = crate::clock::now_ms();
                json!({"time": crate::clock::rfc3339_ms(now), "ts": now})
            }
            // Answered by the transport itself (docs/platforms/thingsboard.md#session-limits).
            "getSessionLimits" => session_limits(self.tb.max_payload_size, self.gateway),
            "echo" => params,
            "" => json!({"error": "RPC request has no \"method\""}),
            other => json!({"error": format!("Unsupported RPC method: {other}")}),
        };
        out.reply(reply_topic, answer.to_string());
        PublishVerdict::Accepted
    }

    fn rpc_response(&self, device_id: &str, id: &str, payload: &[u8]) -> PublishVerdict {
        let Ok(id) = id.parse::<u64>() else {
            return PublishVerdict::TopicInvalid("RPC response id is not a number".into());
        };
        let text = String::from_utf8_lossy(payload).into_owned();
        let pending = self.tb.lock().pending_rpc.remove(&(device_id.to_string(), id));
        match pending {
            Some(tx) => {
                let _ = tx.send(text);
            }
            None => crate::sim_log!(
                "thingsboard",
                "RPC response {id} from {} matches no waiting two-way request (one-way, or timed out)",
                self.device_name
            ),
        }
        PublishVerdict::Accepted
    }

    fn claim(&self, device: &mut Device, json: &Value) -> Result<(), String> {
        let c = payload::parse_claim(json)?;
        let now = crate::clock::now_ms();
        let duration_ms = c.duration_ms.unwrap_or(DEFAULT_CLAIM_DURATION_MS);
        device.claims.push(Claim {
            secret_key: c.secret_key,
            duration_ms,
            claimed_at: now,
            expires_at: now + duration_ms,
        });
        Ok(())
    }

    /// `v2/fw/request/{reqId}/chunk/{idx}` served as MqttTransportHandler serves it.
    fn ota_chunk(
        &mut self,
        kind: OtaKind,
        request_id: &str,
        index: &str,
        body: &[u8],
        out: &mut Outbox,
    ) -> PublishVerdict {
        let p = kind.prefix();
        let Ok(index) = index.parse::<usize>() else {
            return PublishVerdict::PayloadInvalid(format!("chunk index {index:?} is not a number"));
        };
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let key = (kind, request_id.to_string());
        let size = if text.is_empty() {
            self.chunk_sizes.get(&key).copied().unwrap_or(0)
        } else {
            match text.parse::<usize>() {
                Ok(n) => {
                    self.chunk_sizes.insert(key, n);
                    n
                }
                Err(_) => {
                    return PublishVerdict::PayloadInvalid(format!("chunk size {text:?} is not a number of bytes"))
                }
            }
        };
        if size > self.tb.max_payload_size {
            out.reply(format!("v2/{p}/error"), "PAYLOAD_TOO_LARGE");
            return PublishVerdict::Disconnect(format!(
                "chunk size {size} is above the max payload size {}",
                self.tb.max_payload_size
            ));
        }
        let package = self.with_device(|d| d.ota(kind).map(|p| p.data.clone())).flatten();
        let Some(data) = package else {
            out.reply(format!("v2/{p}/error"), "NOT_FOUND");
            return PublishVerdict::Disconnect(format!("no {p} package assigned to the device"));
        };
        let chunk: &[u8] = if size == 0 {
            &data
        } else {
            let start = index.saturating_mul(size);
            if start >= data.len() {
                &[]
            } else {
                &data[start..(start + size).min(data.len())]
            }
        };
        out.reply(format!("v2/{p}/response/{request_id}/chunk/{index}"), chunk.to_vec());
        PublishVerdict::Accepted
    }

    fn gateway_publish(&self, topic: &str, json: &Value, out: &mut Outbox) -> PublishVerdict {
        let Some(obj) = json.as_object() else {
            return PublishVerdict::PayloadInvalid("gateway payload must be a JSON object".into());
        };
        match topic {
            "v1/gateway/connect" | "v1/gateway/disconnect" => {
                let Some(name) = obj.get("device").and_then(Value::as_str) else {
                    return PublishVerdict::PayloadInvalid("\"device\" is required".into());
                };
                if topic.ends_with("/connect") {
                    let device_type = obj.get("type").and_then(Value::as_str).unwrap_or("default");
                    self.connect_child(name, device_type);
                } else {
                    self.disconnect_child(name);
                }
                PublishVerdict::Accepted
            }
            "v1/gateway/telemetry" => {
                let now = crate::clock::now_ms();
                for (name, data) in obj {
                    let entries = match payload::parse_telemetry(data, now) {
                        Ok(e) => e,
                        Err(e) => return PublishVerdict::PayloadInvalid(format!("{name}: {e}")),
                    };
                    self.connect_child(name, "default");
                    self.with_child(name, |d| {
                        for e in &entries {
                            d.record_telemetry(e.ts, &e.values);
                        }
                    });
                }
                PublishVerdict::Accepted
            }
            "v1/gateway/attributes" => {
                for (name, data) in obj {
                    let Some(attrs) = data.as_object() else {
                        return PublishVerdict::PayloadInvalid(format!("{name}: attributes must be a JSON object"));
                    };
                    self.connect_child(name, "default");
                    self.with_child(name, |d| store_client_attributes(d, attrs));
                }
                PublishVerdict::Accepted
            }
            "v1/gateway/attributes/request" => {
                let (Some(id), Some(name)) = (obj.get("id"), obj.get("device").and_then(Value::as_str)) else {
                    return PublishVerdict::PayloadInvalid("\"id\" and \"device\" are required".into());
                };
                let client = obj.get("client").and_then(Value::as_bool).unwrap_or(false);
                let keys: Vec<String> = match (obj.get("key"), obj.get("keys")) {
                    (Some(Value::String(k)), _) => vec![k.clone()],
                    (_, Some(Value::Array(ks))) => ks.iter().filter_map(Value::as_str).map(String::from).collect(),
                    _ => return PublishVerdict::PayloadInvalid("\"key\" or \"keys\" is required".into()),
                };
                let single = matches!(obj.get("key"), Some(Value::String(_)));
                let request = AttributeRequest {
                    client_keys: client.then(|| keys.clone()),
                    shared_keys: (!client).then(|| keys.clone()),
                };
                let answer = self.with_child(name, |d| d.answer_attribute_request(&request));
                let scope = if client { "client" } else { "shared" };
                let values = answer.as_ref().and_then(|a| a.get(scope)).cloned().unwrap_or_else(|| json!({}));
                let body = if single {
                    json!({"id": id, "device": name, "value": keys.first().and_then(|k| values.get(k)).cloned().unwrap_or(Value::Null)})
                } else {
                    json!({"id": id, "device": name, "values": values})
                };
                out.reply("v1/gateway/attributes/response", body.to_string());
                PublishVerdict::Accepted
            }
            "v1/gateway/rpc" => {
                let (Some(name), Some(id)) =
                    (obj.get("device").and_then(Value::as_str), obj.get("id").and_then(Value::as_u64))
                else {
                    return PublishVerdict::PayloadInvalid("\"device\" and numeric \"id\" are required".into());
                };
                let data = obj.get("data").cloned().unwrap_or(Value::Null);
                let child_id = self.with_child(name, |d| d.id.clone());
                match child_id {
                    Some(child_id) => {
                        let text = data.to_string();
                        self.rpc_response(&child_id, &id.to_string(), text.as_bytes())
                    }
                    None => PublishVerdict::Accepted,
                }
            }
            "v1/gateway/claim" => {
                for (name, data) in obj {
                    let result = self.with_child(name, |d| self.claim(d, data));
                    if let Some(Err(e)) = result {
                        return PublishVerdict::PayloadInvalid(format!("{name}: {e}"));
                    }
                }
                PublishVerdict::Accepted
            }
            _ => PublishVerdict::TopicInvalid("not a ThingsBoard gateway topic".into()),
        }
    }

    fn with_child<R>(&self, name: &str, f: impl FnOnce(&mut Device) -> R) -> Option<R> {
        let mut st = self.tb.lock();
        st.devices.iter_mut().find(|d| d.name == name).map(f)
    }

    /// Gateways create devices on first sight, as ThingsBoard's GatewaySessionHandler does.
    fn connect_child(&self, name: &str, device_type: &str) {
        let mut st = self.tb.lock();
        if !st.devices.iter().any(|d| d.name == name) {
            let mut device = Device::new(name, device_type);
            device.via_gateway = Some(self.device_name.clone());
            st.add_device(device);
            crate::sim_log!("thingsboard", "gateway {} created device {name:?}", self.device_name);
        }
        if let Some(s) = st.sessions.get_mut(&self.handle.id) {
            if !s.children.iter().any(|c| c == name) {
                s.children.push(name.to_string());
            }
        }
    }

    fn disconnect_child(&self, name: &str) {
        if let Some(s) = self.tb.lock().sessions.get_mut(&self.handle.id) {
            s.children.retain(|c| c != name);
        }
    }
}

fn store_client_attributes(d: &mut Device, obj: &Map<String, Value>) {
    let now = crate::clock::now_ms();
    for (k, v) in obj {
        d.client_attributes.insert(k.clone(), AttributeValue { value: v.clone(), last_update_ts: now });
    }
}

/// The transport's own answer to `getSessionLimits` (docs/platforms/thingsboard.md#session-limits).
pub fn session_limits(max_payload_size: usize, gateway: bool) -> Value {
    let rate_limits = json!({
        "messages": "200:1,6000:60,14000:3600",
        "telemetryMessages": "100:1,3000:60,7000:3600",
        "telemetryDataPoints": "200:1,6000:60,14000:3600",
    });
    let mut limits = json!({
        "maxPayloadSize": max_payload_size,
        "maxInflightMessages": 100,
        "rateLimits": rate_limits,
    });
    if gateway {
        limits["gatewayRateLimits"] = limits["rateLimits"].clone();
    }
    limits
}

impl PlatformSession for DeviceSession {
    fn subscribe(&mut self, filter: &str, qos: u8) -> SubscribeVerdict {
        let allowed = DEVICE_FILTERS.contains(&filter) || (self.gateway && GATEWAY_FILTERS.contains(&filter));
        if !allowed {
            let reason = if GATEWAY_FILTERS.contains(&filter) {
                "gateway topics need a device marked as gateway".to_string()
            } else {
                "not one of ThingsBoard's exact subscription topics".to_string()
            };
            return SubscribeVerdict::Refuse { reason };
        }
        if RPC_REQUEST_FILTERS.contains(&filter) || filter == "v1/gateway/rpc" {
            if let Some(s) = self.tb.lock().sessions.get_mut(&self.handle.id) {
                s.rpc_subscribed = true;
            }
        }
        SubscribeVerdict::Grant { filter: filter.to_string(), qos: qos.min(1) }
    }

    fn publish(&mut self, publish: &Publish, out: &mut Outbox) -> PublishVerdict {
        let topic = publish.topic.as_str();
        let levels: Vec<&str> = topic.split('/').collect();
        // OTA chunk requests carry a number, not JSON.
        if let ["v2", kind @ ("fw" | "sw"), "request", req_id, "chunk", idx] = levels[..] {
            let kind = if kind == "fw" { OtaKind::Firmware } else { OtaKind::Software };
            return self.ota_chunk(kind, req_id, idx, &publish.payload, out);
        }
        // The device's RPC reply is taken as a raw string.
        if let ["v1", "devices", "me", "rpc", "response", id] | ["v2", "r", "res", id] = levels[..] {
            let device_id = self.device_id.clone();
            return self.rpc_response(&device_id, id, &publish.payload);
        }
        let known = matches!(
            levels[..],
            ["v1", "devices", "me", "telemetry"]
                | ["v2", "t"]
                | ["v1", "devices", "me", "attributes"]
                | ["v2", "a"]
                | ["v1", "devices", "me", "attributes", "request", _]
                | ["v2", "a", "req", _]
                | ["v1", "devices", "me", "rpc", "request", _]
                | ["v2", "r", "req", _]
                | ["v1", "devices", "me", "claim"]
        ) || (self.gateway && levels.first() == Some(&"v1") && levels.get(1) == Some(&"gateway"));
        if !known {
            return PublishVerdict::TopicInvalid("not a ThingsBoard device API topic".into());
        }
        let json = match parse_json(&publish.payload) {
            Ok(v) => v,
            Err(e) => return PublishVerdict::PayloadInvalid(e),
        };
        match levels[..] {
            ["v1", "devices", "me", "telemetry"] | ["v2", "t"] => self.telemetry(&json),
            ["v1", "devices", "me", "attributes"] | ["v2", "a"] => self.client_attributes(&json),
            ["v1", "devices", "me", "attributes", "request", id] => {
                self.attribute_request(&json, format!("v1/devices/me/attributes/response/{id}"), out)
            }
            ["v2", "a", "req", id] => self.attribute_request(&json, format!("v2/a/res/{id}"), out),
            ["v1", "devices", "me", "rpc", "request", id] => {
                self.client_rpc(&json, format!("v1/devices/me/rpc/response/{id}"), out)
            }
            ["v2", "r", "req", id] => self.client_rpc(&json, format!("v2/r/res/{id}"), out),
            ["v1", "devices", "me", "claim"] => {
                let device_id = self.device_id.clone();
                let mut st = self.tb.lock();
                match st.device_mut(&device_id).map(|d| self.claim(d, &json)) {
                    Some(Err(e)) => PublishVerdict::PayloadInvalid(e),
                    _ => PublishVerdict::Accepted,
                }
            }
            _ => self.gateway_publish(topic, &json, out),
        }
    }

    fn push(&mut self, push: Push, subs: &Subscriptions, out: &mut Outbox) {
        match push {
            Push::SharedAttributes { device, update } => {
                if device == self.device_name {
                    out.notify("v1/devices/me/attributes", update.to_string());
                    out.notify("v2/a", update.to_string());
                } else if self.gateway {
                    out.notify("v1/gateway/attributes", json!({"device": device, "data": update}).to_string());
                }
            }
            Push::ServerRpc { device, id, method, params } => {
                if device == self.device_name {
                    let body = json!({"method": method, "params": params}).to_string();
                    // The request goes out in the form the device subscribed to.
                    if subs.has("v2/r/req/+") && !subs.has("v1/devices/me/rpc/request/+") {
                        out.notify(format!("v2/r/req/{id}"), body);
                    } else {
                        out.notify(format!("v1/devices/me/rpc/request/{id}"), body);
                    }
                } else if self.gateway {
                    out.notify(
                        "v1/gateway/rpc",
                        json!({"device": device, "data": {"id": id, "method": method, "params": params}}).to_string(),
                    );
                }
            }
            Push::Deliver { .. } | Push::Close { .. } => {}
        }
    }

    fn closed(&mut self, _graceful: bool) {
        self.tb.lock().sessions.remove(&self.handle.id);
    }
}
