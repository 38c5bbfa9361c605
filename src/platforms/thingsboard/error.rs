//! What can go wrong talking to ThingsBoard, in ThingsBoard's words, with stable codes.
//! MQTT-level failures pass through as `Client`, keeping their own code.

use crate::error::{ClientError, SessionError};
use crate::session::reason::ConnectRefusal;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThingsBoardError {
    #[error("ThingsBoard refused the access token (CONNACK 0x{code:02X}): check the device's credentials")]
    TokenRejected { code: u8 },

    #[error("ThingsBoard refused the MQTT basic credentials (CONNACK 0x{code:02X}): check the client id, user name and password")]
    BasicCredentialsRejected { code: u8 },

    #[error("ThingsBoard needs credentials (CONNACK 0x{code:02X}): give an access token or MQTT basic credentials")]
    CredentialsMissing { code: u8 },

    #[error("ThingsBoard is unavailable or limits connections (CONNACK 0x{code:02X}): try again later")]
    ServerUnavailable { code: u8 },

    #[error("telemetry must be a JSON object, an array of objects, {{ts, values}} or an array of those: {0}")]
    InvalidTelemetry(String),

    #[error("attributes must be a JSON object with non-empty keys: {0}")]
    InvalidAttributes(String),

    #[error("{size} bytes do not fit in one PUBLISH: ThingsBoard's max payload size leaves {max} bytes for this topic's payload")]
    PayloadTooLarge { size: usize, max: usize },

    #[error("ThingsBoard sent an invalid {what}: {detail}")]
    InvalidPayload { what: &'static str, detail: String },

    #[error("no answer from ThingsBoard within {timeout_ms} ms to the {what}")]
    Timeout { what: &'static str, timeout_ms: u32 },

    #[error("the RPC {} failed on the server: {error}", crate::json::quoted(.method))]
    RpcError { method: String, error: String },

    #[error("provisioning failed ({status}): {message}")]
    ProvisionFailed { status: String, message: String },

    #[error("firmware: {0}")]
    Firmware(String),

    #[error("checksum mismatch ({algorithm}): expected {expected}, got {actual}")]
    ChecksumMismatch { algorithm: String, expected: String, actual: String },

    #[error("unknown checksum algorithm {}: use MD5, SHA256, SHA384, SHA512, CRC32, MURMUR3_32 or MURMUR3_128", crate::json::quoted(.0))]
    UnknownChecksumAlgorithm(String),

    #[error("invalid option {field}: {reason}")]
    InvalidOption { field: &'static str, reason: String },

    #[error(transparent)]
    Client(ClientError),
}

impl ThingsBoardError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenRejected { .. } => "TB_TOKEN_REJECTED",
            Self::BasicCredentialsRejected { .. } => "TB_BASIC_CREDENTIALS_REJECTED",
            Self::CredentialsMissing { .. } => "TB_CREDENTIALS_MISSING",
            Self::ServerUnavailable { .. } => "TB_SERVER_UNAVAILABLE",
            Self::InvalidTelemetry(_) => "TB_INVALID_TELEMETRY",
            Self::InvalidAttributes(_) => "TB_INVALID_ATTRIBUTES",
            Self::PayloadTooLarge { .. } => "TB_PAYLOAD_TOO_LARGE",
            Self::InvalidPayload { .. } => "TB_INVALID_PAYLOAD",
            Self::Timeout { .. } => "TB_TIMEOUT",
            Self::RpcError { .. } => "TB_RPC_ERROR",
            Self::ProvisionFailed { .. } => "TB_PROVISION_FAILED",
            Self::Firmware(_) => "TB_FIRMWARE_ERROR",
            Self::ChecksumMismatch { .. } => "TB_CHECKSUM_MISMATCH",
            Self::UnknownChecksumAlgorithm(_) => "TB_UNKNOWN_CHECKSUM_ALGORITHM",
            Self::InvalidOption { .. } => "TB_INVALID_OPTION",
            Self::Client(e) => e.code(),
        }
    }

    /// Turns a refused CONNECT into what it means on ThingsBoard (docs/platforms/thingsboard.md#connack-codes):
    /// bad or unknown credentials 0x05/0x86/0x87, no credentials 0x02/0x85, backend 0x03/0x88/0x9F.
    pub fn from_client(e: ClientError, basic: bool) -> Self {
        match &e {
            ClientError::Session(SessionError::ConnectRefused { code, refusal, .. }) => {
                Self::from_refusal(*refusal, *code, basic).unwrap_or(Self::Client(e))
            }
            _ => Self::Client(e),
        }
    }

    /// A CONNACK refusal in ThingsBoard's words, when it has them; `basic`: the login used MQTT
    /// basic credentials rather than an access token.
    pub fn from_refusal(refusal: ConnectRefusal, code: u8, basic: bool) -> Option<Self> {
        Some(match refusal {
            ConnectRefusal::NotAuthorized | ConnectRefusal::BadUserNameOrPassword => match basic {
                true => Self::BasicCredentialsRejected { code },
                false => Self::TokenRejected { code },
            },
            ConnectRefusal::ClientIdentifierNotValid => Self::CredentialsMissing { code },
            ConnectRefusal::ServerUnavailable | ConnectRefusal::ConnectionRateExceeded | ConnectRefusal::ServerBusy => {
                Self::ServerUnavailable { code }
            }
            _ => return None,
        })
    }
}

impl From<ClientError> for ThingsBoardError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ProtocolVersion;

    fn refused(version: ProtocolVersion, code: u8) -> ClientError {
        let refusal = match version {
            ProtocolVersion::V3_1_1 => ConnectRefusal::from_v3(code),
            ProtocolVersion::V5 => ConnectRefusal::from_v5(code),
        };
        ClientError::Session(SessionError::ConnectRefused { version, code, refusal })
    }

    // docs/platforms/thingsboard.md#connack-codes: the codes ThingsBoard's transport sends, 3.1.1 and 5.
    #[test]
    fn every_thingsboard_connack_code_names_its_cause() {
        use ProtocolVersion::*;
        let cases = [
            (V3_1_1, 0x05, "TB_TOKEN_REJECTED"),
            (V5, 0x86, "TB_TOKEN_REJECTED"),
            (V5, 0x87, "TB_TOKEN_REJECTED"),
            (V3_1_1, 0x04, "TB_TOKEN_REJECTED"),
            (V3_1_1, 0x02, "TB_CREDENTIALS_MISSING"),
            (V5, 0x85, "TB_CREDENTIALS_MISSING"),
            (V3_1_1, 0x03, "TB_SERVER_UNAVAILABLE"),
            (V5, 0x88, "TB_SERVER_UNAVAILABLE"),
            (V5, 0x9F, "TB_SERVER_UNAVAILABLE"),
        ];
        for (version, code, expected) in cases {
            let e = ThingsBoardError::from_client(refused(version, code), false);
            assert_eq!(e.code(), expected, "{version} 0x{code:02X}");
        }
        let e = ThingsBoardError::from_client(refused(V3_1_1, 0x05), true);
        assert!(e.to_string().contains("basic credentials"), "{e}");
        let e = ThingsBoardError::from_client(refused(V3_1_1, 0x05), false);
        assert_eq!(
            e.to_string(),
            "ThingsBoard refused the access token (CONNACK 0x05): check the device's credentials"
        );
    }
}
