//! Device provisioning (docs/platforms/thingsboard.md#provisioning): the request
//! sent on `/provision/request` by a `provision` session, and the typed credentials it returns.

use crate::json::Value;

use super::error::ThingsBoardError;
use crate::json::{expected, Fields, FromJson, ReadError, ToJson, Writer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsType {
    AccessToken,
    MqttBasic,
    X509Certificate,
}

impl CredentialsType {
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessToken => "ACCESS_TOKEN",
            Self::MqttBasic => "MQTT_BASIC",
            Self::X509Certificate => "X509_CERTIFICATE",
        }
    }
}

crate::write_name!(CredentialsType, name);

impl FromJson for CredentialsType {
    fn from_json(value: Value) -> Result<Self, ReadError> {
        let all = [Self::AccessToken, Self::MqttBasic, Self::X509Certificate];
        all.into_iter()
            .find(|t| value.as_str() == Some(t.name()))
            .ok_or_else(|| expected("\"ACCESS_TOKEN\", \"MQTT_BASIC\" or \"X509_CERTIFICATE\"", &value))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProvisionRequest {
    pub device_name: Option<String>,
    pub provision_device_key: String,
    pub provision_device_secret: String,
    pub credentials_type: Option<CredentialsType>,
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The X.509 certificate's hash, for X509_CERTIFICATE.
    pub hash: Option<String>,
    pub gateway: Option<bool>,
}

// The fields ThingsBoard's provisioning request reads (camelCase); absent ones are left out.
crate::write_fields!(ProvisionRequest {
    ?device_name = "deviceName",
    provision_device_key = "provisionDeviceKey",
    provision_device_secret = "provisionDeviceSecret",
    ?credentials_type = "credentialsType",
    ?token,
    ?client_id = "clientId",
    ?username,
    ?password,
    ?hash,
    ?gateway
});

impl ProvisionRequest {
    /// The request's fields of a JS object (camelCase); the key and the secret are checked when
    /// the request is written ([`Self::to_payload`]).
    pub fn read(f: &mut Fields) -> Result<Self, ReadError> {
        Ok(Self {
            device_name: f.optional("deviceName")?,
            provision_device_key: f.or("provisionDeviceKey", String::new())?,
            provision_device_secret: f.or("provisionDeviceSecret", String::new())?,
            credentials_type: f.optional("credentialsType")?,
            token: f.optional("token")?,
            client_id: f.optional("clientId")?,
            username: f.optional("username")?,
            password: f.optional("password")?,
            hash: f.optional("hash")?,
            gateway: f.optional("gateway")?,
        })
    }

    pub fn to_payload(&self) -> Result<String, ThingsBoardError> {
        let missing = |field: &'static str| ThingsBoardError::InvalidOption { field, reason: "is required".into() };
        if self.provision_device_key.trim().is_empty() {
            return Err(missing("provisionDeviceKey"));
        }
        if self.provision_device_secret.trim().is_empty() {
            return Err(missing("provisionDeviceSecret"));
        }
        if self.credentials_type == Some(CredentialsType::X509Certificate) && self.hash.is_none() {
            return Err(missing("hash"));
        }
        Ok(self.to_json_text())
    }
}

/// What a successful provisioning hands back: ready to connect with.
#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionedCredentials {
    AccessToken { token: String },
    MqttBasic { client_id: Option<String>, username: Option<String>, password: Option<String> },
    X509Certificate { value: String },
}

/// `{"credentialsType": "MQTT_BASIC", "clientId": ..., "userName": ..., "password": ...}`, named as
/// ThingsBoard names them.
impl ToJson for ProvisionedCredentials {
    fn write_json(&self, out: &mut Writer) {
        out.open();
        match self {
            Self::AccessToken { token } => out.field("credentialsType", "ACCESS_TOKEN").field("token", token),
            Self::MqttBasic { client_id, username, password } => out
                .field("credentialsType", "MQTT_BASIC")
                .field("clientId", client_id)
                .field("userName", username)
                .field("password", password),
            Self::X509Certificate { value } => out.field("credentialsType", "X509_CERTIFICATE").field("value", value),
        };
        out.close();
    }
}

pub fn parse_provision_response(payload: &[u8]) -> Result<ProvisionedCredentials, ThingsBoardError> {
    let invalid = |detail: String| ThingsBoardError::InvalidPayload { what: "provisioning response", detail };
    let v: Value = crate::json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    let status = v.get("status").and_then(Value::as_str).unwrap_or("");
    if status != "SUCCESS" {
        let message = v.get("errorMsg").and_then(Value::as_str).unwrap_or("no errorMsg given").to_owned();
        return Err(ThingsBoardError::ProvisionFailed {
            status: if status.is_empty() { "UNKNOWN".into() } else { status.into() },
            message,
        });
    }
    let value = v.get("credentialsValue").ok_or_else(|| invalid("no credentialsValue".into()))?;
    let text = |field: &str| value.get(field).and_then(Value::as_str).map(String::from);
    match v.get("credentialsType").and_then(Value::as_str).unwrap_or("ACCESS_TOKEN") {
        "ACCESS_TOKEN" => Ok(ProvisionedCredentials::AccessToken {
            token: value.as_str().ok_or_else(|| invalid("credentialsValue is not a token string".into()))?.into(),
        }),
        "MQTT_BASIC" => {
            if !value.is_object() {
                return Err(invalid("credentialsValue is not an object".into()));
            }
            Ok(ProvisionedCredentials::MqttBasic {
                client_id: text("clientId"),
                username: text("userName"),
                password: text("password"),
            })
        }
        "X509_CERTIFICATE" => Ok(ProvisionedCredentials::X509Certificate {
            value: value.as_str().map(String::from).unwrap_or_else(|| crate::json::text(value)),
        }),
        other => Err(invalid(format!("unknown credentialsType {}", crate::json::quoted(other)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/platforms/thingsboard.md#provisioning: {"deviceName","provisionDeviceKey","provisionDeviceSecret"}
    #[test]
    fn the_seed_request_serialises_with_only_given_fields() {
        let r = ProvisionRequest {
            device_name: Some("DEVICE_NAME".into()),
            provision_device_key: "u7piawkboq8v32dmcmpp".into(),
            provision_device_secret: "jpmwdn8ptlswmf4m29bw".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::from_str::<Value>(&r.to_payload().unwrap()).unwrap(),
            crate::json!({"deviceName":"DEVICE_NAME","provisionDeviceKey":"u7piawkboq8v32dmcmpp","provisionDeviceSecret":"jpmwdn8ptlswmf4m29bw"})
        );
        let basic = ProvisionRequest { credentials_type: Some(CredentialsType::MqttBasic), ..r.clone() };
        assert!(basic.to_payload().unwrap().contains(r#""credentialsType":"MQTT_BASIC""#));
        assert!(ProvisionRequest { provision_device_key: "".into(), ..r.clone() }.to_payload().is_err());
        let x509 = ProvisionRequest { credentials_type: Some(CredentialsType::X509Certificate), ..r };
        assert!(x509.to_payload().is_err(), "X509 needs the certificate hash");
    }

    #[test]
    fn a_request_is_read_by_its_camel_case_keys() {
        let doc = crate::json!({"provisionDeviceKey": "k", "provisionDeviceSecret": "s", "credentialsType": "MQTT_BASIC", "gateway": true});
        let r = ProvisionRequest::read(&mut Fields::new(doc).unwrap()).unwrap();
        assert_eq!(
            (r.provision_device_key.as_str(), r.credentials_type, r.gateway),
            ("k", Some(CredentialsType::MqttBasic), Some(true))
        );
        let bad = crate::json!({"credentialsType": "TOKEN"});
        let err = ProvisionRequest::read(&mut Fields::new(bad).unwrap()).unwrap_err().to_string();
        assert_eq!(
            err,
            "credentialsType: expected \"ACCESS_TOKEN\", \"MQTT_BASIC\" or \"X509_CERTIFICATE\", got a string"
        );
        let missing = ProvisionRequest::read(&mut Fields::new(crate::json!({})).unwrap()).unwrap();
        assert!(missing.to_payload().is_err(), "no provisionDeviceKey");
    }

    // docs/platforms/thingsboard.md#provisioning: success and failure shapes.
    #[test]
    fn every_response_shape_is_typed() {
        assert_eq!(
            parse_provision_response(
                br#"{"credentialsType":"ACCESS_TOKEN","credentialsValue":"tok","status":"SUCCESS"}"#
            )
            .unwrap(),
            ProvisionedCredentials::AccessToken { token: "tok".into() }
        );
        assert_eq!(
            parse_provision_response(br#"{"credentialsType":"MQTT_BASIC","credentialsValue":{"clientId":"c","userName":"u","password":"p"},"status":"SUCCESS"}"#).unwrap(),
            ProvisionedCredentials::MqttBasic { client_id: Some("c".into()), username: Some("u".into()), password: Some("p".into()) }
        );
        assert!(matches!(
            parse_provision_response(
                br#"{"credentialsType":"X509_CERTIFICATE","credentialsValue":"abc","status":"SUCCESS"}"#
            ),
            Ok(ProvisionedCredentials::X509Certificate { .. })
        ));
        let e = parse_provision_response(br#"{"errorMsg":"Failed to find provision profile","status":"NOT_FOUND"}"#)
            .unwrap_err();
        assert_eq!(
            e,
            ThingsBoardError::ProvisionFailed {
                status: "NOT_FOUND".into(),
                message: "Failed to find provision profile".into()
            }
        );
        let e = parse_provision_response(br#"{"errorMsg":"exists","status":"FAILURE"}"#).unwrap_err();
        assert_eq!(e.code(), "TB_PROVISION_FAILED");
        assert_eq!(parse_provision_response(b"<html>").unwrap_err().code(), "TB_INVALID_PAYLOAD");
    }
}
