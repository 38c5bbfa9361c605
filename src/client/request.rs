//! `MqttClient::request`: MQTT 5 request/response (§4.10). The request goes out with a Response
//! Topic and Correlation Data (`session::request` makes and matches them); the first message back
//! with that correlation data is the reply; none within the timeout is a typed error.

use futures_channel::oneshot;

use super::time::timeout;
use super::MqttClient;
use crate::error::ClientError;
use crate::session::request::{DEFAULT_QOS, DEFAULT_TIMEOUT_MS, RESPONSE_QOS};
use crate::session::{Message, Outgoing, PublishProperties, QoS};

/// How a request is sent and how long its reply is awaited.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOptions {
    /// Where the reply should go; by default `iotmqtt/response/{client id}`. The client subscribes
    /// to it (at QoS 1) the first time, unless it is subscribed already.
    pub response_topic: Option<String>,
    pub timeout_ms: u32,
    pub qos: QoS,
    /// Other properties of the request (content type, user properties, ...); the response topic
    /// and correlation data are the request's own.
    pub properties: PublishProperties,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            response_topic: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            qos: DEFAULT_QOS,
            properties: PublishProperties::default(),
        }
    }
}

/// Why a request has no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("no reply to the request on {topic:?} came within {timeout_ms} ms")]
    Timeout { topic: String, timeout_ms: u32 },
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl RequestError {
    /// A stable code, as `ClientError::code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "REQUEST_TIMEOUT",
            Self::Client(e) => e.code(),
        }
    }
}

impl MqttClient {
    /// Publishes `payload` to `topic` as an MQTT 5 request and resolves with its reply: the first
    /// message that carries the request's correlation data back. Needs an MQTT 5 connection.
    pub async fn request(
        &self,
        topic: &str,
        payload: Vec<u8>,
        options: RequestOptions,
    ) -> Result<Message, RequestError> {
        let prepared = {
            let mut i = self.inner.borrow_mut();
            let i = &mut *i;
            i.requests.prepare(i.sup.session(), options.response_topic).map_err(ClientError::from)?
        };
        let (id, response_topic, correlation) = (prepared.id, prepared.response_topic, prepared.correlation);
        let (tx, rx) = oneshot::channel();
        self.inner.borrow_mut().request_waiters.insert(id, tx);
        let forget = |client: &MqttClient| {
            let mut i = client.inner.borrow_mut();
            i.requests.cancel(id);
            i.request_waiters.remove(&id);
        };
        if prepared.subscribe {
            if let Err(e) = self.subscribe(&response_topic, RESPONSE_QOS).await {
                forget(self);
                return Err(e.into());
            }
        }
        let properties = PublishProperties {
            response_topic: Some(response_topic),
            correlation_data: Some(correlation),
            ..options.properties
        };
        if let Err(e) = self.publish(Outgoing::new(topic, payload).qos(options.qos).properties(properties)).await {
            forget(self);
            return Err(e.into());
        }
        match timeout(options.timeout_ms, rx).await {
            Some(Ok(reply)) => Ok(reply),
            Some(Err(_)) => Err(ClientError::Closed.into()),
            None => {
                forget(self);
                Err(RequestError::Timeout { topic: topic.to_owned(), timeout_ms: options.timeout_ms })
            }
        }
    }
}
