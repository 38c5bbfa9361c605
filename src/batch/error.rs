//! Errors in a batch: the stable code and the values its message is made of. The words are the
//! shell's (`npm/src/errors.ts` and each platform's `errors.ts`), so the wasm carries no formatting; the Rust `Display` of each
//! error reads the same.

use crate::error::{ClientError, SessionError};
use crate::session::reason::ReasonCode;

/// One value of an error's message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str(String),
    Num(f64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Self::Str(s.clone())
    }
}

macro_rules! num_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Self::Num(n as f64)
            }
        }
    )*};
}
num_args!(u8, u16, u32, u64, usize, i64);

impl From<ReasonCode> for Arg {
    fn from(r: ReasonCode) -> Self {
        Self::Num(f64::from(r.0))
    }
}

/// `INVALID_OPTION` for a value the core's readers refused: the path (or, for the argument
/// itself, its name: `options`, `requests`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidOption {
    pub field: String,
    pub reason: String,
}

impl InvalidOption {
    pub fn new(e: crate::json::ReadError, name: &str) -> Self {
        let field = if e.path().is_empty() { name } else { e.path() };
        Self { field: field.to_owned(), reason: e.message().to_owned() }
    }
}

impl Coded for InvalidOption {
    fn code(&self) -> &'static str {
        "INVALID_OPTION"
    }

    fn args(&self) -> Vec<Arg> {
        vec![(&self.field).into(), (&self.reason).into()]
    }
}

impl Coded for crate::shared::SharedError {
    fn code(&self) -> &'static str {
        Self::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        match self {
            Self::OptionsDiffer { option } => vec![(*option).into()],
            Self::SubscriptionDiffers { option, filter } => vec![(*option).into(), filter.into()],
            Self::InvalidOption { field, reason } => vec![(*field).into(), (*reason).into()],
            Self::UnknownTab { tab } => vec![(*tab).into()],
            Self::OutlivesLeader => Vec::new(),
        }
    }
}

/// A refusal's values, then the broker's words when it said any: its Reason String (empty when
/// it sent only User Properties) and each User Property's name and value.
#[cfg(feature = "reason-strings")]
fn with_said(mut args: Vec<Arg>, said: &crate::session::said::Said) -> Vec<Arg> {
    if let Some(words) = said {
        args.push(words.reason_string.as_deref().unwrap_or_default().into());
        for (name, value) in &words.user_properties {
            args.extend([name.into(), value.into()]);
        }
    }
    args
}
#[cfg(not(feature = "reason-strings"))]
fn with_said(args: Vec<Arg>, _: &crate::session::said::Said) -> Vec<Arg> {
    args
}

/// An error the shell can name: its code and its message's values, in the order the message
/// table (`npm/src/errors.ts`) takes them.
pub trait Coded {
    fn code(&self) -> &'static str;
    fn args(&self) -> Vec<Arg>;
}

impl Coded for SessionError {
    fn code(&self) -> &'static str {
        SessionError::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        use SessionError as E;
        match self {
            E::ConnectRefused { version, code, .. } => vec![version.as_str().into(), (*code).into()],
            E::ConnectTimeout { timeout_ms } => vec![(*timeout_ms).into()],
            E::InvalidTopic { topic: s, reason } | E::InvalidFilter { filter: s, reason } => {
                vec![s.into(), (*reason).into()]
            }
            E::InvalidQos(q) => vec![(*q).into()],
            E::QosNotSupported { requested, maximum } => vec![u8::from(*requested).into(), u8::from(*maximum).into()],
            E::PacketTooLarge { size, max } => vec![(*size).into(), (*max).into()],
            E::IncomingPacketTooLarge { size, max } => vec![(*size).into(), (*max).into()],
            E::InvalidOption { field, reason } => vec![(*field).into(), reason.into()],
            E::PublishRefused { topic: s, reason, said }
            | E::SubscribeRefused { filter: s, reason, said }
            | E::UnsubscribeRefused { filter: s, reason, said } => with_said(vec![s.into(), (*reason).into()], said),
            E::ServerDisconnected { reason, said } => with_said(vec![(*reason).into()], said),
            E::Protocol { detail } => vec![detail.into()],
            E::OfflineQueueFull { messages, bytes } => vec![(*messages).into(), (*bytes).into()],
            E::PingTimeout | E::NotConnected | E::ConnectionLost | E::DroppedFromQueue | E::PacketIdsExhausted => {
                Vec::new()
            }
        }
    }
}

impl Coded for ClientError {
    fn code(&self) -> &'static str {
        ClientError::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        match self {
            Self::Session(e) => e.args(),
            Self::SocketClosed { code, reason } => vec![(*code).into(), reason.into()],
            Self::Socket(s) | Self::Persistence(s) | Self::Credentials(s) => vec![s.into()],
            Self::ReconnectGaveUp { attempts } => vec![(*attempts).into()],
            Self::Disconnected | Self::Closed => Vec::new(),
            #[cfg(feature = "shared-client")]
            Self::Shared(e) => vec![(&e.code).into(), (&e.message).into()],
        }
    }
}

#[cfg(feature = "payload")]
impl Coded for crate::platforms::things_stack::ThingsStackError {
    fn code(&self) -> &'static str {
        Self::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        use crate::platforms::things_stack::ThingsStackError as E;
        match self {
            E::InvalidFPort(n) => vec![(*n).into()],
            E::PayloadTooLong { len } => vec![(*len).into()],
            E::InvalidPriority(s) | E::Formatter(s) => vec![s.into()],
            E::CorrelationIdTooLong { id, len } => vec![id.into(), (*len).into()],
            E::PayloadConflict { both } => vec![u8::from(*both).into()],
            E::InvalidDecodedPayload(what) => vec![(*what).into()],
            E::InvalidId { what, id, reason } => vec![(*what).into(), id.into(), (*reason).into()],
            E::MissingApiKey => Vec::new(),
            E::NotAuthorized { app_id, tenant } => vec![app_id.into(), tenant.as_deref().unwrap_or("").into()],
            E::InvalidEvent { topic, detail } => vec![topic.into(), detail.into()],
            E::DownlinkTimeout { correlation_id, waited_ms, last } => {
                vec![correlation_id.into(), (*waited_ms).into(), last.into()]
            }
            E::Payload(e) => e.args(),
            E::Client(e) => e.args(),
        }
    }
}

#[cfg(feature = "payload")]
impl Coded for crate::platforms::things_stack::PayloadError {
    fn code(&self) -> &'static str {
        Self::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        use crate::platforms::things_stack::PayloadError as E;
        match self {
            E::InvalidBase64(s) | E::InvalidUtf8(s) => vec![s.into()],
            E::InvalidHex { input, reason } => vec![input.into(), reason.into()],
            E::InvalidLpp { offset, reason } => vec![(*offset).into(), reason.into()],
        }
    }
}

#[cfg(feature = "cloudplugs")]
impl Coded for crate::platforms::cloudplugs::CloudPlugsError {
    fn code(&self) -> &'static str {
        Self::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        use crate::platforms::cloudplugs::CloudPlugsError as E;
        match self {
            E::InvalidHwid { hwid: value, reason }
            | E::InvalidName { name: value, reason }
            | E::InvalidPlugId { plug_id: value, reason }
            | E::InvalidUsername { username: value, reason }
            | E::InvalidChannel { channel: value, reason }
            | E::InvalidChannelMask { mask: value, reason }
            | E::InvalidProperty { name: value, reason } => vec![value.into(), (*reason).into()],
            E::InvalidEnrollment { field, value, reason } => vec![(*field).into(), value.into(), (*reason).into()],
            E::EnrollmentRefused { err, msg } | E::PropertyError { err, msg } => vec![(*err).into(), msg.into()],
            E::MalformedReply { what, detail } => vec![(*what).into(), detail.into()],
            E::MalformedData { topic, detail } => vec![topic.into(), detail.into()],
            E::KeepaliveTooLong { secs } => vec![(*secs).into()],
            E::Timeout { what, ms } => vec![(*what).into(), (*ms).into()],
            E::MissingAuth | E::NoPlugId => Vec::new(),
            E::Client(e) => e.args(),
        }
    }
}

#[cfg(feature = "thingsboard")]
impl Coded for crate::platforms::thingsboard::error::ThingsBoardError {
    fn code(&self) -> &'static str {
        Self::code(self)
    }

    fn args(&self) -> Vec<Arg> {
        use crate::platforms::thingsboard::error::ThingsBoardError as E;
        match self {
            E::TokenRejected { code }
            | E::BasicCredentialsRejected { code }
            | E::CredentialsMissing { code }
            | E::ServerUnavailable { code } => vec![(*code).into()],
            E::InvalidTelemetry(s) | E::InvalidAttributes(s) | E::Firmware(s) | E::UnknownChecksumAlgorithm(s) => {
                vec![s.into()]
            }
            E::PayloadTooLarge { size, max } => vec![(*size).into(), (*max).into()],
            E::InvalidPayload { what, detail } => vec![(*what).into(), detail.into()],
            E::Timeout { what, timeout_ms } => vec![(*what).into(), (*timeout_ms).into()],
            E::RpcError { method, error } => vec![method.into(), error.into()],
            E::ProvisionFailed { status, message } => vec![status.into(), message.into()],
            E::ChecksumMismatch { algorithm, expected, actual } => {
                vec![algorithm.into(), expected.into(), actual.into()]
            }
            E::InvalidOption { field, reason } => vec![(*field).into(), reason.into()],
            E::Client(e) => e.args(),
        }
    }
}
