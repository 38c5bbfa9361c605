//! The Things Stack layer's errors: each variant has a message that says what to fix and a stable
//! `code()`; errors from the MQTT client pass through with their own code. The payload helpers'
//! errors are a type of their own, `PayloadError`, so that a build with the helpers alone (the npm
//! package's generic entry) carries none of the rest.

use crate::error::ClientError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThingsStackError {
    #[error("f_port {0} is not allowed: application downlinks use FPort 1-223 (0 is MAC-only, 224-255 are reserved)")]
    InvalidFPort(u32),

    #[error(
        "the downlink payload is {len} bytes: The Things Stack accepts at most 255 (and the data rate may allow fewer)"
    )]
    PayloadTooLong { len: usize },

    #[error("priority {} does not exist: use LOWEST, LOW, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH or HIGHEST", crate::json::quoted(.0))]
    InvalidPriority(String),

    #[error("correlation id {} is {len} characters: The Things Stack accepts at most 100", crate::json::quoted(.id))]
    CorrelationIdTooLong { id: String, len: usize },

    #[error("a downlink needs exactly one of frm_payload and decoded_payload, but {}", if *.both { "both are set" } else { "neither is set" })]
    PayloadConflict { both: bool },

    #[error("decoded_payload must be a JSON object (the input of the downlink encoder), not {0}")]
    InvalidDecodedPayload(&'static str),

    #[error("invalid {what} {}: {reason}", crate::json::quoted(.id))]
    InvalidId { what: &'static str, id: String, reason: &'static str },

    #[error("no API key: create one in the Console under Integrations > MQTT and pass it as the password")]
    MissingApiKey,

    #[error("{}", not_authorized_advice(app_id, tenant.as_deref()))]
    NotAuthorized { app_id: String, tenant: Option<String> },

    #[error("invalid event on {}: {detail}", crate::json::quoted(.topic))]
    InvalidEvent { topic: String, detail: String },

    #[error("the payload formatter failed: {0}")]
    Formatter(String),

    #[error("downlink {correlation_id} had no news within {waited_ms} ms (last status: {last})")]
    DownlinkTimeout { correlation_id: String, waited_ms: u32, last: String },

    #[error(transparent)]
    Payload(#[from] PayloadError),

    #[error(transparent)]
    Client(#[from] ClientError),
}

/// What the payload helpers refuse: hex, base64, UTF-8 text and CayenneLPP that do not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("invalid hex {}: {reason}", crate::json::quoted(.input))]
    InvalidHex { input: String, reason: String },

    #[error("invalid base64: {0}")]
    InvalidBase64(String),

    #[error("the payload is not UTF-8 text: {0}")]
    InvalidUtf8(String),

    #[error("invalid CayenneLPP payload at byte {offset}: {reason}")]
    InvalidLpp { offset: usize, reason: String },
}

impl PayloadError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHex { .. } => "TTS_INVALID_HEX",
            Self::InvalidBase64(_) => "TTS_INVALID_BASE64",
            Self::InvalidUtf8(_) => "TTS_INVALID_UTF8",
            Self::InvalidLpp { .. } => "TTS_INVALID_LPP",
        }
    }
}

impl ThingsStackError {
    /// A stable code for programs to switch on; client errors keep their own code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidFPort(_) => "TTS_INVALID_FPORT",
            Self::PayloadTooLong { .. } => "TTS_PAYLOAD_TOO_LONG",
            Self::InvalidPriority(_) => "TTS_INVALID_PRIORITY",
            Self::CorrelationIdTooLong { .. } => "TTS_CORRELATION_ID_TOO_LONG",
            Self::PayloadConflict { .. } => "TTS_PAYLOAD_CONFLICT",
            Self::InvalidDecodedPayload(_) => "TTS_INVALID_DECODED_PAYLOAD",
            Self::InvalidId { .. } => "TTS_INVALID_ID",
            Self::MissingApiKey => "TTS_MISSING_API_KEY",
            Self::NotAuthorized { .. } => "TTS_NOT_AUTHORIZED",
            Self::InvalidEvent { .. } => "TTS_INVALID_EVENT",
            Self::Formatter(_) => "TTS_FORMATTER_ERROR",
            Self::DownlinkTimeout { .. } => "TTS_DOWNLINK_TIMEOUT",
            Self::Payload(e) => e.code(),
            Self::Client(e) => e.code(),
        }
    }
}

/// The server answers every login mistake with the same CONNACK, so the advice names what the
/// user name shows: a missing tenant is the usual mistake on TTN.
fn not_authorized_advice(app_id: &str, tenant: Option<&str>) -> String {
    match tenant {
        None => format!(
            "The Things Stack refused application {} with this API key: on a multi-tenant deployment the \
             user name must be {app_id}@tenant (on TTN: {app_id}@ttn); otherwise check the key",
            crate::json::quoted(app_id)
        ),
        Some(t) => format!(
            "The Things Stack refused the API key for application {} on tenant {}: check the key, its \
             rights for this application, and that the user name is app@tenant (on TTN: {app_id}@ttn)",
            crate::json::quoted(app_id),
            crate::json::quoted(t)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SessionError;

    #[test]
    fn client_errors_keep_their_code() {
        let e = ThingsStackError::from(ClientError::Session(SessionError::NotConnected));
        assert_eq!(e.code(), "NOT_CONNECTED");
        assert_eq!(e.to_string(), ClientError::Session(SessionError::NotConnected).to_string());
    }

    // docs/platforms/things-stack.md#login: on multi-tenant deployments `app@tenant` (on TTN: `app1@ttn`).
    #[test]
    fn a_refusal_without_tenant_suggests_the_tenant_suffix() {
        let e = ThingsStackError::NotAuthorized { app_id: "app1".into(), tenant: None };
        assert_eq!(e.code(), "TTS_NOT_AUTHORIZED");
        assert!(e.to_string().contains("app1@ttn"), "{e}");
        let e = ThingsStackError::NotAuthorized { app_id: "app1".into(), tenant: Some("ttn".into()) };
        assert!(e.to_string().contains("API key"), "{e}");
    }
}
