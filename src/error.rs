//! The client's error type: the session's protocol errors, wrapped, and what only a connection or
//! the browser can report (a socket closing, the application disconnecting, giving up, the store).
//! Each has a message a user can act on and a stable code for programs.

pub use crate::session::error::SessionError;

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
}
