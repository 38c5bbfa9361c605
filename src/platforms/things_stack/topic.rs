//! The Things Stack's MQTT topics, `v3/{app uid}/devices/{device}/...`: the application uid from
//! the login, event kinds, subscription filters, downlink topics and parsing of event topics.

use crate::json::Value;
use serde::{Deserialize, Serialize};

use crate::json::{expected, FromJson, ReadError};

use super::error::ThingsStackError;

/// The application as the MQTT login names it: `app` or, on multi-tenant deployments, `app@tenant`.
/// Topics use exactly this text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationUid {
    pub application_id: String,
    pub tenant: Option<String>,
}

impl ApplicationUid {
    pub fn parse(text: &str) -> Result<Self, ThingsStackError> {
        let (app, tenant) = match text.split_once('@') {
            Some((a, t)) => (a, Some(t)),
            None => (text, None),
        };
        validate_id("application id", app)?;
        if let Some(t) = tenant {
            validate_id("tenant id", t)?;
        }
        Ok(Self { application_id: app.to_owned(), tenant: tenant.map(str::to_owned) })
    }

    /// `app` or `app@tenant`: the MQTT user name and the second topic level.
    pub fn uid(&self) -> String {
        match &self.tenant {
            Some(t) => format!("{}@{t}", self.application_id),
            None => self.application_id.clone(),
        }
    }
}

/// Identifiers in The Things Stack match `^[a-z0-9](?:[-]?[a-z0-9]){2,}$` and are at most 36
/// characters; checking here also keeps `/`, `+` and `#` out of topics.
pub fn validate_id(what: &'static str, id: &str) -> Result<(), ThingsStackError> {
    let bad = |reason| Err(ThingsStackError::InvalidId { what, id: id.to_owned(), reason });
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if id.len() < 3 || id.len() > 36 {
        return bad("identifiers are 3 to 36 characters");
    }
    if !id.chars().all(|c| ok_char(c) || c == '-') {
        return bad("identifiers use lower-case letters, digits and dashes");
    }
    // Bytes, not `contains("--")`: a substring search brings a 3 KB searcher into the wasm.
    if id.starts_with('-') || id.ends_with('-') || id.as_bytes().windows(2).any(|w| w == b"--") {
        return bad("a dash must sit between letters or digits");
    }
    Ok(())
}

/// The events the application server publishes (docs/platforms/things-stack.md#topics; lorawan-stack `topics/v3.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Up,
    UpNormalized,
    Join,
    DownQueued,
    DownSent,
    DownAck,
    DownNack,
    DownFailed,
    DownInvalidated,
    LocationSolved,
    ServiceData,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        Self::Up,
        Self::UpNormalized,
        Self::Join,
        Self::DownQueued,
        Self::DownSent,
        Self::DownAck,
        Self::DownNack,
        Self::DownFailed,
        Self::DownInvalidated,
        Self::LocationSolved,
        Self::ServiceData,
    ];

    /// The topic levels after `devices/{device}/`.
    pub fn topic_suffix(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::UpNormalized => "up/normalized",
            Self::Join => "join",
            Self::DownQueued => "down/queued",
            Self::DownSent => "down/sent",
            Self::DownAck => "down/ack",
            Self::DownNack => "down/nack",
            Self::DownFailed => "down/failed",
            Self::DownInvalidated => "down/invalidated",
            Self::LocationSolved => "location/solved",
            Self::ServiceData => "service/data",
        }
    }

    /// The name events and the APIs carry: the topic suffix with `_` for `/` (`down_ack`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::UpNormalized => "up_normalized",
            Self::Join => "join",
            Self::DownQueued => "down_queued",
            Self::DownSent => "down_sent",
            Self::DownAck => "down_ack",
            Self::DownNack => "down_nack",
            Self::DownFailed => "down_failed",
            Self::DownInvalidated => "down_invalidated",
            Self::LocationSolved => "location_solved",
            Self::ServiceData => "service_data",
        }
    }

    /// The names, as a message lists them (a constant: `join` would bring its code into the wasm).
    pub const NAME_LIST: &'static str = "one of up, up_normalized, join, down_queued, down_sent, down_ack, \
        down_nack, down_failed, down_invalidated, location_solved, service_data";

    pub fn from_topic_suffix(suffix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.topic_suffix() == suffix)
    }
}

/// An event kind by its name (`"up"`, `"down_ack"`, ...), as events carry it.
impl FromJson for EventKind {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        Self::ALL
            .into_iter()
            .find(|k| value.as_str() == Some(k.name()))
            .ok_or_else(|| expected(Self::NAME_LIST, &value))
    }
}

crate::write_name!(EventKind, name);

/// Where downlinks are written: `down/push` appends to the queue, `down/replace` replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownlinkOp {
    Push,
    Replace,
}

pub fn downlink_topic(app: &ApplicationUid, device_id: &str, op: DownlinkOp) -> String {
    let op = match op {
        DownlinkOp::Push => "push",
        DownlinkOp::Replace => "replace",
    };
    format!("v3/{}/devices/{device_id}/down/{op}", app.uid())
}

/// What to listen to: the whole application, one device, one event kind, or one device's one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    pub device_id: Option<String>,
    pub event: Option<EventKind>,
}

impl Subscription {
    pub fn application() -> Self {
        Self::default()
    }

    pub fn device(device_id: impl Into<String>) -> Self {
        Self { device_id: Some(device_id.into()), event: None }
    }

    pub fn event(kind: EventKind) -> Self {
        Self { device_id: None, event: Some(kind) }
    }

    pub fn with_event(mut self, kind: EventKind) -> Self {
        self.event = Some(kind);
        self
    }

    /// The MQTT filter, e.g. `v3/app@ttn/devices/+/up` or `v3/app@ttn/devices/dev1/#`.
    pub fn filter(&self, app: &ApplicationUid) -> Result<String, ThingsStackError> {
        let device = match &self.device_id {
            Some(d) => {
                validate_id("device id", d)?;
                d.as_str()
            }
            None => "+",
        };
        let rest = self.event.map_or("#", EventKind::topic_suffix);
        Ok(format!("v3/{}/devices/{device}/{rest}", app.uid()))
    }
}

/// The device and event kind of an event topic of this application; `None` for anything else.
pub fn parse_event_topic(app: &ApplicationUid, topic: &str) -> Option<(String, EventKind)> {
    let rest = topic.strip_prefix("v3/")?.strip_prefix(app.uid().as_str())?.strip_prefix("/devices/")?;
    let (device, suffix) = rest.split_once('/')?;
    if device.is_empty() {
        return None;
    }
    Some((device.to_owned(), EventKind::from_topic_suffix(suffix)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_list_names_every_kind() {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(EventKind::NAME_LIST, format!("one of {}", names.join(", ")));
    }

    fn ttn() -> ApplicationUid {
        ApplicationUid::parse("app1@ttn").unwrap()
    }

    // docs/platforms/things-stack.md#login: user name = application id, or `app@tenant` on multi-tenant deployments.
    #[test]
    fn the_uid_is_the_login_text_in_both_forms() {
        assert_eq!(ttn().uid(), "app1@ttn");
        assert_eq!(ttn().application_id, "app1");
        assert_eq!(ApplicationUid::parse("app1").unwrap().uid(), "app1");
    }

    #[test]
    fn application_ids_follow_the_identifier_rules() {
        for bad in ["", "a", "App1", "app/1", "app+", "-app", "app--1", "app1@", "app1@T", "a@b@c"] {
            let e = ApplicationUid::parse(bad).unwrap_err();
            assert_eq!(e.code(), "TTS_INVALID_ID", "{bad}");
        }
        assert!(ApplicationUid::parse("my-app-01@ttn").is_ok());
    }

    // docs/platforms/things-stack.md#topics: "v3/{application id}/devices/{device id}/up" and the other read topics.
    #[test]
    fn every_event_kind_round_trips_through_its_topic() {
        for kind in EventKind::ALL {
            let topic = format!("v3/app1@ttn/devices/dev1/{}", kind.topic_suffix());
            assert_eq!(parse_event_topic(&ttn(), &topic), Some(("dev1".into(), kind)), "{topic}");
        }
    }

    #[test]
    fn foreign_or_unknown_topics_are_not_events() {
        let app = ttn();
        assert_eq!(parse_event_topic(&app, "v3/other@ttn/devices/dev1/up"), None);
        assert_eq!(parse_event_topic(&app, "v3/app1@ttn/devices/dev1/down/push"), None);
        assert_eq!(parse_event_topic(&app, "v3/app1@ttn/devices//up"), None);
        assert_eq!(parse_event_topic(&app, "v3/app1@ttn/devices/dev1/upx"), None);
    }

    #[test]
    fn subscriptions_name_the_application_a_device_or_an_event() {
        let app = ttn();
        assert_eq!(Subscription::application().filter(&app).unwrap(), "v3/app1@ttn/devices/+/#");
        assert_eq!(Subscription::device("dev1").filter(&app).unwrap(), "v3/app1@ttn/devices/dev1/#");
        assert_eq!(
            Subscription::device("dev1").with_event(EventKind::DownAck).filter(&app).unwrap(),
            "v3/app1@ttn/devices/dev1/down/ack"
        );
        assert_eq!(Subscription::event(EventKind::Up).filter(&app).unwrap(), "v3/app1@ttn/devices/+/up");
        assert_eq!(Subscription::device("dev/#").filter(&app).unwrap_err().code(), "TTS_INVALID_ID");
    }

    // docs/platforms/things-stack.md#topics: ".../devices/{device id}/down/push"; "/replace" replaces the queue.
    #[test]
    fn downlink_topics() {
        assert_eq!(downlink_topic(&ttn(), "dev1", DownlinkOp::Push), "v3/app1@ttn/devices/dev1/down/push");
        assert_eq!(downlink_topic(&ttn(), "dev1", DownlinkOp::Replace), "v3/app1@ttn/devices/dev1/down/replace");
    }

    #[test]
    fn event_kinds_are_read_by_their_names() {
        assert_eq!(EventKind::from_json(crate::json!("down_ack")), Ok(EventKind::DownAck));
        assert_eq!(EventKind::from_json(crate::json!("up_normalized")), Ok(EventKind::UpNormalized));
        let err = EventKind::from_json(crate::json!("uplink")).unwrap_err().to_string();
        assert!(err.starts_with("expected one of up, up_normalized, join, down_queued,"), "{err}");
        assert!(err.ends_with("service_data, got a string"), "{err}");
        assert!(EventKind::from_json(crate::json!(1)).is_err());
    }
}
