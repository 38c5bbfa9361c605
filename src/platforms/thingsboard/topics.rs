//! ThingsBoard's MQTT topics (docs/platforms/thingsboard.md#topics): builders, parsers of the request ids
//! they carry, and the exact filters the server accepts in SUBSCRIBE.

pub const TELEMETRY: &str = "v1/devices/me/telemetry";
pub const ATTRIBUTES: &str = "v1/devices/me/attributes";
pub const ATTRIBUTES_RESPONSE_FILTER: &str = "v1/devices/me/attributes/response/+";
pub const RPC_REQUEST_FILTER: &str = "v1/devices/me/rpc/request/+";
pub const RPC_RESPONSE_FILTER: &str = "v1/devices/me/rpc/response/+";
pub const CLAIM: &str = "v1/devices/me/claim";
pub const PROVISION_REQUEST: &str = "/provision/request";
pub const PROVISION_RESPONSE: &str = "/provision/response";

pub const GATEWAY_CONNECT: &str = "v1/gateway/connect";
pub const GATEWAY_DISCONNECT: &str = "v1/gateway/disconnect";
pub const GATEWAY_TELEMETRY: &str = "v1/gateway/telemetry";
pub const GATEWAY_ATTRIBUTES: &str = "v1/gateway/attributes";
pub const GATEWAY_ATTRIBUTES_REQUEST: &str = "v1/gateway/attributes/request";
pub const GATEWAY_ATTRIBUTES_RESPONSE: &str = "v1/gateway/attributes/response";
pub const GATEWAY_RPC: &str = "v1/gateway/rpc";
pub const GATEWAY_CLAIM: &str = "v1/gateway/claim";

/// The only SUBSCRIBE filters ThingsBoard grants; anything else gets SUBACK 0x80.
pub const SUBSCRIBE_WHITELIST: &[&str] = &[
    ATTRIBUTES,
    ATTRIBUTES_RESPONSE_FILTER,
    RPC_REQUEST_FILTER,
    RPC_RESPONSE_FILTER,
    "v2/fw/response/+/chunk/+",
    "v2/fw/error",
    "v2/sw/response/+/chunk/+",
    "v2/sw/error",
    "v2/a",
    "v2/a/res/+",
    "v2/r/req/+",
    "v2/r/res/+",
    GATEWAY_ATTRIBUTES,
    GATEWAY_RPC,
    GATEWAY_ATTRIBUTES_RESPONSE,
];

pub fn attributes_request(id: u32) -> String {
    format!("v1/devices/me/attributes/request/{id}")
}

pub fn rpc_request(id: u32) -> String {
    format!("v1/devices/me/rpc/request/{id}")
}

pub fn rpc_response(id: &str) -> String {
    format!("v1/devices/me/rpc/response/{id}")
}

/// The id at the end of `{prefix}{id}`, as a string (ThingsBoard's ids are integers; the caller
/// decides whether a non-integer is an error).
pub fn id_after<'a>(topic: &'a str, prefix: &str) -> Option<&'a str> {
    topic.strip_prefix(prefix).filter(|id| !id.is_empty() && !id.contains('/'))
}

pub const ATTRIBUTES_RESPONSE_PREFIX: &str = "v1/devices/me/attributes/response/";
pub const RPC_REQUEST_PREFIX: &str = "v1/devices/me/rpc/request/";
pub const RPC_RESPONSE_PREFIX: &str = "v1/devices/me/rpc/response/";

/// Firmware (`fw`) or software (`sw`) package topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Fw,
    Sw,
}

crate::write_name!(PackageKind, prefix);

impl PackageKind {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Fw => "fw",
            Self::Sw => "sw",
        }
    }

    pub fn chunk_request(self, request_id: u32, index: u32) -> String {
        format!("v2/{}/request/{request_id}/chunk/{index}", self.prefix())
    }

    pub fn chunk_response_filter(self) -> String {
        format!("v2/{}/response/+/chunk/+", self.prefix())
    }

    pub fn error_topic(self) -> String {
        format!("v2/{}/error", self.prefix())
    }

    /// `(request id, chunk index)` of a `v2/{fw|sw}/response/{req}/chunk/{idx}` topic.
    pub fn parse_chunk_response(self, topic: &str) -> Option<(u32, u32)> {
        let rest = topic.strip_prefix("v2/")?.strip_prefix(self.prefix())?.strip_prefix("/response/")?;
        let (req, rest) = rest.split_once('/')?;
        let idx = rest.strip_prefix("chunk/")?;
        Some((req.parse().ok()?, idx.parse().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::topic::{topic_matches, validate_topic_filter, validate_topic_name};

    // docs/platforms/thingsboard.md#topics (the device API's "Device MQTT Topic" table).
    #[test]
    fn topics_are_the_documented_ones() {
        assert_eq!(attributes_request(1), "v1/devices/me/attributes/request/1");
        assert_eq!(rpc_request(7), "v1/devices/me/rpc/request/7");
        assert_eq!(rpc_response("42"), "v1/devices/me/rpc/response/42");
        assert_eq!(PackageKind::Fw.chunk_request(3, 0), "v2/fw/request/3/chunk/0");
        assert_eq!(PackageKind::Sw.chunk_response_filter(), "v2/sw/response/+/chunk/+");
    }

    #[test]
    fn every_built_topic_is_valid_and_every_whitelisted_filter_parses() {
        for t in [TELEMETRY, ATTRIBUTES, CLAIM, PROVISION_REQUEST, GATEWAY_TELEMETRY] {
            assert!(validate_topic_name(t).is_ok());
        }
        for f in SUBSCRIBE_WHITELIST {
            assert!(validate_topic_filter(f).is_ok(), "{f}");
        }
        assert!(topic_matches(ATTRIBUTES_RESPONSE_FILTER, &attributes_request(5).replace("request", "response")));
    }

    #[test]
    fn ids_and_chunk_positions_are_parsed_strictly() {
        assert_eq!(id_after("v1/devices/me/rpc/request/15", RPC_REQUEST_PREFIX), Some("15"));
        assert_eq!(id_after("v1/devices/me/rpc/request/", RPC_REQUEST_PREFIX), None);
        assert_eq!(id_after("v1/devices/me/rpc/request/1/2", RPC_REQUEST_PREFIX), None);
        assert_eq!(PackageKind::Fw.parse_chunk_response("v2/fw/response/3/chunk/12"), Some((3, 12)));
        assert_eq!(PackageKind::Fw.parse_chunk_response("v2/sw/response/3/chunk/12"), None);
        assert_eq!(PackageKind::Fw.parse_chunk_response("v2/fw/response/x/chunk/1"), None);
        assert_eq!(PackageKind::Fw.parse_chunk_response("v2/fw/response/3/x/chunk/1"), None);
        assert_eq!(PackageKind::Fw.parse_chunk_response("v2/fw/response/3/chunk/"), None);
    }
}
