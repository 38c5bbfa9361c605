//! The provisioning wizard's service: one request on a short session of its own, and the
//! credentials it returns turned into a ready profile.

use crate::app::error::AppError;
use crate::app::state::{Profile, ProfileKind};
use crate::platforms::thingsboard::{provision, CredentialsType, ProvisionRequest, ProvisionedCredentials};
use crate::ProtocolVersion;

pub async fn provision_device(
    url: &str,
    device_name: &str,
    key: &str,
    secret: &str,
    token: &str,
) -> Result<ProvisionedCredentials, AppError> {
    if key.trim().is_empty() {
        return Err(AppError::input("prov_key", "enter the provision device key from the device profile"));
    }
    if secret.trim().is_empty() {
        return Err(AppError::input("prov_secret", "enter the provision device secret"));
    }
    let token = Some(token.trim().to_owned()).filter(|t| !t.is_empty());
    let request = ProvisionRequest {
        device_name: Some(device_name.trim().to_owned()).filter(|n| !n.is_empty()),
        provision_device_key: key.trim().to_owned(),
        provision_device_secret: secret.trim().to_owned(),
        credentials_type: token.as_ref().map(|_| CredentialsType::AccessToken),
        token,
        ..Default::default()
    };
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
