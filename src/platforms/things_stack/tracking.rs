//! Following pushed downlinks through `down/queued`, `sent`, `ack`, `nack`, `failed` and
//! `invalidated`, matched by the correlation id the client adds to every downlink it sends.

use crate::collections::VecMap;
use crate::json::{ToJson, Writer};

use super::event::ErrorDetails;
use super::head::EventHead;

/// Every downlink this client sends carries one id with this prefix.
pub const CORRELATION_PREFIX: &str = "iotmqtt:down:";

/// A fresh id from a random number and a per-client counter (so two ids never collide even if
/// the random source repeats).
/// In hex: the random number's 53 bits (at least 13 digits), then the counter's digits.
pub fn new_correlation_id(random: u64, counter: u64) -> String {
    // By hand, not `{:013x}`: padded formatting brings core's padding code into the wasm.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::from(CORRELATION_PREFIX);
    // `n`'s digits, at least `width` of them.
    let mut push = |n: u64, width: u32| {
        for i in (0..(64 - n.leading_zeros()).div_ceil(4).max(width)).rev() {
            id.push(char::from(DIGITS[(n >> (4 * i) & 15) as usize]));
        }
    };
    push(random & 0x001F_FFFF_FFFF_FFFF, 13);
    push(counter, 1);
    id
}

/// Where a downlink stands.
#[derive(Debug, Clone, PartialEq)]
pub enum DownlinkStatus {
    Queued,
    Sent,
    Acked,
    Nacked,
    Failed {
        error: Box<ErrorDetails>,
    },
    /// Dropped from the queue by the server, e.g. on a new session.
    Invalidated,
}

impl DownlinkStatus {
    /// Nothing more will happen: ack, failure, invalidation, or an unconfirmed downlink sent.
    /// A nack is not final: the server may queue a confirmed downlink again.
    pub fn is_final(&self, confirmed: bool) -> bool {
        match self {
            Self::Queued | Self::Nacked => false,
            Self::Sent => !confirmed,
            Self::Acked | Self::Failed { .. } | Self::Invalidated => true,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Acked => "acked",
            Self::Nacked => "nacked",
            Self::Failed { .. } => "failed",
            Self::Invalidated => "invalidated",
        }
    }
}

/// `{"status": "failed", "error": {...}}`, `{"status": "acked"}`.
impl ToJson for DownlinkStatus {
    fn write_json(&self, out: &mut Writer) {
        out.open().field("status", self.name());
        if let Self::Failed { error } = self {
            out.field("error", &**error);
        }
        out.close();
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Tracked {
    device_id: String,
    confirmed: bool,
    /// Overlapping subscriptions may deliver an event twice; a repeat is not news.
    last: Option<DownlinkStatus>,
}

/// A status change for one tracked downlink; `done` when it will hear nothing more.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingUpdate {
    pub correlation_id: String,
    pub status: DownlinkStatus,
    pub done: bool,
}

/// The downlinks in flight, by their client correlation id.
#[derive(Debug, Default)]
pub struct DownlinkTracker {
    tracked: VecMap<String, Tracked>,
}

impl DownlinkTracker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn track(&mut self, correlation_id: &str, device_id: &str, confirmed: bool) {
        self.tracked
            .insert(correlation_id.to_owned(), Tracked { device_id: device_id.to_owned(), confirmed, last: None });
    }

    pub fn forget(&mut self, correlation_id: &str) {
        self.tracked.remove(correlation_id);
    }

    pub fn len(&self) -> usize {
        self.tracked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    /// The updates an event causes; finished downlinks are forgotten.
    pub fn observe(&mut self, event: &EventHead) -> Vec<TrackingUpdate> {
        let Some(status) = event.status.clone() else { return Vec::new() };
        // Each id once, in the order the event gives them (a handful: a scan, not a sort).
        let mut ids: Vec<&str> = Vec::new();
        for id in event.correlation_ids.iter().map(String::as_str).filter(|id| id.starts_with(CORRELATION_PREFIX)) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut updates = Vec::new();
        for id in ids {
            let Some(t) = self.tracked.get_mut(id) else { continue };
            // By name: a failure is final, so the last status is never one with details to compare.
            if t.device_id != event.envelope_device_id
                || t.last.as_ref().map(DownlinkStatus::name) == Some(status.name())
            {
                continue;
            }
            t.last = Some(status.clone());
            let done = status.is_final(t.confirmed);
            updates.push(TrackingUpdate { correlation_id: id.to_owned(), status: status.clone(), done });
            if done {
                self.tracked.remove(id);
            }
        }
        updates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn event(device: &str, key: &str, ids: &[&str], body: crate::json::Value) -> EventHead {
        let mut v = json!({"end_device_ids": {"device_id": device}, "correlation_ids": ids});
        v[key] = body;
        let kind = super::super::head::body_kind(key).unwrap();
        super::super::head::read_head(&v, device.into(), kind).unwrap()
    }

    fn downlink(ids: &[&str]) -> crate::json::Value {
        json!({"f_port": 1, "frm_payload": "AQ==", "correlation_ids": ids})
    }

    #[test]
    fn correlation_ids_are_short_unique_and_prefixed() {
        let a = new_correlation_id(u64::MAX, 1);
        let b = new_correlation_id(u64::MAX, 2);
        assert_ne!(a, b);
        assert!(a.starts_with(CORRELATION_PREFIX) && a.len() <= 100, "{a}");
        for (random, counter) in [(0, 0), (0x1234, 1), (u64::MAX, 255), (1 << 52, 0x1_0000), (42, u64::MAX)] {
            let formatted = format!("{CORRELATION_PREFIX}{:013x}{counter:x}", random & 0x001F_FFFF_FFFF_FFFF);
            assert_eq!(new_correlation_id(random, counter), formatted);
        }
        assert_eq!(new_correlation_id(0x1234, 0), "iotmqtt:down:00000000012340");
    }

    // docs/platforms/things-stack.md#downlink-tracking: a confirmed downlink's ack carries its correlation_ids.
    #[test]
    fn a_confirmed_downlink_goes_queued_sent_acked_then_is_forgotten() {
        let id = "iotmqtt:down:1";
        let mut t = DownlinkTracker::new();
        t.track(id, "dev1", true);
        let mut statuses = Vec::new();
        for key in ["downlink_queued", "downlink_sent", "downlink_ack"] {
            for u in t.observe(&event("dev1", key, &[id, "as:downlink:x"], downlink(&[id]))) {
                statuses.push((u.status, u.done));
            }
        }
        assert_eq!(
            statuses,
            vec![(DownlinkStatus::Queued, false), (DownlinkStatus::Sent, false), (DownlinkStatus::Acked, true)]
        );
        assert!(t.is_empty());
    }

    #[test]
    fn an_unconfirmed_downlink_is_done_once_sent() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:2", "dev1", false);
        let u = t.observe(&event("dev1", "downlink_sent", &["iotmqtt:down:2"], downlink(&[])));
        assert_eq!(
            u,
            vec![TrackingUpdate { correlation_id: "iotmqtt:down:2".into(), status: DownlinkStatus::Sent, done: true }]
        );
    }

    // docs/platforms/things-stack.md#downlink-too-long: down/failed with application_downlink_too_long.
    #[test]
    fn a_failure_carries_the_servers_error_and_is_matched_inside_the_downlink() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:3", "dev1", true);
        let body = json!({"downlink": downlink(&["iotmqtt:down:3"]), "error": {"namespace": "pkg/networkserver", "name": "application_downlink_too_long"}});
        let u = t.observe(&event("dev1", "downlink_failed", &[], body));
        assert_eq!(u.len(), 1);
        let DownlinkStatus::Failed { error } = &u[0].status else { panic!("{u:?}") };
        assert_eq!(error.name, "application_downlink_too_long");
        assert!(u[0].done);
    }

    #[test]
    fn a_repeated_event_is_reported_once() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:8", "dev1", true);
        let queued = event("dev1", "downlink_queued", &["iotmqtt:down:8"], downlink(&["iotmqtt:down:8"]));
        assert_eq!(t.observe(&queued).len(), 1);
        assert!(t.observe(&queued).is_empty());
    }

    #[test]
    fn a_nack_is_reported_but_keeps_tracking() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:4", "dev1", true);
        let u = t.observe(&event("dev1", "downlink_nack", &["iotmqtt:down:4"], downlink(&[])));
        assert_eq!((u[0].status.clone(), u[0].done), (DownlinkStatus::Nacked, false));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn invalidation_reaches_every_listed_downlink() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:5", "dev1", false);
        t.track("iotmqtt:down:6", "dev1", false);
        let body = json!({"downlinks": [downlink(&["iotmqtt:down:5"]), downlink(&["iotmqtt:down:6"])]});
        let u = t.observe(&event("dev1", "downlink_queue_invalidated", &[], body));
        assert_eq!(u.len(), 2);
        assert!(u.iter().all(|u| u.status == DownlinkStatus::Invalidated && u.done));
    }

    #[test]
    fn other_devices_foreign_ids_and_uplinks_change_nothing() {
        let mut t = DownlinkTracker::new();
        t.track("iotmqtt:down:7", "dev1", true);
        assert!(t.observe(&event("dev2", "downlink_ack", &["iotmqtt:down:7"], downlink(&[]))).is_empty());
        assert!(t.observe(&event("dev1", "downlink_ack", &["my-id"], downlink(&["my-id"]))).is_empty());
        assert!(t.observe(&event("dev1", "uplink_message", &["iotmqtt:down:7"], json!({"f_port": 1}))).is_empty());
        assert_eq!(t.len(), 1);
    }
}
