//! `CloudPlugsDevice`: the CloudPlugs API on the async browser client — login, enrollment on a
//! short connection of its own, data channels with typed records, and correlated property requests.

use std::cell::RefCell;
use std::rc::Rc;

use crate::json::{Map, Value};
use futures_channel::{mpsc, oneshot};
use wasm_bindgen_futures::spawn_local;

use crate::client::{ConnectionState, Link, ListenerId, MqttClient, WeakLink};
use crate::collections::VecMap;
use crate::error::{ClientError, SessionError};
use crate::platforms::cloudplugs::channel::{data_filter, data_topic, property_topic, PropertyOp};
use crate::platforms::cloudplugs::data::{parse_data_record, DataDocument, DataRecord};
use crate::platforms::cloudplugs::enrollment::{enrollment_connect_options, Credentials, EnrollmentRequest};
use crate::platforms::cloudplugs::enrollment_exchange::{EnrollmentEvent, EnrollmentExchange};
use crate::platforms::cloudplugs::error::CloudPlugsError;
use crate::platforms::cloudplugs::exchange::{
    ExchangeEvent, PropertyAnswer, PropertyExchanges, PropertyRequest, RequestId,
};
use crate::platforms::cloudplugs::identity::{ClientId, Username};
use crate::platforms::cloudplugs::options::{CloudPlugsOptions, DEFAULT_REPLY_TIMEOUT_MS};
use crate::platforms::cloudplugs::properties::{get_payload, PropertyMap};
use crate::session::{Outgoing, QoS};
use crate::transport::{now_ms, DeadlineTimer};

/// Typed data records from a subscription; a message that is not a data document arrives as a
/// `CLOUDPLUGS_MALFORMED_DATA` error instead of ending the stream.
pub type DataStream = mpsc::UnboundedReceiver<Result<DataRecord, CloudPlugsError>>;

/// The property exchanges of the pure core, the futures waiting for them, and one timer.
struct Properties {
    core: PropertyExchanges,
    waiting: VecMap<RequestId, oneshot::Sender<Result<PropertyAnswer, CloudPlugsError>>>,
    /// The property topics already routed to the core.
    routed: Vec<String>,
    timer: Option<DeadlineTimer>,
    client: WeakLink,
}

type SharedProperties = Rc<RefCell<Properties>>;

/// A device (or account) logged in to CloudPlugs. Cheap to clone; clones share the connection.
///
/// Every PUBLISH and SUBSCRIBE is QoS 0, and CloudPlugs cannot say when it denies one: see the
/// module's known limits.
#[derive(Clone)]
pub struct CloudPlugsDevice {
    client: Link,
    username: Username,
    properties: SharedProperties,
}

impl CloudPlugsDevice {
    /// Checks the login and prepares the client; nothing is opened until `connect`.
    pub fn new(url: &str, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        let connect = options.to_connect_options()?;
        let client = MqttClient::new(url, connect)?;
        let device = Self::over(Link::Own(client.clone()), options)?;
        let weak = Rc::downgrade(&device.properties);
        client.on_state(move |state| {
            let Some(p) = weak.upgrade() else { return };
            match state {
                // A connection given up ends the requests in flight now, and forgets subscriptions
                // (clean session), so the next request subscribes again.
                ConnectionState::Disconnected(_) | ConnectionState::Closed => connection_lost(&p),
                ConnectionState::Connected(_) => resume(&p),
                _ => {}
            }
        });
        Ok(device)
    }

    /// `new` on the session that every tab of the origin logging in with the same username, auth
    /// code and client id shares (docs/shared.md): one connection for all of them. `module` is where
    /// the page serves the shared session's page side (`iotmqtt/shared`'s `shared.js`). A property
    /// topic is taken in turns across the tabs, one request at a time, since CloudPlugs' replies
    /// carry no request id (`PropertyExchanges::shared`).
    #[cfg(feature = "shared-client")]
    pub async fn new_shared(module: &str, url: &str, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        use crate::client::SharedState;
        let client = Link::open_shared(module, url, &options.to_connect_options()?).await?;
        let device = Self::over(Link::Shared(client.clone()), options)?;
        let weak = Rc::downgrade(&device.properties);
        client.on_state(move |state| {
            let Some(p) = weak.upgrade() else { return };
            match state {
                // Any connection lost ends the requests in flight: a topic's turn is the host's
                // that gave it, and a leader's page that goes away takes its turns with it.
                SharedState::Connected => resume(&p),
                SharedState::Idle => {}
                _ => connection_lost(&p),
            }
        });
        Ok(device)
    }

    /// The device over `client`: the property exchanges (taking turns on a shared session), their
    /// futures and their timer.
    fn over(client: Link, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        let core = match &client {
            Link::Own(_) => PropertyExchanges::new(options.reply_timeout_ms),
            #[cfg(feature = "shared-client")]
            Link::Shared(_) => PropertyExchanges::shared(options.reply_timeout_ms),
        };
        let properties = Rc::new(RefCell::new(Properties {
            core,
            waiting: VecMap::new(),
            routed: Vec::new(),
            timer: None,
            client: client.downgrade(),
        }));
        let weak = Rc::downgrade(&properties);
        let wake: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(p) = weak.upgrade() {
                {
                    let mut p = p.borrow_mut();
                    if let Some(t) = p.timer.as_mut() {
                        t.fired();
                    }
                    p.core.handle_timeout(now_ms());
                }
                drive(&p);
            }
        });
        properties.borrow_mut().timer = Some(DeadlineTimer::new(wake, false));
        Ok(Self { client, username: options.username()?, properties })
    }

    /// `new` and `connect` in one step.
    pub async fn login(url: &str, options: &CloudPlugsOptions) -> Result<Self, CloudPlugsError> {
        let device = Self::new(url, options)?;
        device.connect().await?;
        Ok(device)
    }

    /// Logs in; a wrong Plug-ID or auth code is CloudPlugs' CONNACK refusal.
    pub async fn connect(&self) -> Result<(), CloudPlugsError> {
        Ok(self.client.connect().await?)
    }

    /// The Plug-ID this connection acts as; none after an account-email login.
    pub fn plug_id(&self) -> Option<&str> {
        self.username.plug_id()
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    /// The connection of its own, for its state (`on_state`, `states`) and raw topics; none on a
    /// shared one.
    pub fn client(&self) -> Option<&MqttClient> {
        self.client.own()
    }

    /// The connection the device runs over.
    pub fn link(&self) -> &Link {
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
        let topic = property_topic(plug_id, PropertyOp::Set)?;
        self.property_request(topic, PropertyRequest::Set { payload }).await.map(drop)
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
        let topic = property_topic(plug_id, PropertyOp::Get)?;
        let request = PropertyRequest::Get { payload, names: names.map(<[String]>::to_vec) };
        match self.property_request(topic, request).await? {
            PropertyAnswer::Got(values) => Ok(values),
            PropertyAnswer::Set => Ok(Map::new()),
        }
    }

    /// Disconnects and frees the connection; the device cannot be used again.
    pub fn close(&self) {
        self.client.close();
        self.properties.borrow_mut().core.close(ClientError::Closed.into());
        drive(&self.properties);
        self.properties.borrow_mut().timer = None;
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
    /// one reply, close (the rules: `platforms::cloudplugs::enrollment_exchange`). A refusal is
    /// `CLOUDPLUGS_ENROLLMENT_REFUSED` with CloudPlugs' `err` and `msg`.
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
        let (tx, rx) = oneshot::channel();
        let flow = Rc::new(RefCell::new(Enrollment {
            exchange: EnrollmentExchange::new(now_ms(), topic.clone(), timeout_ms),
            done: Some(tx),
            timer: None,
        }));
        let weak = Rc::downgrade(&flow);
        let weak_client = client.downgrade();
        let wake: Rc<dyn Fn()> = Rc::new(move || {
            if let (Some(flow), Some(client)) = (weak.upgrade(), weak_client.upgrade()) {
                if let Some(t) = flow.borrow_mut().timer.as_mut() {
                    t.fired();
                }
                flow.borrow_mut().exchange.handle_timeout(now_ms());
                enrollment_step(&flow, &client);
            }
        });
        flow.borrow_mut().timer = Some(DeadlineTimer::new(wake, false));
        let weak = Rc::downgrade(&flow);
        let weak_client = client.downgrade();
        client.on_message(&topic, move |m| {
            if let (Some(flow), Some(client)) = (weak.upgrade(), weak_client.upgrade()) {
                flow.borrow_mut().exchange.handle_message(&m.topic, &m.payload);
                enrollment_step(&flow, &client);
            }
        })?;
        let weak = Rc::downgrade(&flow);
        let weak_client = client.downgrade();
        client.on_state(move |state| {
            if let (ConnectionState::Disconnected(e), Some(flow), Some(client)) =
                (state, weak.upgrade(), weak_client.upgrade())
            {
                flow.borrow_mut().exchange.failed(e.clone().into());
                enrollment_step(&flow, &client);
            }
        });
        enrollment_step(&flow, &client);
        let connecting = client.clone();
        let connect_flow = flow.clone();
        spawn_local(async move {
            if connecting.connect().await.is_ok() {
                connect_flow.borrow_mut().exchange.connected();
                enrollment_step(&connect_flow, &connecting);
            }
        });
        let outcome = rx.await.unwrap_or(Err(ClientError::Closed.into()));
        flow.borrow_mut().timer = None;
        client.close();
        outcome
    }

    fn own_plug_id(&self) -> Result<&str, CloudPlugsError> {
        self.username.plug_id().ok_or(CloudPlugsError::NoPlugId)
    }

    /// One request on a property topic, through the core: it takes the topic's turn, subscribes
    /// once, publishes, and ends with the first message that answers it, or the reply timeout.
    async fn property_request(
        &self,
        topic: String,
        request: PropertyRequest,
    ) -> Result<PropertyAnswer, CloudPlugsError> {
        let rx = {
            let mut p = self.properties.borrow_mut();
            if !p.routed.contains(&topic) {
                let weak = Rc::downgrade(&self.properties);
                self.client.on_message(&topic, move |m| {
                    if let Some(p) = weak.upgrade() {
                        p.borrow_mut().core.handle_message(now_ms(), &m.topic, &m.payload);
                        drive(&p);
                    }
                })?;
                p.routed.push(topic.clone());
            }
            let id = p.core.request(now_ms(), &topic, request);
            let (tx, rx) = oneshot::channel();
            p.waiting.insert(id, tx);
            rx
        };
        drive(&self.properties);
        rx.await.unwrap_or_else(|_| Err(ClientError::Closed.into()))
    }
}

/// The connection is given up (or, on a shared session, on its way again): the requests in flight
/// end, and the subscriptions are forgotten (clean session), so the next request subscribes again.
fn connection_lost(properties: &SharedProperties) {
    properties.borrow_mut().core.connection_lost(ClientError::Session(SessionError::ConnectionLost).into());
    drive(properties);
}

fn resume(properties: &SharedProperties) {
    properties.borrow_mut().core.resume(now_ms());
    drive(properties);
}

/// Carries out what the property core asks on the client, resolves the requests it ended, and
/// arms the timer for its next deadline.
fn drive(properties: &SharedProperties) {
    let client = properties.borrow().client.upgrade();
    loop {
        let Some(event) = properties.borrow_mut().core.poll_event() else { break };
        match event {
            ExchangeEvent::RequestSubscribe { topic } => {
                let Some(client) = client.clone() else {
                    properties.borrow_mut().core.subscribed(
                        now_ms(),
                        &topic,
                        Err(ClientError::Session(SessionError::NotConnected).into()),
                    );
                    continue;
                };
                let p = properties.clone();
                spawn_local(async move {
                    let result =
                        client.subscribe(&topic, QoS::AtMostOnce).await.map(drop).map_err(CloudPlugsError::from);
                    p.borrow_mut().core.subscribed(now_ms(), &topic, result);
                    drive(&p);
                });
            }
            ExchangeEvent::RequestPublish { id, topic, payload } => {
                let result = match &client {
                    Some(Link::Own(c)) => {
                        c.start_publish(Outgoing::new(topic, payload)).map(drop).map_err(CloudPlugsError::from)
                    }
                    #[cfg(feature = "shared-client")]
                    Some(shared @ Link::Shared(_)) => {
                        let (p, shared) = (properties.clone(), shared.clone());
                        spawn_local(async move {
                            let result = shared.publish(Outgoing::new(topic, payload)).await;
                            p.borrow_mut().core.published(now_ms(), id, result.map_err(CloudPlugsError::from));
                            drive(&p);
                        });
                        continue;
                    }
                    None => Err(ClientError::Session(SessionError::NotConnected).into()),
                };
                properties.borrow_mut().core.published(now_ms(), id, result);
            }
            ExchangeEvent::NotifyDone { id, result } => {
                let waiter = properties.borrow_mut().waiting.remove(&id);
                if let Some(w) = waiter {
                    let _ = w.send(result);
                }
            }
            // Only a session the tabs share asks for turns (`new_shared`).
            #[cfg(feature = "shared-client")]
            ExchangeEvent::RequestLease { topic } => {
                let Some(Link::Shared(shared)) = client.clone() else { continue };
                let p = properties.clone();
                spawn_local(async move {
                    let result = shared.lease(&topic).await;
                    let result = result.map_err(|e| ClientError::from_shared(e, shared.version()).into());
                    p.borrow_mut().core.leased(now_ms(), &topic, result);
                    drive(&p);
                });
            }
            #[cfg(feature = "shared-client")]
            ExchangeEvent::ReleaseLease { topic } => {
                if let Some(Link::Shared(shared)) = &client {
                    shared.release(&topic);
                }
            }
            #[cfg(not(feature = "shared-client"))]
            ExchangeEvent::RequestLease { .. } | ExchangeEvent::ReleaseLease { .. } => {}
        }
    }
    let mut p = properties.borrow_mut();
    let deadline = p.core.poll_timeout();
    if let Some(t) = p.timer.as_mut() {
        t.sync(now_ms(), deadline);
    }
}

/// One enrollment: the pure exchange, the future waiting for it, and its timer.
struct Enrollment {
    exchange: EnrollmentExchange,
    done: Option<oneshot::Sender<Result<Credentials, CloudPlugsError>>>,
    timer: Option<DeadlineTimer>,
}

/// Carries out what the enrollment exchange asks on its session, and arms its one timer.
fn enrollment_step(flow: &Rc<RefCell<Enrollment>>, client: &MqttClient) {
    loop {
        let Some(event) = flow.borrow_mut().exchange.poll_event() else { break };
        match event {
            EnrollmentEvent::RequestSubscribe { topic } => {
                let (flow, client) = (flow.clone(), client.clone());
                spawn_local(async move {
                    let result =
                        client.subscribe(&topic, QoS::AtMostOnce).await.map(drop).map_err(CloudPlugsError::from);
                    flow.borrow_mut().exchange.subscribed(result);
                    enrollment_step(&flow, &client);
                });
            }
            EnrollmentEvent::NotifyDone(result) => {
                if let Some(done) = flow.borrow_mut().done.take() {
                    let _ = done.send(result);
                }
            }
        }
    }
    let mut f = flow.borrow_mut();
    let deadline = f.exchange.poll_timeout();
    if let Some(t) = f.timer.as_mut() {
        t.sync(now_ms(), deadline);
    }
}
