//! Provisioning a new device (docs/platforms/thingsboard.md#provisioning): a short session of its own with user
//! name `provision`, one request on `/provision/request`, the typed credentials back.

use crate::error::SessionError;
use futures_util::StreamExt;

use crate::client::time::timeout;
use crate::client::MqttClient;
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::provision::{parse_provision_response, ProvisionRequest, ProvisionedCredentials};
use crate::platforms::thingsboard::topics::{PROVISION_REQUEST, PROVISION_RESPONSE};
use crate::session::{ConnectOptions, Outgoing, ProtocolVersion, QoS};
use crate::ClientOptions;

/// Provisions a device and returns its new credentials; NOT_FOUND and FAILURE come back as
/// `ProvisionFailed` carrying the server's `errorMsg`.
pub async fn provision(
    url: &str,
    request: &ProvisionRequest,
    version: ProtocolVersion,
    timeout_ms: u32,
) -> Result<ProvisionedCredentials, ThingsBoardError> {
    let payload = request.to_payload()?;
    // A one-shot session the server closes after answering: never reconnect it.
    let no_reconnect = ClientOptions {
        reconnect: crate::ReconnectOptions { enabled: false, ..Default::default() },
        ..Default::default()
    };
    let client = MqttClient::with_options(
        url,
        ConnectOptions {
            version,
            client_id: "provision".into(),
            username: Some("provision".into()),
            connect_timeout_ms: u64::from(timeout_ms),
            ..Default::default()
        },
        no_reconnect,
    )?;
    let result = async {
        client.connect().await.map_err(|e| ThingsBoardError::from_client(e, false))?;
        let mut messages = client.messages();
        client.subscribe(PROVISION_RESPONSE, QoS::AtLeastOnce).await?;
        client.publish(Outgoing::new(PROVISION_REQUEST, payload.into_bytes()).qos(QoS::AtLeastOnce)).await?;
        let answer = timeout(timeout_ms, async {
            while let Some(m) = messages.next().await {
                if m.topic == PROVISION_RESPONSE {
                    return Some(m.payload);
                }
            }
            None
        })
        .await;
        match answer {
            Some(Some(body)) => parse_provision_response(&body),
            Some(None) => Err(ThingsBoardError::Client(crate::ClientError::Session(SessionError::ConnectionLost))),
            None => Err(ThingsBoardError::Timeout { what: "provisioning request", timeout_ms }),
        }
    }
    .await;
    client.close();
    result
}
