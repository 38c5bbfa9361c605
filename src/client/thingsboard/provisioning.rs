//! Provisioning a new device (docs/platforms/thingsboard.md#provisioning): a short session of its own with user
//! name `provision`, one request on `/provision/request`, the typed credentials back.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use wasm_bindgen_futures::spawn_local;

use crate::client::{ConnectionState, MqttClient};
use crate::platforms::thingsboard::error::ThingsBoardError;
use crate::platforms::thingsboard::provision::{ProvisionRequest, ProvisionedCredentials};
use crate::platforms::thingsboard::provision_exchange::{ProvisionEvent, ProvisionExchange};
use crate::session::{ConnectOptions, Outgoing, ProtocolVersion, QoS};
use crate::transport::{now_ms, DeadlineTimer};
use crate::ClientOptions;

struct Flow {
    exchange: ProvisionExchange,
    done: Option<oneshot::Sender<Result<ProvisionedCredentials, ThingsBoardError>>>,
    timer: Option<DeadlineTimer>,
}

/// Provisions a device and returns its new credentials; NOT_FOUND and FAILURE come back as
/// `ProvisionFailed` carrying the server's `errorMsg`. The connect has `timeout_ms`, and so has the
/// exchange after it, SUBACK included.
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
    if let Err(e) = client.connect().await {
        client.close();
        return Err(ThingsBoardError::from_client(e, false));
    }
    let (tx, rx) = oneshot::channel();
    let flow = Rc::new(RefCell::new(Flow {
        exchange: ProvisionExchange::new(payload.into_bytes(), timeout_ms),
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
            drive(&flow, &client);
        }
    });
    flow.borrow_mut().timer = Some(DeadlineTimer::new(wake, false));
    let weak = Rc::downgrade(&flow);
    let weak_client = client.downgrade();
    client.on_any_message(move |m| {
        if let (Some(flow), Some(client)) = (weak.upgrade(), weak_client.upgrade()) {
            flow.borrow_mut().exchange.handle_message(&m.topic, &m.payload);
            drive(&flow, &client);
        }
    });
    let weak = Rc::downgrade(&flow);
    let weak_client = client.downgrade();
    client.on_state(move |state| {
        if let (ConnectionState::Disconnected(e), Some(flow), Some(client)) =
            (state, weak.upgrade(), weak_client.upgrade())
        {
            flow.borrow_mut().exchange.failed(ThingsBoardError::from(e.clone()));
            drive(&flow, &client);
        }
    });
    flow.borrow_mut().exchange.connected(now_ms());
    drive(&flow, &client);
    let result = rx.await.unwrap_or(Err(ThingsBoardError::Client(crate::ClientError::Closed)));
    flow.borrow_mut().timer = None;
    client.close();
    result
}

/// Carries out what the exchange asks on the provision session, and arms its one timer.
fn drive(flow: &Rc<RefCell<Flow>>, client: &MqttClient) {
    loop {
        let Some(event) = flow.borrow_mut().exchange.poll_event() else { break };
        match event {
            ProvisionEvent::RequestSubscribe { filter } => {
                let (flow, client) = (flow.clone(), client.clone());
                spawn_local(async move {
                    let result =
                        client.subscribe(filter, QoS::AtLeastOnce).await.map(drop).map_err(ThingsBoardError::from);
                    flow.borrow_mut().exchange.subscribed(result);
                    drive(&flow, &client);
                });
            }
            ProvisionEvent::RequestPublish { topic, payload } => {
                let (flow, client) = (flow.clone(), client.clone());
                spawn_local(async move {
                    let result = client.publish(Outgoing::new(topic, payload).qos(QoS::AtLeastOnce)).await;
                    flow.borrow_mut().exchange.published(result.map_err(ThingsBoardError::from));
                    drive(&flow, &client);
                });
            }
            ProvisionEvent::NotifyDone(result) => {
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
