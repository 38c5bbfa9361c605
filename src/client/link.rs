//! The connection a platform client runs over: a connection of its own (`MqttClient`), or the
//! session that every tab of the origin shares for the same URL, client id and credentials
//! (`SharedClient`, docs/shared.md; with cargo feature `shared-client`). It offers what the platform clients ask of either, in the
//! client's errors, and holds nothing else.

#[cfg(feature = "shared-client")]
use super::SharedClient;
use super::{ListenerId, MqttClient, WeakMqttClient};
use crate::error::ClientError;
#[cfg(feature = "shared-client")]
use crate::session::topic::validate_topic_filter;
use crate::session::{Message, Outgoing, QoS};
#[cfg(feature = "shared-client")]
use crate::session::{RetainHandling, SubscribeOptions};

/// A platform client's connection. Clones are the same connection.
#[derive(Clone)]
pub enum Link {
    Own(MqttClient),
    #[cfg(feature = "shared-client")]
    Shared(SharedClient),
}

/// A `Link` that does not keep the connection alive, for what the connection itself stores.
#[derive(Clone)]
pub struct WeakLink(Weak);

#[derive(Clone)]
enum Weak {
    Own(WeakMqttClient),
    #[cfg(feature = "shared-client")]
    Shared(std::rc::Weak<super::shared::Inner>),
}

impl WeakLink {
    pub fn upgrade(&self) -> Option<Link> {
        match &self.0 {
            Weak::Own(c) => c.upgrade().map(Link::Own),
            #[cfg(feature = "shared-client")]
            Weak::Shared(inner) => inner.upgrade().map(|inner| Link::Shared(SharedClient { inner })),
        }
    }
}

impl Link {
    pub fn downgrade(&self) -> WeakLink {
        match self {
            Self::Own(c) => WeakLink(Weak::Own(c.downgrade())),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => WeakLink(Weak::Shared(std::rc::Rc::downgrade(&c.inner))),
        }
    }

    /// The connection of its own, for its state and raw MQTT; none on the shared session.
    pub fn own(&self) -> Option<&MqttClient> {
        match self {
            Self::Own(c) => Some(c),
            #[cfg(feature = "shared-client")]
            Self::Shared(_) => None,
        }
    }

    /// The platform clients' way into the session every tab of the origin naming `url` and the same
    /// identity in `options` shares (`SharedClient::open`), its errors read as a connection of the
    /// page's own would give them (`ClientError::from_shared`).
    #[cfg(feature = "shared-client")]
    pub async fn open_shared(
        module: &str,
        url: &str,
        options: &crate::session::ConnectOptions,
    ) -> Result<SharedClient, ClientError> {
        SharedClient::open(module, url, options).await.map_err(|e| ClientError::from_shared(e, options.version))
    }

    #[cfg(feature = "shared-client")]
    fn shared_error(c: &SharedClient, e: crate::error::SharedClientError) -> ClientError {
        ClientError::from_shared(e, c.version())
    }

    /// Connects, or joins the shared session's connection.
    pub async fn connect(&self) -> Result<(), ClientError> {
        match self {
            Self::Own(c) => c.connect().await.map(drop),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => c.connect().await.map_err(|e| Self::shared_error(c, e)),
        }
    }

    /// Resolves on the broker's acknowledgement (at once for QoS 0).
    pub async fn publish(&self, message: Outgoing) -> Result<(), ClientError> {
        match self {
            Self::Own(c) => c.publish(message).await,
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => {
                let Outgoing { topic, payload, qos, retain, properties } = &message;
                let sent = c.publish(topic, payload, *qos, *retain, properties).await;
                sent.map_err(|e| Self::shared_error(c, e))
            }
        }
    }

    /// The QoS the broker granted; on the shared session, this tab's interest in the filter. The
    /// platform clients' subscribe: their topics keep no retained messages, so on the shared
    /// session it asks for none (Retain Handling 2), and a filter another tab holds takes no
    /// SUBSCRIBE (`crate::shared::interest`).
    pub async fn subscribe(&self, filter: &str, qos: QoS) -> Result<QoS, ClientError> {
        match self {
            Self::Own(c) => c.subscribe(filter, qos).await,
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => {
                let options = SubscribeOptions { retain_handling: RetainHandling::Never, ..SubscribeOptions::qos(qos) };
                c.subscribe_with(filter, options, None).await.map_err(|e| Self::shared_error(c, e))
            }
        }
    }

    pub async fn unsubscribe(&self, filter: &str) -> Result<(), ClientError> {
        match self {
            Self::Own(c) => c.unsubscribe(&[filter.to_owned()]).await?.pop().unwrap_or(Ok(())),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => c.unsubscribe(filter).await.map_err(|e| Self::shared_error(c, e)),
        }
    }

    /// Calls `handler` for every message whose topic matches `filter`. Routing only: subscribe
    /// separately.
    pub fn on_message(&self, filter: &str, handler: impl Fn(&Message) + 'static) -> Result<ListenerId, ClientError> {
        match self {
            Self::Own(c) => c.on_message(filter, handler),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => {
                validate_topic_filter(filter)?;
                Ok(c.on_route(filter, handler))
            }
        }
    }

    /// Takes a listener of `on_message` off; `false` when it was not this connection's (any more).
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        match self {
            Self::Own(c) => c.remove_listener(id),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => c.remove_listener(id),
        }
    }

    /// Closes the connection; on the shared session, leaves it (the last tab's leaving closes it).
    pub fn close(&self) {
        match self {
            Self::Own(c) => c.close(),
            #[cfg(feature = "shared-client")]
            Self::Shared(c) => c.close(),
        }
    }
}

impl From<MqttClient> for Link {
    fn from(client: MqttClient) -> Self {
        Self::Own(client)
    }
}

#[cfg(feature = "shared-client")]
impl From<SharedClient> for Link {
    fn from(client: SharedClient) -> Self {
        Self::Shared(client)
    }
}
