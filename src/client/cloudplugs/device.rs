//! `CloudPlugsDevice`: the CloudPlugs API on the async browser client — login, enrollment on a
//! short connection of its own, data channels with typed records, and correlated property requests.

use std::cell::{Cell, RefCell};

use crate::collections::VecMap;
use std::rc::Rc;

use futures_channel::mpsc;
use futures_util::lock::Mutex;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::client::time::timeout;
use crate::client::{ConnectionState, ListenerId, MqttClient};
use crate::error::{ClientError, SessionError};
use crate::platforms::cloudplugs::channel::{data_filter, data_topic, property_topic, PropertyOp};
use crate::platforms::cloudplugs::data::{parse_data_record, DataDocument, DataRecord};
use crate::platforms::cloudplugs::enrollment::{
    enrollment_connect_options, parse_enrollment_reply, Credentials, EnrollmentRequest,
};
use crate::platforms::cloudplugs::error::CloudPlugsError;
use crate::platforms::cloudplugs::identity::{ClientId, Username};
use crate::platforms::cloudplugs::options::{CloudPlugsOptions, DEFAULT_REPLY_TIMEOUT_MS};
use crate::platforms::cloudplugs::properties::{
    get_payload, read_get_reply, read_set_reply, PropertyMap, PropertyReply,
};
use crate::session::{ConnAck, Outgoing, QoS};

/// Typed data records from a subscription; a message that is not a data document arrives as a
/// `CLOUDPLUGS_MALFORMED_DATA` error instead of ending the stream.
pub type DataStream = mpsc::UnboundedReceiver<Result<DataRecord, CloudPlugsError>>;

/// One `ag/prop/set|get` topic: requests take turns, and the one in flight gets the replies.
#[derive(Default)]
struct PropertyChannel {
    turn: Mutex<()>,
    pending: RefCell<Option<mpsc::UnboundedSender<Vec<u8>>>>,
    subscribed: Cell<bool>,
}

type PropertyChannels = Rc<RefCell<VecMap<String, Rc<PropertyChannel>>>>;

/// A device (or account) logged in to CloudPlugs. Cheap to clone; clones share the connection.
///
/// Every PUBLISH and SUBSCRIBE is QoS 0, and CloudPlugs cannot say when it denies one: see the
/// module's known limits.
#[derive(Clone)]
pub struct CloudPlugsDevice {
    client: MqttClient,
    username: Username,
    reply_timeout_ms: u32,
    property_channels: PropertyChannels,
}

impl CloudPlugsDevice {
    /// Checks the login and prepares the client; nothing is opened until `connect`.
    pub fn new(url: &str, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        let connect = options.to_connect_options()?;
        let client = MqttClient::new(url, connect)?;
        let property_channels: PropertyChannels = Rc::default();
        let channels = Rc::downgrade(&property_channels);
        client.on_state(move |state| {
            if matches!(state, ConnectionState::Disconnected(_) | ConnectionState::Closed) {
                // A lost connection ends waiting requests now, and forgets subscriptions
                // (clean session), so the next request subscribes again.
                if let Some(channels) = channels.upgrade() {
                    for channel in channels.borrow().values() {
                        channel.pending.borrow_mut().take();
                        channel.subscribed.set(false);
                    }
                }
            }
        });
        Ok(Self {
            client,
            username: options.username()?,
            reply_timeout_ms: options.reply_timeout_ms,
            property_channels,
        })
    }

    /// `new` and `connect` in one step.
    pub async fn login(url: &str, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        let device = Self::new(url, options)?;
        device.connect().await?;
        Ok(device)
    }

    /// Logs in; a wrong Plug-ID or auth code is CloudPlugs' CONNACK refusal.
    pub async fn connect(&self) -> Result<ConnAck, CloudPlugsError> {
        Ok(self.client.connect().await?)
    }

    /// The Plug-ID this connection acts as; none after an account-email login.
    pub fn plug_id(&self) -> Option<&str> {
        self.username.plug_id()
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    /// The underlying client, for connection state (`on_state`, `states`) and raw topics.
    pub fn client(&self) -> &MqttClient {
        &self.client
    }

    /// Publishes `{"data", "at"?}` to this device's `PLUG_ID/data/CHANNEL`.
    pub async fn publish(&self, channel: &str, data: Value, at: Option<u64>) -> Result<(), CloudPlugsError> {
        let plug_id = self.own_plug_id()?.to_owned();
        self.publish_document(&plug_id, channel, &DataDocument::new(data, at)).await
    }

    /// Publishes a full document as `plug_id` (a controller writing to its thing, or an account login).
    pub async fn publish_document(
        &self,
        plug_id: &str,
        channel: &str,
        document: &DataDocument,
    ) -> Result<(), CloudPlugsError> {
        let topic = data_topic(plug_id, channel)?;
        Ok(self.client.publish(Outgoing::new(topic, document.to_payload())).await?)
    }

    /// Subscribes to `PLUG_ID/data/MASK` (`plug_id` `None` or `"+"` for any device; the mask may
    /// hold `+` and `#`) and returns the records as a stream.
    pub async fn subscribe(&self, plug_id: Option<&str>, channel_mask: &str) -> Result<DataStream, CloudPlugsError> {
        let (tx, rx) = mpsc::unbounded();
        let listener = self.on_data(plug_id, channel_mask, move |record| {
            let _ = tx.unbounded_send(record);
        })?;
        let filter = data_filter(plug_id, channel_mask)?;
        if let Err(e) = self.client.subscribe(&filter, QoS::AtMostOnce).await {
            self.client.remove_listener(listener);
            return Err(e.into());
        }
        Ok(rx)
    }

    /// Calls `handler` for every record matching the filter, without subscribing (pair it with
    /// `subscribe`, or use the stream that `subscribe` returns).
    pub fn on_data(
        &self,
        plug_id: Option<&str>,
        channel_mask: &str,
        handler: impl Fn(Result<DataRecord, CloudPlugsError>) + 'static,
    ) -> Result<ListenerId, CloudPlugsError> {
        let filter = data_filter(plug_id, channel_mask)?;
        Ok(self.client.on_message(&filter, move |m| handler(parse_data_record(&m.topic, &m.payload)))?)
    }

    /// Sets this device's additional properties; resolves when CloudPlugs confirms.
    pub async fn set_properties(&self, properties: &PropertyMap) -> Result<(), CloudPlugsError> {
        let plug_id = self.own_plug_id()?.to_owned();
        self.set_properties_of(&plug_id, properties).await
    }

    /// Sets the additional properties of `plug_id`.
    pub async fn set_properties_of(&self, plug_id: &str, properties: &PropertyMap) -> Result<(), CloudPlugsError> {
        let payload = crate::platforms::cloudplugs::properties::set_payload(properties)?;
        let request = payload.clone();
        self.property_request(plug_id, PropertyOp::Set, payload, move |reply| read_set_reply(&request, reply)).await
    }

    /// Reads this device's additional properties: the names given, or all of them with `None`.
    pub async fn get_properties(&self, names: Option<&[String]>) -> Result<Map<String, Value>, CloudPlugsError> {
        let plug_id = self.own_plug_id()?.to_owned();
        self.get_properties_of(&plug_id, names).await
    }

    /// Reads the additional properties of `plug_id`.
    pub async fn get_properties_of(
        &self,
        plug_id: &str,
        names: Option<&[String]>,
    ) -> Result<Map<String, Value>, CloudPlugsError> {
        let payload = get_payload(names)?;
        let request = payload.clone();
        let requested = names.map(<[String]>::to_vec);
        self.property_request(plug_id, PropertyOp::Get, payload, move |reply| {
            read_get_reply(&request, requested.as_deref(), reply)
        })
        .await
    }

    /// Disconnects and frees the connection; the device cannot be used again.
    pub fn close(&self) {
        self.client.close();
    }

    /// Enrolls a thing of production template `model` on a connection of its own and returns the
    /// credentials it can log in with at once (docs/platforms/cloudplugs.md#enrollment).
    pub async fn enroll_thing(
        url: &str,
        model: &str,
        hwid: &str,
        name: Option<&str>,
        pass: &str,
    ) -> Result<Credentials, CloudPlugsError> {
        let client_id = ClientId::new(hwid, name)?;
        let request = EnrollmentRequest::Thing { model: model.to_owned(), pass: pass.to_owned() };
        Self::enroll(url, &client_id, &request, DEFAULT_REPLY_TIMEOUT_MS).await
    }

    /// Enrolls a controller of the thing with hardware ID `thing_hwid`; the controller itself is
    /// `controller_hwid[/controller_name]`.
    pub async fn enroll_controller(
        url: &str,
        model: &str,
        thing_hwid: &str,
        pass: &str,
        controller_hwid: &str,
        controller_name: Option<&str>,
    ) -> Result<Credentials, CloudPlugsError> {
        let client_id = ClientId::new(controller_hwid, controller_name)?;
        let request = EnrollmentRequest::Controller {
            model: model.to_owned(),
            thing_hwid: thing_hwid.to_owned(),
            pass: pass.to_owned(),
        };
        Self::enroll(url, &client_id, &request, DEFAULT_REPLY_TIMEOUT_MS).await
    }

    /// The enrollment flow: CONNECT with empty credentials, SUBSCRIBE the enrollment topic, read the
    /// one reply, close. A refusal is `CLOUDPLUGS_ENROLLMENT_REFUSED` with CloudPlugs' `err` and `msg`.
    pub async fn enroll(
        url: &str,
        client_id: &ClientId,
        request: &EnrollmentRequest,
        timeout_ms: u32,
    ) -> Result<Credentials, CloudPlugsError> {
        let topic = request.topic()?;
        // The server closes the enrollment session after its answer: never reconnect it.
        let no_reconnect = crate::ClientOptions {
            reconnect: crate::ReconnectOptions { enabled: false, ..Default::default() },
            ..Default::default()
        };
        let client =
            MqttClient::with_options(url, enrollment_connect_options(client_id, u64::from(timeout_ms)), no_reconnect)?;
        let (tx, mut events) = mpsc::unbounded();
        let lost = tx.clone();
        client.on_message(&topic, move |m| {
            let _ = tx.unbounded_send(Ok(m.payload.clone()));
        })?;
        client.on_state(move |state| {
            if let ConnectionState::Disconnected(e) = state {
                let _ = lost.unbounded_send(Err(e.clone()));
            }
        });
        let flow = async {
            client.connect().await?;
            let subscribed = client.subscribe(&topic, QoS::AtMostOnce).await;
            // SUBACK, the reply and (after a failure) the close can come in one read, and the close
            // fails the SUBSCRIBE: a reply already received still decides.
            let event = match subscribed {
                Ok(_) => events.next().await,
                Err(e) => match events.try_recv() {
                    Ok(Ok(reply)) => Some(Ok(reply)),
                    _ => return Err(e.into()),
                },
            };
            match event {
                Some(Ok(reply)) => parse_enrollment_reply(&reply),
                Some(Err(e)) => Err(e.into()),
                None => Err(ClientError::Session(SessionError::ConnectionLost).into()),
            }
        };
        let outcome = timeout(timeout_ms, flow).await;
        client.close();
        outcome.unwrap_or(Err(CloudPlugsError::Timeout { what: "enrollment reply", ms: timeout_ms }))
    }

    fn own_plug_id(&self) -> Result<&str, CloudPlugsError> {
        self.username.plug_id().ok_or(CloudPlugsError::NoPlugId)
    }

    /// One request on a property channel: take the channel's turn, subscribe once, publish, and
    /// wait for the first message that answers it (not our own request echoed back).
    async fn property_request<T>(
        &self,
        plug_id: &str,
        op: PropertyOp,
        payload: Vec<u8>,
        read: impl Fn(&[u8]) -> PropertyReply<T>,
    ) -> Result<T, CloudPlugsError> {
        let topic = property_topic(plug_id, op)?;
        let channel = self.property_channel(&topic)?;
        let _turn = channel.turn.lock().await;
        if !channel.subscribed.get() {
            self.client.subscribe(&topic, QoS::AtMostOnce).await?;
            channel.subscribed.set(true);
        }
        let (tx, mut replies) = mpsc::unbounded();
        *channel.pending.borrow_mut() = Some(tx);
        let exchange = async {
            self.client.publish(Outgoing::new(topic.clone(), payload)).await?;
            while let Some(reply) = replies.next().await {
                if let PropertyReply::Answer(result) = read(&reply) {
                    return result;
                }
            }
            Err(ClientError::Session(SessionError::ConnectionLost).into())
        };
        let ms = self.reply_timeout_ms;
        let outcome = timeout(ms, exchange).await;
        channel.pending.borrow_mut().take();
        outcome.unwrap_or(Err(CloudPlugsError::Timeout { what: "property request", ms }))
    }

    /// The channel's shared state, routing its messages to the request in flight on first use.
    fn property_channel(&self, topic: &str) -> Result<Rc<PropertyChannel>, CloudPlugsError> {
        if let Some(existing) = self.property_channels.borrow().get(topic) {
            return Ok(existing.clone());
        }
        let channel = Rc::new(PropertyChannel::default());
        let route = channel.clone();
        self.client.on_message(topic, move |m| {
            if let Some(tx) = route.pending.borrow().as_ref() {
                let _ = tx.unbounded_send(m.payload.clone());
            }
        })?;
        self.property_channels.borrow_mut().insert(topic.to_owned(), channel.clone());
        Ok(channel)
    }
}
