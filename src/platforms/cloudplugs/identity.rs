//! Who a connection is: the client id `HWID[/NAME]`, Plug-IDs, and the login username (a Plug-ID or
//! an account email), each checked before CONNECT so a typo is named instead of refused
//! (docs/platforms/cloudplugs.md#login).

use core::fmt;

use serde::{Deserialize, Serialize};

use super::error::{shown, CloudPlugsError};

/// Why `value` cannot be one level of a CloudPlugs topic, if it cannot.
pub(crate) fn level_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("it may not be empty")
    } else if value.contains('/') {
        Some("it may not contain '/', which separates topic levels")
    } else if value.contains(['+', '#']) {
        Some("it may not contain the MQTT wildcards + or #")
    } else if value.chars().any(char::is_control) {
        Some("it may not contain control characters")
    } else {
        None
    }
}

/// The MQTT client id CloudPlugs reads as `HWID/NAME`: the hardware ID (serial number) and an
/// optional mnemonic name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientId {
    pub hwid: String,
    pub name: Option<String>,
}

impl ClientId {
    /// Checks both parts: the HWID is one topic level (a controller's enrollment topic carries its
    /// thing's HWID), and a name, when given, is not empty.
    pub fn new(hwid: &str, name: Option<&str>) -> Result<Self, CloudPlugsError> {
        validate_hwid(hwid)?;
        if let Some(name) = name {
            validate_name(name)?;
        }
        let id = Self { hwid: hwid.to_owned(), name: name.map(str::to_owned) };
        if id.to_string().len() > crate::session::topic::MAX_TOPIC_LEN {
            return Err(CloudPlugsError::InvalidName {
                name: shown(name.unwrap_or_default()),
                reason: "the client id HWID/NAME may be at most 65,535 bytes long",
            });
        }
        Ok(id)
    }

    /// Reads `HWID` or `HWID/NAME`; the HWID ends at the first '/'.
    pub fn parse(client_id: &str) -> Result<Self, CloudPlugsError> {
        match client_id.split_once('/') {
            Some((hwid, name)) => Self::new(hwid, Some(name)),
            None => Self::new(client_id, None),
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{}/{name}", self.hwid),
            None => f.write_str(&self.hwid),
        }
    }
}

pub fn validate_hwid(hwid: &str) -> Result<(), CloudPlugsError> {
    match level_problem(hwid) {
        Some(reason) => Err(CloudPlugsError::InvalidHwid { hwid: shown(hwid), reason }),
        None => Ok(()),
    }
}

/// A name may hold '/' (the HWID ends at the first one) but not be empty: `HWID/` names nothing.
pub fn validate_name(name: &str) -> Result<(), CloudPlugsError> {
    let reason = if name.is_empty() {
        "it may not be empty: leave the name out instead"
    } else if name.chars().any(char::is_control) {
        "it may not contain control characters"
    } else {
        return Ok(());
    };
    Err(CloudPlugsError::InvalidName { name: shown(name), reason })
}

/// A Plug-ID (such as `dev-123456789012345678901234`) is the first level of every data and
/// property topic.
pub fn validate_plug_id(plug_id: &str) -> Result<(), CloudPlugsError> {
    let reason = match level_problem(plug_id) {
        Some(reason) => reason,
        None if plug_id.contains('@') => "a Plug-ID has no '@' (that is an account email)",
        None => return Ok(()),
    };
    Err(CloudPlugsError::InvalidPlugId { plug_id: shown(plug_id), reason })
}

/// The login username: a device's Plug-ID, or an account email (a connection not attached to any
/// device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum Username {
    PlugId(String),
    Email(String),
}

impl Username {
    /// Anything with an '@' is read as an email, anything else as a Plug-ID.
    pub fn parse(username: &str) -> Result<Self, CloudPlugsError> {
        if !username.contains('@') {
            return match validate_plug_id(username) {
                Ok(()) => Ok(Self::PlugId(username.to_owned())),
                Err(_) if username.is_empty() => Err(CloudPlugsError::InvalidUsername {
                    username: String::new(),
                    reason: "it may not be empty (an empty username means enrollment: use enroll_thing or enroll_controller)",
                }),
                Err(CloudPlugsError::InvalidPlugId { reason, .. }) => {
                    Err(CloudPlugsError::InvalidUsername { username: shown(username), reason })
                }
                Err(other) => Err(other),
            };
        }
        let well_formed = match username.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !username.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if well_formed {
            Ok(Self::Email(username.to_owned()))
        } else {
            Err(CloudPlugsError::InvalidUsername {
                username: shown(username),
                reason: "an account email has the form name@domain, with no spaces",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::PlugId(s) | Self::Email(s) => s,
        }
    }

    /// The device this login acts as; none for an account email.
    pub fn plug_id(&self) -> Option<&str> {
        match self {
            Self::PlugId(id) => Some(id),
            Self::Email(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/platforms/cloudplugs.md#login: "client ID must be of the form HWID/NAME ... NAME is optional".
    #[test]
    fn client_id_is_hwid_alone_or_hwid_slash_name() {
        assert_eq!(ClientId::new("SN-1", None).map(|c| c.to_string()), Ok("SN-1".to_owned()));
        assert_eq!(ClientId::new("SN-1", Some("Pump")).map(|c| c.to_string()), Ok("SN-1/Pump".to_owned()));
    }

    #[test]
    fn parsing_splits_at_the_first_slash() {
        let id = ClientId::parse("SN-1/Pump/Left").map_err(|e| e.code());
        assert_eq!(id, Ok(ClientId { hwid: "SN-1".into(), name: Some("Pump/Left".into()) }));
    }

    #[test]
    fn an_empty_or_wildcard_hwid_is_refused() {
        for bad in ["", "a+b", "#", "nul\0"] {
            assert_eq!(ClientId::new(bad, None).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_HWID"), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_name_is_refused_rather_than_sent_as_hwid_slash() {
        assert_eq!(ClientId::parse("SN-1/").map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_NAME"));
    }

    // docs/platforms/cloudplugs.md#login: "The username can be the Plug-ID of the device or the email address".
    #[test]
    fn username_is_a_plug_id_or_an_email() {
        assert_eq!(
            Username::parse("dev-123456789012345678901234"),
            Ok(Username::PlugId("dev-123456789012345678901234".into()))
        );
        assert_eq!(Username::parse("me@example.com"), Ok(Username::Email("me@example.com".into())));
        assert_eq!(Username::parse("me@example.com").map(|u| u.plug_id().is_none()), Ok(true));
    }

    #[test]
    fn malformed_usernames_are_refused() {
        for bad in ["", "@example.com", "me@", "a b@c", "a@b@c", "dev/1", "dev+"] {
            assert_eq!(Username::parse(bad).map_err(|e| e.code()), Err("CLOUDPLUGS_INVALID_USERNAME"), "{bad:?}");
        }
    }
}
