//! The provisioning wizard's service: one request on a short session of its own, and the
//! credentials it returns turned into a ready profile.

use crate::app::error::AppError;
use crate::app::state::{Profile, ProfileKind};
use crate::platforms::thingsboard::{provision, CredentialsType, ProvisionRequest, ProvisionedCredentials};
use crate::ProtocolVersion;

/// The credentials the new device brings, if any (otherwise ThingsBoard generates an access token).
pub enum RequestedCredentials {
    /// An access token of the device's choosing; empty: ThingsBoard generates one.
    AccessToken(String),
    /// MQTT basic credentials of the device's choosing: a client id, a user name or both, and a password.
    MqttBasic { client_id: String, username: String, password: String },
}

pub async fn provision_device(
    url: &str,
    device_name: &str,
    key: &str,
    secret: &str,
    credentials: RequestedCredentials,
) -> Result<ProvisionedCredentials, AppError> {
    if key.trim().is_empty() {
        return Err(AppError::input("prov_key", "enter the provision device key from the device profile"));
    }
    if secret.trim().is_empty() {
        return Err(AppError::input("prov_secret", "enter the provision device secret"));
    }
    let given = |s: String| Some(s.trim().to_owned()).filter(|t| !t.is_empty());
    let mut request = ProvisionRequest {
        device_name: given(device_name.to_owned()),
        provision_device_key: key.trim().to_owned(),
        provision_device_secret: secret.trim().to_owned(),
        ..Default::default()
    };
    match credentials {
        RequestedCredentials::AccessToken(token) => {
            request.token = given(token);
            request.credentials_type = request.token.as_ref().map(|_| CredentialsType::AccessToken);
        }
        RequestedCredentials::MqttBasic { client_id, username, password } => {
            request.client_id = given(client_id);
            request.username = given(username);
            if request.client_id.is_none() && request.username.is_none() {
                return Err(AppError::input("prov_username", "enter a client id, a user name or both"));
            }
            // A password may be empty, but not blank by accident: it is kept exactly as typed.
            request.password = Some(password).filter(|p| !p.is_empty());
            request.credentials_type = Some(CredentialsType::MqttBasic);
        }
    }
    Ok(provision(url, &request, ProtocolVersion::V3_1_1, 10_000).await?)
}

/// A ThingsBoard device profile for freshly provisioned credentials.
pub fn profile_for(url: &str, device_name: &str, credentials: &ProvisionedCredentials) -> Option<Profile> {
    let mut p = Profile {
        id: super::profiles::new_id(ProfileKind::ThingsBoardDevice),
        name: if device_name.trim().is_empty() { "Provisioned device".into() } else { device_name.trim().to_owned() },
        kind: ProfileKind::ThingsBoardDevice,
        url: url.to_owned(),
        ..Default::default()
    };
    match credentials {
        ProvisionedCredentials::AccessToken { token } => p.secret = token.clone(),
        ProvisionedCredentials::MqttBasic { client_id, username, password } => {
            p.basic_auth = true;
            p.client_id = client_id.clone().unwrap_or_default();
            p.username = username.clone().unwrap_or_default();
            p.secret = password.clone().unwrap_or_default();
        }
        ProvisionedCredentials::X509Certificate { .. } => return None,
    }
    Some(p)
}
