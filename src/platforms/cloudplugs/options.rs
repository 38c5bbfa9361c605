//! What a CloudPlugs login is opened with: Plug-ID or email, auth code, `HWID[/NAME]`, a keepalive
//! under CloudPlugs' 5-minute limit, and an optional last will on a data channel.

use crate::json::Value;

use super::channel::data_topic;
use super::data::DataDocument;
use super::error::CloudPlugsError;
use super::identity::{ClientId, Username};
use crate::json::{Fields, ReadError};
use crate::session::{ConnectOptions, ProtocolVersion, QoS, Will};

/// docs/platforms/cloudplugs.md#keepalive: "send PING requests ... at least every 5 minutes".
pub const MAX_KEEPALIVE_SECS: u16 = 300;
/// docs/platforms/cloudplugs.md#keepalive: "we suggest a period greater than 3 minutes but less than 5 minutes".
pub const DEFAULT_KEEPALIVE_SECS: u16 = 240;
/// How long a property request or an enrollment waits for its reply.
pub const DEFAULT_REPLY_TIMEOUT_MS: u32 = 10_000;

/// The last will: a data document CloudPlugs publishes for this device if the connection drops
/// without DISCONNECT (docs/platforms/cloudplugs.md#last-will: "Last Will and Testament feature is supported").
#[derive(Debug, Clone, PartialEq)]
pub struct LastWill {
    /// The channel, such as `status`.
    pub channel: String,
    pub data: Value,
    /// Whose channel; the login's own Plug-ID when left out (required for an email login).
    pub plug_id: Option<String>,
}

/// A login to CloudPlugs (docs/platforms/cloudplugs.md#login).
#[derive(Debug, Clone, PartialEq)]
pub struct CloudPlugsOptions {
    /// The device's Plug-ID, or an account email.
    pub username: String,
    /// The auth code of that Plug-ID (from enrollment), or the account's password.
    pub auth: String,
    /// The hardware ID (serial number), the first part of the client id.
    pub hwid: String,
    /// The optional mnemonic name, the client id's second part.
    pub name: Option<String>,
    /// Seconds between PINGREQs when idle: 1 to 300.
    pub keepalive_secs: u16,
    pub will: Option<LastWill>,
    pub connect_timeout_ms: u64,
    /// How long `set_properties`/`get_properties` wait for the reply.
    pub reply_timeout_ms: u32,
}

impl Default for CloudPlugsOptions {
    fn default() -> Self {
        Self {
            username: String::new(),
            auth: String::new(),
            hwid: String::new(),
            name: None,
            keepalive_secs: DEFAULT_KEEPALIVE_SECS,
            will: None,
            connect_timeout_ms: 10_000,
            reply_timeout_ms: DEFAULT_REPLY_TIMEOUT_MS,
        }
    }
}

impl CloudPlugsOptions {
    /// The login's fields of a JS options object (camelCase), each absent one at its default. The
    /// `will` is left to the caller: its data is written as `JSON.stringify` writes a payload.
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        let d = Self::default();
        Ok(Self {
            username: f.or("username", d.username)?,
            auth: f.or("auth", d.auth)?,
            hwid: f.or("hwid", d.hwid)?,
            name: f.optional("name")?,
            keepalive_secs: f.or("keepaliveSecs", d.keepalive_secs)?,
            will: None,
            connect_timeout_ms: f.or("connectTimeoutMs", d.connect_timeout_ms)?,
            reply_timeout_ms: f.or("replyTimeoutMs", d.reply_timeout_ms)?,
        })
    }

    pub fn new(username: &str, auth: &str, hwid: &str) -> Self {
        Self { username: username.to_owned(), auth: auth.to_owned(), hwid: hwid.to_owned(), ..Default::default() }
    }

    pub fn username(&self) -> Result<Username, CloudPlugsError> {
        Username::parse(&self.username)
    }

    pub fn client_id(&self) -> Result<ClientId, CloudPlugsError> {
        ClientId::new(&self.hwid, self.name.as_deref())
    }

    /// Checks everything and builds the CONNECT: MQTT 3.1.1, QoS 0 will, clean session.
    pub fn to_connect_options(&self) -> Result<ConnectOptions, CloudPlugsError> {
        let username = self.username()?;
        if self.auth.is_empty() {
            return Err(CloudPlugsError::MissingAuth);
        }
        let client_id = self.client_id()?;
        if self.keepalive_secs == 0 || self.keepalive_secs > MAX_KEEPALIVE_SECS {
            return Err(CloudPlugsError::KeepaliveTooLong { secs: self.keepalive_secs });
        }
        let will = match &self.will {
            None => None,
            Some(w) => {
                let plug_id = w.plug_id.as_deref().or(username.plug_id()).ok_or(CloudPlugsError::NoPlugId)?;
                Some(Will {
                    topic: data_topic(plug_id, &w.channel)?,
                    payload: DataDocument::new(w.data.clone(), None).to_payload(),
                    qos: QoS::AtMostOnce,
                    retain: false,
                })
            }
        };
        Ok(ConnectOptions {
            version: ProtocolVersion::V3_1_1,
            client_id: client_id.to_string(),
            username: Some(username.as_str().to_owned()),
            password: Some(self.auth.clone()),
            keepalive_secs: self.keepalive_secs,
            clean_start: true,
            will,
            connect_timeout_ms: self.connect_timeout_ms,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    const PLUG: &str = "dev-123456789012345678901234";

    fn login() -> CloudPlugsOptions {
        CloudPlugsOptions::new(PLUG, "auth-code", "SN-1")
    }

    // docs/platforms/cloudplugs.md#login: username = Plug-ID, password = auth code, client id HWID/NAME.
    #[test]
    fn the_connect_carries_plug_id_auth_and_hwid_name() {
        let mut o = login();
        o.name = Some("Pump".into());
        let c = o.to_connect_options().map_err(|e| e.code());
        let fields = c.map(|c| (c.username, c.password, c.client_id, c.version));
        assert_eq!(
            fields,
            Ok((Some(PLUG.into()), Some("auth-code".into()), "SN-1/Pump".into(), ProtocolVersion::V3_1_1))
        );
    }

    // docs/platforms/cloudplugs.md#keepalive: "we suggest a period greater than 3 minutes but less than 5 minutes".
    #[test]
    fn keepalive_defaults_to_240_seconds() {
        assert_eq!(login().to_connect_options().map(|c| c.keepalive_secs), Ok(240));
    }

    // docs/platforms/cloudplugs.md#keepalive: "send PING requests to the CloudPlugs server at least every 5 minutes".
    #[test]
    fn keepalive_above_300_seconds_or_off_is_refused() {
        let mut o = login();
        o.keepalive_secs = 300;
        assert_eq!(o.to_connect_options().map(|c| c.keepalive_secs), Ok(300));
        for secs in [301, 0] {
            o.keepalive_secs = secs;
            assert_eq!(o.to_connect_options().map_err(|e| e.code()), Err("CLOUDPLUGS_KEEPALIVE_TOO_LONG"), "{secs}");
        }
    }

    #[test]
    fn a_login_needs_an_auth_code_and_a_valid_hwid() {
        let mut o = login();
        o.auth.clear();
        assert_eq!(o.to_connect_options().map_err(|e| e.code()), Err("CLOUDPLUGS_MISSING_AUTH"));
        let mut o = login();
        o.hwid = "a/b".into();
        assert_eq!(o.to_connect_options().map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_HWID"));
    }

    // docs/platforms/cloudplugs.md#last-will and #qos: the last will is supported; QoS 0 only.
    #[test]
    fn the_will_is_a_qos_0_data_document_on_the_logins_channel() {
        let mut o = login();
        o.will = Some(LastWill { channel: "status".into(), data: json!("offline"), plug_id: None });
        let will = o.to_connect_options().ok().and_then(|c| c.will);
        let parsed = will.as_ref().map(|w| serde_json::from_slice::<Value>(&w.payload).ok());
        assert_eq!(
            will.as_ref().map(|w| (w.topic.as_str(), w.qos, w.retain)),
            Some((&*format!("{PLUG}/data/status"), QoS::AtMostOnce, false))
        );
        assert_eq!(parsed, Some(Some(json!({"data": "offline"}))));
    }

    #[test]
    fn an_email_login_must_name_the_plug_id_of_its_will() {
        let mut o = CloudPlugsOptions::new("me@example.com", "pw", "SN-1");
        o.will = Some(LastWill { channel: "status".into(), data: json!(0), plug_id: None });
        assert_eq!(o.to_connect_options().map_err(|e| e.code()), Err("CLOUDPLUGS_NO_PLUG_ID"));
        o.will = Some(LastWill { channel: "status".into(), data: json!(0), plug_id: Some(PLUG.into()) });
        assert!(o.to_connect_options().is_ok());
    }

    #[test]
    fn options_read_from_camel_case_json_with_defaults() {
        let doc = json!({"username": PLUG, "auth": "a", "hwid": "SN-1", "name": "Pump"});
        let o = CloudPlugsOptions::read(&mut Fields::new(doc).unwrap()).unwrap();
        assert_eq!((o.keepalive_secs, o.reply_timeout_ms, o.name.as_deref()), (240, 10_000, Some("Pump")));
        let bad = json!({"keepaliveSecs": 70_000});
        let err = CloudPlugsOptions::read(&mut Fields::new(bad).unwrap()).unwrap_err().to_string();
        assert_eq!(err, "keepaliveSecs: expected a whole number from 0 to 65535, got a number");
    }
}
