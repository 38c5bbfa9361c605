//! Typed events of the application server (`ApplicationUp` in messages.proto): the envelope, one
//! body per event kind, and parsing from an MQTT topic and payload. Unknown fields are kept.

use crate::json::{Map, Value};

use super::decoder::DecodedUplink;
use super::downlink::{Downlink, GatewayIds};
use super::error::ThingsStackError;
use super::head::{read_event, EventHead};
use super::topic::{ApplicationUid, EventKind};
use super::wire::{base64_bytes, u64_string};
use crate::json::{Fields, FromJson, ReadError, ToJson, Writer};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationIds {
    pub application_id: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndDeviceIds {
    pub device_id: String,
    pub application_ids: ApplicationIds,
    pub dev_eui: Option<String>,
    pub join_eui: Option<String>,
    pub dev_addr: Option<String>,
    pub extra: Map<String, Value>,
}

/// One gateway antenna's reception of an uplink.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RxMetadata {
    pub gateway_ids: GatewayIds,
    pub time: Option<String>,
    pub timestamp: Option<u64>,
    pub rssi: Option<f64>,
    pub channel_rssi: Option<f64>,
    pub snr: Option<f64>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoraDataRate {
    pub bandwidth: u32,
    pub spreading_factor: u32,
    pub coding_rate: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataRate {
    pub lora: Option<LoraDataRate>,
    pub extra: Map<String, Value>,
}

/// How the end device transmitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxSettings {
    pub data_rate: Option<DataRate>,
    /// Hz; a decimal string on the wire (uint64).
    pub frequency: Option<u64>,
    pub extra: Map<String, Value>,
}

/// `uplink_message` (topic `up`) and `uplink_normalized` (topic `up/normalized`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Uplink {
    pub session_key_id: Option<String>,
    pub f_port: Option<u32>,
    pub f_cnt: Option<u32>,
    pub frm_payload: Option<Vec<u8>>,
    /// The server's payload formatter output.
    pub decoded_payload: Option<Value>,
    pub normalized_payload: Option<Value>,
    pub rx_metadata: Vec<RxMetadata>,
    pub settings: Option<TxSettings>,
    pub received_at: Option<String>,
    pub confirmed: bool,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinAccept {
    pub session_key_id: Option<String>,
    pub invalidated_downlinks: Vec<Downlink>,
    pub received_at: Option<String>,
    pub extra: Map<String, Value>,
}

/// Why the server gave up on something, e.g. `name: "application_downlink_too_long"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorDetails {
    pub namespace: String,
    pub name: String,
    pub message_format: Option<String>,
    pub attributes: Option<Value>,
    pub code: Option<u32>,
    pub extra: Map<String, Value>,
}

impl ErrorDetails {
    /// The message with its `{name}` placeholders filled from `attributes` (docs/platforms/things-stack.md#downlink-too-long):
    /// "application downlink payload of {length} bytes is too long for data rate with maximum {max}
    /// bytes" reads "… of 200 bytes … maximum 51 bytes". A placeholder with no attribute stays as it is.
    pub fn message(&self) -> String {
        let Some(format) = &self.message_format else { return self.name.clone() };
        let mut out = String::with_capacity(format.len());
        let mut rest = format.as_str();
        while let Some((before, after)) = rest.split_once('{') {
            out.push_str(before);
            let Some((key, tail)) = after.split_once('}') else {
                out.push('{');
                out.push_str(after);
                return out;
            };
            match self.attributes.as_ref().and_then(|a| a.get(key)) {
                Some(Value::String(text)) => out.push_str(text),
                Some(value) => out.push_str(&crate::json::text(value)),
                None => {
                    out.push('{');
                    out.push_str(key);
                    out.push('}');
                }
            }
            rest = tail;
        }
        out.push_str(rest);
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DownlinkFailed {
    pub downlink: Downlink,
    pub error: ErrorDetails,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvalidatedDownlinks {
    pub downlinks: Vec<Downlink>,
    pub last_f_cnt_down: Option<u32>,
    pub session_key_id: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub altitude: Option<f64>,
    pub accuracy: Option<f64>,
    pub source: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationSolved {
    pub service: String,
    pub location: Location,
    pub attributes: Map<String, Value>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceData {
    pub service: String,
    pub data: Value,
    pub extra: Map<String, Value>,
}

// Reading, field by field (see `json::read`): what a reader does not take stays in `extra`.

crate::read_fields!(ApplicationIds { application_id: required });

crate::read_fields!(EndDeviceIds {
    device_id: required,
    application_ids: or_default,
    dev_eui: optional,
    join_eui: optional,
    dev_addr: optional,
    extra: rest
});

crate::read_fields!(RxMetadata {
    gateway_ids: or_default,
    time: optional,
    timestamp: optional,
    rssi: optional,
    channel_rssi: optional,
    snr: optional,
    extra: rest
});

crate::read_fields!(LoraDataRate {
    bandwidth: or_default,
    spreading_factor: or_default,
    coding_rate: optional,
    extra: rest
});

crate::read_fields!(DataRate { lora: optional, extra: rest });

crate::read_fields!(TxSettings { data_rate: optional, frequency: optional_with(u64_string::read), extra: rest });

crate::read_fields!(Uplink {
    session_key_id: optional,
    f_port: optional,
    f_cnt: optional,
    frm_payload: optional_with(base64_bytes::read),
    decoded_payload: optional,
    normalized_payload: optional,
    rx_metadata: or_default,
    settings: optional,
    received_at: optional,
    confirmed: or_default,
    extra: rest
});

crate::read_fields!(JoinAccept {
    session_key_id: optional,
    invalidated_downlinks: or_default,
    received_at: optional,
    extra: rest
});

crate::read_fields!(ErrorDetails {
    namespace: or_default,
    name: or_default,
    message_format: optional,
    attributes: optional,
    code: optional,
    extra: rest
});

crate::read_fields!(DownlinkFailed { downlink: required, error: or_default, extra: rest });

crate::read_fields!(InvalidatedDownlinks {
    downlinks: or_default,
    last_f_cnt_down: optional,
    session_key_id: optional,
    extra: rest
});

crate::read_fields!(Location {
    latitude: or_default,
    longitude: or_default,
    altitude: optional,
    accuracy: optional,
    source: optional,
    extra: rest
});

crate::read_fields!(LocationSolved { service: or_default, location: or_default, attributes: or_default, extra: rest });

crate::read_fields!(ServiceData { service: or_default, data: or_default, extra: rest });

// Writing, field by field (see `json::write`): absent optional fields are left out, and the kept
// unknown fields are written back after the known ones.

crate::write_fields!(ApplicationIds { application_id });

crate::write_fields!(EndDeviceIds { device_id, application_ids, ?dev_eui, ?join_eui, ?dev_addr, ..extra });

crate::write_fields!(RxMetadata { gateway_ids, ?time, ?timestamp, ?rssi, ?channel_rssi, ?snr, ..extra });

crate::write_fields!(LoraDataRate { bandwidth, spreading_factor, ?coding_rate, ..extra });

crate::write_fields!(DataRate { ?lora, ..extra });

crate::write_fields!(TxSettings { ?data_rate, ?frequency(u64_string::text), ..extra });

crate::write_fields!(Uplink {
    ?session_key_id,
    ?f_port,
    ?f_cnt,
    ?frm_payload(base64_bytes::text),
    ?decoded_payload,
    ?normalized_payload,
    rx_metadata,
    ?settings,
    ?received_at,
    ?confirmed,
    ..extra
});

crate::write_fields!(JoinAccept { ?session_key_id, ?invalidated_downlinks, ?received_at, ..extra });

crate::write_fields!(ErrorDetails { namespace, name, ?message_format, ?attributes, ?code, ..extra });

crate::write_fields!(DownlinkFailed { downlink, error, ..extra });

crate::write_fields!(InvalidatedDownlinks { downlinks, ?last_f_cnt_down, ?session_key_id, ..extra });

crate::write_fields!(Location { latitude, longitude, ?altitude, ?accuracy, ?source, ..extra });

crate::write_fields!(LocationSolved { service, location, ?attributes, ..extra });

crate::write_fields!(ServiceData { service, data, ..extra });

crate::write_fields!(ThingsStackEvent { device_id, kind, up, ?decoded });

/// The envelope's fields, the body under its key, then the kept unknown fields.
impl ToJson for ApplicationUp {
    fn write_json(&self, out: &mut Writer) {
        out.open().field("end_device_ids", &self.end_device_ids).field("correlation_ids", &self.correlation_ids);
        out.present("received_at", &self.received_at).present("simulated", &self.simulated);
        let key = self.message.key();
        match &self.message {
            UpMessage::UplinkMessage(u) | UpMessage::UplinkNormalized(u) => out.field(key, u),
            UpMessage::JoinAccept(j) => out.field(key, j),
            UpMessage::DownlinkQueued(d)
            | UpMessage::DownlinkSent(d)
            | UpMessage::DownlinkAck(d)
            | UpMessage::DownlinkNack(d) => out.field(key, d),
            UpMessage::DownlinkFailed(f) => out.field(key, f),
            UpMessage::DownlinkQueueInvalidated(i) => out.field(key, i),
            UpMessage::LocationSolved(l) => out.field(key, l),
            UpMessage::ServiceData(d) => out.field(key, d),
        };
        out.extra(&self.extra).close();
    }
}

/// The one body of an `ApplicationUp`, named by its JSON key.
#[derive(Debug, Clone, PartialEq)]
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
    /// The JSON keys of the bodies, in the variants' order.
    pub const BODIES: [&'static str; 11] = [
        "uplink_message",
        "uplink_normalized",
        "join_accept",
        "downlink_queued",
        "downlink_sent",
        "downlink_ack",
        "downlink_nack",
        "downlink_failed",
        "downlink_queue_invalidated",
        "location_solved",
        "service_data",
    ];

    /// [`Self::BODIES`] as a message lists them (a constant: `join` would bring its code into the wasm).
    pub const BODY_LIST: &'static str =
        "uplink_message, uplink_normalized, join_accept, downlink_queued, downlink_sent, \
        downlink_ack, downlink_nack, downlink_failed, downlink_queue_invalidated, location_solved, service_data";

    /// The body under `key`, one of [`Self::BODIES`].
    fn read(key: &str, body: Value) -> Result<Self, ReadError> {
        let at = |e: ReadError| e.under(key);
        Ok(match key {
            "uplink_message" => Self::UplinkMessage(Uplink::from_json(body).map_err(at)?),
            "uplink_normalized" => Self::UplinkNormalized(Uplink::from_json(body).map_err(at)?),
            "join_accept" => Self::JoinAccept(JoinAccept::from_json(body).map_err(at)?),
            "downlink_queued" => Self::DownlinkQueued(Downlink::from_json(body).map_err(at)?),
            "downlink_sent" => Self::DownlinkSent(Downlink::from_json(body).map_err(at)?),
            "downlink_ack" => Self::DownlinkAck(Downlink::from_json(body).map_err(at)?),
            "downlink_nack" => Self::DownlinkNack(Downlink::from_json(body).map_err(at)?),
            "downlink_failed" => Self::DownlinkFailed(DownlinkFailed::from_json(body).map_err(at)?),
            "downlink_queue_invalidated" => {
                Self::DownlinkQueueInvalidated(InvalidatedDownlinks::from_json(body).map_err(at)?)
            }
            "location_solved" => Self::LocationSolved(LocationSolved::from_json(body).map_err(at)?),
            _ => Self::ServiceData(ServiceData::from_json(body).map_err(at)?),
        })
    }

    /// The JSON key of this body: [`Self::BODIES`] and [`EventKind`] are both in the variants' order.
    pub fn key(&self) -> &'static str {
        Self::BODIES[self.kind() as usize]
    }

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
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationUp {
    pub end_device_ids: EndDeviceIds,
    pub correlation_ids: Vec<String>,
    pub received_at: Option<String>,
    pub simulated: bool,
    pub message: UpMessage,
    pub extra: Map<String, Value>,
}

/// The key that names a body (`uplink_message`, `join_accept`, ...; the first in [`UpMessage`]'s
/// order should there be several) is the body, the envelope's own fields are read, and the rest is
/// kept in `extra`.
impl FromJson for ApplicationUp {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let mut f = Fields::new(value)?;
        let message = UpMessage::BODIES
            .iter()
            .find_map(|key| f.take(key).map(|body| (*key, body)))
            .ok_or_else(|| ReadError::new(format!("no event body: expected one of {}", UpMessage::BODY_LIST)))
            .and_then(|(key, body)| UpMessage::read(key, body))?;
        Ok(Self {
            end_device_ids: f.required("end_device_ids")?,
            correlation_ids: f.or_default("correlation_ids")?,
            received_at: f.optional("received_at")?,
            simulated: f.or_default("simulated")?,
            message,
            extra: f.rest(),
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
}

/// An event as the application sees it: which device, which kind, the typed body, and the
/// client-side decoder's output when one is registered for this uplink.
#[derive(Debug, Clone, PartialEq)]
pub struct ThingsStackEvent {
    pub device_id: String,
    pub kind: EventKind,
    /// What the rules read (tracking, decoders): `head::EventHead`.
    pub head: EventHead,
    pub up: ApplicationUp,
    pub decoded: Option<DecodedUplink>,
}

/// Parses a message on an event topic. `Ok(None)` for topics that are not this application's
/// events; malformed JSON or a body that does not fit its topic is an error, never a panic.
pub fn parse_event(
    app: &ApplicationUid,
    topic: &str,
    payload: &[u8],
) -> Result<Option<ThingsStackEvent>, ThingsStackError> {
    let Some((head, value)) = read_event(app, topic, payload)? else { return Ok(None) };
    let invalid = |detail: String| ThingsStackError::InvalidEvent { topic: topic.to_owned(), detail };
    let up = ApplicationUp::from_json(value).map_err(|e| invalid(e.to_string()))?;
    Ok(Some(ThingsStackEvent { device_id: head.device_id.clone(), kind: head.kind, head, up, decoded: None }))
}

#[cfg(test)]
mod error_message_tests {
    use super::*;
    use crate::json;

    #[test]
    fn the_body_list_is_the_bodies_joined() {
        assert_eq!(UpMessage::BODY_LIST, UpMessage::BODIES.join(", "));
    }

    // docs/platforms/things-stack.md#downlink-too-long: the network server's own message format.
    #[test]
    fn placeholders_are_filled_from_the_attributes_and_unknown_ones_stay() {
        let e = ErrorDetails {
            namespace: "pkg/networkserver".into(),
            name: "application_downlink_too_long".into(),
            message_format: Some(
                "application downlink payload of {length} bytes is too long for data rate with maximum {max} bytes ({unknown})"
                    .into(),
            ),
            attributes: Some(json!({"length": 200, "max": 51})),
            code: Some(3),
            extra: Map::new(),
        };
        assert_eq!(
            e.message(),
            "application downlink payload of 200 bytes is too long for data rate with maximum 51 bytes ({unknown})"
        );
        let bare = ErrorDetails { message_format: None, attributes: None, ..e.clone() };
        assert_eq!(bare.message(), "application_downlink_too_long");
        let unclosed = ErrorDetails { message_format: Some("open {brace".into()), ..e };
        assert_eq!(unclosed.message(), "open {brace");
    }
}
