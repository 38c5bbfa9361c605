//! What a ThingsBoard connection is opened with (docs/platforms/thingsboard.md#connect): the device's credentials
//! and the session's options, read from a JS options object by their camelCase keys.

use super::error::ThingsBoardError;
use crate::json::{Fields, ReadError};
use crate::session::{ConnectOptions, ProtocolVersion, QoS};

/// How the device proves who it is (docs/platforms/thingsboard.md#connect).
#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    /// The access token as the user name, no password.
    AccessToken { token: String },
    /// MQTT basic credentials: client id, user name and password.
    Basic { client_id: String, username: Option<String>, password: Option<String> },
}

impl Credentials {
    /// `{token}`, or `{clientId, username?, password?}` for basic credentials. A missing token is
    /// left to the device, which refuses it with `TB_INVALID_OPTION`.
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        let token: Option<String> = f.optional("token")?;
        let client_id: Option<String> = f.optional("clientId")?;
        let (username, password) = (f.optional("username")?, f.optional("password")?);
        Ok(match client_id {
            Some(client_id) => Self::Basic { client_id, username, password },
            None => Self::AccessToken { token: token.unwrap_or_default() },
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceOptions {
    pub version: ProtocolVersion,
    pub keepalive_secs: u16,
    pub connect_timeout_ms: u64,
    /// How long attribute requests, client-side RPC and firmware chunks may take.
    pub request_timeout_ms: u32,
    /// Ask the transport for `getSessionLimits` after connecting, and obey them.
    pub fetch_session_limits: bool,
    /// QoS for telemetry and attributes; ThingsBoard grants at most 1.
    pub qos: QoS,
    /// The device's Last Will: the Rust client's CONNECT carries it (the npm class takes none, and
    /// `connect_options` leaves it to the client).
    pub will: Option<crate::session::Will>,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        Self {
            version: ProtocolVersion::V3_1_1,
            keepalive_secs: 60,
            connect_timeout_ms: 10_000,
            request_timeout_ms: 10_000,
            fetch_session_limits: true,
            qos: QoS::AtLeastOnce,
            will: None,
        }
    }
}

impl DeviceOptions {
    /// The CONNECT of a device (docs/platforms/thingsboard.md#connect): an access token as the user
    /// name, or MQTT basic credentials; an empty token is refused before connecting.
    pub fn connect_options(&self, credentials: Credentials) -> Result<ConnectOptions, ThingsBoardError> {
        let (client_id, username, password) = match credentials {
            Credentials::AccessToken { token } => {
                if token.trim().is_empty() {
                    let reason = "the access token is empty".into();
                    return Err(ThingsBoardError::InvalidOption { field: "token", reason });
                }
                (String::new(), Some(token), None)
            }
            Credentials::Basic { client_id, username, password } => (client_id, username, password),
        };
        Ok(ConnectOptions {
            version: self.version,
            client_id,
            username,
            password,
            keepalive_secs: self.keepalive_secs,
            connect_timeout_ms: self.connect_timeout_ms,
            ..Default::default()
        })
    }

    /// The options' fields of a JS options object, each absent one at its default.
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        let d = Self::default();
        Ok(Self {
            version: f.or("version", d.version)?,
            keepalive_secs: f.or("keepaliveSecs", d.keepalive_secs)?,
            connect_timeout_ms: f.or("connectTimeoutMs", d.connect_timeout_ms)?,
            request_timeout_ms: f.or("requestTimeoutMs", d.request_timeout_ms)?,
            fetch_session_limits: f.or("fetchSessionLimits", d.fetch_session_limits)?,
            qos: f.or("qos", d.qos)?,
            will: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::json::Value;

    fn read(doc: Value) -> Result<(Credentials, DeviceOptions), String> {
        let mut f = Fields::new(doc).map_err(|e| e.to_string())?;
        let credentials = Credentials::read(&mut f).map_err(|e| e.to_string())?;
        let options = DeviceOptions::read(&mut f).map_err(|e| e.to_string())?;
        f.deny_unknown().map(|()| (credentials, options)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_token_or_basic_credentials_with_the_options_at_their_defaults() {
        let (c, o) = read(json!({"token": "t"})).unwrap();
        assert_eq!((c, o), (Credentials::AccessToken { token: "t".into() }, DeviceOptions::default()));
        let (c, o) = read(json!({"clientId": "c", "password": "p", "qos": 0, "fetchSessionLimits": false})).unwrap();
        assert_eq!(c, Credentials::Basic { client_id: "c".into(), username: None, password: Some("p".into()) });
        assert_eq!((o.qos, o.fetch_session_limits, o.keepalive_secs), (QoS::AtMostOnce, false, 60));
        assert_eq!(read(json!({})).unwrap().0, Credentials::AccessToken { token: String::new() });
    }

    #[test]
    fn a_bad_option_or_a_typo_is_refused_by_name() {
        let err = |doc: Value| read(doc).unwrap_err();
        assert_eq!(err(json!({"token": 5})), "token: expected a string, got a number");
        assert_eq!(err(json!({"token": "t", "qos": 3})), "qos: expected 0, 1 or 2, got a number");
        assert_eq!(
            err(json!({"token": "t", "requestTimeoutMs": -1})),
            "requestTimeoutMs: expected a whole number from 0 to 4294967295, got a number"
        );
        assert!(err(json!({"token": "t", "keepAliveSecs": 1})).starts_with(
            "keepAliveSecs: unknown option; the known ones are token, clientId, username, password, version,"
        ));
    }
}
