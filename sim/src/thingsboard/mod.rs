// The ThingsBoard stand-in: device registry, stored telemetry and attributes, server-side RPC,
// OTA packages and provisioning, behind the MQTT device transport in `device_session` and `provision`.

pub mod admin;
pub mod checksum;
mod device_session;
pub mod payload;
mod provision;

use crate::config::{MqttBasicSeed, ProvisionProfileSeed, ThingsBoardSeed, Timings};
use crate::mqtt::packet::Connect;
use crate::session::{PlatformGate, PlatformSession, Push, Refusal, SessionHandle};
use checksum::ChecksumAlgorithm;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;

/// ThingsBoard's `device.claim.duration` default (thingsboard.yml): one day.
pub const DEFAULT_CLAIM_DURATION_MS: i64 = 86_400_000;
/// Kept per telemetry key, newest last.
const HISTORY_PER_KEY: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct TsValue {
    pub ts: i64,
    pub value: Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValue {
    pub value: Value,
    pub last_update_ts: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub secret_key: String,
    pub duration_ms: i64,
    pub claimed_at: i64,
    pub expires_at: i64,
}

/// Firmware (`fw_`) or software (`sw_`) packages: same flow, different attribute prefix and topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtaKind {
    Firmware,
    Software,
}

impl OtaKind {
    pub fn prefix(self) -> &'static str {
        match self {
            OtaKind::Firmware => "fw",
            OtaKind::Software => "sw",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fw" | "firmware" | "FIRMWARE" => Some(OtaKind::Firmware),
            "sw" | "software" | "SOFTWARE" => Some(OtaKind::Software),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OtaPackage {
    pub title: String,
    pub version: String,
    pub algorithm: ChecksumAlgorithm,
    pub checksum: String,
    pub data: Arc<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub device_type: String,
    pub access_token: Option<String>,
    pub mqtt_basic: Option<MqttBasicSeed>,
    pub x509_hash: Option<String>,
    pub gateway: bool,
    /// Name of the gateway that created or connected this device, if any.
    pub via_gateway: Option<String>,
    pub telemetry: BTreeMap<String, Vec<TsValue>>,
    pub client_attributes: BTreeMap<String, AttributeValue>,
    pub shared_attributes: BTreeMap<String, AttributeValue>,
    pub claims: Vec<Claim>,
    pub firmware: Option<OtaPackage>,
    pub software: Option<OtaPackage>,
    next_rpc_id: u64,
}

impl Device {
    fn new(name: &str, device_type: &str) -> Self {
        Self {
            id: crate::clock::uuid_v4(),
            name: name.to_string(),
            device_type: if device_type.is_empty() { "default".into() } else { device_type.to_string() },
            access_token: None,
            mqtt_basic: None,
            x509_hash: None,
            gateway: false,
            via_gateway: None,
            telemetry: BTreeMap::new(),
            client_attributes: BTreeMap::new(),
            shared_attributes: BTreeMap::new(),
            claims: Vec::new(),
            firmware: None,
            software: None,
            next_rpc_id: 1,
        }
    }

    pub fn record_telemetry(&mut self, ts: i64, values: &Map<String, Value>) {
        for (k, v) in values {
            let series = self.telemetry.entry(k.clone()).or_default();
            series.push(TsValue { ts, value: v.clone() });
            // Newest last, by timestamp, the way ThingsBoard's "latest" is the greatest ts.
            series.sort_by_key(|x| x.ts);
            if series.len() > HISTORY_PER_KEY {
                series.remove(0);
            }
        }
    }

    pub fn latest(&self, key: &str) -> Option<&TsValue> {
        self.telemetry.get(key).and_then(|s| s.last())
    }

    fn ota(&self, kind: OtaKind) -> Option<&OtaPackage> {
        match kind {
            OtaKind::Firmware => self.firmware.as_ref(),
            OtaKind::Software => self.software.as_ref(),
        }
    }

    /// `{"client":{..},"shared":{..}}` with each object present only when non-empty.
    pub fn answer_attribute_request(&self, request: &payload::AttributeRequest) -> Value {
        let pick = |store: &BTreeMap<String, AttributeValue>, keys: &Option<Vec<String>>, all: bool| {
            let mut m = Map::new();
            match keys {
                Some(keys) => {
                    for k in keys {
                        if let Some(a) = store.get(k) {
                            m.insert(k.clone(), a.value.clone());
                        }
                    }
                }
                None if all => {
                    for (k, a) in store {
                        m.insert(k.clone(), a.value.clone());
                    }
                }
                None => {}
            }
            m
        };
        let all = request.client_keys.is_none() && request.shared_keys.is_none();
        let client = pick(&self.client_attributes, &request.client_keys, all);
        let shared = pick(&self.shared_attributes, &request.shared_keys, all);
        let mut out = Map::new();
        if !client.is_empty() {
            out.insert("client".into(), Value::Object(client));
        }
        if !shared.is_empty() {
            out.insert("shared".into(), Value::Object(shared));
        }
        Value::Object(out)
    }
}

/// A live MQTT session of a device, and which server pushes it can receive.
#[derive(Debug, Clone)]
struct LiveSession {
    handle: SessionHandle,
    device_id: String,
    gateway: bool,
    rpc_subscribed: bool,
    /// Devices connected through this gateway session, by name.
    children: Vec<String>,
}

#[derive(Default)]
pub struct ThingsBoardState {
    pub devices: Vec<Device>,
    profiles: Vec<ProvisionProfileSeed>,
    sessions: HashMap<u64, LiveSession>,
    pending_rpc: HashMap<(String, u64), oneshot::Sender<String>>,
}

impl ThingsBoardState {
    pub fn device(&self, id_or_name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id_or_name).or_else(|| self.devices.iter().find(|d| d.name == id_or_name))
    }

    pub fn device_mut(&mut self, id_or_name: &str) -> Option<&mut Device> {
        let idx = self
            .devices
            .iter()
            .position(|d| d.id == id_or_name)
            .or_else(|| self.devices.iter().position(|d| d.name == id_or_name))?;
        self.devices.get_mut(idx)
    }

    fn add_device(&mut self, device: Device) -> &mut Device {
        self.devices.push(device);
        let last = self.devices.len() - 1;
        &mut self.devices[last]
    }

    fn is_connected(&self, device: &Device) -> bool {
        self.sessions.values().any(|s| s.device_id == device.id || (s.gateway && s.children.contains(&device.name)))
    }

    /// Sends a push to every session that speaks for `device`: its own, and its gateway's.
    fn push_to_device(&self, device: &Device, push: &Push) {
        for s in self.sessions.values() {
            if s.device_id == device.id || (s.gateway && s.children.contains(&device.name)) {
                let _ = s.handle.push.send(push.clone());
            }
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RpcError {
    #[error("device {0} not found")]
    DeviceNotFound(String),
    #[error("device {0} has no active connection subscribed to RPC")]
    NoActiveConnection(String),
    #[error("the device did not answer within {0} ms")]
    Timeout(u64),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AdminError {
    #[error("device {0} not found")]
    DeviceNotFound(String),
    #[error("{0}")]
    BadRequest(String),
}

pub struct ThingsBoard {
    state: Mutex<ThingsBoardState>,
    pub timings: Timings,
    pub max_payload_size: usize,
}

impl ThingsBoard {
    pub fn new(seed: &ThingsBoardSeed, timings: &Timings) -> Arc<Self> {
        let mut state = ThingsBoardState { profiles: seed.provision_profiles.clone(), ..ThingsBoardState::default() };
        for d in &seed.devices {
            let mut device = Device::new(&d.name, &d.device_type);
            device.access_token = d.access_token.clone();
            device.mqtt_basic = d.mqtt_basic.clone();
            device.gateway = d.gateway;
            state.devices.push(device);
        }
        Arc::new(Self { state: Mutex::new(state), timings: timings.clone(), max_payload_size: seed.max_payload_size })
    }

    pub fn lock(&self) -> MutexGuard<'_, ThingsBoardState> {
        // A panic elsewhere must not take the transport down with it: keep serving the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves shared attributes as the REST API does, and pushes the changed keys to the device.
    pub fn save_shared_attributes(&self, device_ref: &str, values: &Map<String, Value>) -> Result<(), AdminError> {
        let mut st = self.lock();
        let now = crate::clock::now_ms();
        let device = st.device_mut(device_ref).ok_or_else(|| AdminError::DeviceNotFound(device_ref.into()))?;
        for (k, v) in values {
            device.shared_attributes.insert(k.clone(), AttributeValue { value: v.clone(), last_update_ts: now });
        }
        let device = device.clone();
        st.push_to_device(
            &device,
            &Push::SharedAttributes { device: device.name.clone(), update: Value::Object(values.clone()) },
        );
        Ok(())
    }

    /// Deletes shared attributes; the device is told with `{"deleted":[...]}`.
    pub fn delete_shared_attributes(&self, device_ref: &str, keys: &[String]) -> Result<Vec<String>, AdminError> {
        let mut st = self.lock();
        let device = st.device_mut(device_ref).ok_or_else(|| AdminError::DeviceNotFound(device_ref.into()))?;
        let deleted: Vec<String> =
            keys.iter().filter(|k| device.shared_attributes.remove(*k).is_some()).cloned().collect();
        let device = device.clone();
        if !deleted.is_empty() {
            st.push_to_device(
                &device,
                &Push::SharedAttributes { device: device.name.clone(), update: json!({ "deleted": deleted }) },
            );
        }
        Ok(deleted)
    }

    /// Server-side RPC as `POST /api/rpc/{twoway|oneway}/{deviceId}` runs it. Two-way waits for
    /// the device's reply (a raw string); one-way returns as soon as the request is delivered.
    pub async fn server_rpc(
        &self,
        device_ref: &str,
        method: String,
        params: Value,
        two_way: bool,
        timeout_ms: Option<u64>,
    ) -> Result<Option<String>, RpcError> {
        let timeout_ms = timeout_ms.unwrap_or(self.timings.rpc_timeout_ms);
        let (rx, key) = {
            let mut st = self.lock();
            let device = st.device_mut(device_ref).ok_or_else(|| RpcError::DeviceNotFound(device_ref.into()))?;
            let id = device.next_rpc_id;
            device.next_rpc_id += 1;
            let device = device.clone();
            let target = st.sessions.values().find(|s| {
                s.rpc_subscribed && (s.device_id == device.id || (s.gateway && s.children.contains(&device.name)))
            });
            let Some(target) = target else {
                return Err(RpcError::NoActiveConnection(device.name.clone()));
            };
            let _ = target.handle.push.send(Push::ServerRpc { device: device.name.clone(), id, method, params });
            if !two_way {
                return Ok(None);
            }
            let (tx, rx) = oneshot::channel();
            let key = (device.id.clone(), id);
            st.pending_rpc.insert(key.clone(), tx);
            (rx, key)
        };
        let result = tokio::time::timeout(Duration::from_millis(timeout_ms), rx).await;
        self.lock().pending_rpc.remove(&key);
        match result {
            Ok(Ok(reply)) => Ok(Some(reply)),
            _ => Err(RpcError::Timeout(timeout_ms)),
        }
    }

    /// Stores an OTA package for the device and sets the `fw_*`/`sw_*` shared attributes, which
    /// reach a connected device as an attribute update.
    pub fn assign_ota_package(
        &self,
        device_ref: &str,
        kind: OtaKind,
        title: &str,
        version: &str,
        algorithm: ChecksumAlgorithm,
        data: Vec<u8>,
    ) -> Result<Value, AdminError> {
        let checksum = algorithm.checksum(&data);
        let p = kind.prefix();
        let attributes = json!({
            format!("{p}_title"): title,
            format!("{p}_version"): version,
            format!("{p}_tag"): format!("{title} {version}"),
            format!("{p}_size"): data.len(),
            format!("{p}_checksum_algorithm"): algorithm.name(),
            format!("{p}_checksum"): checksum,
        });
        let Value::Object(map) = attributes.clone() else {
            return Err(AdminError::BadRequest("internal: attributes".into()));
        };
        {
            let mut st = self.lock();
            let device = st.device_mut(device_ref).ok_or_else(|| AdminError::DeviceNotFound(device_ref.into()))?;
            let package = OtaPackage {
                title: title.into(),
                version: version.into(),
                algorithm,
                checksum: checksum.clone(),
                data: Arc::new(data),
            };
            match kind {
                OtaKind::Firmware => device.firmware = Some(package),
                OtaKind::Software => device.software = Some(package),
            }
            // The server's own states before the device takes over (docs/platforms/thingsboard.md#firmware).
            let now = crate::clock::now_ms();
            let mut state = Map::new();
            state.insert(format!("{p}_state"), json!("QUEUED"));
            device.record_telemetry(now, &state);
            state.insert(format!("{p}_state"), json!("INITIATED"));
            device.record_telemetry(now + 1, &state);
        }
        self.save_shared_attributes(device_ref, &map)?;
        Ok(attributes)
    }

    /// The simulator's own view of a device, for `GET /api/sim/thingsboard/devices`.
    pub fn describe(&self, device: &Device, st: &ThingsBoardState) -> Value {
        let latest: Map<String, Value> = device
            .telemetry
            .iter()
            .filter_map(|(k, s)| s.last().map(|l| (k.clone(), json!({"ts": l.ts, "value": l.value}))))
            .collect();
        let attrs = |m: &BTreeMap<String, AttributeValue>| -> Map<String, Value> {
            m.iter().map(|(k, a)| (k.clone(), a.value.clone())).collect()
        };
        let package = |p: Option<&OtaPackage>| {
            p.map(|p| {
                json!({
                    "title": p.title, "version": p.version, "size": p.data.len(),
                    "checksumAlgorithm": p.algorithm.name(), "checksum": p.checksum,
                })
            })
        };
        json!({
            "id": device.id,
            "name": device.name,
            "type": device.device_type,
            "gateway": device.gateway,
            "viaGateway": device.via_gateway,
            "accessToken": device.access_token,
            "mqttBasic": device.mqtt_basic.as_ref().map(|b| json!({
                "clientId": b.client_id, "userName": b.username, "password": b.password,
            })),
            "connected": st.is_connected(device),
            // The device's own MQTT sessions (a gateway's for it not counted).
            "connections": st.sessions.values().filter(|s| s.device_id == device.id).count(),
            "telemetry": latest,
            "clientAttributes": attrs(&device.client_attributes),
            "sharedAttributes": attrs(&device.shared_attributes),
            "claims": device.claims,
            "fwState": device.latest("fw_state").map(|v| v.value.clone()),
            "swState": device.latest("sw_state").map(|v| v.value.clone()),
            "firmware": package(device.firmware.as_ref()),
            "software": package(device.software.as_ref()),
        })
    }

    fn register_session(&self, handle: &SessionHandle, device: &Device) {
        self.lock().sessions.insert(
            handle.id,
            LiveSession {
                handle: handle.clone(),
                device_id: device.id.clone(),
                gateway: device.gateway,
                rpc_subscribed: false,
                children: Vec::new(),
            },
        );
    }
}

/// The MQTT front door: access tokens, MQTT basic credentials, and the `provision` session.
pub struct ThingsBoardGate(pub Arc<ThingsBoard>);

impl ThingsBoardGate {
    fn refuse_bad_credentials(reason: String) -> Refusal {
        Refusal { v3_code: 0x05, v5_code: 0x86, reason }
    }
}

impl PlatformGate for ThingsBoardGate {
    fn name(&self) -> &'static str {
        "thingsboard"
    }

    fn max_packet_size(&self) -> usize {
        self.0.max_payload_size
    }

    fn accept(&self, connect: &Connect, handle: SessionHandle) -> Result<Box<dyn PlatformSession>, Refusal> {
        let tb = &self.0;
        let username = connect.username_str();
        let password = connect.password_str();
        if username == "provision" || connect.client_id == "provision" {
            return Ok(Box::new(provision::ProvisionSession::new(tb.clone(), handle)));
        }
        let device = {
            let st = tb.lock();
            let by_token = if !username.is_empty() && password.is_empty() {
                st.devices.iter().find(|d| d.access_token.as_deref() == Some(username))
            } else {
                None
            };
            by_token
                .or_else(|| {
                    st.devices.iter().find(|d| {
                        d.mqtt_basic.as_ref().is_some_and(|b| {
                            (b.client_id.is_some() || b.username.is_some())
                                && b.client_id.as_deref().is_none_or(|c| c == connect.client_id)
                                && b.username.as_deref().is_none_or(|u| u == username)
                                && b.password.as_deref().is_none_or(|p| p == password)
                        })
                    })
                })
                .cloned()
        };
        let Some(device) = device else {
            if username.is_empty() && password.is_empty() && !connect.client_id.trim().is_empty() {
                return Err(Refusal {
                    v3_code: 0x02,
                    v5_code: 0x85,
                    reason: format!(
                        "no username or password, and client id {:?} matches no MQTT basic credentials",
                        connect.client_id
                    ),
                });
            }
            return Err(Self::refuse_bad_credentials(format!(
                "unknown access token or MQTT basic credentials (username {username:?}, client id {:?})",
                connect.client_id
            )));
        };
        tb.register_session(&handle, &device);
        Ok(Box::new(device_session::DeviceSession::new(tb.clone(), handle, device)))
    }
}
