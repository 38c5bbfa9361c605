//! The dashboard's one error type: every platform's errors pass through with their own words,
//! plus input mistakes that name the field they belong to, so the UI can show them there.

use crate::client::SharedClientError;
use crate::platforms::cloudplugs::CloudPlugsError;
use crate::platforms::things_stack::ThingsStackError;
use crate::platforms::thingsboard::ThingsBoardError;
use crate::{ClientError, SessionError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    ThingsBoard(#[from] ThingsBoardError),
    #[error(transparent)]
    ThingsStack(#[from] ThingsStackError),
    #[error(transparent)]
    CloudPlugs(#[from] CloudPlugsError),
    /// What the session shared by this browser's tabs refused or reported.
    #[error(transparent)]
    Shared(#[from] SharedClientError),
    /// A value typed into a form cannot be used; `field` names the control.
    #[error("{message}")]
    Input { field: &'static str, message: String },
    #[error("not connected: connect a {0} profile first (top of this page)")]
    NotConnected(&'static str),
}

impl AppError {
    pub fn input(field: &'static str, message: impl Into<String>) -> Self {
        Self::Input { field, message: message.into() }
    }

    /// The form control this error belongs to, when it belongs to one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Input { field, .. } => Some(field),
            Self::ThingsStack(e) => match e {
                ThingsStackError::InvalidFPort(_) => Some("f_port"),
                ThingsStackError::PayloadTooLong { .. }
                | ThingsStackError::Payload(_)
                | ThingsStackError::PayloadConflict { .. } => Some("payload"),
                ThingsStackError::InvalidPriority(_) => Some("priority"),
                ThingsStackError::CorrelationIdTooLong { .. } => Some("correlation_ids"),
                ThingsStackError::InvalidId { what: "device id", .. } => Some("device"),
                ThingsStackError::Formatter(_) => Some("formatter"),
                _ => None,
            },
            // The publish form's MQTT 5 fields, named as the session's checks name them.
            Self::Client(ClientError::Session(SessionError::InvalidOption { field: "responseTopic", .. })) => {
                Some("responseTopic")
            }
            // The subscribe form's, likewise.
            Self::Client(ClientError::Session(SessionError::InvalidOption {
                field: "subscriptionIdentifier", ..
            })) => Some("subscriptionIdentifier"),
            Self::Shared(SharedClientError { field: Some(f), .. }) if f == "subscriptionIdentifier" => {
                Some("subscriptionIdentifier")
            }
            _ => None,
        }
    }
}

/// Errors keyed by field, for forms that show each one next to its control.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<String> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone())
    }

    pub fn set(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.retain(|(f, _)| *f != field);
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts an error at its field, or under `fallback` when it belongs to none.
    pub fn from_error(e: &AppError, fallback: &'static str) -> Self {
        let mut errors = Self::default();
        errors.set(e.field().unwrap_or(fallback), e.to_string());
        errors
    }
}
