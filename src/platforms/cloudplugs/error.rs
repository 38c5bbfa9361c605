//! The CloudPlugs layer's one error type: bad input refused before sending, CloudPlugs' own
//! refusals (`{"err","msg"}`), malformed replies, timeouts, and the client's errors passed through.

use crate::error::ClientError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CloudPlugsError {
    #[error("invalid HWID {}: {reason}", crate::json::quoted(.hwid))]
    InvalidHwid { hwid: String, reason: &'static str },

    #[error("invalid device name {}: {reason}", crate::json::quoted(.name))]
    InvalidName { name: String, reason: &'static str },

    #[error("invalid Plug-ID {}: {reason}", crate::json::quoted(.plug_id))]
    InvalidPlugId { plug_id: String, reason: &'static str },

    #[error("invalid username {}: {reason}", crate::json::quoted(.username))]
    InvalidUsername { username: String, reason: &'static str },

    #[error("no auth code: CloudPlugs logs in with the Plug-ID (or account email) and its auth code")]
    MissingAuth,

    #[error("invalid channel {}: {reason}", crate::json::quoted(.channel))]
    InvalidChannel { channel: String, reason: &'static str },

    #[error("invalid channel mask {}: {reason}", crate::json::quoted(.mask))]
    InvalidChannelMask { mask: String, reason: &'static str },

    #[error("invalid enrollment {field} {}: {reason}", crate::json::quoted(.value))]
    InvalidEnrollment { field: &'static str, value: String, reason: &'static str },

    #[error("CloudPlugs refused the enrollment (err {err}{}{msg}): check the model, the enrollment pass and the thing's HWID", if msg.is_empty() { "" } else { ": " })]
    EnrollmentRefused { err: i64, msg: String },

    #[error("invalid property {}: {reason}", crate::json::quoted(.name))]
    InvalidProperty { name: String, reason: &'static str },

    #[error("CloudPlugs refused the property request (err {err}{}{msg})", if msg.is_empty() { "" } else { ": " })]
    PropertyError { err: i64, msg: String },

    #[error("CloudPlugs sent a {what} that cannot be read: {detail}")]
    MalformedReply { what: &'static str, detail: String },

    #[error("the data on {} is not a CloudPlugs document: {detail}", crate::json::quoted(.topic))]
    MalformedData { topic: String, detail: String },

    #[error("keepalive {secs} s is too long: CloudPlugs drops a connection that is silent for 5 minutes, so use 1 to 300 s (240 s advised)")]
    KeepaliveTooLong { secs: u16 },

    #[error(
        "this connection logged in with an account email and has no Plug-ID of its own: name the Plug-ID to act for"
    )]
    NoPlugId,

    #[error("no answer to the {what} within {ms} ms")]
    Timeout { what: &'static str, ms: u32 },

    #[error(transparent)]
    Client(#[from] ClientError),
}

impl CloudPlugsError {
    /// A stable code for programs to switch on; a client error keeps its own code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHwid { .. } => "CLOUDPLUGS_INVALID_HWID",
            Self::InvalidName { .. } => "CLOUDPLUGS_INVALID_NAME",
            Self::InvalidPlugId { .. } => "CLOUDPLUGS_INVALID_PLUG_ID",
            Self::InvalidUsername { .. } => "CLOUDPLUGS_INVALID_USERNAME",
            Self::MissingAuth => "CLOUDPLUGS_MISSING_AUTH",
            Self::InvalidChannel { .. } => "CLOUDPLUGS_INVALID_CHANNEL",
            Self::InvalidChannelMask { .. } => "CLOUDPLUGS_INVALID_CHANNEL_MASK",
            Self::InvalidEnrollment { .. } => "CLOUDPLUGS_INVALID_ENROLLMENT",
            Self::EnrollmentRefused { .. } => "CLOUDPLUGS_ENROLLMENT_REFUSED",
            Self::InvalidProperty { .. } => "CLOUDPLUGS_INVALID_PROPERTY",
            Self::PropertyError { .. } => "CLOUDPLUGS_PROPERTY_ERROR",
            Self::MalformedReply { .. } => "CLOUDPLUGS_MALFORMED_REPLY",
            Self::MalformedData { .. } => "CLOUDPLUGS_MALFORMED_DATA",
            Self::KeepaliveTooLong { .. } => "CLOUDPLUGS_KEEPALIVE_TOO_LONG",
            Self::NoPlugId => "CLOUDPLUGS_NO_PLUG_ID",
            Self::Timeout { .. } => "CLOUDPLUGS_TIMEOUT",
            Self::Client(e) => e.code(),
        }
    }
}

/// Keeps error values small even when the input was a 64 KiB string.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(120).collect()
}
