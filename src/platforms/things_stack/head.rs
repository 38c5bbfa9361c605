//! What the rules read from an event (docs/platforms/things-stack.md#topics): the body its key
//! names, which must be the topic's kind; the correlation ids a tracked downlink is found by (the
//! envelope's, then the downlink's or the invalidated downlinks'); the status a downlink event
//! gives; and the FPort, FRMPayload and receive time an uplink decoder takes. The typed
//! `ApplicationUp` reads the rest for the Rust API; the npm package's core reads only this.

use crate::json::Value;

use super::decoder::UplinkInput;
use super::error::ThingsStackError;
use super::event::{ErrorDetails, UpMessage};
use super::topic::{parse_event_topic, ApplicationUid, EventKind};
use super::tracking::DownlinkStatus;
use super::wire::base64_bytes;
use crate::json::{FromJson, ReadError};

#[derive(Debug, Clone, PartialEq)]
pub struct EventHead {
    /// The device the topic names.
    pub device_id: String,
    /// The device the envelope names (`end_device_ids.device_id`).
    pub envelope_device_id: String,
    pub kind: EventKind,
    pub correlation_ids: Vec<String>,
    /// What a downlink event says of its downlink.
    pub status: Option<DownlinkStatus>,
    /// The uplink's or downlink's.
    pub f_port: Option<u32>,
    pub frm_payload: Option<Vec<u8>>,
    /// An uplink's `received_at`, or the envelope's.
    pub received_at: Option<String>,
}

impl EventHead {
    /// What an uplink decoder takes from this event: an uplink's FRMPayload, FPort and receive
    /// time; `None` for other events.
    pub fn uplink_input(&self) -> Option<UplinkInput> {
        (self.kind == EventKind::Up).then(|| UplinkInput {
            bytes: self.frm_payload.clone().unwrap_or_default(),
            f_port: self.f_port.unwrap_or(0),
            recv_time: self.received_at.clone(),
        })
    }
}

/// The kind of each body's event, in [`UpMessage::BODIES`] order.
const KINDS: [EventKind; 11] = [
    EventKind::Up,
    EventKind::UpNormalized,
    EventKind::Join,
    EventKind::DownQueued,
    EventKind::DownSent,
    EventKind::DownAck,
    EventKind::DownNack,
    EventKind::DownFailed,
    EventKind::DownInvalidated,
    EventKind::LocationSolved,
    EventKind::ServiceData,
];

/// The kind of the event whose body is under `key`.
pub fn body_kind(key: &str) -> Option<EventKind> {
    UpMessage::BODIES.iter().position(|k| *k == key).map(|i| KINDS[i])
}

/// Reads a message on an event topic: its head and its JSON. `Ok(None)` for topics that are not
/// this application's events; malformed JSON or a body that does not fit its topic is an error.
pub fn read_event(
    app: &ApplicationUid,
    topic: &str,
    payload: &[u8],
) -> Result<Option<(EventHead, Value)>, ThingsStackError> {
    let Some((device_id, kind)) = parse_event_topic(app, topic) else { return Ok(None) };
    let invalid = |detail: String| ThingsStackError::InvalidEvent { topic: topic.to_owned(), detail };
    let value = crate::json::parse(payload).map_err(invalid)?;
    let head = read_head(&value, device_id, kind).map_err(|e| invalid(e.to_string()))?;
    Ok(Some((head, value)))
}

/// The head of an event's JSON, on the topic of `device_id` and `kind`.
pub fn read_head(value: &Value, device_id: String, kind: EventKind) -> Result<EventHead, ReadError> {
    let Value::Object(up) = value else { return Err(crate::json::expected("an object", value)) };
    let (key, body) = UpMessage::BODIES
        .iter()
        .find_map(|k| up.get(k).map(|b| (*k, b)))
        .ok_or_else(|| ReadError::new(format!("no event body: expected one of {}", UpMessage::BODY_LIST)))?;
    let body_kind = body_kind(key).unwrap_or(kind);
    if body_kind != kind {
        return Err(ReadError::new(format!(
            "the body is a {} event, the topic says {}",
            body_kind.name(),
            kind.name()
        )));
    }
    let envelope_device_id = match up.get("end_device_ids").and_then(|e| e.get("device_id")) {
        Some(id) => String::from_json(id.clone()).map_err(|e| e.under("device_id").under("end_device_ids"))?,
        None => return Err(ReadError::new("missing field `device_id`").under("end_device_ids")),
    };
    let ids = |v: Option<&Value>, at: &str| -> Result<Vec<String>, ReadError> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => Vec::<String>::from_json(v.clone()).map_err(|e| e.under(at)),
        }
    };
    let mut correlation_ids = ids(up.get("correlation_ids"), "correlation_ids")?;
    // The downlink the body is about, or the downlinks it invalidates.
    let downlink = match key {
        "downlink_queued" | "downlink_sent" | "downlink_ack" | "downlink_nack" => Some(body),
        "downlink_failed" => body.get("downlink"),
        _ => None,
    };
    let invalidated = match key {
        "downlink_queue_invalidated" => body.get("downlinks"),
        "join_accept" => body.get("invalidated_downlinks"),
        _ => None,
    };
    let invalidated: &[Value] = invalidated.and_then(Value::as_array).map_or(&[], Vec::as_slice);
    for d in downlink.into_iter().chain(invalidated) {
        correlation_ids.extend(ids(d.get("correlation_ids"), key)?);
    }
    let status = match key {
        "downlink_queued" => Some(DownlinkStatus::Queued),
        "downlink_sent" => Some(DownlinkStatus::Sent),
        "downlink_ack" => Some(DownlinkStatus::Acked),
        "downlink_nack" => Some(DownlinkStatus::Nacked),
        "downlink_failed" => {
            let error = match body.get("error") {
                Some(e) => ErrorDetails::from_json(e.clone()).map_err(|e| e.under("error").under(key))?,
                None => ErrorDetails::default(),
            };
            Some(DownlinkStatus::Failed { error: Box::new(error) })
        }
        "downlink_queue_invalidated" => Some(DownlinkStatus::Invalidated),
        "join_accept" if !invalidated.is_empty() => Some(DownlinkStatus::Invalidated),
        _ => None,
    };
    let frame = match key {
        "uplink_message" | "uplink_normalized" => Some(body),
        _ => downlink,
    };
    let f_port = match frame.and_then(|f| f.get("f_port")) {
        None | Some(Value::Null) => downlink.map(|_| 0),
        Some(p) => Some(u32::from_json(p.clone()).map_err(|e| e.under("f_port").under(key))?),
    };
    let frm_payload = match frame.and_then(|f| f.get("frm_payload")) {
        None | Some(Value::Null) => None,
        Some(p) => Some(base64_bytes::read(p.clone()).map_err(|e| e.under("frm_payload").under(key))?),
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let received_at = match key {
        "uplink_message" => text(body.get("received_at")).or_else(|| text(up.get("received_at"))),
        _ => text(up.get("received_at")),
    };
    Ok(EventHead { device_id, envelope_device_id, kind, correlation_ids, status, f_port, frm_payload, received_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn head(key: &str, body: Value, kind: EventKind) -> Result<EventHead, String> {
        let mut v =
            json!({"end_device_ids": {"device_id": "dev1"}, "correlation_ids": ["as:up:1"], "received_at": "T0"});
        v[key] = body;
        read_head(&v, "dev1".into(), kind).map_err(|e| e.to_string())
    }

    // docs/platforms/things-stack.md#topics: the body's key is the topic's kind.
    #[test]
    fn the_body_must_be_the_topics_kind() {
        assert_eq!(
            head("downlink_ack", json!({}), EventKind::Up).unwrap_err(),
            "the body is a down_ack event, the topic says up"
        );
        let missing = read_head(&json!({"end_device_ids": {"device_id": "d"}}), "d".into(), EventKind::Up);
        assert!(missing.unwrap_err().to_string().starts_with("no event body: expected one of uplink_message"));
    }

    #[test]
    fn a_downlink_event_gives_its_status_ids_port_and_payload() {
        let failed = json!({"downlink": {"f_port": 3, "frm_payload": "vu8=", "correlation_ids": ["iotmqtt:down:1"]},
            "error": {"namespace": "ns", "name": "too_long"}});
        let h = head("downlink_failed", failed, EventKind::DownFailed).unwrap();
        assert_eq!(h.correlation_ids, ["as:up:1", "iotmqtt:down:1"]);
        assert!(matches!(&h.status, Some(DownlinkStatus::Failed { error }) if error.name == "too_long"));
        assert_eq!((h.f_port, h.frm_payload.as_deref()), (Some(3), Some(&[0xBE, 0xEF][..])));
        let sent = head("downlink_sent", json!({}), EventKind::DownSent).unwrap();
        assert_eq!((sent.status, sent.f_port, sent.frm_payload), (Some(DownlinkStatus::Sent), Some(0), None));
    }

    #[test]
    fn a_join_that_invalidates_downlinks_names_them_and_an_uplink_feeds_a_decoder() {
        let join = json!({"invalidated_downlinks": [{"f_port": 1, "correlation_ids": ["iotmqtt:down:2"]}]});
        let h = head("join_accept", join, EventKind::Join).unwrap();
        assert_eq!(
            (h.status, h.correlation_ids),
            (Some(DownlinkStatus::Invalidated), vec!["as:up:1".into(), "iotmqtt:down:2".into()])
        );
        assert_eq!(head("join_accept", json!({}), EventKind::Join).unwrap().status, None);
        let up = head("uplink_message", json!({"f_port": 2, "frm_payload": "AQ=="}), EventKind::Up).unwrap();
        let input = up.uplink_input().unwrap();
        assert_eq!((input.bytes, input.f_port, input.recv_time), (vec![1], 2, Some("T0".into())));
        assert!(head("uplink_message", json!({"f_port": "x"}), EventKind::Up)
            .unwrap_err()
            .starts_with("uplink_message.f_port"));
    }
}
