//! The client's error type: the session's protocol errors, wrapped, and what only a connection or
//! the browser can report (a socket closing, the application disconnecting, giving up, the store).
//! Each has a message a user can act on and a stable code for programs.

pub use crate::session::error::SessionError;
#[cfg(feature = "shared-client")]
use crate::session::{reason::ConnectRefusal, ProtocolVersion};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Session(#[from] SessionError),

    #[error("the WebSocket closed (code {code}{}{reason})", if reason.is_empty() { "" } else { ": " })]
    SocketClosed { code: u16, reason: String },

    #[error("the WebSocket failed: {0}")]
    Socket(String),

    #[error("disconnected by the application")]
    Disconnected,

    #[error("the client was closed")]
    Closed,

    #[error("the message store (IndexedDB) failed: {0}")]
    Persistence(String),

    #[error("the credentials callback failed: {0}")]
    Credentials(String),

    #[error("gave up reconnecting after {attempts} attempts")]
    ReconnectGaveUp { attempts: u32 },

    /// What the origin's shared session (docs/shared.md) said that has no variant above.
    #[cfg(feature = "shared-client")]
    #[error(transparent)]
    Shared(#[from] SharedClientError),
}

/// The codes the shared session's host sends that `ClientError::from_shared` keeps in `Shared`: its
/// own (src/shared/mod.rs) and those of the errors with fields the host reports in words only.
#[cfg(feature = "shared-client")]
const SHARED_CODES: [&str; 22] = [
    "SHARED_OPTIONS_DIFFER",
    "SHARED_UNKNOWN_TAB",
    "SHARED_OUTLIVES_LEADER",
    "INVALID_OPTION",
    "CONNACK_UNKNOWN",
    "CONNECT_TIMEOUT",
    "INVALID_TOPIC",
    "INVALID_TOPIC_FILTER",
    "INVALID_QOS",
    "QOS_NOT_SUPPORTED",
    "PACKET_TOO_LARGE",
    "INCOMING_PACKET_TOO_LARGE",
    "PUBLISH_REFUSED",
    "SUBSCRIBE_REFUSED",
    "UNSUBSCRIBE_REFUSED",
    "SERVER_DISCONNECTED",
    "PROTOCOL_ERROR",
    "OFFLINE_QUEUE_FULL",
    "SOCKET_CLOSED",
    "SOCKET_ERROR",
    "RECONNECT_GAVE_UP",
    "PERSISTENCE_ERROR",
];

/// What the shared session refused or reported: the host's code (`SHARED_OPTIONS_DIFFER`,
/// `SHARED_HOST_FAILED`, ...) and its words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SharedClientError {
    pub code: String,
    pub message: String,
    /// For `INVALID_OPTION`: the option at fault, such as `subscriptionIdentifier`.
    pub field: Option<String>,
}

impl ClientError {
    /// A stable code for programs to switch on; the JS API exposes it as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Session(e) => e.code(),
            Self::SocketClosed { .. } => "SOCKET_CLOSED",
            Self::Socket(_) => "SOCKET_ERROR",
            Self::Disconnected => "DISCONNECTED",
            Self::Closed => "CLIENT_CLOSED",
            Self::ReconnectGaveUp { .. } => "RECONNECT_GAVE_UP",
            Self::Credentials(_) => "CREDENTIALS_FAILED",
            Self::Persistence(_) => "PERSISTENCE_ERROR",
            #[cfg(feature = "shared-client")]
            // The host's code when it is one of the codes it sends; otherwise the host failed.
            Self::Shared(e) => SHARED_CODES.iter().copied().find(|c| *c == e.code).unwrap_or("SHARED_HOST_FAILED"),
        }
    }

    #[cfg(feature = "shared-client")]
    /// What the shared session said, in this type's words where it has them: a refused CONNECT
    /// (`CONNACK_NOT_AUTHORIZED`, ...) is `SessionError::ConnectRefused` with the code the broker
    /// sent in `version`, a lost connection and a closed or disconnected client are theirs, and
    /// anything else is `Shared`.
    pub fn from_shared(e: SharedClientError, version: ProtocolVersion) -> Self {
        let refused = |code: u8| {
            let refusal = match version {
                ProtocolVersion::V5 => ConnectRefusal::from_v5(code),
                _ => ConnectRefusal::from_v3(code),
            };
            // `CONNACK_UNKNOWN` names no code: it stays the host's.
            let known = refusal != ConnectRefusal::Unknown && refusal.code() == e.code;
            known.then_some(SessionError::ConnectRefused { version, code, refusal })
        };
        match e.code.as_str() {
            "CLIENT_CLOSED" => Self::Closed,
            "DISCONNECTED" => Self::Disconnected,
            "CONNECTION_LOST" => Self::Session(SessionError::ConnectionLost),
            "NOT_CONNECTED" => Self::Session(SessionError::NotConnected),
            "PING_TIMEOUT" => Self::Session(SessionError::PingTimeout),
            "PACKET_IDS_EXHAUSTED" => Self::Session(SessionError::PacketIdsExhausted),
            "DROPPED_FROM_QUEUE" => Self::Session(SessionError::DroppedFromQueue),
            c if c.starts_with("CONNACK_") => match (1..=u8::MAX).find_map(refused) {
                Some(refusal) => Self::Session(refusal),
                None => Self::Shared(e),
            },
            _ => Self::Shared(e),
        }
    }

    /// The session's error, when this is one.
    pub fn session(&self) -> Option<&SessionError> {
        match self {
            Self::Session(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_error_keeps_its_code_and_message_when_wrapped() {
        let e = ClientError::from(SessionError::PingTimeout);
        assert_eq!(e.code(), "PING_TIMEOUT");
        assert_eq!(e.to_string(), SessionError::PingTimeout.to_string());
    }

    #[test]
    fn socket_close_without_reason_reads_cleanly() {
        let e = ClientError::SocketClosed { code: 1006, reason: String::new() };
        assert_eq!(e.to_string(), "the WebSocket closed (code 1006)");
    }

    #[cfg(feature = "shared-client")]
    fn shared(code: &str) -> SharedClientError {
        SharedClientError { code: code.into(), message: format!("the host said {code}"), field: None }
    }

    #[cfg(feature = "shared-client")]
    #[test]
    fn a_shared_refusal_is_the_refusal_with_the_code_of_its_version() {
        let v3 = ClientError::from_shared(shared("CONNACK_NOT_AUTHORIZED"), ProtocolVersion::V3_1_1);
        let refused =
            |version, code, refusal| ClientError::Session(SessionError::ConnectRefused { version, code, refusal });
        assert_eq!(v3, refused(ProtocolVersion::V3_1_1, 0x05, ConnectRefusal::NotAuthorized));
        let v5 = ClientError::from_shared(shared("CONNACK_BAD_USERNAME_OR_PASSWORD"), ProtocolVersion::V5);
        assert_eq!(v5, refused(ProtocolVersion::V5, 0x86, ConnectRefusal::BadUserNameOrPassword));
        assert_eq!(v5.code(), "CONNACK_BAD_USERNAME_OR_PASSWORD");
    }

    #[cfg(feature = "shared-client")]
    #[test]
    fn a_shared_error_without_a_variant_keeps_the_hosts_code_and_words() {
        let closed = ClientError::from_shared(shared("CLIENT_CLOSED"), ProtocolVersion::V5);
        assert_eq!(closed, ClientError::Closed);
        let lost = ClientError::from_shared(shared("CONNECTION_LOST"), ProtocolVersion::V5);
        assert_eq!(lost, ClientError::Session(SessionError::ConnectionLost));
        let not_connected = ClientError::from_shared(shared("NOT_CONNECTED"), ProtocolVersion::V3_1_1);
        assert_eq!(not_connected, ClientError::Session(SessionError::NotConnected));
        // A refusal 3.1.1 has no code for, and one that names no code, stay the host's; so do the
        // host's own codes and those of errors with fields. A code the host never sends is its failure.
        let kept = [
            ("SHARED_OPTIONS_DIFFER", ProtocolVersion::V5, "SHARED_OPTIONS_DIFFER"),
            ("CONNACK_BANNED", ProtocolVersion::V3_1_1, "SHARED_HOST_FAILED"),
            ("CONNACK_UNKNOWN", ProtocolVersion::V5, "CONNACK_UNKNOWN"),
            ("CONNACK_UNKNOWN", ProtocolVersion::V3_1_1, "CONNACK_UNKNOWN"),
            ("SUBSCRIBE_REFUSED", ProtocolVersion::V5, "SUBSCRIBE_REFUSED"),
            ("SOMETHING_NEW", ProtocolVersion::V5, "SHARED_HOST_FAILED"),
        ];
        for (code, version, coded) in kept {
            let e = ClientError::from_shared(shared(code), version);
            assert_eq!(e, ClientError::Shared(shared(code)));
            assert_eq!(e.code(), coded);
            assert_eq!(e.to_string(), format!("the host said {code}"));
        }
    }
}
