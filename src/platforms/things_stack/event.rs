//! Typed events of the application server (`ApplicationUp` in messages.proto): the envelope, one
//! body per event kind, and parsing from an MQTT topic and payload. Unknown fields are kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::decoder::DecodedUplink;
use super::downlink::{Downlink, GatewayIds};
use super::error::ThingsStackError;
use super::topic::{parse_event_topic, ApplicationUid, EventKind};
use super::wire::{base64_bytes, is_false, u64_string};
use crate::platforms::json::{serde_names, split_known};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplicationIds {
    pub application_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct EndDeviceIds {
    pub device_id: String,
    #[serde(default)]
    pub application_ids: ApplicationIds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_eui: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_eui: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_addr: Option<String>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

/// One gateway antenna's reception of an uplink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct RxMetadata {
    #[serde(default)]
    pub gateway_ids: GatewayIds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_rssi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snr: Option<f64>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct LoraDataRate {
    #[serde(default)]
    pub bandwidth: u32,
    #[serde(default)]
    pub spreading_factor: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coding_rate: Option<String>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct DataRate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<LoraDataRate>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

/// How the end device transmitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct TxSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_rate: Option<DataRate>,
    /// Hz; a decimal string on the wire (uint64).
    #[serde(default, with = "u64_string", skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u64>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

/// `uplink_message` (topic `up`) and `uplink_normalized` (topic `up/normalized`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Uplink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_port: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_cnt: Option<u32>,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub frm_payload: Option<Vec<u8>>,
    /// The server's payload formatter output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalized_payload: Option<Value>,
    #[serde(default)]
    pub rx_metadata: Vec<RxMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<TxSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub confirmed: bool,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct JoinAccept {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalidated_downlinks: Vec<Downlink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

/// Why the server gave up on something, e.g. `name: "application_downlink_too_long"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ErrorDetails {
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct DownlinkFailed {
    pub downlink: Downlink,
    #[serde(default)]
    pub error: ErrorDetails,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct InvalidatedDownlinks {
    #[serde(default)]
    pub downlinks: Vec<Downlink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_f_cnt_down: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key_id: Option<String>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Location {
    #[serde(default)]
    pub latitude: f64,
    #[serde(default)]
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct LocationSolved {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ServiceData {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub data: Value,
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

crate::keeps_extra!(
    EndDeviceIds,
    RxMetadata,
    LoraDataRate,
    DataRate,
    TxSettings,
    Uplink,
    JoinAccept,
    ErrorDetails,
    DownlinkFailed,
    InvalidatedDownlinks,
    Location,
    LocationSolved,
    ServiceData,
);

/// The one body of an `ApplicationUp`, named by its JSON key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpMessage {
    UplinkMessage(Uplink),
    UplinkNormalized(Uplink),
    JoinAccept(JoinAccept),
    DownlinkQueued(Downlink),
    DownlinkSent(Downlink),
    DownlinkAck(Downlink),
    DownlinkNack(Downlink),
    DownlinkFailed(DownlinkFailed),
    DownlinkQueueInvalidated(InvalidatedDownlinks),
    LocationSolved(LocationSolved),
    ServiceData(ServiceData),
}

impl UpMessage {
    /// The topic that carries this body.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::UplinkMessage(_) => EventKind::Up,
            Self::UplinkNormalized(_) => EventKind::UpNormalized,
            Self::JoinAccept(_) => EventKind::Join,
            Self::DownlinkQueued(_) => EventKind::DownQueued,
            Self::DownlinkSent(_) => EventKind::DownSent,
            Self::DownlinkAck(_) => EventKind::DownAck,
            Self::DownlinkNack(_) => EventKind::DownNack,
            Self::DownlinkFailed(_) => EventKind::DownFailed,
            Self::DownlinkQueueInvalidated(_) => EventKind::DownInvalidated,
            Self::LocationSolved(_) => EventKind::LocationSolved,
            Self::ServiceData(_) => EventKind::ServiceData,
        }
    }
}

/// The envelope every event shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationUp {
    pub end_device_ids: EndDeviceIds,
    #[serde(default)]
    pub correlation_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub simulated: bool,
    #[serde(flatten)]
    pub message: UpMessage,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The fields of [`ApplicationUp`] besides its body and `extra`, for reading it.
#[derive(Deserialize)]
struct Envelope {
    end_device_ids: EndDeviceIds,
    #[serde(default)]
    correlation_ids: Vec<String>,
    #[serde(default)]
    received_at: Option<String>,
    #[serde(default)]
    simulated: bool,
}

/// Read by hand rather than with two flattened fields (see `platforms::json::extra`): the key that
/// names a body (`uplink_message`, `join_accept`, ...; the first in [`UpMessage`]'s order should
/// there be several) is the body, the envelope's own fields are read, and the rest is kept in
/// `extra`.
impl<'de> Deserialize<'de> for ApplicationUp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut object = Map::<String, Value>::deserialize(d)?;
        let bodies = serde_names(<UpMessage as Deserialize>::deserialize);
        let Some((key, body)) = bodies.iter().find_map(|k| object.remove_entry(*k)) else {
            return Err(D::Error::custom(format!("no event body: expected one of {}", bodies.join(", "))));
        };
        let message = UpMessage::deserialize(Value::Object(Map::from_iter([(key, body)]))).map_err(D::Error::custom)?;
        let fields = serde_names(<Envelope as Deserialize>::deserialize);
        let (known, extra) = split_known(object, fields);
        let envelope = Envelope::deserialize(Value::Object(known)).map_err(D::Error::custom)?;
        Ok(Self {
            end_device_ids: envelope.end_device_ids,
            correlation_ids: envelope.correlation_ids,
            received_at: envelope.received_at,
            simulated: envelope.simulated,
            message,
            extra,
        })
    }
}

impl ApplicationUp {
    pub fn device_id(&self) -> &str {
        &self.end_device_ids.device_id
    }

    fn uplink(&self) -> Option<&Uplink> {
        match &self.message {
            UpMessage::UplinkMessage(u) | UpMessage::UplinkNormalized(u) => Some(u),
            _ => None,
        }
    }

    /// The downlink a `down/queued`, `sent`, `ack`, `nack` or `failed` event is about.
    pub fn downlink(&self) -> Option<&Downlink> {
        match &self.message {
            UpMessage::DownlinkQueued(d)
            | UpMessage::DownlinkSent(d)
            | UpMessage::DownlinkAck(d)
            | UpMessage::DownlinkNack(d) => Some(d),
            UpMessage::DownlinkFailed(f) => Some(&f.downlink),
            _ => None,
        }
    }

    pub fn f_port(&self) -> Option<u32> {
        self.uplink().and_then(|u| u.f_port).or_else(|| self.downlink().map(|d| d.f_port))
    }

    pub fn f_cnt(&self) -> Option<u32> {
        self.uplink().and_then(|u| u.f_cnt).or_else(|| self.downlink().and_then(|d| d.f_cnt))
    }

    /// The FRMPayload bytes, decoded from base64.
    pub fn frm_payload(&self) -> Option<&[u8]> {
        self.uplink()
            .and_then(|u| u.frm_payload.as_deref())
            .or_else(|| self.downlink().and_then(|d| d.frm_payload.as_deref()))
    }

    /// The server's payload formatter output.
    pub fn decoded_payload(&self) -> Option<&Value> {
        self.uplink()
            .and_then(|u| u.decoded_payload.as_ref())
            .or_else(|| self.downlink().and_then(|d| d.decoded_payload.as_ref()))
    }

    pub fn rx_metadata(&self) -> &[RxMetadata] {
        self.uplink().map_or(&[], |u| u.rx_metadata.as_slice())
    }

    pub fn settings(&self) -> Option<&TxSettings> {
        self.uplink().and_then(|u| u.settings.as_ref())
    }

    /// The envelope's correlation ids and those of every downlink the event names.
    pub fn all_correlation_ids(&self) -> impl Iterator<Item = &str> {
        let nested: Vec<&Downlink> = match &self.message {
            UpMessage::DownlinkQueueInvalidated(i) => i.downlinks.iter().collect(),
            UpMessage::JoinAccept(j) => j.invalidated_downlinks.iter().collect(),
            _ => self.downlink().into_iter().collect(),
        };
        self.correlation_ids.iter().chain(nested.into_iter().flat_map(|d| d.correlation_ids.iter())).map(String::as_str)
    }
}

/// An event as the application sees it: which device, which kind, the typed body, and the
/// client-side decoder's output when one is registered for this uplink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThingsStackEvent {
    pub device_id: String,
    pub kind: EventKind,
    pub up: ApplicationUp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<DecodedUplink>,
}

/// Parses a message on an event topic. `Ok(None)` for topics that are not this application's
/// events; malformed JSON or a body that does not fit its topic is an error, never a panic.
pub fn parse_event(
    app: &ApplicationUid,
    topic: &str,
    payload: &[u8],
) -> Result<Option<ThingsStackEvent>, ThingsStackError> {
    let Some((device_id, kind)) = parse_event_topic(app, topic) else { return Ok(None) };
    let invalid = |detail: String| ThingsStackError::InvalidEvent { topic: topic.to_owned(), detail };
    let up: ApplicationUp = crate::platforms::json::from_slice(payload).map_err(|e| invalid(e.to_string()))?;
    if up.message.kind() != kind {
        return Err(invalid(format!("the body is a {:?} event, the topic says {:?}", up.message.kind(), kind)));
    }
    Ok(Some(ThingsStackEvent { device_id, kind, up, decoded: None }))
}
